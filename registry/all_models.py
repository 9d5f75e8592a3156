"""Imports every model module, so `Base.metadata` describes the whole schema (for Alembic)."""

from registry.areas import services as areas  # noqa: F401  (imported for their tables)
from registry.access import audit, contact_reads, tokens
from registry import changes
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.networks import tree as network_tree
from registry.organisations import services as organisations
from registry.vocabularies import services as vocabularies
from registry.db import Base
from registry.elections import models as election_models  # noqa: F401

metadata = Base.metadata
