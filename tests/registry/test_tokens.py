"""Access tokens: issued once, stored as hashes, scoped, revocable, expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry.access import tokens
from registry.errors import NotPermitted, ValidationFailed
from registry.access.permissions import Role
from registry.access.models import AccessToken
from tests.factories import SYSTEM, editor, secretariat


def test_issue_and_authenticate(session, vnsw):
    row, secret = tokens.issue_token(session, SYSTEM, "secretariat", vnsw, label="VN laptop")
    assert secret.startswith("swr_") and len(secret) > 40
    assert secret not in str([getattr(row, c.key) for c in AccessToken.__table__.columns])
    actor = tokens.authenticate(session, secret)
    assert actor.role is Role.SECRETARIAT and actor.network_id == vnsw.id and actor.token_id == row.id
    assert "TVN" in actor.label


def test_unknown_revoked_and_expired_tokens_do_not_authenticate(session, vnsw, make_org):
    cbo = make_org(vnsw)
    _, live = tokens.issue_token(session, SYSTEM, "editor", cbo, label="a")
    row, revoked = tokens.issue_token(session, SYSTEM, "editor", cbo, label="b")
    tokens.revoke_token(session, secretariat(vnsw), row)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)
    expiring_row, expiring = tokens.issue_token(session, SYSTEM, "editor", cbo, label="c", expires_at=soon)
    assert tokens.authenticate(session, live).organisation_id == cbo.id
    assert tokens.authenticate(session, revoked) is None
    assert tokens.authenticate(session, "swr_not-a-real-token") is None
    assert tokens.authenticate(session, "") is None
    expiring_row.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    assert tokens.authenticate(session, expiring) is None


def test_scopes_and_roles(session, vnsw, wnu, make_org):
    cbo = make_org(vnsw)
    with pytest.raises(ValidationFailed, match="network"):
        tokens.issue_token(session, SYSTEM, "secretariat", cbo, label="x")
    with pytest.raises(ValidationFailed, match="role"):
        tokens.issue_token(session, SYSTEM, "system", vnsw, label="x")
    with pytest.raises(ValidationFailed, match="label"):
        tokens.issue_token(session, SYSTEM, "board", vnsw, label=" ")
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed, match="future"):
        tokens.issue_token(session, SYSTEM, "board", vnsw, label="x", expires_at=past)


def test_a_secretariat_issues_tokens_only_within_its_subtree(session, vnsw, wnu, make_org):
    cbo = make_org(vnsw)
    row, _ = tokens.issue_token(session, secretariat(vnsw), "editor", cbo, label="CBO phone")
    assert row.created_by == "secretariat of TVN"
    with pytest.raises(NotPermitted):
        tokens.issue_token(session, secretariat(wnu), "editor", cbo, label="x")
    with pytest.raises(NotPermitted):
        tokens.issue_token(session, editor(cbo), "editor", cbo, label="x")
    with pytest.raises(NotPermitted):
        tokens.revoke_token(session, secretariat(wnu), row)


def test_only_hashes_are_stored(session, vnsw):
    _, secret = tokens.issue_token(session, SYSTEM, "board", vnsw, label="x")
    stored = session.scalars(select(AccessToken.secret_hash)).all()
    assert secret not in stored and all(len(h) == 64 for h in stored)
