"""/me, health and bearer authentication: bad tokens are refused, never treated as anonymous,
and repeated failures are rate-limited."""

from __future__ import annotations

import datetime as dt

from registry import tokens
from tests.factories import SYSTEM

API = "/api/v1"


def test_me_for_each_kind_of_caller(client, world):
    assert client.get(f"{API}/me").json["role"] == "anonymous"
    me = client.get(f"{API}/me", headers=world.roles["board"]).json
    assert (me["role"], me["network_id"]) == ("board", world.vnsw.public_id)
    assert "board of TVN" in me["label"]


def test_health(client, world):
    assert client.get(f"{API}/health").json == {"status": "ok", "database": "ok"}


def test_unknown_expired_and_revoked_tokens_are_refused(client, world, session):
    expired, expired_secret = tokens.issue_token(session, SYSTEM, "editor", world.cbo, label="old",
                                                 expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=60))
    expired.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    revoked, revoked_secret = tokens.issue_token(session, SYSTEM, "editor", world.cbo, label="lost")
    tokens.revoke_token(session, SYSTEM, revoked)
    session.flush()
    for header in ("Bearer swr_unknown", f"Bearer {expired_secret}", f"Bearer {revoked_secret}",
                   "Basic dXNlcjpwYXNz", "Bearer"):
        response = client.get(f"{API}/organisations", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_failed_authentication_is_rate_limited(app, world):
    app.config["AUTH_FAILURES_PER_MINUTE"] = 3
    client = app.test_client()
    bad = {"Authorization": "Bearer swr_guess"}
    assert [client.get(f"{API}/me", headers=bad).status_code for _ in range(4)] == [401, 401, 401, 429]
    blocked = client.get(f"{API}/me", headers=bad)
    assert blocked.headers["Retry-After"] == "60"
    assert blocked.json["error"] == "too_many_requests"
    # A valid token from the same address is not held up by someone else's guesses.
    assert client.get(f"{API}/me", headers=world.roles["secretariat"]).json["role"] == "secretariat"
    assert client.get(f"{API}/me").status_code == 200  # anonymous reading goes on
