"""Access: who may do what (permissions), who sees what (visibility), tokens, the audit log, sealed contacts."""
