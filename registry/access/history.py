"""The change history readers may query: the audit log narrowed to the caller's reach.

A secretariat reads the history of its whole active subtree (not its applicants'), an
organisation its own. A contact's value is never in it (registry.organisations.rules.contact_changes):
contacts are read through the logged read. Every entry and every object it names is given by its
public id, in the entry and in its changes, as everywhere outside the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access.models import AccessToken, AuditEntry
from registry.access.permissions import Actor, Permission, require
from registry.access.public_ids import public_ids_of
from registry.access.visibility import reader_for
from registry.areas.models import BoundarySet
from registry.db import Page, page_of_query
from registry.elections.models import Election, Nomination
from registry.governance.models import GoverningBody, Officeholder, Seat
from registry.memberships.models import Membership
from registry.organisations.models import Contact, Organisation
from registry.vocabularies.models import Term


@dataclass(frozen=True)
class HistoryEntry:
    id: str  # the entry's public id
    at: dt.datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str | None  # the object's public id (a boundary set's key, a term's vocabulary/code)
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
    entries = [HistoryEntry(id=entry.public_id, at=entry.at, actor=entry.actor, actor_role=entry.actor_role,
                            action=entry.action, object_type=entry.object_type,
                            object_id=named.object_id(entry.object_type, entry.object_id),
                            organisation_id=named.organisations.get(entry.organisation_id),
                            changes=named.changes(entry.changes),
                            organisation_name=named.organisation_names.get(entry.organisation_id))
               for entry in found.items]
    return Page(entries, found.total, found.page, found.page_size)


# How each kind of object is named outside the database: its public id, or the key or code it
# is addressed by (boundary sets, vocabulary terms), never its row's number.
_NAMED: dict[str, Any] = {model.__tablename__: model for model in (
    Organisation, Membership, GoverningBody, Seat, Officeholder, Election, Nomination, Contact, AccessToken)}
_NAMES: dict[str, Any] = {BoundarySet.__tablename__: (BoundarySet.id, BoundarySet.key),
                          Term.__tablename__: (Term.id, Term.vocabulary, Term.code)}
# Keys of a change set whose values are rows' integer keys, and the table each names.
_CHANGE_KEYS = {"network_id": Organisation.__tablename__, "registered_by_id": Organisation.__tablename__,
                "scope": Organisation.__tablename__, "nominated_by_id": Organisation.__tablename__,
                "seconded_by_id": Organisation.__tablename__, "election_id": Election.__tablename__,
                "body_id": GoverningBody.__tablename__}


@dataclass(frozen=True)
class _PublicIds:
    """The names of every object a page of entries refers to, by table and integer key: one
    query per table named."""

    names: dict[str, dict[int, str]]
    organisation_names: dict[int, str]  # the entries' organisations' names, for a page a person reads

    @classmethod
    def read(cls, session: Session, entries: list[AuditEntry]) -> _PublicIds:
        wanted: dict[str, set[Any]] = defaultdict(set)
        for entry in entries:
            wanted[Organisation.__tablename__].add(entry.organisation_id)
            wanted[entry.object_type].add(entry.object_id)
            for key, table in _CHANGE_KEYS.items():
                wanted[table].update(entry.changes.get(key) or ())
        names: dict[str, dict[int, str]] = {}
        for table, ids in wanted.items():
            if table in _NAMED:
                names[table] = public_ids_of(session, _NAMED[table], ids)
            elif table in _NAMES and (keys := sorted(i for i in ids if isinstance(i, int))):
                key, *name = _NAMES[table]
                names[table] = {row[0]: "/".join(str(getattr(part, "value", part)) for part in row[1:])
                                for row in session.execute(select(key, *name).where(key.in_(keys)))}
        acted_on = sorted({entry.organisation_id for entry in entries if entry.organisation_id is not None})
        organisation_names = dict(session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(acted_on))).all()) if acted_on else {}
        return cls(names, organisation_names)

    def object_id(self, object_type: str, object_id: int | None) -> str | None:
        return None if object_id is None else self.names.get(object_type, {}).get(object_id)

    @property
    def organisations(self) -> dict[int, str]:
        return self.names.get(Organisation.__tablename__, {})

    def changes(self, changes: dict[str, Any]) -> dict[str, Any]:
        return {key: [self.object_id(_CHANGE_KEYS[key], v) for v in values]
                if key in _CHANGE_KEYS and isinstance(values, list) else values
                for key, values in changes.items()}
