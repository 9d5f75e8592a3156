"""Writing many plain rows at once, for the service functions that write many items (an
import's organisations, memberships, events, audit entries, term links and areas): tuples of
values converted once per column as SQLAlchemy would convert them, written in one statement
(on PostgreSQL, from COPY_FROM rows, by COPY), with new integer ids where the caller needs them.
Nothing here decides what is written; the service functions have checked every row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection


def insert_rows(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]], *,
    as_stored: frozenset[str] = frozenset(),
) -> None:
    """Write `rows`, tuples of values in the order of `columns`, with one executemany of the
    INSERT that SQLAlchemy compiles for them. Each value goes through its column's type as it
    would through SQLAlchemy's (an enum as its value, a date as SQLite's text); those of the
    columns `as_stored` are given as the database keeps them. No default is filled in: every
    column without one is given.

    For the tens of thousands of plain rows a write of many items makes (an import's audit
    entries and membership events): SQLAlchemy's executemany builds a dictionary of parameters
    for each row and looks every value's type up again (some 10 µs a row, and garbage for the
    collector), while here a column's conversion is looked up once and a row stays a tuple.
    On PostgreSQL, from COPY_FROM rows on they go by COPY: psycopg's executemany spends some
    ten microseconds of Python on each row it pipelines, COPY writes a row in C. (Fewer go by
    the INSERT, as an ordinary request's few do.)"""
    if not rows:
        return
    dialect = connection.dialect
    processors = [None if name in as_stored else table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in columns]
    converting = [(position, process) for position, process in enumerate(processors) if process is not None]
    if dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        _copy(connection, table, columns, _converted(rows, converting))  # a row at a time: none lives on
        return
    converted = list(_converted(rows, converting))
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    if dialect.positional:
        order = [columns.index(name) for name in compiled.positiontup or ()]
        parameters: list[Any] = [tuple([values[i] for i in order]) for values in converted]
    else:
        parameters = [dict(zip(columns, values)) for values in converted]
    connection.exec_driver_sql(compiled.string, parameters)


COPY_FROM = 100  # rows: insert_rows writes as many as this on PostgreSQL by COPY


def _converted(rows: Iterable[Sequence[Any]], converting: list[tuple[int, Callable[[Any], Any]]],
               ) -> Iterator[Sequence[Any]]:
    """Each row with its values converted by their columns' processors (position, processor); a
    value the same object as the one before it in its column is converted once (a write's
    rows share its time)."""
    if not converting:
        yield from rows
        return
    last_in: list[Any] = [_NONE] * len(converting)
    last_out: list[Any] = [None] * len(converting)
    for row in rows:
        values = list(row)
        for number, (position, process) in enumerate(converting):
            value = values[position]
            if value is None:
                continue
            if value is not last_in[number]:
                last_in[number], last_out[number] = value, process(value)
            values[position] = last_out[number]
        yield values


_NONE = object()


def _copy(connection: Connection, table: Table, columns: tuple[str, ...], rows: Iterable[Sequence[Any]]) -> None:
    """Write rows of values (as insert_rows has converted them) by PostgreSQL's COPY, on the
    connection's own transaction. SQLAlchemy does not send it, so its listeners of statements
    are told of it here."""
    quote = connection.dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)}) "
                 "FROM STDIN")
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for listener in connection.dispatch.before_cursor_execute:  # a statement like any other to who counts them
        listener(connection, cursor, statement, None, None, False)
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def insert_returning_ids(connection: Connection, table: Table, columns: tuple[str, ...],
                         rows: list[tuple[Any, ...]]) -> list[int]:
    """Write `rows` (as insert_rows takes them) into a table keyed by an integer `id`, and give
    the new ids, in the order of the rows. On PostgreSQL the ids are taken from the table's
    sequence in one statement and the rows written with them (insert_rows: by COPY); on SQLite
    by INSERT ... RETURNING, a page of rows a statement. (psycopg parses a multi-row INSERT's
    text for its parameters again at every page: for an import's 10,000 memberships, some
    80,000 of them.)"""
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        ids = sorted(connection.scalars(select(func.nextval(sequence)).select_from(
            func.generate_series(1, len(rows)))))
        insert_rows(connection, table, ("id", *columns), [(new_id, *row) for new_id, row in zip(ids, rows)])
        return ids
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, [dict(zip(columns, row)) for row in rows]).scalars())


def defaults(table: Table, names: Iterable[str]) -> dict[str, Callable[[], Any]]:
    """For a row written by insert_rows, which fills in nothing: each column's value when a row
    gives none, as SQLAlchemy would make it (its Python-side default, made anew for each row;
    None for a column without one)."""
    made: dict[str, Callable[[], Any]] = {}
    for name in names:
        default = table.c[name].default
        if default is None:
            made[name] = lambda: None
        elif default.is_callable:
            made[name] = lambda arg=default.arg: arg(None)  # type: ignore[attr-defined, misc]
        else:
            made[name] = lambda value=default.arg: value  # type: ignore[attr-defined, misc]
    return made
