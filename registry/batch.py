"""Writing many checked changes at once: what a spreadsheet import of thousands of rows needs.

A Batch holds new rows and audit entries, in the order the service functions made them, and
writes each table with one statement at the end. Rows not yet written have provisional ids
below zero, so checks and references treat them like any other organisation or membership;
writing swaps them for the ids the database gives. While a batch runs, `audit.record` queues
its entries here too, so the log keeps the order in which the changes were made.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry import audit, changes
from registry.audit import AuditEntry
from registry.db import Base
from registry.permissions import Actor


@dataclass(frozen=True)
class Mark:
    """How far a batch had got: what `discard` goes back to."""

    rows: int
    entries: int
    drafts: int
    next_id: int
    later: int


class Batch:
    """New rows and audit entries for one actor's run of changes on one session."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self._rows: list[tuple[Table, dict[str, Any]]] = []
        self._by_id: dict[int, dict[str, Any]] = {}
        self._entries: list[dict[str, Any]] = []
        # Values that need the ids the database gives (a sealed contact names its organisation).
        self._later: list[tuple[Table, dict[str, Any], Callable[[dict[str, Any]], dict[str, Any]]]] = []
        # What service functions remember about rows they made and have not written, by key.
        self.drafts: dict[Hashable, Any] = {}
        self._next_id = -1

    def insert(self, model: type[Base], *, later: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
               **values: Any) -> int:
        """Add a row to write; returns its provisional id. `later(row)` gives more of its values
        once the ids it refers to are the database's, just before it is written."""
        values["id"] = provisional_id = self._next_id
        self._next_id -= 1
        self._by_id[provisional_id] = values
        self._rows.append((model.__table__, values))  # type: ignore[arg-type]
        if later is not None:
            self._later.append((model.__table__, values, later))  # type: ignore[arg-type]
        return provisional_id

    def add(self, model: type[Base], **values: Any) -> None:
        """Add a row to write that nothing refers to (a link, an event)."""
        self._rows.append((model.__table__, values))  # type: ignore[arg-type]

    def row(self, provisional_id: int) -> dict[str, Any]:
        """A row not yet written, to read or to change before it is."""
        return self._by_id[provisional_id]

    def record(self, action: str, model: type[Base], object_id: int, changes: audit.Changes, *,
               organisation_id: int | None) -> None:
        """An audit entry, as `audit.record` would write it, for a row of this batch."""
        self._entries.append(audit.entry(self.actor, action, model.__tablename__, object_id, changes,
                                         organisation_id=organisation_id))

    def mark(self) -> Mark:
        return Mark(len(self._rows), len(self._entries), len(self.drafts), self._next_id, len(self._later))

    def discard(self, mark: Mark) -> None:
        """Forget every row, entry and draft made since `mark` (a row of the import that failed)."""
        del self._rows[mark.rows:]
        del self._entries[mark.entries:]
        del self._later[mark.later:]
        for key in list(self.drafts)[mark.drafts:]:
            del self.drafts[key]
        for provisional_id in range(self._next_id + 1, mark.next_id + 1):
            del self._by_id[provisional_id]
        self._next_id = mark.next_id

    @contextmanager
    def running(self) -> Iterator[Batch]:
        """While the block runs, queue what `audit.record` writes on the session here, and hold
        CPython's cycle collector: a batch's many long-lived rows would make it walk the whole
        heap again and again, for no garbage (it runs again when the block ends)."""
        collecting = gc.isenabled()
        gc.disable()
        audit.collect(self.session, self._entries)
        try:
            yield self
        finally:
            audit.collect(self.session, None)
            if collecting:
                gc.enable()

    def write(self) -> None:
        """Write everything: the session's own changes first, then new rows table by table (parents
        before children), then the audit entries in the order they were made."""
        self.session.flush()
        by_table: dict[Table, list[dict[str, Any]]] = {}
        for table, values in self._rows:
            by_table.setdefault(table, []).append(values)
        given: dict[int, int] = {}
        for table in Base.metadata.sorted_tables:
            rows = by_table.get(table)
            if not rows:
                continue
            for key in [c.key for c in table.columns if c.foreign_keys]:
                for values in rows:
                    if (value := values.get(key)) is not None and value < 0:
                        values[key] = given[value]
            for later_table, values, later in self._later:
                if later_table is table:
                    values.update(later(values))
            provisional = [values.pop("id") for values in rows if "id" in values]
            if provisional and len(provisional) != len(rows):
                raise ValueError(f"{table.name}: rows with and without provisional ids in one batch")
            given.update(zip(provisional, insert_rows(self.session, table, rows, return_ids=bool(provisional)),
                             strict=True))
        entries = []
        for values in self._entries:
            obj, organisation_id = values["object_id"], values["organisation_id"]
            values["object_id"] = given.get(obj, obj) if isinstance(obj, int) else obj.id
            values["organisation_id"] = given.get(organisation_id, organisation_id)
            entries.append(audit.stored(values))
        insert_rows(self.session, AuditEntry.__table__, entries)
        self._rows.clear()
        self._by_id.clear()
        self._entries.clear()
        self._later.clear()


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """Insert many rows of one table in as few statements as the database allows, beside the
    ORM's unit of work (which writes one object at a time): COPY on PostgreSQL, one executemany
    on SQLite. Missing columns get their defaults, as the ORM would give them; each value is
    converted as SQLAlchemy would bind it (JSON, enums, times). With `return_ids`, the new
    rows' ids in the order of `rows`."""
    if not rows:
        return []
    changes.wrote(session)
    connection = session.connection()
    dialect = connection.dialect
    columns = [c for c in table.columns if c.key != "id"]  # ids: the database's to give
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        ids: list[int] = []
        if return_ids:
            sequence = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
            ids = sorted(connection.execute(sequence, {"table": table.name, "n": len(rows)}).scalars())
            columns.insert(0, table.c.id)
            rows = [{**values, "id": i} for values, i in zip(rows, ids, strict=True)]
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c.name) for c in columns)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
                for values in _bound(connection, columns, rows):
                    copy.write_row(values)
        return ids
    if dialect.name == "sqlite":
        statement = insert(table).compile(dialect=dialect, column_keys=[c.key for c in columns])
        if list(statement.positiontup or ()) != [c.key for c in columns]:
            raise ValueError(f"{table.name}: unexpected parameter order {statement.positiontup}")
        connection.exec_driver_sql(statement.string, _bound(connection, columns, rows))  # type: ignore[arg-type]
        if not return_ids:
            return []
        # SQLite gives each new row the largest id so far plus one, and no other connection
        # writes while this transaction does: the newest ids are these rows', in order.
        # (RETURNING would cost one statement a row, as SQLite does not promise its order.)
        newest = select(table.c.id).order_by(table.c.id.desc()).limit(len(rows))
        return sorted(connection.execute(newest).scalars())
    return _insert_portably(connection, table, rows, return_ids=return_ids)


def _insert_portably(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], *, return_ids: bool
) -> list[int]:
    """insert_rows for any other database: SQLAlchemy's executemany, and RETURNING in order."""
    columns = [c for c in table.columns if c.key != "id"]
    keys = [c.key for c in columns]
    given = [dict(zip(keys, values, strict=True)) for values in _bound(connection, columns, rows, convert=False)]
    if not return_ids:
        connection.execute(insert(table), given)
        return []
    return list(connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), given).scalars())


def _bound(
    connection: Connection, columns: list[Column[Any]], rows: Sequence[dict[str, Any]], *, convert: bool = True
) -> list[tuple[Any, ...]]:
    """Each row's values in column order: as given, or the column's default as the ORM would
    give it; then (`convert`) as SQLAlchemy would bind each for this database. Column by column,
    as each column converts alike."""
    dialect = connection.dialect
    values_by_column = []
    for column in columns:
        key, default = column.key, column.default
        if default is None:
            values = [row.get(key) for row in rows]
        elif default.is_callable:  # type: ignore[attr-defined]
            make = default.arg  # type: ignore[attr-defined]
            values = [row[key] if key in row else make(None) for row in rows]
        else:
            values = [row.get(key, default.arg) for row in rows]  # type: ignore[attr-defined]
        process = column.type.dialect_impl(dialect).bind_processor(dialect) if convert else None
        values_by_column.append(list(map(process, values)) if process else values)
    return list(zip(*values_by_column, strict=True))
