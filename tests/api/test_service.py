"""/me, health and bearer authentication: bad tokens are refused, never treated as anonymous,
and repeated failures are rate-limited."""

from __future__ import annotations

import datetime as dt
import uuid

from registry import migrate
from registry.access import tokens
from tests.factories import SYSTEM

API = "/api/v1"


def test_me_for_each_kind_of_caller(client, world):
    assert client.get(f"{API}/me").json["role"] == "anonymous"
    me = client.get(f"{API}/me", headers=world.roles["board"]).json
    assert (me["role"], me["network_id"]) == ("board", world.vnsw.public_id)
    assert "board of TVN" in me["label"]


def test_health_says_only_that_the_process_answers(client, world):
    answer = client.get(f"{API}/health")
    assert (answer.status_code, answer.json) == (200, {"status": "ok"})


def test_ready_when_the_database_answers_at_the_migration_head(client, world):
    answer = client.get(f"{API}/ready")
    assert (answer.status_code, answer.json) == (200, {"status": "ok"})


def test_not_ready_behind_the_code_s_migrations_and_nothing_said_why(client, world, monkeypatch, caplog):
    monkeypatch.setattr(migrate, "head_revision", lambda: "9999")
    answer = client.get(f"{API}/ready")
    assert (answer.status_code, answer.json["error"]) == (503, "service_unavailable")
    assert answer.json["message"] == "the service is not ready; try again shortly"
    assert answer.headers["Retry-After"] == "5"
    assert "migration head" in caplog.text  # the reason is for the operator's log only


def test_not_ready_when_the_configured_redis_does_not_answer(make_app, world, caplog):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT=0.5)
    answer = app.test_client().get(f"{API}/ready")
    assert (answer.status_code, answer.json["message"]) == (503, "the service is not ready; try again shortly")
    assert "Redis does not answer" in caplog.text
    assert app.test_client().get(f"{API}/health").status_code == 200


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


def test_with_redis_two_apps_share_one_count_of_failed_sign_ins(make_app, world):
    """Two apps stand for two servers: what one counts, the other refuses. Needs the Redis this
    machine runs (127.0.0.1:6379); the keys go under a prefix of this test run's own."""
    prefix = f"registry-test-{uuid.uuid4().hex}"
    settings = {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_PREFIX": prefix, "AUTH_FAILURES_PER_MINUTE": 3}
    one, other = make_app(**settings).test_client(), make_app(**settings).test_client()
    bad = {"Authorization": "Bearer swr_guess"}
    assert [client.get(f"{API}/me", headers=bad).status_code for client in (one, other, one)] == [401, 401, 401]
    assert other.get(f"{API}/me", headers=bad).status_code == 429
    assert one.get(f"{API}/me", headers=bad).status_code == 429
    assert other.get(f"{API}/me", headers=world.roles["secretariat"]).json["role"] == "secretariat"
    assert one.get(f"{API}/ready").status_code == 200


def test_a_failed_sign_in_while_redis_is_away_is_refused_not_let_through(make_app, world):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT=0.5).test_client()
    assert client.get(f"{API}/me", headers={"Authorization": "Bearer swr_guess"}).status_code == 503
    assert client.get(f"{API}/me", headers=world.roles["secretariat"]).json["role"] == "secretariat"
