"""Test database: one fresh database per run (SQLite file, or a new PostgreSQL database when
REGISTRY_TEST_DATABASE names a server), migrated with Alembic, and a rolled-back transaction
per test, so every test starts from the same empty schema and nothing is left behind.

One contact key file for the run, named in the environment as an operator names it, so that
the tests' sessions, every app and command they make, and the servers they start seal and
open contacts with the same keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api.settings import CONTACT_KEYS_FILE, ELECTION_KEYS_DIR
from registry.contact_keys import KeyFile
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.db import make_engine, scratch_database
from registry.migrate import upgrade
from registry.sealing import use_keys

pytest_plugins = ["tests.factories"]


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A new, empty database for as long as the block runs, then dropped."""
    server = os.environ.get("REGISTRY_TEST_DATABASE")
    if not server:
        yield f"sqlite:///{directory / f'registry-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    with scratch_database(server, "registry_test") as url:
        yield url


def pytest_configure(config: pytest.Config) -> None:
    """Apps made by tests, live servers included, sign with a fixed key instead of making one
    in the instance folder."""
    os.environ.setdefault("REGISTRY_SECRET_KEY", "a fixed key for tests only")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` need a database server: in the SQLite leg they are deselected
    (and counted as such), as the PostgreSQL leg runs them."""
    if os.environ.get("REGISTRY_TEST_DATABASE"):
        return
    needs_server = [item for item in items if item.get_closest_marker("postgresql")]
    if needs_server:
        config.hook.pytest_deselected(items=needs_server)
        items[:] = [item for item in items if item not in needs_server]


@pytest.fixture(scope="session", autouse=True)
def contact_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyFile]:
    path = tmp_path_factory.mktemp("keys") / "contact-keys.json"
    before = os.environ.get(CONTACT_KEYS_FILE)
    os.environ[CONTACT_KEYS_FILE] = str(path)
    keys = KeyFile(path)
    keys.load_or_create()
    yield keys
    if before is None:
        del os.environ[CONTACT_KEYS_FILE]
    else:
        os.environ[CONTACT_KEYS_FILE] = before


@pytest.fixture(scope="session", autouse=True)
def ballot_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BallotKeyFolder]:
    """The private ballot keys' folder, for the test sessions and every app the tests make."""
    folder = tmp_path_factory.mktemp("ballot-keys")
    before = os.environ.get(ELECTION_KEYS_DIR)
    os.environ[ELECTION_KEYS_DIR] = str(folder)
    yield BallotKeyFolder(folder)
    if before is None:
        del os.environ[ELECTION_KEYS_DIR]
    else:
        os.environ[ELECTION_KEYS_DIR] = before


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine, contact_keys: KeyFile, ballot_keys: BallotKeyFolder) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; commits become savepoints."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = use_ballot_keys(use_keys(Session(bind=connection, join_transaction_mode="create_savepoint",
                                                   expire_on_commit=False), contact_keys), ballot_keys)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture(scope="module")
def seeded(engine: Engine, contact_keys: KeyFile) -> Iterator[Session]:
    """The seeds and sample network loaded once per test module, rolled back at its end.

    Module scope, not session: on SQLite an open write transaction blocks every other test."""
    from registry.permissions import Actor
    from seeds.load import load_all

    with engine.connect() as connection:
        transaction = connection.begin()
        session = use_keys(Session(bind=connection, join_transaction_mode="create_savepoint"), contact_keys)
        session.info["first_report"] = load_all(session, Actor.system("seed test"))
        yield session
        session.close()
        transaction.rollback()
