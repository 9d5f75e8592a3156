"""The change counter moves once for every committed transaction that wrote, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry import changes
from registry.organisations import services as organisations
from registry.db import unavailable
from registry.organisations.models import Organisation
from tests.factories import SYSTEM


def test_a_commit_that_wrote_moves_the_counter_by_one(session, make_org):
    before = changes.current(session)
    organisation = make_org(name="Sample CBO 01")
    organisations.update_profile(session, SYSTEM, organisation, {"name": "Sample CBO 02"})
    session.commit()
    assert changes.current(session) == before + 1


def test_a_commit_that_only_read_leaves_it(session, make_org):
    make_org(name="Sample CBO 01")
    session.commit()
    before = changes.current(session)
    session.get(Organisation, 1)
    session.commit()
    assert changes.current(session) == before


def test_a_rolled_back_write_leaves_it(session, make_org):
    before = changes.current(session)
    make_org(name="Sample CBO 01")
    session.flush()
    session.rollback()
    session.commit()
    assert changes.current(session) == before


def test_statements_move_it_too(session, make_org):
    organisation = make_org(name="Sample CBO 01")
    session.commit()
    before = changes.current(session)
    session.execute(update(Organisation).where(Organisation.id == organisation.id).values(acronym="S1"))
    session.commit()
    assert changes.current(session) == before + 1


def test_the_reader_on_its_own_connection_sees_what_was_committed(database_url, engine):
    reader = changes.reader(database_url, lock_timeout=5)
    try:
        with Session(engine) as session:
            before = changes.current(session)
            assert changes.current_on(reader) == before
            session.execute(update(Organisation).where(Organisation.id == -1).values(acronym="S1"))
            session.commit()
        assert changes.current_on(reader) == before + 1
    finally:
        reader.dispose()


def test_a_reader_without_the_table_fails_as_a_statement_not_as_an_outage(tmp_path):
    reader = changes.reader(f"sqlite:///{tmp_path}/empty.sqlite", lock_timeout=5)
    try:
        with pytest.raises(DBAPIError) as failed:
            changes.current_on(reader)
        assert not unavailable(failed.value)
    finally:
        reader.dispose()


@pytest.mark.postgresql
def test_a_reader_connection_lost_since_its_last_use_is_replaced(database_url, engine):
    reader = changes.reader(database_url, lock_timeout=5)
    try:
        expected = changes.current_on(reader)
        pooled = reader.raw_connection()  # the pool keeps one connection: the one just used
        cursor = pooled.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        cursor.close()
        pooled.close()
        with engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        assert changes.current_on(reader) == expected
    finally:
        reader.dispose()
