"""The declarative base, shared column types and engine/session construction.

Every model imports its base and column types from here, so a type decision (JSON on SQLite
vs PostgreSQL, timezone-aware timestamps) is taken once.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import (ARRAY, JSON, Boolean, DateTime, Enum, Integer, MetaData, Select, String, any_, bindparam,
                        create_engine, event, func, select, text)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, object_session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeDecorator

from registry.errors import N_, ValidationFailed

# Stable constraint names, so Alembic migrations can alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored as UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the registry stores aware UTC times only")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


# JSON documents (translations, before/after values): plain JSON on both databases; JSONB
# would add an index type we never use. The one question asked inside them is whether a short
# list holds a value (json_list_holds), which needs no index.
JSONDocument = JSON(none_as_null=True)


class json_list_holds(FunctionElement[bool]):
    """SQL: the JSON list of strings in the column (first argument) holds the value (second).
    Named as the SQL function it stands for, as SQLAlchemy names its own."""

    type = Boolean()
    name = "json_list_holds"
    inherit_cache = True


@compiles(json_list_holds, "postgresql")
def _json_list_holds_postgresql(element: json_list_holds, compiler: Any, **kw: Any) -> str:
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({column} AS JSONB) @> jsonb_build_array(CAST({value} AS VARCHAR)))"


@compiles(json_list_holds, "sqlite")
def _json_list_holds_sqlite(element: json_list_holds, compiler: Any, **kw: Any) -> str:
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXISTS (SELECT 1 FROM json_each({column}) AS listed WHERE listed.value = {value})"


class one_of(FunctionElement[bool]):
    """SQL: the integer column's value is one of the list given at execution as the parameter
    named (one_of(column, "ids")). On PostgreSQL `column = ANY(:ids)`, one array parameter, so the
    statement's text is the same whatever the list's length and psycopg keeps its parse (it
    parses a statement of more than 50 parameters again at every execution, and SQLAlchemy
    renders an expanded IN's fifty parameters again); elsewhere an expanding IN.

    Typed NullType, not Boolean: SQLAlchemy writes a Boolean expression in a WHERE as `... = 1`
    on SQLite, which has no boolean type, and SQLite then scans the table rather than the
    column's index."""

    type = NullType()
    name = "one_of"
    inherit_cache = True

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, bindparam(name))


@compiles(one_of)
def _one_of(element: one_of, compiler: Any, **kw: Any) -> str:
    column, named = element.clauses
    return compiler.process(column.in_(bindparam(named.key, expanding=True)), **kw)


@compiles(one_of, "postgresql")
def _one_of_postgresql(element: one_of, compiler: Any, **kw: Any) -> str:
    column, named = element.clauses
    return compiler.process(column == any_(bindparam(named.key, type_=ARRAY(Integer))), **kw)


class year_of(FunctionElement[int]):
    """SQL: the year of a date column, as an integer. SQLite keeps a date as its ISO text, whose
    first four characters are the year: read as such, not parsed as a date for every row (a
    board's year-ends group every span of a network by its years)."""

    type = Integer()
    name = "year_of"
    inherit_cache = True


@compiles(year_of)
def _year_of(element: year_of, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(YEAR FROM {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(year_of, "sqlite")
def _year_of_sqlite(element: year_of, compiler: Any, **kw: Any) -> str:
    return f"CAST(substr({compiler.process(element.clauses, **kw)}, 1, 4) AS INTEGER)"


Code = String(64)
Name = String(300)


def str_enum(enum_cls: type[enum.StrEnum]) -> Enum:
    """Store a StrEnum by its value as a VARCHAR, identical on SQLite and PostgreSQL.

    No CHECK constraint: the domain validates every value, and a new state then needs no
    constraint-rewriting migration on SQLite."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    return utcnow().date()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        dict[str, str]: JSONDocument,
        list[str]: JSONDocument,
    }


# How long a statement waits for a lock another transaction holds (SQLite: the write lock;
# PostgreSQL: a row or table lock) before it fails, and the caller may retry (the API answers
# 503): below gunicorn's default 30 s worker timeout, so a request that waits is answered.
LOCK_TIMEOUT_SECONDS = 20.0


def make_engine(url: str, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for `url` whose statements wait at most `lock_timeout` seconds for a lock;
    SQLite gets foreign keys on and its parent folder created."""
    # An error's text never carries the statement's values (a contact, a ballot) into a log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": lock_timeout, **kwargs.get("connect_args", {})}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # An INSERT ... RETURNING of many rows (a flush of many new objects: an import's contacts)
    # goes as multi-row VALUES statements of this many rows (SQLAlchemy's default: 1,000). At
    # 1,000 a statement of 25 columns carries some 25,000 parameters, and what psycopg and
    # SQLAlchemy build for it lives long enough for the garbage collector to promote it and walk
    # it again: registering an import's 10,000 organisations that way took 4.6 s of CPU, 2.9 s of
    # it the collector; at 100, 2.6 s and 1.0 s, for 100 round trips instead of 10. (Registration
    # itself now writes by COPY with ids from the sequence: registry.rows.)
    kwargs.setdefault("insertmanyvalues_page_size", 100)
    engine = create_engine(url, **kwargs)
    milliseconds = max(1, round(lock_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _lock_timeout(dbapi_connection: Any, _record: Any) -> None:
        # A SET rather than a startup option, which a connection pooler in between may refuse.
        autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {milliseconds}")
        dbapi_connection.autocommit = autocommit

    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling skips BEGIN before some statements, which breaks
    # savepoints and atomicity; take it over (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    writes = connection.get_execution_options().get(_WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_WRITES = "registry_writes"


def for_writing(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that will write.

    SQLite lets one connection write at a time. A transaction that has read and then asks to
    write while another connection holds the write lock is refused at once ("database is
    locked": waiting could deadlock), so on SQLite these transactions take the write lock as
    they begin (BEGIN IMMEDIATE), waiting up to the busy timeout for it, and then read what
    the writer before them committed. PostgreSQL needs nothing: row locks and version
    counters order its writers."""
    return engine.execution_options(**{_WRITES: True})


def unavailable(error: BaseException) -> bool:
    """Whether a database error says the database cannot serve now (unreachable, connection
    lost, shutting down, out of connections, a lock not granted in time, a deadlock broken)
    rather than that the statement is wrong: the former is worth retrying, the latter a bug."""
    if isinstance(error, DisconnectionError | PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:  # SQLite names even a syntax error "operational": go by its code
        return sqlite_code & 0xFF in _SQLITE_UNAVAILABLE
    if isinstance(error, OperationalError):
        # psycopg: no SQLSTATE means the client never reached the server or lost it.
        state = getattr(error.orig, "sqlstate", None)
        return state is None or state[:2] in _POSTGRESQL_UNAVAILABLE_CLASSES or state in _POSTGRESQL_UNAVAILABLE
    return False


_SQLITE_UNAVAILABLE = {5, 6, 14}  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN
# 08 connection exception, 53 insufficient resources, 57P0x shutting down or not yet up,
# 55P03 lock_timeout, 57014 statement_timeout, 40001/40P01 serialisation failure and deadlock.
_POSTGRESQL_UNAVAILABLE_CLASSES = {"08", "53"}
_POSTGRESQL_UNAVAILABLE = {"57P01", "57P02", "57P03", "55P03", "57014", "40001", "40P01"}


_PENDING = "registry.after_commit.pending"
_DUE = "registry.after_commit.due"
_log = logging.getLogger(__name__)


def after_commit(session: Session, action: Callable[[Engine], None]) -> None:
    """Have `action` run with the registry's engine once this session's transaction has committed,
    never if it rolls back: for what must happen outside any transaction once a change stands
    (the ballot scrub after a close). Both commit points, the request and the command, run it
    (`run_committed`)."""
    session.info.setdefault(_PENDING, []).append(action)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the transaction around it may still roll back
    if pending := session.info.pop(_PENDING, None):
        session.info.setdefault(_DUE, []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def run_committed(session: Session, engine: Engine | None) -> None:
    """Run, once each and in order, the actions asked for (`after_commit`) by the session's
    committed transactions, with `engine`: the registry's own, as the actions work outside the
    session's transaction. Without one (a session bound to a caller's transaction, as in
    tests) they are dropped. One that fails is logged; the change it followed stands."""
    due = session.info.pop(_DUE, None) or []
    if engine is None:
        return
    for action in due:
        try:
            action(engine)
        except Exception:
            _log.exception("%s failed after a commit", getattr(action, "__qualname__", action))


def settled(row: T) -> T:
    """`row` as its transaction will store it: its pending changes flushed, so that its version
    counter (and a new row's id) are those the commit keeps. Services flush only where they need
    to; whoever shows a version (an ETag) asks for it here."""
    session = object_session(row)
    if session is not None and (row in session.new or row in session.dirty):
        session.flush()
    return row


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def scratch_database(server: str, prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on `server` for as long as the block runs, then dropped (test
    runs and benchmarks: never the registry's own database): empty, or a copy of the database
    named `template`, which nobody may be connected to meanwhile."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Lists are read a page at a time; both bounds keep every offset far inside 64 bits.
PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100
PAGE_MAX = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items and enough to ask for the next."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.page_size)


def check_page(page: int, page_size: int) -> None:
    if not 1 <= page <= PAGE_MAX:
        raise ValidationFailed.on("page", N_("give a page number from 1 to %(most)s"), most=PAGE_MAX)
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise ValidationFailed.on("page_size", N_("give from 1 to %(most)s items a page"), most=PAGE_SIZE_MAX)


def page_of_query(session: Session, query: Select[Any], page: int, page_size: int, *, rows: bool = False,
                  counted: Select[Any] | None = None) -> Page[Any]:
    """Run an ordered query for one page, and count the whole list (or run `counted`, a query
    that counts the same rows another way). The page holds the query's first column's values
    (an ORM entity's objects), or with `rows` its whole rows."""
    check_page(page, page_size)
    if counted is None:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
    if rows:
        # One statement: the count rides on the page's rows as their last column (`page_total`),
        # a subquery that names no row of the page, which both databases answer once. A page
        # past the end has no row to carry it, and is counted alone.
        items = session.execute(query.add_columns(counted.scalar_subquery().label("page_total"))
                                .limit(page_size).offset((page - 1) * page_size)).all()
        total = items[0].page_total if items else session.scalar(counted)
        return Page(items, total or 0, page, page_size)
    total = session.scalar(counted) or 0
    found = session.execute(query.limit(page_size).offset((page - 1) * page_size))
    return Page(list(found.scalars()), total, page, page_size)


def page_of_list(items: list[T], page: int, page_size: int) -> Page[T]:
    """One page of a list already narrowed in Python (e.g. members as of a date)."""
    check_page(page, page_size)
    start = (page - 1) * page_size
    return Page(items[start:start + page_size], len(items), page, page_size)


# Ids per IN (...): far below what SQLite (32,766) and PostgreSQL (65,535) allow in one statement.
IN_CHUNK = 5000


def in_chunks(ids: list[T]) -> Iterator[list[T]]:
    """A long id list in pieces short enough for one IN (...) each (an import may name 100,000)."""
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start:start + IN_CHUNK]
