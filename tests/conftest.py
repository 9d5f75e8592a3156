"""Test databases: fresh databases per run (SQLite files, or new PostgreSQL databases when
REGISTRY_TEST_DATABASE names a server), migrated with Alembic, and a rolled-back transaction
per test, so every test starts from the same data and nothing is left behind.

What many tests stand on is written once per run and committed, each in a database of its own,
so a test sees it only when it asks for it: the empty schema (`engine`); the small gazetteer and
the core vocabularies (`groundwork`, for tests that ask for `vocab` or `gazetteer`, as `make_org`
does); the seeds and the sample network (`seeded`). The apps tests make join the current test's
transaction through `REQUESTS`, so one app serves every test (tests/api/conftest.py).

One contact key file for the run, named in the environment as an operator names it, so that
the tests' sessions, every app and command they make, and the servers they start seal and
open contacts with the same keys."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from api.settings import CONTACT_KEYS_FILE, ELECTION_KEYS_DIR
from registry.access.contact_keys import KeyFile
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.db import make_engine, scratch_database
from registry.migrate import upgrade
from registry.access.permissions import Actor
from registry.access.sealing import use_keys
from seeds.load import LoadReport, load_all

pytest_plugins = ["tests.factories"]
pytest.register_assert_rewrite(*pytest_plugins)  # before this module imports it too

from tests.factories import GROUNDWORK, lay_groundwork  # noqa: E402


class RequestBinding:
    """The connection the running test's transaction is on: the sessions of the apps tests
    share are opened on it, so their requests' commits become savepoints the test rolls back."""

    def __init__(self) -> None:
        self.connection: Connection | None = None

    def session(self) -> Session:
        assert self.connection is not None, "a request outside any test's transaction"
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    @contextmanager
    def bound(self, connection: Connection) -> Iterator[None]:
        assert self.connection is None, "a test's requests bound to two transactions at once"
        self.connection = connection
        try:
            yield
        finally:
            self.connection = None


REQUESTS = RequestBinding()


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A new, empty database for as long as the block runs, then dropped."""
    server = os.environ.get("REGISTRY_TEST_DATABASE")
    if not server:
        yield f"sqlite:///{directory / f'registry-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    with scratch_database(server, "registry_test") as url:
        yield url


@contextmanager
def copy_of(engine: Engine, directory: Path) -> Iterator[str]:
    """A new database holding what `engine`'s database has committed, for as long as the block
    runs, then dropped."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        copy = directory / f"registry-{uuid.uuid4().hex[:8]}.sqlite"
        with closing(sqlite3.connect(url.database)) as source, closing(sqlite3.connect(copy)) as target:
            source.backup(target)
        yield f"sqlite:///{copy}"
        return
    engine.dispose()  # PostgreSQL copies a database only while nobody is connected to it
    with scratch_database(os.environ["REGISTRY_TEST_DATABASE"], "registry_test", template=url.database) as copied:
        yield copied


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


CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium package; Playwright never downloads one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, launched once per run for every folder of tests (one Playwright per
    run: a second would refuse to start inside the first one's loop); each test opens its own
    context in it."""
    assert CHROMIUM.exists(), "install Debian's chromium package (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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


T = TypeVar("T")


@contextmanager
def committed_database(directory: Path, contact_keys: KeyFile,
                       write: Callable[[Session], T]) -> Iterator[tuple[Engine, T]]:
    """A fresh migrated database holding what `write` wrote, committed: its engine and what
    `write` answered."""
    with fresh_database(directory) as url:
        upgrade(url)
        engine = make_engine(url)
        with use_keys(Session(engine), contact_keys) as session:
            written = write(session)
            session.commit()
        yield engine, written
        engine.dispose()


@pytest.fixture(scope="session")
def groundwork(tmp_path_factory: pytest.TempPathFactory, contact_keys: KeyFile) -> Iterator[Engine]:
    """The small gazetteer and the core vocabularies, loaded once per run (tests.factories)."""
    with committed_database(tmp_path_factory.mktemp("groundwork"), contact_keys, lay_groundwork) as (engine, _):
        yield engine


@pytest.fixture(scope="session")
def seeds_database(tmp_path_factory: pytest.TempPathFactory,
                   contact_keys: KeyFile) -> Iterator[tuple[Engine, LoadReport]]:
    """The seeds and sample network, loaded once per run, and the report of loading them."""
    with committed_database(tmp_path_factory.mktemp("seeds"), contact_keys,
                            lambda session: load_all(session, Actor.system("seed test"))) as loaded:
        yield loaded


@pytest.fixture
def session(request: pytest.FixtureRequest, engine: Engine, contact_keys: KeyFile,
            ballot_keys: BallotKeyFolder) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; commits become savepoints.

    On the groundwork database when the test asks for any of GROUNDWORK, else on the empty one."""
    on = engine if GROUNDWORK.isdisjoint(request.fixturenames) else request.getfixturevalue("groundwork")
    with on.connect() as connection:
        transaction = connection.begin()
        session = use_ballot_keys(use_keys(Session(bind=connection, join_transaction_mode="create_savepoint",
                                                   expire_on_commit=False), contact_keys), ballot_keys)
        try:
            with REQUESTS.bound(connection):
                yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture(scope="module")
def seeded(seeds_database: tuple[Engine, LoadReport], contact_keys: KeyFile) -> Iterator[Session]:
    """The seeds and sample network (loaded once per run), in a transaction rolled back at the
    end of the test module. `info["first_report"]` is what loading them into an empty database did."""
    engine, first_report = seeds_database
    with engine.connect() as connection:
        transaction = connection.begin()
        session = use_keys(Session(bind=connection, join_transaction_mode="create_savepoint"), contact_keys)
        session.info["first_report"] = first_report
        yield session
        session.close()
        transaction.rollback()


CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium package; Playwright never downloads one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, launched once per run; each test opens its own context in it."""
    assert CHROMIUM.exists(), "install Debian's chromium package (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
