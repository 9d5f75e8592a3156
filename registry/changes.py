"""The change counter: one number that every committed write moves forward.

Whoever keeps something computed from the database (the API keeps whole public pages) reads
the counter before anything else and knows its copy still holds while the number has not
moved. A newest-audit-id would not do on PostgreSQL: ids are handed out when rows are
inserted, not when they commit, so a transaction that commits late leaves the newest id
unchanged. The counter is one row, bumped by every session that wrote, as the last statement
before it commits; concurrent writers queue on that row only for the moment between their
last write and their commit.

Writes made outside the registry's code (psql, a migration) do not move it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column

from registry.db import Base, make_engine

_WROTE = "registry.changes.wrote"


class ChangeCounter(Base):
    """A single row (id 1), created by the migration that creates the table."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


_CURRENT = select(ChangeCounter.value).where(ChangeCounter.id == 1)
_BUMP = update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1)


def current(session: Session) -> int:
    """The counter as this session sees it now. Read it before the data it vouches for: what
    is read afterwards is at least as new as the number (never older, which would let a stale
    copy pass for fresh)."""
    return session.execute(_CURRENT).scalar_one()


_CURRENT_SQL = "SELECT value FROM change_counter WHERE id = 1"


def reader(url: str, *, lock_timeout: float) -> Engine:
    """An engine for reading the counter on every request, and for nothing else: its
    connections stay in autocommit, so a read is one round trip with no transaction to open
    or roll back, and it skips the ping before each use; a connection found dead is retried
    once on a new one (`current_on`)."""
    pool = {} if url.startswith("sqlite") else {"pool_pre_ping": False, "pool_size": 1, "max_overflow": 8}
    return make_engine(url, lock_timeout=lock_timeout, isolation_level="AUTOCOMMIT", **pool)


def current_on(engine: Engine) -> int:
    """The counter, on a pooled connection of its own with one plain statement: a fraction
    of what a session costs, for a reader that asks on every request. Errors come out as
    SQLAlchemy's, as from a session, so callers tell an outage from a bug alike."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    for attempt in (1, 2):
        try:
            connection = engine.raw_connection()
        except dbapi_error as failed:  # the server cannot be reached
            raise DBAPIError.instance(None, None, failed, dbapi_error, connection_invalidated=True,
                                      dialect=engine.dialect) from failed
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_CURRENT_SQL)
                return int(cursor.fetchone()[0])
            except dbapi_error as failed:
                lost = engine.dialect.is_disconnect(failed, connection.dbapi_connection, cursor)
                if lost:
                    connection.invalidate(failed)
                if lost and attempt == 1:  # pooled before the server restarted: try a new one
                    continue
                raise DBAPIError.instance(_CURRENT_SQL, None, failed, dbapi_error, connection_invalidated=lost,
                                          dialect=engine.dialect) from failed
            finally:
                if connection.is_valid:
                    cursor.close()
        finally:
            connection.close()
    raise AssertionError("unreachable")


def wrote(session: Session) -> None:
    """Note that `session` wrote behind the ORM's back (COPY, executemany), so its commit
    moves the counter."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    if session.new or session.dirty or session.deleted:
        wrote(session)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        wrote(state.session)


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the transaction's own commit moves the counter, once
    # Flush first: the counter is locked after every row the transaction writes, so a writer
    # holding the counter waits for nothing but its own commit, and no two writers can each
    # hold what the other waits for.
    session.flush()
    if session.info.pop(_WROTE, False):
        session.connection().execute(_BUMP)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_WROTE, None)
