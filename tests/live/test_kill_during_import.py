"""kill -9 of the whole server while a spreadsheet import is writing: the database keeps all
of the import or none of it, and the restarted server serves and imports again.

The kill lands inside the import's transaction, after it has written and before it has
committed: tests/live/imports.py says how the test knows. If the import was already past its
commit when the server was frozen, the attempt must still show all or nothing, and the test
tries again with a new spreadsheet, up to ATTEMPTS times.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from registry.db import make_engine
from tests.live.conftest import Answer, Live, start, stop
from tests.live.imports import (
    EVERYTHING,
    NOTHING,
    ROWS,
    frozen_while_importing,
    imported,
    post_import,
    spreadsheet,
    totals,
    wait_for_sessions_to_end,
)

ATTEMPTS = 3


@pytest.fixture(scope="module")
def database(live: Live) -> Iterator[Engine]:
    engine = make_engine(live.database_url)
    yield engine
    engine.dispose()


def test_kill_9_during_an_import_leaves_all_or_nothing_and_the_server_recovers(live: Live, database: Engine):
    attempts = []
    for attempt in range(ATTEMPTS):
        prefix = f"Killed import {attempt}"
        before = totals(database)
        with frozen_while_importing(live, database, spreadsheet(prefix)) as frozen:
            stop(live, kill=True)
        wait_for_sessions_to_end(database)
        attempts.append((frozen.uncommitted, frozen.answers))

        kept = imported(database, prefix)
        assert kept in (NOTHING, EVERYTHING), kept
        if frozen.uncommitted:
            assert not any(isinstance(a, Answer) and a.status == 200 for a in frozen.answers), frozen.answers
            assert kept == NOTHING and totals(database) == before
        if database.dialect.name == "sqlite":  # a leftover journal was rolled back, and the file is sound
            with database.connect() as connection:
                assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
        start(live)
        if frozen.uncommitted:
            break
    assert attempts[-1][0], f"the import was never caught inside its transaction: {attempts}"

    assert live.call("GET", "/api/v1/ready").status == 200
    again = post_import(live, spreadsheet(prefix))
    assert again.status == 200, again.body
    assert again.json()["counts"].get("created") == ROWS
    assert imported(database, prefix) == EVERYTHING
