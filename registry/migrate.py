"""Schema upgrades through Alembic: the only way the registry's tables are created or changed.

A migration that seals contacts (0007) needs the contact key ring: whoever upgrades passes a
function that gives it, asked for only when there are contacts to seal, so that upgrading an
empty database creates no key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from registry.access.sealing import KeyRing

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CONTACT_KEYS = "contact_keys"  # the config attribute a migration finds the key ring's getter under

Keys = Callable[[], KeyRing]


def alembic_config(url: str, connection: Connection | None = None, keys: Keys | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats % specially; a URL may contain escaped characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    if keys is not None:
        config.attributes[CONTACT_KEYS] = keys
    return config


def upgrade(url: str, revision: str = "head", connection: Connection | None = None, *,
            keys: Keys | None = None) -> None:
    command.upgrade(alembic_config(url, connection, keys), revision)


def downgrade(url: str, revision: str, *, keys: Keys | None = None) -> None:
    command.downgrade(alembic_config(url, keys=keys), revision)


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest revision among the migrations this code ships (read once per process)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def at_head(connection: Connection) -> bool:
    """Whether the database's schema is the one this code expects."""
    return current_revision(connection) == head_revision()
