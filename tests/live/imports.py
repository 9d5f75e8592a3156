"""A spreadsheet import big enough to take a while, what it left in the database, and a way to
stop the whole server at a moment when the import is inside its transaction.

That moment is found by watching the database from outside, then freezing every gunicorn
process (SIGSTOP) and checking again, so that what the check saw cannot change until the test
lets it (SIGKILL, or SIGCONT):

* PostgreSQL: the import's backend has a transaction id (it has written), and, with the server
  frozen, is still in that transaction and not running COMMIT (pg_stat_activity).
* SQLite (rollback journal): the journal file exists. SQLite creates it at a transaction's
  first change and deletes it as the commit itself, so a journal seen while the server is
  frozen belongs to an uncommitted transaction.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.live.conftest import Answer, Live

# Enough rows that the import is still inside its transaction when the test strikes. The import
# goes through the service functions, each called once for all the rows (a few statements per
# service): 1,000 rows keep it writing for most of a second of CPU, and a re-import (the outage
# test's through its relay) still ends within gunicorn's timeout on a machine so busy with other
# test runs that 2,000 rows took 41 s there.
ROWS = 1000
TABLES = ("organisations", "organisation_areas", "memberships", "membership_events", "contacts", "audit_entries")
NOTHING = {"organisations": 0, "memberships": 0, "contacts": 0, "audited": 0}
EVERYTHING = dict.fromkeys(NOTHING, ROWS)
# How long a lost client's PostgreSQL session is given to end by itself.
ENDING_SECONDS = 15
# Sessions of other clients of the test's database, in pg_stat_activity.
OTHER_CLIENTS = "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
_HEADER = "Name,Kind,Country,Areas served,Languages,Member since,Contact email\r\n"


def spreadsheet(prefix: str) -> bytes:
    """ROWS new community organisations, each with two areas, a language and a contact."""
    rows = (f"{prefix} CBO {i:05d},community_organisation,VN,VN-HN;VN-SG,vi,2020-01-01,"
            f"cbo{i}@example.org\r\n" for i in range(ROWS))
    return (_HEADER + "".join(rows)).encode()


def post_import(live: Live, data: bytes) -> Answer:
    """Apply the spreadsheet to VNSW's members, as its secretariat."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return live.call("POST", f"/api/v1/networks/{live.ids['vnsw']}/members/import?dry_run=false",
                     role="secretariat", data=body, timeout=600,
                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def totals(database: Engine) -> dict[str, int]:
    """Rows in every table an import writes to."""
    with database.connect() as connection:
        return {table: connection.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES}


def imported(database: Engine, prefix: str) -> dict[str, int]:
    """How many of the spreadsheet's organisations exist, with their memberships and contacts,
    and how many of them have audit entries."""
    ids = f"SELECT id FROM organisations WHERE name LIKE '{prefix} CBO %'"
    with database.connect() as connection:
        return {
            "organisations": connection.scalar(text(f"SELECT count(*) FROM ({ids}) o")),
            "memberships": connection.scalar(text(f"SELECT count(*) FROM memberships WHERE member_id IN ({ids})")),
            "contacts": connection.scalar(text(f"SELECT count(*) FROM contacts WHERE organisation_id IN ({ids})")),
            "audited": connection.scalar(text(
                f"SELECT count(DISTINCT organisation_id) FROM audit_entries WHERE organisation_id IN ({ids})")),
        }


@dataclass
class Frozen:
    """An import sent to a server that is now frozen."""

    sender: threading.Thread
    answers: list[Answer | OSError] = field(default_factory=list)
    uncommitted: bool = False  # the import was inside its transaction, after writing, when frozen


@contextmanager
def frozen_while_importing(live: Live, database: Engine, data: bytes) -> Iterator[Frozen]:
    """Send the import; as soon as it has written, freeze every gunicorn process. The block
    runs with the server frozen (it kills it, or cuts its database); then the server, if still
    there, is thawed and the sender waited for."""
    writing, still_uncommitted = _watch(live, database)
    frozen = Frozen(threading.Thread(target=lambda: _send(live, data, frozen.answers)))
    frozen.sender.start()
    try:
        while frozen.sender.is_alive() and not writing():
            time.sleep(0.001)
        _signal(live, signal.SIGSTOP)
        frozen.uncommitted = still_uncommitted()
        yield frozen
    finally:
        _signal(live, signal.SIGCONT)
        frozen.sender.join(timeout=600)


def wait_for_sessions_to_end(database: Engine) -> None:
    """PostgreSQL rolls back a lost client's transaction once its session notices the client is
    gone, which under load has taken a minute; end any such session still open after
    ENDING_SECONDS as an operator would, so that what follows does not wait on its locks."""
    if database.dialect.name == "sqlite":
        return
    busy = text(f"SELECT pid FROM pg_stat_activity WHERE {OTHER_CLIENTS} AND state <> 'idle'")
    with database.connect() as connection:
        deadline = time.monotonic() + ENDING_SECONDS
        while (sessions := connection.scalars(busy).all()) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in sessions:
            connection.execute(text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": pid})


def _send(live: Live, data: bytes, answers: list[Answer | OSError]) -> None:
    try:
        answers.append(post_import(live, data))
    except OSError as cut:  # the server died under the request
        answers.append(cut)


def _signal(live: Live, signum: int) -> None:
    """Signal gunicorn's master and workers, if it still runs."""
    if live.process is None or live.process.poll() is not None:
        return
    for pid in [live.process.pid, *live.worker_pids()]:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _watch(live: Live, database: Engine) -> tuple[Callable[[], bool], Callable[[], bool]]:
    """(writing, still_uncommitted): whether the import has begun writing, and, asked once the
    server is frozen, whether that transaction is still open and not committing."""
    if database.dialect.name == "sqlite":
        journal = Path(live.database_url.split("///", 1)[1] + "-journal")
        return journal.exists, journal.exists
    watcher = database.connect().execution_options(isolation_level="AUTOCOMMIT")
    writer = text(f"SELECT pid, query FROM pg_stat_activity WHERE {OTHER_CLIENTS} AND backend_xid IS NOT NULL")
    seen: list[int] = []

    def writing() -> bool:
        row = watcher.execute(writer).first()
        if row is not None:
            seen.append(row.pid)
        return row is not None

    def still_uncommitted() -> bool:
        try:
            row = watcher.execute(writer).first()
            return row is not None and row.pid in seen and not row.query.strip().upper().startswith("COMMIT")
        finally:
            watcher.close()

    return writing, still_uncommitted
