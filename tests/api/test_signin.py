"""Signing in, for people: a sign-in code of any role is exchanged for a web session (its own
cookie, never the code), the person lands where their role works, and signing out ends this
session, or every session of the code. Forms without their CSRF token change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.auth import COOKIE
from registry.access import tokens
from registry.access.models import WebSession
from tests.api.conftest import form_token
from tests.factories import SYSTEM

BROWSER = {"Accept": "text/html"}


def code_of(world, role: str) -> str:
    return world.roles[role]["Authorization"].removeprefix("Bearer ")


def sign_in(client, code: str, **headers):
    return client.post("/sign-in", data={"code": code, "csrf_token": form_token(client)}, headers=headers)


def sessions(session) -> list[WebSession]:
    return list(session.scalars(select(WebSession).order_by(WebSession.id)))


def test_each_role_lands_where_it_works(client, world):
    landings = {"secretariat": "/console/", "own_editor": "/organisation/",
                "board": f"/dashboard/board/{world.vnsw.public_id}"}
    for role, landing in landings.items():
        response = sign_in(client, code_of(world, role))
        assert (response.status_code, response.headers["Location"]) == (302, landing), role


def test_the_cookie_holds_a_session_secret_never_the_code(client, world, session):
    code = code_of(world, "board")
    response = sign_in(client, code)
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")][0]
    assert code not in cookie and cookie.startswith(f"{COOKIE}=sws_")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; tests/api/test_headers.py has the HTTPS cases
    [row] = sessions(session)
    assert row.token_id == tokens.authenticate(session, code).token_id and row.revoked_at is None


def test_a_signed_in_page_knows_who_but_the_json_api_does_not(client, world):
    sign_in(client, code_of(world, "board"))
    page = client.get("/sign-in").get_data(as_text=True)
    assert "You are signed in" in page and "board member of Test national network VN" in page
    assert client.get(f"/dashboard/board/{world.vnsw.public_id}").status_code == 200
    assert client.get("/api/v1/me").get_json()["role"] == "anonymous"


def test_an_unknown_code_is_refused_and_writes_nothing(client, world, session):
    response = sign_in(client, "swr_not-a-code")
    assert response.status_code == 401 and "unknown, expired or revoked" in response.get_data(as_text=True)
    assert COOKIE + "=" not in str(response.headers.getlist("Set-Cookie"))
    assert sessions(session) == []


def test_signing_out_ends_this_session_only(make_app, world, session):
    app = make_app()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, code_of(world, "board"))
    sign_in(phone, code_of(world, "board"))
    board = f"/dashboard/board/{world.vnsw.public_id}"
    response = laptop.post("/sign-out", data={"csrf_token": form_token(laptop, board)})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in?ended=out"
    assert f"{COOKIE}=;" in str(response.headers.getlist("Set-Cookie"))
    assert laptop.get(board).status_code == 302  # to sign in
    assert phone.get(board).status_code == 200
    assert [row.revoked_at is not None for row in sessions(session)] == [True, False]


def test_signing_out_everywhere_ends_every_session_of_the_code(make_app, world, session):
    app = make_app()
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    for client in (laptop, phone):
        sign_in(client, code_of(world, "board"))
    sign_in(colleague, code_of(world, "secretariat"))
    response = phone.post("/sign-out/everywhere", data={"csrf_token": form_token(phone)})
    assert response.headers["Location"] == "/sign-in?ended=everywhere"
    board = f"/dashboard/board/{world.vnsw.public_id}"
    ended = laptop.get(board, headers=BROWSER)
    assert ended.status_code == 401 and "Please sign in again" in ended.get_data(as_text=True)
    assert f"{COOKIE}=;" in str(ended.headers.getlist("Set-Cookie"))
    assert colleague.get(board).status_code == 200  # another code's session goes on
    assert sign_in(laptop, code_of(world, "board")).status_code == 302  # the code itself still works


def test_revoking_the_code_ends_its_sessions_at_once(client, world, session):
    sign_in(client, code_of(world, "board"))
    code = session.get(tokens.AccessToken, tokens.authenticate(session, code_of(world, "board")).token_id)
    tokens.revoke_token(session, SYSTEM, code)
    session.flush()
    assert client.get(f"/dashboard/board/{world.vnsw.public_id}").status_code == 401


def test_the_old_address_sends_people_on_to_the_sign_in_page(client, world):
    assert client.get("/dashboard/sign-in").headers["Location"] == "/sign-in"
    # 307: a browser posts the same form (code and form token) again to the new address.
    moved = client.post("/dashboard/sign-in", data={"code": code_of(world, "board"), "csrf_token": form_token(client)})
    assert moved.status_code == 307 and moved.headers["Location"] == "/sign-in"


@pytest.mark.parametrize("path", ["/sign-in", "/sign-out", "/sign-out/everywhere"])
def test_a_form_posted_without_its_csrf_token_is_refused_and_nothing_is_written(client, world, session, path):
    sign_in(client, code_of(world, "board"))
    before = [(row.id, row.revoked_at) for row in sessions(session)]
    rows = session.scalar(select(func.count()).select_from(WebSession))
    for data in ({"code": code_of(world, "secretariat")}, {"code": code_of(world, "secretariat"), "csrf_token": "forged"}):
        response = client.post(path, data=data, headers=BROWSER)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert COOKIE + "=" not in str(response.headers.getlist("Set-Cookie"))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WebSession)) == rows
    assert [(row.id, row.revoked_at) for row in sessions(session)] == before
    assert client.get(f"/dashboard/board/{world.vnsw.public_id}").status_code == 200  # still signed in


def test_a_second_sign_in_in_one_browser_ends_the_first(client, world, session):
    sign_in(client, code_of(world, "board"))
    assert sign_in(client, code_of(world, "secretariat")).headers["Location"] == "/console/"
    assert [row.revoked_at is not None for row in sessions(session)] == [True, False]
