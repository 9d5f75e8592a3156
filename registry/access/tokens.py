"""Access tokens: random bearer secrets bound to a role and a scope, stored only as hashes.

A token is shown once, when issued. It can expire and be revoked. `authenticate` turns a
presented secret into the Actor that every permission check works with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from registry.access import audit
from registry.access.models import TOKEN_ROLES, AccessToken
from registry.access.permissions import Actor, Permission, Role, can, require
from registry.access.public_ids import by_public_id
from registry.access.visibility import reader_for
from registry.db import Page, page_of_query, utcnow
from registry.errors import N_, NotFound, ValidationFailed
from registry.organisations.models import Organisation

PREFIX = "swr_"  # lets secret scanners and people recognise a registry token


def _hash(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session,
    actor: Actor,
    role: Role | str,
    scope: Organisation,
    *,
    label: str,
    expires_at: dt.datetime | None = None,
) -> tuple[AccessToken, str]:
    """Create a token for `role` over `scope` (a network, or for editors an organisation).

    Returns the row and the secret; the secret is not stored and cannot be shown again.
    """
    role = Role(role)
    if role not in TOKEN_ROLES:
        raise ValidationFailed.on("role", N_("tokens are for secretariat, editor or board roles"))
    if role in (Role.SECRETARIAT, Role.BOARD) and not scope.is_network:
        raise ValidationFailed.on("scope", N_("a %(role)s token needs a network, not %(name)s"),
                                  role=role.value, name=scope.name)
    # A secretariat issues tokens only within its own active subtree (an applicant is not in it);
    # `require` enforces exactly that.
    require(session, actor, Permission.ISSUE_TOKENS, scope.id)
    label = label.strip()
    if not label or len(label) > 200:
        raise ValidationFailed.on("label", N_("say who the token is for (1 to 200 characters)"))
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed.on("expires_at", N_("must be in the future"))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = AccessToken(
        role=role,
        network_id=scope.id if role is not Role.EDITOR else None,
        organisation_id=scope.id if role is Role.EDITOR else None,
        label=label, secret_hash=_hash(secret), hint=secret[: len(PREFIX) + 4],
        created_by=actor.label, expires_at=expires_at,
    )
    session.add(token)
    audit.record(session, actor, "issue_token", token,
                 {"role": [None, role], "scope": [None, scope.id], "label": [None, label],
                  "expires_at": [None, expires_at]}, organisation_id=scope.id)
    session.flush()  # the caller is given the token with its id
    return token, secret


def revoke_token(session: Session, actor: Actor, token: AccessToken) -> AccessToken:
    require(session, actor, Permission.ISSUE_TOKENS, token.network_id or token.organisation_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "revoke_token", token, {"revoked_at": [None, token.revoked_at]},
                     organisation_id=token.network_id or token.organisation_id)
    return token


def authenticate(session: Session, secret: str) -> Actor | None:
    """The Actor for a presented secret, or None when it is unknown, expired or revoked."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = _hash(secret)
    # The scope comes in the same query: the actor's label names it on every request.
    token = session.scalar(select(AccessToken).where(AccessToken.secret_hash == digest)
                           .options(joinedload(AccessToken.network), joinedload(AccessToken.organisation)))
    if token is None or not hmac.compare_digest(token.secret_hash, digest) or not token.usable(utcnow()):
        return None
    return token.actor()


def tokens_for(session: Session, actor: Actor, *, page: int, page_size: int) -> Page[AccessToken]:
    """The tokens the caller manages (a secretariat: those scoped to its active subtree), newest first."""
    query = select(AccessToken).order_by(AccessToken.id.desc())
    query = query.where(reader_for(session, actor).token_reach(AccessToken.network_id, AccessToken.organisation_id))
    return page_of_query(session, query, page, page_size)


def every_token(session: Session, actor: Actor) -> list[AccessToken]:
    """Every token the caller manages, oldest first: for the registry's operators, every one."""
    reach = reader_for(session, actor).token_reach(AccessToken.network_id, AccessToken.organisation_id)
    return list(session.scalars(select(AccessToken).where(reach).order_by(AccessToken.id)))


def find_token(session: Session, actor: Actor, token_id: str) -> AccessToken:
    """A token (a person's sign-in code) the caller manages, by its public id; NotFound for any
    other, so ids reveal nothing."""
    token = by_public_id(session, AccessToken, token_id)
    if token is None or not can(session, actor, Permission.ISSUE_TOKENS, token.network_id or token.organisation_id):
        raise NotFound(N_("no such sign-in code"))
    return token


def code_holders(session: Session, actor: Actor) -> list[Organisation]:
    """The organisations the caller may issue sign-in codes for (a secretariat: its network and
    its active subtree), by name, in one query."""
    reach = reader_for(session, actor).token_reach(Organisation.id, Organisation.id)
    return list(session.scalars(select(Organisation).where(reach).order_by(Organisation.name_key, Organisation.id)))
