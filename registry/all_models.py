"""Imports every model module, so `Base.metadata` describes the whole schema (for Alembic)."""

from registry.access import models as access_models  # noqa: F401  (imported for their tables)
from registry.areas import models as area_models  # noqa: F401
from registry.db import Base
from registry.elections import models as election_models  # noqa: F401
from registry.governance import models as governance_models  # noqa: F401
from registry.memberships import models as membership_models  # noqa: F401
from registry.networks import models as network_models  # noqa: F401
from registry.organisations import models as organisation_models  # noqa: F401
from registry.vocabularies import models as vocabulary_models  # noqa: F401

metadata = Base.metadata
