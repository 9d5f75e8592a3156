"""The change history readers may query: the audit log narrowed to the caller's reach.

A secretariat reads the history of its whole active subtree (not its applicants'), an
organisation its own. A contact's value is never in it (registry.organisation_rules.contact_changes):
contacts are read through the logged read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import AuditEntry
from registry.db import Page, page_of_query
from registry.permissions import Actor, Permission, require
from registry.visibility import reader_for


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: int | None
    organisation_id: int | None
    changes: dict[str, Any]


def history_for(
    session: Session, actor: Actor, *, organisation_id: int | None = None, page: int, page_size: int
) -> Page[HistoryEntry]:
    """Audit entries, newest first: one organisation's, or all the caller may read."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if organisation_id is not None:
        require(session, actor, Permission.READ_AUDIT, organisation_id)
        query = query.where(AuditEntry.organisation_id == organisation_id)
    else:
        query = query.where(reader_for(session, actor).history_reach(AuditEntry.organisation_id))
    found = page_of_query(session, query, page, page_size)
    entries = [HistoryEntry(id=entry.id, at=entry.at, actor=entry.actor, actor_role=entry.actor_role,
                            action=entry.action, object_type=entry.object_type, object_id=entry.object_id,
                            organisation_id=entry.organisation_id, changes=entry.changes)
               for entry in found.items]
    return Page(entries, found.total, found.page, found.page_size)
