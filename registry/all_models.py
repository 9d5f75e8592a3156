"""Imports every model module, so `Base.metadata` describes the whole schema (for Alembic)."""

from registry import (  # noqa: F401  (imported for their tables)
    areas,
    audit,
    changes,
    contact_reads,
    governance,
    memberships,
    network_tree,
    organisations,
    tokens,
    vocabularies,
    web_sessions,
)
from registry.db import Base
from registry.elections import models as election_models  # noqa: F401

metadata = Base.metadata
