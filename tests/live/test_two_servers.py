"""Two gunicorn servers on two ports, one PostgreSQL database, the Redis this machine runs:
what one server learns, the other knows on the next request: the failed sign-in count, a write,
a revoked token, and a person's web session (made on one, valid on the other; ended on both at
once when its sign-in code is revoked).
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import Engine

from seeds.load import LoadReport
from tests.conftest import copy_of
from api.auth import COOKIE
from tests.live.conftest import Live, free_port, prepare_database, start, stop

pytestmark = pytest.mark.postgresql
LIMIT = 4
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory,
            seeds_database: tuple[Engine, LoadReport]) -> Iterator[tuple[Live, Live]]:
    folder = tmp_path_factory.mktemp("two-servers")
    # Keys of this run only, so parallel runs and earlier runs share no count.
    shared = {"REDIS_URL": REDIS_URL, "REGISTRY_REDIS_PREFIX": f"registry-test-{uuid.uuid4().hex}",
              "REGISTRY_AUTH_FAILURES_PER_MINUTE": str(LIMIT)}
    with copy_of(seeds_database[0], folder) as url:
        issued, ids = prepare_database(url)
        pair = [Live(f"http://127.0.0.1:{free_port()}", url, issued, {name: i[0] for name, i in ids.items()},
                     {name: i[1] for name, i in ids.items()}, log=folder / f"gunicorn-{n}.log", extra_env=shared)
                for n in (1, 2)]
        try:
            for live in pair:
                start(live)
            yield pair[0], pair[1]
        finally:
            for live in pair:
                stop(live)


def test_both_are_ready(servers: tuple[Live, Live]):
    for live in servers:
        answer = live.call("GET", "/api/v1/ready")
        assert (answer.status, answer.json()) == (200, {"status": "ok"})


def test_the_failed_sign_in_limit_holds_across_both_servers(servers: tuple[Live, Live]):
    one, other = servers
    bad = {"Authorization": "Bearer swr_a-guess-from-one-address"}
    statuses = [(one if n % 2 else other).call("GET", "/api/v1/me", headers=bad).status for n in range(LIMIT)]
    assert statuses == [401] * LIMIT
    # Each server has seen only half the failures: only a shared count refuses now.
    assert one.call("GET", "/api/v1/me", headers=bad).status == 429
    assert other.call("GET", "/api/v1/me", headers=bad).status == 429
    assert other.call("GET", "/api/v1/me", role="secretariat").json()["role"] == "secretariat"
    # The count is in Redis, under this run's prefix: clearing it there frees the address on both
    # (as a minute's wait would), for the tests after this one.
    store = redis.Redis.from_url(REDIS_URL)
    keys = list(store.scan_iter(f"{one.extra_env['REGISTRY_REDIS_PREFIX']}:*"))
    assert keys
    store.delete(*keys)
    store.close()
    assert one.call("GET", "/api/v1/me", headers=bad).status == 401


def test_a_write_on_one_is_read_on_the_next_request_to_the_other(servers: tuple[Live, Live]):
    one, other = servers
    path = f"/api/v1/organisations/{one.ids['cbo']}"
    before = other.call("GET", path, role="editor")  # read first, so a cache would hold the old version
    written = one.call("PATCH", path, role="editor", headers={"If-Match": before.headers["ETag"]},
                       json_body={"drop_in_centres": before.json().get("drop_in_centres", 0) + 7})
    assert written.status == 200
    after = other.call("GET", path, role="editor")
    assert after.json()["drop_in_centres"] == written.json()["drop_in_centres"]
    assert after.headers["ETag"] == written.headers["ETag"] != before.headers["ETag"]


def test_a_token_revoked_on_one_fails_on_both_at_once(servers: tuple[Live, Live]):
    one, other = servers
    issued = one.call("POST", "/api/v1/tokens", role="secretariat",
                      json_body={"role": "editor", "scope_id": one.ids["cbo"], "label": "live test, to revoke"})
    assert issued.status == 201
    header = {"Authorization": f"Bearer {issued.json()['secret']}"}
    assert [live.call("GET", "/api/v1/me", headers=header).status for live in servers] == [200, 200]
    location = issued.headers["Location"].split("://", 1)[-1].split("/", 1)[-1]
    revoked = other.call("DELETE", "/" + location, role="secretariat", headers={"If-Match": issued.headers["ETag"]})
    assert revoked.status == 204
    assert [live.call("GET", "/api/v1/me", headers=header).status for live in (one, other)] == [401, 401]


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the sign-in's 302 is the answer: it carries the session cookie


def sign_in_on(live: Live, code: str) -> str:
    """Sign in on `live` as a browser does (the form, its CSRF token, the code); the session cookie."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _Stay)
    page = browser.open(live.base_url + "/sign-in", timeout=30).read().decode()
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"code": code, "csrf_token": form_token}).encode()
    try:
        browser.open(live.base_url + "/sign-in", data=body, timeout=30)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.code
    return next(cookie.value for cookie in jar if cookie.name == COOKIE)


def test_a_session_made_on_one_is_valid_on_the_other_and_a_revoked_code_ends_it_on_both(servers: tuple[Live, Live]):
    one, other = servers
    issued = one.call("POST", "/api/v1/tokens", role="secretariat",
                      json_body={"role": "board", "scope_id": one.ids["vnsw"], "label": "live test, seat to revoke"})
    assert issued.status == 201
    session = sign_in_on(one, issued.json()["secret"])
    board = f"/dashboard/board/{one.ids['vnsw']}"
    browser = {"Cookie": f"{COOKIE}={session}", "Accept": "text/html"}
    answers = [live.call("GET", board, headers=browser) for live in (other, one)]
    assert [a.status for a in answers] == [200, 200] and all(b"board view" in a.body for a in answers)
    location = issued.headers["Location"].split("://", 1)[-1].split("/", 1)[-1]
    revoked = other.call("DELETE", "/" + location, role="secretariat", headers={"If-Match": issued.headers["ETag"]})
    assert revoked.status == 204
    assert [live.call("GET", board, headers=browser).status for live in (one, other)] == [401, 401]
