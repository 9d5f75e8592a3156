"""API tests: an app whose every request session joins the test's own transaction.

Each request gets a fresh Session on the test's connection in "create_savepoint" mode, so
the request's single commit releases a savepoint and the test's rollback still undoes it all;
requests behave as in production (their own session, committed once) and the test sees what
they wrote. Callers are real bearer tokens issued through registry.access.tokens.

The app is built once per run and serves every test: its requests find the running test's
connection through tests.conftest.REQUESTS, and each test gets it back as built (settings,
extensions, and what requests leave in memory: kept pages, counted sign-in failures).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api import auth
from api.app import create_app
from registry.organisations import services as organisations
from registry.access import tokens
from registry.organisations.models import PUBLISHABLE_FIELDS
from registry.organisations.models import Organisation
from registry.access.permissions import Role
from tests.conftest import REQUESTS
from tests.factories import SYSTEM

# Settings read on every request: a test may set them on the shared app. Any other setting is
# read while the app is built, so an app with it is built, once per run.
READ_PER_REQUEST = frozenset({"AUTH_FAILURES_PER_MINUTE", "PROPAGATE_EXCEPTIONS", "PUBLIC_MAX_AGE", "TRUSTED_HOSTS",
                              "WTF_CSRF_ENABLED"})


class SharedApps:
    """The apps of a run, one per set of settings read at build time, each handed to a test as built."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[Flask, dict[str, Any], dict[str, Any]]] = {}

    def get(self, **config: Any) -> Flask:
        at_build = {k: v for k, v in config.items() if k not in READ_PER_REQUEST}
        key = repr(sorted(at_build.items()))
        if key not in self._built:
            app = create_app({"TESTING": True, **at_build}, sessions=REQUESTS.session)
            self._built[key] = (app, copy.deepcopy(dict(app.config)), dict(app.extensions))
        app, settings, extensions = self._built[key]
        app.config.clear()
        app.config.update(copy.deepcopy(settings), **{k: v for k, v in config.items() if k in READ_PER_REQUEST})
        app.extensions.clear()
        app.extensions.update(extensions)
        # What requests leave in the app's memory, forgotten.
        if isinstance(app.extensions.get(auth._KEY), auth.LocalFailures):  # Redis counts: each test's own prefix
            app.extensions[auth._KEY] = auth.LocalFailures()
        return app


@pytest.fixture(scope="session")
def shared_apps() -> SharedApps:
    return SharedApps()


@pytest.fixture
def make_app(session: Session, shared_apps: SharedApps) -> Callable[..., Flask]:
    """make_app(**config): an app with those settings whose requests join the test's transaction.
    Apps that differ only in settings read per request are one app: the latest call's settings hold."""
    return shared_apps.get


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seeds(seeded: Session) -> Iterator[Session]:
    """The seeds and sample network, with whatever a test writes undone after it."""
    savepoint = seeded.begin_nested()
    yield seeded
    savepoint.rollback()


@pytest.fixture
def seeded_client(seeds: Session, shared_apps: SharedApps) -> Iterator[FlaskClient]:
    """A client of the shared app whose requests join the seeds' transaction."""
    with REQUESTS.bound(seeds.connection()):
        yield shared_apps.get().test_client()


@pytest.fixture
def bearer(session: Session) -> Callable[..., dict[str, str]]:
    """bearer(role, scope) -> Authorization headers for a fresh token."""

    def make(role: Role | str, scope: Organisation, **kw: Any) -> dict[str, str]:
        _, secret = tokens.issue_token(session, SYSTEM, role, scope, label=f"test {role} token", **kw)
        session.flush()
        return {"Authorization": f"Bearer {secret}"}

    return make


@dataclass
class World:
    """Two networks, two member organisations of the first and their contacts."""

    vnsw: Organisation
    wnu: Organisation
    cbo: Organisation  # the organisation acted on
    fellow: Organisation  # another member of VNSW
    roles: dict[str, dict[str, str]]  # role name -> Authorization headers


ROLES = ("secretariat", "other_secretariat", "own_editor", "other_editor", "board", "anonymous")


@pytest.fixture
def world(session: Session, make_org, member_of, bearer) -> World:
    vnsw = make_org(name="Test national network VN", acronym="TVN", kind="national_network", country="VN",
                    public_listing=True)
    wnu = make_org(name="Test national network KH", acronym="TKH", kind="national_network", country="KH",
                   public_listing=True)
    # The two members are listed and publish every field they may (publishing is tested apart).
    cbo = make_org(vnsw, name="Nhóm Hà Nội", country="VN", public_listing=True, areas_served=["VN-HN"],
                   priority_areas=["health"], drop_in_centres=2, sex_worker_involvement="run by sex workers",
                   published_fields=list(PUBLISHABLE_FIELDS))
    fellow = make_org(vnsw, name="Nhóm Hải Phòng", country="VN", public_listing=True,
                      published_fields=list(PUBLISHABLE_FIELDS))
    member_of(vnsw, cbo)
    member_of(vnsw, fellow)
    for kind, value, visibility in (("email", "public@example.org", "public"),
                                    ("phone", "+84 1 secretariat", "secretariat"),
                                    ("messenger", "self-only-handle", "self")):
        organisations.add_contact(session, SYSTEM, cbo, kind=kind, value=value, visibility=visibility)
    session.flush()
    roles = {
        "secretariat": bearer("secretariat", vnsw),
        "other_secretariat": bearer("secretariat", wnu),
        "own_editor": bearer("editor", cbo),
        "other_editor": bearer("editor", fellow),
        "board": bearer("board", vnsw),
        "anonymous": {},
    }
    return World(vnsw, wnu, cbo, fellow, roles)


def etag_of(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.json
    return response.headers["ETag"]


def form_token(client: FlaskClient, url: str = "/sign-in") -> str:
    """The CSRF token of the form on a page, as a browser sends it back."""
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no form token on {url}"
    return found.group(1)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """`app` behind a threaded server on a free local port, for a real browser; its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
