"""Sign-in codes in the secretariat's console: issued for an organisation's editor or a board
seat, shown once with a QR code that carries the code in the address's fragment, listed without
secrets, revoked after a confirmation; only within the secretariat's own active subtree."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from api.auth import COOKIE
from registry.access import tokens
from registry.access.models import AccessToken
from registry.access.models import WebSession
from tests.api.conftest import form_token

BROWSER = {"Accept": "text/html"}


def signed_in(client, world, role: str = "secretariat"):
    code = world.roles[role]["Authorization"].removeprefix("Bearer ")
    assert client.post("/sign-in", data={"code": code, "csrf_token": form_token(client)}).status_code == 302
    return client


def issue(client, **form):
    return client.post("/console/codes/", data={"csrf_token": form_token(client, "/console/codes/"), **form})


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_only_a_secretariat_manages_codes(make_app, world):
    app = make_app()
    assert app.test_client().get("/console/codes/").headers["Location"] == "/sign-in"
    for role in ("board", "own_editor"):
        refused = signed_in(app.test_client(), world, role).get("/console/codes/", headers=BROWSER)
        assert refused.status_code == 403 and refused.mimetype == "text/html", role


def test_a_code_is_shown_once_with_a_qr_code_and_signs_in(make_app, world, session):
    app = make_app()
    secretariat = signed_in(app.test_client(), world)
    page = secretariat.get("/console/codes/").get_data(as_text=True)
    assert world.cbo.public_id in page and world.wnu.public_id not in page  # only its own subtree
    issued = issue(secretariat, role="editor", holder=world.cbo.public_id, label="office phone", expires="90")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "private, no-store"
    shown = issued.get_data(as_text=True)
    code = re.search(r'<code class="sign-in-code">(swr_[^<]+)</code>', shown).group(1)
    assert '<svg viewBox=' in shown and 'class="qr"' in shown
    assert "style=" not in shown and not re.search(r"<script(?![^>]*\bsrc=)", shown)  # the CSP allows neither
    assert "?code=" not in shown  # the code never goes in a query string a server would log
    listed = secretariat.get("/console/codes/").get_data(as_text=True)
    assert "office phone" in listed and code not in listed
    row = session.scalar(select(AccessToken).where(AccessToken.label == "office phone"))
    assert row.organisation_id == world.cbo.id and row.created_by.startswith("token ")
    person = app.test_client()
    arrived = person.post("/sign-in", data={"code": code, "csrf_token": form_token(person)})
    assert arrived.headers["Location"] == "/organisation/"


def test_a_board_seat_gets_a_code_for_the_network(client, world, session):
    signed_in(client, world)
    assert issue(client, role="board", holder=world.vnsw.public_id, label="seat 2", expires="").status_code == 200
    row = session.scalar(select(AccessToken).where(AccessToken.label == "seat 2"))
    assert (row.role, row.network_id, row.expires_at) == ("board", world.vnsw.id, None)
    refused = issue(client, role="board", holder=world.cbo.public_id, label="seat 3", expires="")
    assert refused.status_code == 422 and "needs a network" in refused.get_data(as_text=True)


def test_refusals_write_nothing(client, world, session):
    signed_in(client, world)
    before = count(session, AccessToken)
    for form in ({"role": "editor", "holder": world.wnu.public_id, "label": "not ours", "expires": "30"},
                 {"role": "editor", "holder": world.cbo.public_id, "label": " ", "expires": "30"},
                 {"role": "secretariat", "holder": world.vnsw.public_id, "label": "x", "expires": "30"},
                 {"role": "editor", "holder": world.cbo.public_id, "label": "x", "expires": "100000"}):
        assert issue(client, **form).status_code in (404, 422), form
    assert count(session, AccessToken) == before
    forged = client.post("/console/codes/", data={"role": "editor", "holder": world.cbo.public_id, "label": "x",
                                                  "expires": "30"}, headers=BROWSER)
    assert forged.status_code == 400 and count(session, AccessToken) == before


def test_revoking_asks_first_then_ends_the_code_s_sessions(make_app, world, session):
    app = make_app()
    secretariat = signed_in(app.test_client(), world)
    editor = signed_in(app.test_client(), world, "own_editor")
    assert editor.get("/sign-in").status_code == 200
    row = session.get(AccessToken, tokens.authenticate(
        session, world.roles["own_editor"]["Authorization"].removeprefix("Bearer ")).token_id)
    confirm = f"/console/codes/{row.public_id}/revoke"
    asked = secretariat.get(confirm).get_data(as_text=True)
    assert "cannot be undone" in asked and row.revoked_at is None
    done = secretariat.post(confirm, data={"csrf_token": form_token(secretariat, confirm)})
    assert done.status_code == 302 and done.headers["Location"].startswith("/console/codes/?revoked=")
    session.expire_all()
    assert row.revoked_at is not None and count(session, WebSession) == 2
    ended = editor.get("/sign-in", headers=BROWSER)
    assert "has ended" in ended.get_data(as_text=True) and f"{COOKIE}=;" in str(ended.headers.getlist("Set-Cookie"))


def test_another_network_s_secretariat_cannot_see_or_revoke_a_code(make_app, world, session):
    other = signed_in(make_app().test_client(), world, "other_secretariat")
    row = session.get(AccessToken, tokens.authenticate(
        session, world.roles["board"]["Authorization"].removeprefix("Bearer ")).token_id)
    assert other.get(f"/console/codes/{row.public_id}/revoke", headers=BROWSER).status_code == 404
    token = form_token(other, "/console/codes/")
    assert other.post(f"/console/codes/{row.public_id}/revoke", data={"csrf_token": token},
                      headers=BROWSER).status_code == 404
    session.expire_all()
    assert row.revoked_at is None
