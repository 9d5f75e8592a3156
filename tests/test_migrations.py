"""Alembic owns the schema: the migrated database must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from registry.all_models import metadata
from registry.migrate import alembic_config, current_revision


def test_the_migrations_reach_head_and_match_the_models(engine, database_url):
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        assert current_revision(connection) == head
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
