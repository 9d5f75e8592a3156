"""Imports every model module, so `Base.metadata` describes the whole schema (for Alembic)."""

from registry import changes
from registry.access import models as access_models
from registry.areas import models as area_models
from registry.db import Base
from registry.elections import models as election_models
from registry.governance import models as governance_models
from registry.memberships import models as membership_models
from registry.networks import models as network_models
from registry.organisations import models as organisation_models
from registry.vocabularies import models as vocabulary_models

metadata = Base.metadata
