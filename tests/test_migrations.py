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


def test_organisations_registered_before_publishing_was_chosen_publish_only_their_priority_areas(tmp_path):
    """An upgraded registry behaves as a new one: every organisation it held starts with a new
    listing's choice (privacy first), whatever it showed before."""
    import datetime as dt

    from sqlalchemy import Column, MetaData, Table, insert, select
    from sqlalchemy.orm import Session

    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.organisations import Organisation
    from registry.permissions import Actor
    from registry.visibility import profile_view, reader_for
    from tests.conftest import fresh_database

    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        engine = make_engine(url)
        now = dt.datetime.now(dt.timezone.utc)
        with engine.begin() as connection:
            row = {"kind": "community_organisation", "name": "Nhóm cũ", "name_key": "nhom cu", "name_translations": {},
                   "search_text": "nhom cu", "country": "VN", "sex_worker_led": "yes", "sex_worker_involvement": "",
                   "languages": ["vi"], "website": "https://old.example.org", "public_listing": True,
                   "status": "active", "is_sample": False, "created_at": now, "updated_at": now, "version": 1}
            # The table as revision 0006 left it: the model's columns but the new one.
            before = Table("organisations", MetaData(), *(Column(c.key, c.type) for c in Organisation.__table__.columns
                                                          if c.key in row))
            connection.execute(insert(before).values(row))
        upgrade(url, "head")
        with Session(engine) as session:
            old = session.scalars(select(Organisation)).one()
            assert old.published_fields == ["priority_areas"]
            seen = profile_view(session, reader_for(session, Actor.anonymous()), old)
            assert "sex_worker_led" not in seen and "website" not in seen and "languages" not in seen
            assert seen["name"] == "Nhóm cũ" and seen["priority_areas"] == []
        engine.dispose()
