"""Backups restore what was there: a snapshot taken while writes go on is a consistent one, and
a quiet one restores every table's rows exactly, on the leg's kind of database (SQLite →
SQLite, PostgreSQL → PostgreSQL). A wrong passphrase, a cut-off or damaged file, a non-empty
target, or a backup of the other kind is refused with a clear message and writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, inspect, select

from registry import backups
from registry.access.contact_keys import KeyFile
from registry.db import make_engine, make_sessionmaker
from registry.errors import Conflict, ValidationFailed
from registry.migrate import upgrade
from registry.organisations.models import Organisation
from registry.organisations.name_search import SQLITE_INDEX
from registry.organisations.services import register_organisation
from registry.access.permissions import Actor
from registry.access.sealing import use_keys
from seeds.load import load_all
from tests.conftest import fresh_database

PASSPHRASE = "correct horse battery staple, for tests"
SYSTEM = Actor.system("backup test")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyFile:
    return KeyFile(tmp_path_factory.mktemp("keys") / "contact-keys.json")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, keys: KeyFile) -> Iterator[str]:
    """A seeded registry with the sample network and its (sealed) contacts."""
    with fresh_database(tmp_path_factory.mktemp("source")) as url:
        upgrade(url, keys=keys.load_or_create)
        engine = make_engine(url)
        with use_keys(make_sessionmaker(engine)(), keys) as session:
            load_all(session, SYSTEM)
            session.commit()
        engine.dispose()
        yield url


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in primary-key order, as plain values."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        found = {}
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                found[table.name] = [tuple(_plain(v) for v in row)
                                     for row in connection.execute(select(table).order_by(*order))]
        return found
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):  # JSON columns, as text that compares and hashes
        return json.dumps(value, sort_keys=True)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def tables_in(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_backup_taken_while_writes_go_on_is_a_snapshot_and_a_quiet_one_restores_every_row(
        source, target, keys, tmp_path):
    engine = make_engine(source)
    stop, registered, failed = threading.Event(), [], []

    def write() -> None:
        try:
            keep_writing()
        except BaseException as error:
            failed.append(error)  # asserted below, where the test can say it

    def keep_writing() -> None:
        with use_keys(make_sessionmaker(engine)(), keys) as session:
            network = session.scalars(select(Organisation).where(Organisation.acronym == "VNSW")).one()
            number = 0
            while not stop.is_set() or number < 3:
                number += 1
                register_organisation(session, SYSTEM, network=network, kind="community_organisation", is_sample=True,
                                      name=f"Sample CBO written during backup {number}", country="VN")
                session.commit()
                registered.append(number)

    before = rows(source)
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(registered) < 2 and writer.is_alive():  # the backup starts with writes under way
            stop.wait(0.05)
        assert writer.is_alive(), "the writer stopped before the backup began"
        made = backups.back_up(source, tmp_path / "during.backup", PASSPHRASE)
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert not failed
    assert made.revision and made.engine in backups.ENGINES

    backups.restore(target, made.path, PASSPHRASE)
    restored, after = rows(target), rows(source)
    assert set(restored) == set(after)
    for table, found in restored.items():
        if not table.startswith(SQLITE_INDEX):  # the name index's pages: its rows are organisations'
            # Every row restored is one the registry held; nothing half-written came along.
            assert set(found) <= set(after[table]) | set(before[table]), table
    written = {o[0] for o in restored["organisations"]} - {o[0] for o in before["organisations"]}
    assert 2 <= len(written) < len(after["organisations"]) - len(before["organisations"]) + 1
    # Each organisation came with its register_organisation audit entry: whole transactions only.
    assert len([r for r in restored["audit_entries"] if "register_organisation" in r]) == len(
        [r for r in before["audit_entries"] if "register_organisation" in r]) + len(written)

    quiet = backups.back_up(source, tmp_path / "quiet.backup", PASSPHRASE)
    backups.restore(target, quiet.path, PASSPHRASE, force=True)
    assert rows(target) == rows(source)


def test_a_wrong_passphrase_is_refused_and_nothing_is_written(source, target, tmp_path):
    made = backups.back_up(source, tmp_path / "registry.backup", PASSPHRASE)
    with pytest.raises(ValidationFailed, match="passphrase does not open"):
        backups.restore(target, made.path, "not the passphrase")
    assert tables_in(target) == []


@pytest.mark.parametrize("cut", ["in the header", "in the content", "at a chunk boundary"])
def test_a_cut_off_or_damaged_file_is_refused_and_nothing_is_written(source, target, tmp_path, cut):
    made = backups.back_up(source, tmp_path / "registry.backup", PASSPHRASE)
    data = made.path.read_bytes()
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes({"in the header": data[:40], "in the content": data[:-100],
                         "at a chunk boundary": data[:len(data) - (len(data) - 200) % (1 << 20)]}[cut])
    with pytest.raises(ValidationFailed, match="cut short|damaged|not a registry backup"):
        backups.restore(target, damaged, PASSPHRASE)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(ValidationFailed, match="damaged"):
        backups.restore(target, damaged, PASSPHRASE)
    assert tables_in(target) == []


def test_a_database_that_holds_anything_is_refused_unless_forced(source, tmp_path):
    made = backups.back_up(source, tmp_path / "registry.backup", PASSPHRASE)
    with pytest.raises(Conflict, match="--force"):
        backups.restore(source, made.path, PASSPHRASE)


def test_the_backup_is_sealed_and_says_only_its_kind_revision_and_time(source, tmp_path):
    made = backups.back_up(source, tmp_path / "registry.backup", PASSPHRASE)
    assert set(backups.describe(made.path)) == {"engine", "revision", "created_at"}
    sealed = made.path.read_bytes()
    for plain in (b"VNSW", b"Sample", b"CREATE TABLE", b"SQLite format"):
        assert plain not in sealed


def test_a_backup_of_the_other_kind_is_refused(source, tmp_path):
    made = backups.back_up(source, tmp_path / "registry.backup", PASSPHRASE)
    other = "postgresql+psycopg://postgres@127.0.0.1:5432/nowhere" if made.engine == "sqlite" \
        else f"sqlite:///{tmp_path / 'other.sqlite'}"
    with pytest.raises(ValidationFailed, match="restore it into one of that kind"):
        backups.restore(other, made.path, PASSPHRASE)
