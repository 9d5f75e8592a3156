"""Alembic owns the schema: the migrated database must match the models exactly."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import organisations
from registry.all_models import metadata
from registry.db import make_engine
from registry.migrate import alembic_config, current_revision, upgrade
from registry.organisations import Organisation
from registry.permissions import Actor
from tests.conftest import fresh_database


def test_the_migrations_reach_head_and_match_the_models(engine, database_url):
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        assert current_revision(connection) == head
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_an_upgraded_database_keeps_its_organisations_and_none_publishes_its_reach(tmp_path):
    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisations (id, kind, name, name_key, name_translations, search_text, country, "
                "sex_worker_involvement, languages, public_listing, status, is_sample, created_at, "
                "updated_at, version) VALUES (1, 'national_network', 'Old network', 'old network', '{}', "
                "'old network', 'VN', '', '[]', true, 'active', false, :now, :now, 1)"), {"now": now})
        upgrade(url)
        with Session(engine) as session:
            network = session.get(Organisation, 1)
            assert network.publishes_reach is False  # as for a network registered today
            organisations.update_profile(session, Actor.system("migration test"), network, {"publishes_reach": True})
            session.commit()
        engine.dispose()
        command.downgrade(alembic_config(url), "0006")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM organisations")).scalar_one() == "Old network"
        engine.dispose()
