"""Web sessions: a sign-in code is exchanged for a session of its own, stored as a hash, which
ends at its absolute or idle expiry, on sign-out, on "sign out everywhere", or when its code is
revoked or expires."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from registry.access import tokens
from registry.access import web_sessions
from registry.access.models import AuditEntry
from registry.db import _PENDING
from registry.errors import NotPermitted
from registry.access.models import WebSession
from tests.factories import SYSTEM, secretariat

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def code(session, vnsw):
    row, secret = tokens.issue_token(session, SYSTEM, "board", vnsw, label="seat 3")
    return row, tokens.authenticate(session, secret)


def test_a_session_is_stored_as_a_hash_and_names_its_code(session, code):
    row, actor = code
    opened, secret = web_sessions.start_session(session, actor)
    assert secret.startswith("sws_") and len(secret) > 40
    assert secret not in str([getattr(opened, c.key) for c in WebSession.__table__.columns])
    found = web_sessions.find_session(session, secret)
    assert found is opened and found.token is row and found.token.actor() == actor
    assert opened.expires_at - opened.created_at == web_sessions.LIFETIME
    assert web_sessions.find_session(session, "sws_" + "x" * 43) is None
    assert web_sessions.find_session(session, "swr_" + secret[4:]) is None  # a code is no session


def test_only_a_sign_in_code_opens_a_session(session):
    with pytest.raises(NotPermitted):
        web_sessions.start_session(session, SYSTEM)


def test_a_session_ends_at_its_absolute_or_idle_expiry(session, code):
    _, actor = code
    one, first = web_sessions.start_session(session, actor)
    other, second = web_sessions.start_session(session, actor)
    one.expires_at = one.created_at - HOUR
    other.idle_expires_at = other.created_at - HOUR
    assert web_sessions.find_session(session, first) is None
    assert web_sessions.find_session(session, second) is None
    assert web_sessions.known_session(session, first)  # ended, not a guess


def test_signing_out_ends_this_session_only(session, code):
    _, actor = code
    one, first = web_sessions.start_session(session, actor)
    _, second = web_sessions.start_session(session, actor)
    web_sessions.end_session(session, one)
    assert web_sessions.find_session(session, first) is None
    assert web_sessions.find_session(session, second) is not None


def test_signing_out_everywhere_ends_every_session_of_the_code_and_is_audited(session, vnsw, code):
    row, actor = code
    secrets = [web_sessions.start_session(session, actor)[1] for _ in range(3)]
    _, another_code = tokens.issue_token(session, SYSTEM, "board", vnsw, label="seat 4")
    _, kept = web_sessions.start_session(session, tokens.authenticate(session, another_code))
    assert web_sessions.end_sessions_of(session, actor, row) == 3
    session.flush()
    assert [web_sessions.find_session(session, s) for s in secrets] == [None] * 3
    assert web_sessions.find_session(session, kept) is not None
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "end_sessions")) == 1


def test_only_the_code_s_holder_or_its_secretariat_ends_its_sessions(session, vnsw, wnu, code):
    row, _ = code
    web_sessions.end_sessions_of(session, secretariat(vnsw), row)
    with pytest.raises(NotPermitted):
        web_sessions.end_sessions_of(session, secretariat(wnu), row)
    _, other = tokens.issue_token(session, SYSTEM, "board", vnsw, label="seat 5")
    with pytest.raises(NotPermitted):
        web_sessions.end_sessions_of(session, tokens.authenticate(session, other), row)


def test_revoking_or_expiry_of_the_code_ends_its_sessions_at_once(session, vnsw, code):
    row, actor = code
    _, secret = web_sessions.start_session(session, actor)
    tokens.revoke_token(session, secretariat(vnsw), row)
    assert web_sessions.find_session(session, secret) is None
    expiring, code_secret = tokens.issue_token(session, SYSTEM, "board", vnsw, label="seat 6",
                                               expires_at=dt.datetime.now(dt.timezone.utc) + HOUR)
    _, other = web_sessions.start_session(session, tokens.authenticate(session, code_secret))
    expiring.expires_at = dt.datetime.now(dt.timezone.utc) - HOUR
    assert web_sessions.find_session(session, other) is None


def test_last_sign_ins_and_the_sweep(session, code):
    row, actor = code
    old, _ = web_sessions.start_session(session, actor)
    recent, _ = web_sessions.start_session(session, actor)
    old.created_at -= dt.timedelta(days=40)
    old.expires_at -= dt.timedelta(days=40)
    old.idle_expires_at -= dt.timedelta(days=40)
    session.flush()
    assert web_sessions.last_sign_ins(session, [row.id]) == {row.id: recent.created_at}
    assert web_sessions.sweep_sessions(session) == 1
    assert session.scalars(select(WebSession)).all() == [recent]


class _OnThisConnection:
    """Stands in for the registry's engine: the action's transaction on the test's connection."""

    def __init__(self, connection):
        self.connection = connection

    @contextmanager
    def begin(self):
        yield self.connection


def test_a_page_read_moves_the_idle_expiry_on_after_the_commit_at_most_every_few_minutes(session, code):
    _, actor = code
    row, secret = web_sessions.start_session(session, actor)
    web_sessions.find_session(session, secret)
    assert session.info.get(_PENDING, []) == []  # just signed in: nothing to move yet
    row.idle_expires_at -= web_sessions.TOUCH_EVERY + dt.timedelta(minutes=1)
    stale = row.idle_expires_at
    session.flush()
    web_sessions.find_session(session, secret)
    [touch] = session.info.pop(_PENDING)
    touch(_OnThisConnection(session.connection()))
    session.expire_all()
    assert row.idle_expires_at > stale + web_sessions.TOUCH_EVERY
    assert row.idle_expires_at <= row.expires_at
