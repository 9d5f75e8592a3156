"""The registry as it runs in production: gunicorn on loopback (two workers), a database of its
own, the seeds and sample network loaded, and a bearer token for each role.

Tests here talk HTTP to a real server, so they can do what in-process tests cannot: send
requests in parallel to several worker processes, kill the server mid-request, and take the
database away. Tests marked `postgresql` need a database server; they run in the suite's
PostgreSQL leg and are deselected, not skipped, in the SQLite leg (see tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from api.settings import CONTACT_KEYS_FILE
from registry.access import tokens
from registry.access.contact_keys import KeyFile
from registry.db import make_engine, make_sessionmaker
from registry.organisations.models import Organisation
from registry.access.permissions import Actor, Role
from registry.access.sealing import use_keys
from seeds.load import LoadReport
from tests.conftest import copy_of

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 60.0
T = TypeVar("T")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Live:
    """A running server and what a test needs to talk to it."""

    base_url: str
    database_url: str
    tokens: dict[str, dict[str, str]]  # role name -> Authorization header
    ids: dict[str, str]  # public ids: "vnsw", "wnu", "cbo" (a VNSW member), "other_cbo" (another VNSW member)
    keys: dict[str, int]  # the same organisations' integer keys, for the database's own rows
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, *, role: str | None = None, json_body: Any = None,
             headers: dict[str, str] | None = None, data: bytes | None = None, timeout: float = 30.0) -> Answer:
        """One request; an HTTP error status is an answer, not an exception."""
        sent = dict(headers or {})
        if role is not None:
            sent.update(self.tokens[role])
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, dict(error.headers), error.read())

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def together(clients: int, request: Callable[[int], T]) -> list[T]:
    """Run request(0) ... request(clients - 1), each in its own thread (so its own connection),
    released at the same moment by a barrier; their results in client order."""
    barrier = threading.Barrier(clients)

    def client(number: int) -> T:
        barrier.wait(timeout=120)
        return request(number)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(client, range(clients)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(database_url: str) -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, int]]]:
    """Issue one token per role in a copy of the seeds database (tests.conftest.copy_of). The
    sample contacts are sealed with the key file the environment names, which the server reads too."""
    engine = make_engine(database_url)
    try:
        with use_keys(make_sessionmaker(engine)(), KeyFile(os.environ[CONTACT_KEYS_FILE])) as session:
            system = Actor.system("live test setup")
            by_acronym = {o.acronym: o for o in session.scalars(
                select(Organisation).where(Organisation.acronym.in_(["VNSW", "WNU"])))}
            vnsw, wnu = by_acronym["VNSW"], by_acronym["WNU"]
            members = session.scalars(
                select(Organisation).where(Organisation.is_sample.is_(True), Organisation.country == "VN")
                .order_by(Organisation.name)).all()
            cbo, other_cbo = members[0], members[1]
            issued: dict[str, dict[str, str]] = {}
            for role, scope in (("secretariat", vnsw), ("board", vnsw), ("editor", cbo),
                                ("other_editor", other_cbo), ("wnu_secretariat", wnu)):
                kind = Role(role.removeprefix("other_").removeprefix("wnu_"))
                _, secret = tokens.issue_token(session, system, kind, scope, label=f"live test {role}")
                issued[role] = {"Authorization": f"Bearer {secret}"}
            named = {"vnsw": vnsw, "wnu": wnu, "cbo": cbo, "other_cbo": other_cbo}
            ids = {name: (o.public_id, o.id) for name, o in named.items()}
            session.commit()
    finally:
        engine.dispose()
    return issued, ids


def start(live: Live, *, workers: int = 2) -> None:
    """Start (or restart) gunicorn for `live` and wait until it answers."""
    port = int(live.base_url.rsplit(":", 1)[1])
    # The address it serves on is the host it answers to; the workers sign with one fixed key.
    env = {**os.environ, "DATABASE_URL": live.database_url, "REGISTRY_TRUSTED_HOSTS": "127.0.0.1",
           "REGISTRY_SECRET_KEY": "a fixed key for the live tests", **live.extra_env}
    assert live.log is not None
    with live.log.open("ab") as log:
        live.process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket",
             "--timeout", "120", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if live.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({live.process.returncode}); see {live.log}")
        try:
            if live.call("GET", "/api/v1/health", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(live)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s; see {live.log}")


def stop(live: Live, *, kill: bool = False) -> None:
    """Stop the server: gracefully, or with SIGKILL to the master and every worker."""
    process = live.process
    if process is None or process.poll() is not None:
        return
    if kill:
        for pid in live.worker_pids() + [process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    else:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def live_server(database_url: str, log: Path, **extra_env: str) -> Iterator[Live]:
    """A copy of the seeds database, prepared, served by gunicorn for as long as the block runs."""
    issued, ids = prepare_database(database_url)
    live = Live(f"http://127.0.0.1:{free_port()}", database_url, issued, {name: i[0] for name, i in ids.items()},
                {name: i[1] for name, i in ids.items()}, log=log, extra_env=extra_env)
    start(live)
    try:
        yield live
    finally:
        stop(live)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeds_database: tuple[Engine, LoadReport]) -> Iterator[Live]:
    """A server on a database of the leg's kind (SQLite file, or a new PostgreSQL database),
    one per test module, so what a module's tests do to it stays in that module."""
    folder = tmp_path_factory.mktemp("live")
    with copy_of(seeds_database[0], folder) as url, live_server(url, folder / "gunicorn.log") as running:
        yield running
