"""Governance: a network's governing bodies, their seats and officeholders."""
