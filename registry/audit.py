"""The audit log: every write in the registry goes through `record`.

An entry says who (the actor's label and role), when, what action, on which object, and each
changed field's value before and after. Entries are attached to an organisation where one is
concerned, so an organisation can read its own history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.db import Base, Code, utcnow
from registry.permissions import Actor

Changes = dict[str, list[Any]]  # field -> [before, after]


class Audited(Protocol):
    id: int


class AuditEntry(Base):
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


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """The fields whose value differs, as {field: [before, after]}."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj: Audited,
    changes: Changes | None = None,
    *,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Write one audit entry for `action` on `obj`. Flushes so `obj.id` is known."""
    session.flush()
    entry = AuditEntry(
        actor=actor.label,
        actor_role=actor.role.value,
        token_id=actor.token_id,
        action=action,
        object_type=type(obj).__tablename__,  # type: ignore[attr-defined]
        object_id=obj.id,
        organisation_id=organisation_id,
        changes=_jsonable(changes or {}),
    )
    session.add(entry)
    session.flush()
    return entry


def history(
    session: Session, *, organisation_id: int | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally for one organisation."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == organisation_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # StrEnum
        return value.value
    return value
