"""Backups that restore: a consistent snapshot of the running registry's database, sealed with
a passphrase (registry.sealed_files), and its restore into an empty database of the same kind.

SQLite is copied with its online backup API (one step, under a read lock, so a write going on
lands wholly before or after it); PostgreSQL with `pg_dump` in its custom format, which reads
one snapshot. The snapshot goes to a scratch file beside the target, readable by its owner
only, and is sealed from there; a restore opens and checks the whole file before it touches
the database. Contacts stay sealed with the contact key file inside the backup: that file is
backed up apart (see the README's restore drill), so a stolen backup and its passphrase still
read no contact.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from registry import migrate, sealed_files
from registry.db import make_engine
from registry.errors import Conflict, RegistryError, ValidationFailed

ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Backup:
    path: Path
    engine: str
    revision: str | None
    created_at: str
    bytes: int


def back_up(url: str, out: Path, passphrase: str) -> Backup:
    """Seal a snapshot of the database at `url` into `out` (written whole, or not at all)."""
    kind = _kind(url)
    revision = _revision(url)
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    meta = {"engine": kind, "revision": revision, "created_at": created}
    with _scratch(out.parent) as snapshot:
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(url), snapshot)
        else:
            _pg_dump(url, snapshot)
        with _scratch(out.parent) as sealed:
            with snapshot.open("rb") as source, sealed.open("wb") as target:
                sealed_files.seal(source, target, passphrase, meta)
                target.flush()
                os.fsync(target.fileno())
            os.replace(sealed, out)
    return Backup(out, kind, revision, created, out.stat().st_size)


def describe(path: Path) -> dict[str, str | None]:
    """What a backup says of itself (engine, schema revision, time), without its passphrase."""
    with _opened(path) as sealed:
        return sealed_files.read_meta(sealed)


def restore(url: str, source: Path, passphrase: str, *, force: bool = False,
            keys: migrate.Keys | None = None) -> Backup:
    """Restore `source` into the database at `url`, which must be empty unless `force`, then
    upgrade its schema to this code's head. Nothing is written to the database unless the whole
    file opened and checked out, and its schema revision is one this code knows."""
    kind = _kind(url)
    with _opened(source) as sealed:
        meta = sealed_files.read_meta(sealed)
    if meta.get("engine") != kind:
        raise ValidationFailed.on("backup", f"the backup is of a {meta.get('engine')} database; restore it into "
                                            f"one of that kind, not {kind}")
    _check_known(meta.get("revision"))
    folder = _sqlite_path(url).parent if kind == "sqlite" else Path(tempfile.gettempdir())
    with _scratch(folder) as snapshot:
        with _opened(source) as sealed, snapshot.open("wb") as target:
            sealed_files.unseal(sealed, target, passphrase)
        _check_empty(url, force=force)
        if kind == "sqlite":
            _sqlite_copy(snapshot, _sqlite_path(url))
        else:
            _pg_restore(url, snapshot)
    migrate.upgrade(url, keys=keys)
    return Backup(source, kind, meta.get("revision"), meta.get("created_at") or "", source.stat().st_size)


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ENGINES:
        raise RegistryError(f"backups know SQLite and PostgreSQL databases, not {backend}")
    return backend


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return migrate.current_revision(connection)
    finally:
        engine.dispose()


def _check_known(revision: str | None) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    try:
        known = revision is not None and scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise ValidationFailed.on("backup", f"the backup's schema revision ({revision}) is not one this version of "
                                            "the registry knows: restore it with the version that made it, or a newer one")


def _check_empty(url: str, *, force: bool) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = inspect(connection).get_table_names()
            if tables and not force:
                raise Conflict(f"the database already holds {len(tables)} tables: restore into an empty database, "
                               "or give --force to replace what it holds")
            if tables and engine.dialect.name == "postgresql":
                # Replaced whole: what pg_restore brings back is all the registry keeps.
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise RegistryError("a backup needs an SQLite database in a file")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """The whole of `source` into `target`, in one step of SQLite's backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    writing = sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        writing.close()
        reading.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq's tools take it, and their environment: the password never on a command line."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str, url: str) -> str:
    """The path of pg_dump or pg_restore, refused when older than the server (it would fail on
    its catalogue, or miss what it does not know)."""
    found = shutil.which(name)
    if found is None:
        raise RegistryError(f"{name} is not installed: install the PostgreSQL client of the server's version "
                            "(Debian: postgresql-client)")
    tool = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    tool_major = int(tool.split()[-1].split(".")[0])
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            server_major = int(connection.scalar(text("SHOW server_version_num"))) // 10000
    finally:
        engine.dispose()
    if tool_major < server_major:
        raise RegistryError(f"{name} is version {tool_major}, older than the server ({server_major}): install the "
                            f"PostgreSQL {server_major} client")
    return found


def _pg_dump(url: str, out: Path) -> None:
    address, env = _libpq(url)
    _run([_tool("pg_dump", url), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}",
          f"--dbname={address}"], env, "pg_dump")


def _pg_restore(url: str, dump: Path) -> None:
    address, env = _libpq(url)
    _run([_tool("pg_restore", url), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={address}", str(dump)], env, "pg_restore")


def _run(command: list[str], env: dict[str, str], name: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RegistryError(f"{name} failed: {done.stderr.strip()[-2000:]}")


@contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A scratch file in `folder` (so a rename is atomic), mode 0600, removed afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".registry-backup.")
    os.close(descriptor)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    try:
        with path.open("rb") as sealed:
            yield sealed
    except FileNotFoundError:
        raise ValidationFailed.on("backup", f"{path}: no such file") from None
