"""The access tables: the audit log, access tokens and the log of contact reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.access.permissions import Actor, Role
from registry.access.public_ids import PubliclyNamed
from registry.db import Base, Code, JSONDocument, str_enum, utcnow
from registry.organisations.models import Organisation


Changes = dict[str, list[Any]]  # field -> [before, after]


class AuditEntry(PubliclyNamed, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(Code)
    token_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(Code)
    object_type: Mapped[str] = mapped_column(Code)
    object_id: Mapped[int | None]
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


# The roles a token (a person's sign-in code) can carry: never the system's or the anonymous one.
TOKEN_ROLES = (Role.SECRETARIAT, Role.EDITOR, Role.BOARD)


class AccessToken(PubliclyNamed, Base):
    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    network_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    label: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(Code)  # the first characters, to tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    network: Mapped[Organisation | None] = relationship(foreign_keys=[network_id])
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def scope(self) -> Organisation:
        scope = self.network or self.organisation
        assert scope is not None, "a token always has a scope"
        return scope

    def actor(self) -> Actor:
        scope = self.scope.acronym or self.scope.name
        return Actor(self.role, f"token {self.public_id} ({self.role.value} of {scope}: {self.label})",
                     network_id=self.network_id, organisation_id=self.organisation_id, token_id=self.id)

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class ContactRead(PubliclyNamed, Base):
    __tablename__ = "contact_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(Code)
    token_id: Mapped[int | None]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_ids: Mapped[list[str]] = mapped_column(JSONDocument, default=list)  # public ids


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("access_tokens.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    idle_expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    token: Mapped[AccessToken] = relationship()

    def live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and now < self.idle_expires_at
