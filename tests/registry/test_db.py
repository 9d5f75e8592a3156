"""Engines: how long a statement waits for another transaction's lock, and SQLite writers
taking the write lock as they begin."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from registry.db import for_writing, make_engine, unavailable


def test_a_transaction_for_writing_holds_sqlite_s_write_lock_from_its_first_statement(tmp_path):
    url = f"sqlite:///{tmp_path / 'locks.sqlite'}"
    engine = make_engine(url)
    try:
        with closing(sqlite3.connect(tmp_path / "locks.sqlite", isolation_level=None, timeout=0)) as other:
            with engine.connect() as reading, reading.begin():
                reading.execute(text("SELECT 1"))
                other.execute("BEGIN IMMEDIATE")  # a reader leaves the write lock free
                other.execute("ROLLBACK")
            with for_writing(engine).connect() as writing, writing.begin():
                writing.execute(text("SELECT 1"))
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
    finally:
        engine.dispose()


def test_a_statement_kept_waiting_for_a_lock_fails_after_the_lock_timeout_as_unavailable(database_url, engine):
    impatient = make_engine(database_url, lock_timeout=0.2)
    try:
        with for_writing(engine).connect() as holder, holder.begin():
            if engine.dialect.name == "postgresql":
                holder.execute(text("LOCK TABLE organisations IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(OperationalError) as waited, for_writing(impatient).connect() as waiting, \
                    waiting.begin():
                waiting.execute(text("SELECT count(*) FROM organisations"))
        assert unavailable(waited.value)
    finally:
        impatient.dispose()
