"""The registry's domain: organisations, networks, memberships, vocabularies and their rules.

Kept free of Flask, api/ and geo/. Submodules are imported explicitly by callers; this file
imports nothing so that pure modules (e.g. registry.elections.tally) load without SQLAlchemy.
"""
