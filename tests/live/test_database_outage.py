"""The database going away under a running server, and coming back.

gunicorn reaches PostgreSQL through a TCP relay in the test, which the test can cut (closing
its listener and every relayed connection, as a crashed server or a broken network would)
and restore on the same port. While it is cut, every request that needs the database is
answered 503 in the error shape with Retry-After, and a write cut in the middle of its
transaction keeps nothing; once it is restored, the same worker processes serve again, with
no restart.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url

from registry.db import make_engine
from seeds.load import LoadReport
from tests.conftest import copy_of
from tests.live.conftest import Answer, Live, free_port, live_server
from tests.live import imports

pytestmark = pytest.mark.postgresql

REQUESTS = 4  # of each kind, so that both workers answer
ATTEMPTS = 3


class Relay:
    """A TCP relay from a local port to PostgreSQL, which can be cut and restored."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._open = threading.Event()
        self._listener: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        listening = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the old port again
        listening.settimeout(0.1)
        self._open.set()
        self._listener = threading.Thread(target=self._accept, args=(listening,), daemon=True)
        self._listener.start()

    def cut(self) -> None:
        """Refuse new connections and break every relayed one, as a database crash would."""
        self._open.clear()
        self._break_all()
        assert self._listener is not None
        self._listener.join(timeout=10)
        self._break_all()  # any accepted while the listener was stopping

    def _break_all(self) -> None:
        with self._lock:
            broken, self._sockets = self._sockets, set()
        for sock in broken:
            _close(sock)

    def _accept(self, listening: socket.socket) -> None:
        with listening:
            while self._open.is_set():
                try:
                    client, _ = listening.accept()
                except TimeoutError:
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=10)
                except OSError:
                    _close(client)
                    continue
                for sock in (client, upstream):
                    sock.settimeout(None)
                with self._lock:
                    self._sockets |= {client, upstream}
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            _close(sock)
            with self._lock:
                self._sockets.discard(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture(scope="module")
def relay_database(tmp_path_factory: pytest.TempPathFactory,
                   seeds_database: tuple[Engine, LoadReport]) -> Iterator[tuple[str, Relay]]:
    with copy_of(seeds_database[0], tmp_path_factory.mktemp("outage")) as url:
        target = make_url(url)
        yield url, Relay(target.host or "127.0.0.1", target.port or 5432)


@pytest.fixture(scope="module")
def relayed(relay_database: tuple[str, Relay], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server whose every database connection goes through the relay."""
    url, relay = relay_database
    through_relay = make_url(url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    with live_server(through_relay, Path(tmp_path_factory.mktemp("outage-log")) / "gunicorn.log") as running:
        yield running


@pytest.fixture(scope="module")
def direct(relay_database: tuple[str, Relay]) -> Iterator[Engine]:
    """The same database, straight to PostgreSQL: the test's own view of it."""
    engine = make_engine(relay_database[0])
    yield engine
    engine.dispose()


def assert_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer.body
    body = answer.json()
    assert (body["status"], body["error"]) == (503, "service_unavailable") and body["message"]
    assert int(answer.headers["Retry-After"]) > 0


def wait_until_serving(live: Live) -> None:
    for _ in range(300):
        if live.call("GET", "/api/v1/ready", timeout=10).status == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the server did not serve again after the database came back")


def test_while_the_database_is_away_the_api_answers_503_and_recovers_by_itself(
        relayed: Live, relay_database: tuple[str, Relay], direct: Engine):
    relay = relay_database[1]
    path = f"/api/v1/organisations/{relayed.ids['cbo']}"
    read = relayed.call("GET", path, role="editor")
    assert read.status == 200
    for _ in range(REQUESTS):  # the public list kept in memory by both workers
        assert relayed.call("GET", "/api/v1/organisations").status == 200
    workers, before = relayed.worker_pids(), imports.totals(direct)

    relay.cut()
    for _ in range(REQUESTS):
        assert_unavailable(relayed.call("GET", "/api/v1/ready"))
        assert_unavailable(relayed.call("GET", path))  # anonymous: the view reads
        assert_unavailable(relayed.call("GET", "/api/v1/organisations"))  # a kept page, unconfirmed
        assert_unavailable(relayed.call("GET", "/api/v1/organisations", role="secretariat"))  # the token is read
        assert_unavailable(relayed.call("PATCH", path, role="editor", headers={"If-Match": read.headers["ETag"]},
                                        json_body={"drop_in_centres": 77}))
    relay.restore()

    wait_until_serving(relayed)
    assert relayed.worker_pids() == workers  # served again by the same processes: no restart
    assert imports.totals(direct) == before
    again = relayed.call("GET", path, role="editor")
    assert again.headers["ETag"] == read.headers["ETag"] and again.json()["drop_in_centres"] != 77
    written = relayed.call("PATCH", path, role="editor", headers={"If-Match": read.headers["ETag"]},
                           json_body={"drop_in_centres": 77})
    assert written.status == 200, written.body
    assert written.json()["drop_in_centres"] == 77
    for _ in range(REQUESTS):
        assert relayed.call("GET", "/api/v1/organisations").status == 200


def test_an_import_cut_off_in_the_middle_of_its_transaction_keeps_nothing(
        relayed: Live, relay_database: tuple[str, Relay], direct: Engine):
    relay, attempts = relay_database[1], []
    for attempt in range(ATTEMPTS):
        prefix, before = f"Cut-off import {attempt}", imports.totals(direct)
        with imports.frozen_while_importing(relayed, direct, imports.spreadsheet(prefix)) as frozen:
            relay.cut()
        relay.restore()
        imports.wait_for_sessions_to_end(direct)
        attempts.append((frozen.uncommitted, frozen.answers))

        assert len(frozen.answers) == 1 and isinstance(frozen.answers[0], Answer), frozen.answers
        kept = imports.imported(direct, prefix)
        assert kept in (imports.NOTHING, imports.EVERYTHING), kept
        if frozen.uncommitted:
            assert_unavailable(frozen.answers[0])
            assert kept == imports.NOTHING and imports.totals(direct) == before
            break
    assert attempts[-1][0], f"the import was never caught inside its transaction: {attempts}"

    wait_until_serving(relayed)
    again = imports.post_import(relayed, imports.spreadsheet(prefix))
    assert again.status == 200, again.body
    assert imports.imported(direct, prefix) == imports.EVERYTHING
