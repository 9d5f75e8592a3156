"""kill -9 of the whole server while a spreadsheet import is writing: the database keeps all
of the import or none of it, and the restarted server serves and imports again.

The kill must land inside the import's transaction, after it has written and before it has
committed. The test watches the database from outside, then freezes every gunicorn process
(SIGSTOP) and checks again, so what it saw cannot change before the SIGKILL:

* PostgreSQL: the import's backend has a transaction id (it has written), and, frozen, is
  still in that transaction and not running COMMIT (pg_stat_activity).
* SQLite (rollback journal): the journal file exists. SQLite creates it at a transaction's
  first change and deletes it as the commit itself, so a journal seen while the server is
  frozen is an uncommitted transaction; the next connection rolls it back.

If the import was already past its commit when frozen, the attempt still has to show all or
nothing, and the test tries again with a new spreadsheet, up to ATTEMPTS times.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from registry.db import make_engine
from tests.live.conftest import Answer, Live, start, stop

ROWS = 3000
ATTEMPTS = 3
TABLES = ("organisations", "organisation_areas", "memberships", "membership_events", "contacts", "audit_entries")
# Sessions of other clients of the test's database in pg_stat_activity.
OTHER_CLIENTS = "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
HEADER = "Name,Kind,Country,Areas served,Languages,Member since,Contact email\r\n"


@pytest.fixture(scope="module")
def database(live: Live) -> Iterator[Engine]:
    engine = make_engine(live.database_url)
    yield engine
    engine.dispose()


def spreadsheet(prefix: str) -> bytes:
    rows = (f"{prefix} CBO {i:05d},community_organisation,VN,VN-HN;VN-SG,vi,2020-01-01,"
            f"cbo{i}@example.org\r\n" for i in range(ROWS))
    return (HEADER + "".join(rows)).encode()


def post_import(live: Live, data: bytes) -> Answer:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return live.call("POST", f"/api/v1/networks/{live.ids['vnsw']}/members/import?dry_run=false",
                     role="secretariat", data=body, timeout=600,
                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def totals(database: Engine) -> dict[str, int]:
    with database.connect() as connection:
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES}


def imported(database: Engine, prefix: str) -> dict[str, int]:
    """How many of the spreadsheet's organisations exist, with their memberships, contacts and
    audit entries."""
    with database.connect() as connection:
        ids = f"SELECT id FROM organisations WHERE name LIKE '{prefix} CBO %'"
        return {
            "organisations": connection.scalar(text(f"SELECT count(*) FROM ({ids}) o")),
            "memberships": connection.scalar(text(f"SELECT count(*) FROM memberships WHERE member_id IN ({ids})")),
            "contacts": connection.scalar(text(f"SELECT count(*) FROM contacts WHERE organisation_id IN ({ids})")),
            "audited": connection.scalar(text(
                f"SELECT count(DISTINCT organisation_id) FROM audit_entries WHERE organisation_id IN ({ids})")),
        }


def in_transaction_watcher(live: Live, database: Engine) -> tuple[Callable[[], bool], Callable[[], bool]]:
    """(writing, still_uncommitted): whether the import has begun writing, and, asked while the
    server is frozen, whether that transaction is still open and not committing."""
    if database.dialect.name == "sqlite":
        journal = Path(live.database_url.split("///", 1)[1] + "-journal")
        return journal.exists, journal.exists
    watcher = database.connect().execution_options(isolation_level="AUTOCOMMIT")
    writer = text(f"SELECT pid, state, query FROM pg_stat_activity WHERE {OTHER_CLIENTS} AND backend_xid IS NOT NULL")
    seen: list[int] = []

    def writing() -> bool:
        row = watcher.execute(writer).first()
        if row is not None:
            seen.append(row.pid)
        return row is not None

    def still_uncommitted() -> bool:
        try:
            row = watcher.execute(writer).first()
            return row is not None and row.pid == seen[-1] and not row.query.strip().upper().startswith("COMMIT")
        finally:
            watcher.close()

    return writing, still_uncommitted


def freeze(live: Live) -> None:
    assert live.process is not None
    for pid in [live.process.pid, *live.worker_pids()]:
        os.kill(pid, signal.SIGSTOP)


def wait_for_backends_to_end(database: Engine) -> None:
    """PostgreSQL ends a killed client's backend (rolling back) once it notices; don't race it."""
    if database.dialect.name == "sqlite":
        return
    with database.connect() as connection:
        for _ in range(600):
            if not connection.scalar(text(f"SELECT count(*) FROM pg_stat_activity WHERE {OTHER_CLIENTS} "
                                          "AND state <> 'idle'")):
                return
            time.sleep(0.1)
    raise AssertionError("the killed server's database sessions did not end")


def test_kill_9_during_an_import_leaves_all_or_nothing_and_the_server_recovers(live: Live, database: Engine):
    caught_writing = False
    for attempt in range(ATTEMPTS):
        prefix = f"Killed import {attempt}"
        before = totals(database)
        writing, still_uncommitted = in_transaction_watcher(live, database)
        answers: list[Answer | Exception] = []
        data = spreadsheet(prefix)

        def send() -> None:
            try:
                answers.append(post_import(live, data))
            except OSError as cut:  # the server died under the request
                answers.append(cut)

        sender = threading.Thread(target=send)
        sender.start()
        while sender.is_alive() and not writing():
            time.sleep(0.001)
        freeze(live)
        caught_writing = still_uncommitted()
        stop(live, kill=True)
        sender.join(timeout=120)
        wait_for_backends_to_end(database)

        kept = imported(database, prefix)
        assert kept in ({"organisations": 0, "memberships": 0, "contacts": 0, "audited": 0},
                        {"organisations": ROWS, "memberships": ROWS, "contacts": ROWS, "audited": ROWS}), kept
        if caught_writing:
            assert not any(isinstance(a, Answer) and a.status == 200 for a in answers), answers
            assert kept["organisations"] == 0 and totals(database) == before
        if database.dialect.name == "sqlite":
            with database.connect() as connection:
                assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
        start(live)
        if caught_writing:
            break
    assert caught_writing, f"the import was never caught while writing in {ATTEMPTS} attempts: {answers}"

    assert live.call("GET", "/api/v1/health").status == 200
    again = post_import(live, spreadsheet(prefix))
    assert again.status == 200, again.body
    assert again.json()["counts"].get("created") == ROWS
    assert imported(database, prefix) == dict.fromkeys(("organisations", "memberships", "contacts", "audited"), ROWS)
