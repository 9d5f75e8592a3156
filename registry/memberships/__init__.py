"""Memberships: an organisation's place in a network and the events that move it."""
