"""Web sessions: what a sign-in code is exchanged for, so the code itself never sits in a cookie.

A person signs in once with a sign-in code (an access token, registry.access.tokens) and is given a
session: a random secret of its own, stored only as a hash, tied to the code it came from. It
ends at the first of: its absolute expiry, its idle expiry (no page asked for a while), sign-out,
"sign out everywhere" (every session of the code), or the code's own revocation or expiry, which
every lookup checks, so revoking a code ends its sessions at the next request on any server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.models import AccessToken, WebSession
from registry.access.permissions import Actor, Permission, can
from registry.db import after_commit, utcnow
from registry.errors import N_, NotPermitted

LIFETIME = dt.timedelta(hours=12)
IDLE = dt.timedelta(hours=2)
# A page read moves the idle expiry on at most this often: one small write per person per
# few minutes, not one per page.
TOUCH_EVERY = dt.timedelta(minutes=5)
PREFIX = "sws_"  # tells a session secret from a sign-in code (swr_) at a glance


def _hash(secret: str) -> str:
    # 256 random bits: a fast hash is enough, as for the codes.
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, actor: Actor, *, lifetime: dt.timedelta = LIFETIME,
                  idle: dt.timedelta = IDLE) -> tuple[WebSession, str]:
    """A new session for `actor`, who has just presented a valid sign-in code. Returns the row and
    the secret for the cookie; the secret is not stored."""
    if actor.token_id is None:
        raise NotPermitted(N_("only a sign-in code opens a session"))
    now = utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    row = WebSession(secret_hash=_hash(secret), token_id=actor.token_id, created_at=now,
                     expires_at=now + lifetime, idle_expires_at=min(now + idle, now + lifetime))
    session.add(row)
    session.flush()
    return row, secret


def find_session(session: Session, secret: str, *, idle: dt.timedelta = IDLE) -> WebSession | None:
    """The live session a cookie's secret names, or None (unknown, ended, or its code revoked or
    expired). Moves the idle expiry on once the request has committed (at most every TOUCH_EVERY)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.scalar(select(WebSession).where(WebSession.secret_hash == _hash(secret)))
    now = utcnow()
    if row is None or not row.live(now) or not row.token.usable(now):
        return None
    moved_on, session_id = min(now + idle, row.expires_at), row.id
    if moved_on - row.idle_expires_at >= TOUCH_EVERY:
        after_commit(session, lambda engine: _touch(engine, session_id, moved_on))
    return row


def known_session(session: Session, secret: str) -> bool:
    """Whether a secret names any session still held, live or ended: an ended one is no guess."""
    return (secret.startswith(PREFIX) and len(secret) <= 200
            and session.scalar(select(WebSession.id).where(WebSession.secret_hash == _hash(secret))) is not None)


def _touch(engine: Engine, session_id: int, idle_expires_at: dt.datetime) -> None:
    # Outside the request's transaction: a page read stays a read, and two tabs racing here
    # both write a later time, whichever lands last.
    with engine.begin() as connection:
        connection.execute(update(WebSession).where(WebSession.id == session_id,
                                                    WebSession.idle_expires_at < idle_expires_at)
                           .values(idle_expires_at=idle_expires_at))


def end_session(session: Session, row: WebSession) -> None:
    """Sign out: this session only."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def end_sessions_of(session: Session, actor: Actor, token: AccessToken) -> int:
    """Sign out everywhere: end every live session opened with `token`. The person signed in with
    that code may, and so may whoever manages it (its secretariat). Returns how many ended."""
    if actor.token_id != token.id and not can(session, actor, Permission.ISSUE_TOKENS,
                                              token.network_id or token.organisation_id):
        raise NotPermitted(N_("you may end only your own sessions or those of codes you manage"))
    now = utcnow()
    ended = session.execute(update(WebSession).where(WebSession.token_id == token.id,
                                                     WebSession.revoked_at.is_(None))
                            .values(revoked_at=now).execution_options(synchronize_session="fetch"))
    count = ended.rowcount or 0  # type: ignore[attr-defined]
    audit.record(session, actor, "end_sessions", token, {"sessions_ended": [None, count]},
                 organisation_id=token.network_id or token.organisation_id)
    return count


def last_sign_ins(session: Session, token_ids: list[int]) -> dict[int, dt.datetime]:
    """When each of these codes last opened a session, in one grouped query."""
    if not token_ids:
        return {}
    rows = session.execute(select(WebSession.token_id, func.max(WebSession.created_at))
                           .where(WebSession.token_id.in_(token_ids)).group_by(WebSession.token_id))
    return {token_id: when for token_id, when in rows}


def sweep_sessions(session: Session, *, ended_before: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Delete sessions that ended more than `ended_before` ago (kept that long for "last used")."""
    cutoff = utcnow() - ended_before
    deleted = session.execute(delete(WebSession).where(or_(
        WebSession.expires_at < cutoff, WebSession.idle_expires_at < cutoff,
        WebSession.revoked_at < cutoff)).execution_options(synchronize_session=False))
    return deleted.rowcount or 0  # type: ignore[attr-defined]
