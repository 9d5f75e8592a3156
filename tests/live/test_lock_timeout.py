"""A write that waits too long for a lock someone else holds is answered 503 with Retry-After,
keeps nothing, and goes through once the lock is released; reads are not held up meanwhile.

The lock is held from outside the server, as a stuck transaction would: on SQLite the write
lock (BEGIN IMMEDIATE), on PostgreSQL the organisation's row (SELECT ... FOR UPDATE). The
server waits REGISTRY_DATABASE_LOCK_TIMEOUT seconds (shortened here) before giving up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from registry.db import for_writing, make_engine
from tests.live.conftest import Live, start, stop

LOCK_TIMEOUT_SECONDS = 2


@pytest.fixture(scope="module")
def live(live: Live) -> Live:
    """The module's server, waiting only LOCK_TIMEOUT_SECONDS for a lock."""
    stop(live)
    live.extra_env["REGISTRY_DATABASE_LOCK_TIMEOUT"] = str(LOCK_TIMEOUT_SECONDS)
    start(live)
    return live


@pytest.fixture
def database(live: Live) -> Iterator[Engine]:
    engine = make_engine(live.database_url)
    yield engine
    engine.dispose()


def test_a_write_kept_waiting_for_a_lock_is_told_to_retry_and_then_goes_through(live: Live, database: Engine):
    path = f"/api/v1/organisations/{live.ids['cbo']}"
    read = live.call("GET", path, role="editor")
    assert read.status == 200

    def update():
        return live.call("PATCH", path, role="editor", headers={"If-Match": read.headers["ETag"]},
                         json_body={"drop_in_centres": 42}, timeout=120)

    with for_writing(database).connect() as holder, holder.begin():
        if database.dialect.name == "postgresql":
            holder.execute(text("SELECT id FROM organisations WHERE id = :id FOR UPDATE"), {"id": live.keys["cbo"]})
        refused = update()
        assert refused.status == 503, refused.body
        assert refused.json()["error"] == "service_unavailable" and int(refused.headers["Retry-After"]) > 0
        meanwhile = live.call("GET", path, role="editor")
        assert meanwhile.status == 200 and meanwhile.headers["ETag"] == read.headers["ETag"]

    written = update()
    assert written.status == 200, written.body
    assert written.json()["drop_in_centres"] == 42
