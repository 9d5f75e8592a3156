"""Sign-in limits on every path a credential comes by: the bearer header (the JSON API), the
web session's cookie (the pages) and the sign-in form. One count of failures per
client address covers all three; a valid credential is always accepted, whatever others
failed from the same address, and exactly AUTH_FAILURES_PER_MINUTE failures are answered
before the address is refused with 429."""

from __future__ import annotations

import pytest

from api.auth import COOKIE
from registry.access import tokens
from registry.access import web_sessions
from tests.api.conftest import form_token
from tests.factories import SYSTEM

LIMIT = 10
BAD = "swr_guessed-by-someone-behind-the-same-address"


@pytest.fixture
def address(app):
    """Clients at one address (a NAT or proxy shared by an attacker and a board member)."""
    app.config["AUTH_FAILURES_PER_MINUTE"] = LIMIT

    def client(remote_addr: str = "10.1.1.1"):
        made = app.test_client()
        made.environ_base["REMOTE_ADDR"] = remote_addr
        return made

    return client


def secret_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def fail_by_header(client) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {BAD}"}).status_code


def fail_by_cookie(client) -> int:
    client.set_cookie(COOKIE, BAD)
    return client.get("/dashboard/").status_code


def fail_by_form(client) -> int:
    client.delete_cookie(COOKIE)
    return client.post("/sign-in", data={"code": BAD, "csrf_token": form_token(client)}).status_code


FAILURES = {"header": fail_by_header, "cookie": fail_by_cookie, "form": fail_by_form}


def signed_in_by_header(client, secret: str) -> bool:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    return response.status_code == 200 and response.json["role"] == "board"


def signed_in_by_cookie(client, secret: str) -> bool:
    database = client.application.extensions["registry.sessionmaker"]()  # the test's connection
    _, session_secret = web_sessions.start_session(database, tokens.authenticate(database, secret))
    database.commit()
    client.set_cookie(COOKIE, session_secret)
    response = client.get("/dashboard/")
    return response.status_code == 200 and "<button>Sign out</button>" in response.get_data(as_text=True)


def signed_in_by_form(client, secret: str) -> bool:
    client.delete_cookie(COOKIE)
    response = client.post("/sign-in", data={"code": secret, "csrf_token": form_token(client)})
    cookie = response.headers.get("Set-Cookie", "")
    return response.status_code == 302 and f"{COOKIE}=sws_" in cookie and secret not in cookie


SIGN_INS = {"header": signed_in_by_header, "cookie": signed_in_by_cookie, "form": signed_in_by_form}


@pytest.mark.parametrize("path", SIGN_INS)
def test_a_valid_token_is_accepted_after_fifty_failures_from_its_address(address, world, path):
    attacker, board_member = address(), address()
    for number in range(50):
        list(FAILURES.values())[number % 3](attacker)
    assert fail_by_header(attacker) == 429  # the address is refused for guessing
    assert SIGN_INS[path](board_member, secret_of(world.roles["board"]))


@pytest.mark.parametrize("path", FAILURES)
def test_exactly_the_limit_of_failures_is_answered_then_429(address, world, path):
    client = address()
    statuses = [FAILURES[path](client) for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


def test_failures_on_every_path_count_together(address, world):
    client = address()
    statuses = [FAILURES[path](client) for path in ("header", "cookie", "form") * 3 + ("header",)]
    assert statuses == [401] * LIMIT
    for path in FAILURES:
        assert FAILURES[path](client) == 429, path


def test_the_refusal_says_when_to_try_again(address, world):
    client = address()
    for _ in range(LIMIT):
        fail_by_header(client)
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {BAD}"})
    assert (refused.status_code, refused.json["error"], refused.headers["Retry-After"]) == (
        429, "too_many_requests", "60")
    form = client.post("/sign-in", data={"code": BAD, "csrf_token": form_token(client)})
    assert form.status_code == 429 and form.headers["Retry-After"] == "60"
    assert "wait a minute" in form.get_data(as_text=True)
    assert client.get("/api/v1/me").json["role"] == "anonymous"  # reading without a token goes on
    assert fail_by_header(address("10.2.2.2")) == 401  # another address is not held up


def test_an_unknown_cookie_is_forgotten_and_says_sign_in_again(address, world):
    client = address()
    client.set_cookie(COOKIE, BAD)
    response = client.get("/dashboard/")
    assert response.status_code == 401
    assert "sign in again" in response.get_data(as_text=True)
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]  # the browser stops sending it
    assert "<button>Sign out</button>" not in response.get_data(as_text=True)


def test_unknown_cookies_are_limited_like_the_header(address, world):
    client = address()
    statuses = [fail_by_cookie(client) for _ in range(40)]
    assert statuses == [401] * LIMIT + [429] * 30


def test_a_session_that_ended_is_no_guess_but_asks_to_sign_in_again(address, world, session):
    revoked, secret = tokens.issue_token(session, SYSTEM, "board", world.vnsw, label="lost laptop")
    session.flush()
    _, cookie = web_sessions.start_session(session, tokens.authenticate(session, secret))
    tokens.revoke_token(session, SYSTEM, revoked)
    session.flush()
    client = address()
    for _ in range(LIMIT):
        fail_by_header(client)
    client.set_cookie(COOKIE, cookie)
    response = client.get("/dashboard/")
    assert response.status_code == 401 and "sign in again" in response.get_data(as_text=True)
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]


def test_a_valid_code_of_any_role_signs_in_after_the_address_s_failures(address, world):
    client = address()
    for _ in range(LIMIT):
        fail_by_header(client)
    editor = secret_of(world.roles["own_editor"])
    response = client.post("/sign-in", data={"code": editor, "csrf_token": form_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/organisation/"
