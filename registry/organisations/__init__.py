"""Organisations: their profiles, contacts, registration and the rules on their fields."""
