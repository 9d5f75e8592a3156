"""The audit log: every write in the registry goes through `record`.

An entry says who (the actor's label and role), when, what action, on which object, and each
changed field's value before and after. Entries are attached to an organisation where one is
concerned, so an organisation can read its own history.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Protocol

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry import changes  # noqa: F401  (every session that writes moves the change counter)
from registry.db import Base, Code, utcnow
from registry.permissions import Actor

Changes = dict[str, list[Any]]  # field -> [before, after]
_QUEUE = "registry.audit.queue"
_PLAIN = frozenset({str, int, bool, float})


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
) -> None:
    """Write one audit entry for `action` on `obj`. Flushes so `obj.id` is known; while a batch
    collects entries on this session (see `collect`), queues it there instead."""
    values = entry(actor, action, type(obj).__tablename__, obj, changes,  # type: ignore[attr-defined]
                   organisation_id=organisation_id)
    queue = session.info.get(_QUEUE)
    if queue is not None:
        queue.append(values)  # object_id: the object itself, until the batch has flushed it
        return
    session.flush()
    values["object_id"] = obj.id
    session.add(AuditEntry(**stored(values)))
    session.flush()


def entry(
    actor: Actor, action: str, object_type: str, object_id: Any, changes: Changes | None, *,
    organisation_id: Any,
) -> dict[str, Any]:
    """The values of one audit entry, taken now: for `record`, and for a batch that writes many
    (which converts them with `stored` only if it writes them)."""
    return {"at": utcnow(), "actor": actor.label, "actor_role": actor.role.value, "token_id": actor.token_id,
            "action": action, "object_type": object_type, "object_id": object_id,
            "organisation_id": organisation_id, "changes": changes or {}}


def stored(values: dict[str, Any]) -> dict[str, Any]:
    """An entry's values as the log stores them: each before and after as a plain JSON value."""
    return {**values, "changes": _jsonable(values["changes"])}


def collect(session: Session, queue: list[dict[str, Any]] | None) -> None:
    """Queue the entries `record` makes on this session in `queue` (None: write them again)."""
    if queue is None:
        session.info.pop(_QUEUE, None)
    else:
        session.info[_QUEUE] = queue


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
    kind = type(value)
    if value is None or kind in _PLAIN:
        return value
    # The [before, after] of every change, thousands of them in an import: kept quick.
    if kind is list or kind is tuple:
        return [v if v is None or type(v) in _PLAIN else v._value_ if isinstance(v, enum.StrEnum) else _jsonable(v)
                for v in value]
    if kind is dict:
        return {k if type(k) is str else str(k): v if v is None or type(v) in _PLAIN else _jsonable(v)
                for k, v in value.items()}
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
