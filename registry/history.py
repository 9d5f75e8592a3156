"""The change history readers may query: the audit log narrowed to the caller's reach.

A secretariat reads the history of its whole active subtree (not its applicants'), an
organisation its own. A contact's value is never in it (registry.organisation_rules.contact_changes):
contacts are read through the logged read. Organisations and memberships are named in it by
their public ids, in the entry and in its changes, as everywhere outside the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import AuditEntry
from registry.db import Page, page_of_query
from registry.memberships import Membership
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, require
from registry.public_ids import public_ids_of
from registry.visibility import reader_for


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str | None  # a public id for an organisation or a membership, else the row's number
    organisation_id: str | None
    changes: dict[str, Any]
    organisation_name: str | None = None  # for a page a person reads; the API names by public id


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
    named = _PublicIds.read(session, found.items)
    entries = [HistoryEntry(id=entry.id, at=entry.at, actor=entry.actor, actor_role=entry.actor_role,
                            action=entry.action, object_type=entry.object_type,
                            object_id=named.object_id(entry.object_type, entry.object_id),
                            organisation_id=named.organisations.get(entry.organisation_id),
                            changes=named.changes(entry.changes),
                            organisation_name=named.names.get(entry.organisation_id))
               for entry in found.items]
    return Page(entries, found.total, found.page, found.page_size)


# Keys of a change set whose values are organisations' integer keys.
_ORGANISATION_KEYS = ("network_id", "registered_by_id")


@dataclass(frozen=True)
class _PublicIds:
    """The public ids of the organisations and memberships a page of entries names: one query each."""

    organisations: dict[int | None, str]
    memberships: dict[int | None, str]
    names: dict[int | None, str]  # the entries' organisations' names

    @classmethod
    def read(cls, session: Session, entries: list[AuditEntry]) -> _PublicIds:
        organisation_ids = {entry.organisation_id for entry in entries} | {
            entry.object_id for entry in entries if entry.object_type == Organisation.__tablename__} | {
            value for entry in entries for key in _ORGANISATION_KEYS for value in entry.changes.get(key) or ()}
        membership_ids = {entry.object_id for entry in entries if entry.object_type == Membership.__tablename__}
        acted_on = sorted({entry.organisation_id for entry in entries if entry.organisation_id is not None})
        names = {id_: name for id_, name in session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(acted_on)))} if acted_on else {}
        return cls({**public_ids_of(session, Organisation, organisation_ids)},
                   {**public_ids_of(session, Membership, membership_ids)}, {**names})

    def object_id(self, object_type: str, object_id: int | None) -> str | None:
        if object_id is None:
            return None
        if object_type == Organisation.__tablename__:
            return self.organisations.get(object_id)
        if object_type == Membership.__tablename__:
            return self.memberships.get(object_id)
        return str(object_id)

    def changes(self, changes: dict[str, Any]) -> dict[str, Any]:
        return {key: [self.organisations.get(v) if v is not None else None for v in values]
                if key in _ORGANISATION_KEYS and isinstance(values, list) else values
                for key, values in changes.items()}

