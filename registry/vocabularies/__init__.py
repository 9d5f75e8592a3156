"""Vocabularies: the controlled lists (services, populations, priority areas) and their terms."""
