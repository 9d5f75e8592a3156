"""What checks look up, remembered on the session for as long as its transaction lasts:
vocabulary terms, area codes, the networks above each organisation and the names used in a
network (as far as the caller may see them).

A service call asks `lookups(session)` and reads what it needs as it goes; a spreadsheet import
calls the same services for thousands of rows, which then find what the rows before them read.
Whoever changes what is remembered says so (`moved`, `registered`, `forget`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Lineage
from registry.access.visibility import Reader, reader_for
from registry.areas import services as areas
from registry.areas.place_names import PlaceNames
from registry.memberships.models import ATTACHED_STATUSES, Membership, MembershipStatus
from registry.organisations.models import Organisation
from registry.vocabularies import services as vocabularies
from registry.vocabularies.models import Term, Vocabulary


_KEY = "registry.organisations.known"
_LOOKED_UP = (Term, areas.Area, areas.BoundarySet)


def lookups(session: Session) -> Known:
    """The session's lookups: made on first use, dropped when its transaction ends."""
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Known(session)
    return found


def forget(session: Session) -> None:
    """Drop what the session remembers (terms or areas were defined: read them again)."""
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the transaction, not a savepoint, committed
        forget(session)  # other transactions may change anything before this session's next


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: Any) -> None:
    if _KEY in session.info and any(isinstance(o, _LOOKED_UP) for o in (*session.new, *session.dirty, *session.deleted)):
        forget(session)  # a term or an area was defined or changed


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _transaction: Any) -> None:
    forget(session)  # what was read may have been this transaction's own writes, now undone


class Known:
    """What checks look up, remembered across the calls of one transaction (`lookups`): vocabulary
    terms, area codes, the networks above each organisation and the names used in a network.

    `lineage` is the networks whose active subtree holds an organisation (who administers it);
    `structure` also follows applications, for the one check that needs the tree's shape."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lineage = Lineage(session)
        self.structure = Lineage(session, attached=True)
        self._terms: dict[tuple[Vocabulary, frozenset[int]], dict[str, Term]] = {}
        self._areas: dict[str, bool] = {}
        self._places: PlaceNames | None = None
        self._names: dict[tuple[frozenset[int], Actor], dict[str, list[tuple[int, str]]]] = {}
        # (network id, member id) -> its Membership, once found or made (registry.memberships).
        self.memberships: dict[tuple[int, int], Any] = {}
        self.new: set[int] = set()  # organisations registered in this transaction: no membership yet

    def terms(self, vocabulary: Vocabulary, network_ids: Iterable[int]) -> dict[str, Term]:
        """The terms the networks may use, by code."""
        key = (vocabulary, frozenset(network_ids))
        if key not in self._terms:
            found = vocabularies.terms(self.session, vocabulary, network_ids=key[1])
            self._terms[key] = {t.code: t for t in found}
        return self._terms[key]

    def places(self) -> PlaceNames:
        """Every area by every name it goes by, read once per transaction (only when a name, not a
        code, is given)."""
        if self._places is None:
            self._places = PlaceNames.load(self.session)
        return self._places

    def unknown_areas(self, codes: list[str]) -> list[str]:
        """The codes no boundary set knows, in the order given."""
        asked = [c for c in codes if c not in self._areas]
        if asked:
            unknown = set(areas.unknown_codes(self.session, asked))
            self._areas.update((c, c not in unknown) for c in asked)
        return [c for c in codes if not self._areas[c]]

    def reader(self, actor: Actor) -> Reader:
        """The actor's Reader: the session's one (visibility.reader_for), which forgets what it
        remembered when a membership moves."""
        # Local: visibility reads the models these checks guard; a name check is the one rule
        # below it that needs to know what the caller may see. (The package split removes it.)
        return reader_for(self.session, actor)

    def load_names(self, network_ids: Iterable[int], actor: Actor) -> None:
        """Read every name used in these networks that the actor may see at once, for many
        checks against them."""
        ids = frozenset(network_ids)
        index: dict[str, list[tuple[int, str]]] = {}
        query = select(Organisation.id, Organisation.name_key, Organisation.name).where(
            in_networks(ids), self.reader(actor).may_see())
        for organisation_id, key, name in self.session.execute(query):
            index.setdefault(key, []).append((organisation_id, name))
        self._names[ids, actor] = index

    def names_read(self, network_ids: Iterable[int], actor: Actor) -> bool:
        """Whether the names used in these networks, as the actor sees them, are remembered (a
        check against them reads no SQL, which sees only what is written)."""
        return (frozenset(network_ids), actor) in self._names

    def named(self, key: str, network_ids: Iterable[int], actor: Actor) -> list[tuple[int, str]]:
        """(id, name) of the organisations in these networks whose folded name is `key`, of
        those the actor may see: a name taken by an organisation hidden from the caller is
        neither refused nor named, or renaming would confirm who is there."""
        ids = frozenset(network_ids)
        if (ids, actor) in self._names:
            found = list(self._names[ids, actor].get(key, ()))
        else:
            query = select(Organisation.id, Organisation.name).where(
                Organisation.name_key == key, in_networks(ids), self.reader(actor).may_see())
            found = [(organisation_id, name) for organisation_id, name in self.session.execute(query)]
        return found

    def registered(self, organisation: Organisation, actor: Actor) -> None:
        """A new organisation, registered by a network (by `actor`): inside it, and its name used
        there, as the actor sees it; who else sees it is read again."""
        self.new.add(organisation.id)
        network_id = organisation.registered_by_id
        if network_id is None:
            return
        self.lineage.assume(organisation.id, registered_by=network_id)
        self.structure.assume(organisation.id, registered_by=network_id)
        for ids, seen_by in list(self._names):
            if network_id not in ids:
                continue
            if seen_by == actor:
                self._names[ids, seen_by].setdefault(organisation.name_key, []).append(
                    (organisation.id, organisation.name))
            else:
                del self._names[ids, seen_by]

    def renamed(self) -> None:
        """An organisation changed its name: the names used in networks are read again."""
        self._names.clear()

    def moved(self, network: Organisation, member: Organisation, status: MembershipStatus) -> None:
        """A membership moved (to `status`): the member's lineage (a network's: and everything
        below it) and who may see whom may have changed; so may the names in the network, unless
        the member was already counted there, or has just come in and the names are those of a
        reader who sees every organisation (a bulk load's: its applications keep the names)."""
        self.lineage.forget(None if member.is_network else member.id)
        self.structure.forget(None if member.is_network else member.id)
        kept: dict[tuple[frozenset[int], Actor], dict[str, list[tuple[int, str]]]] = {}
        for (ids, seen_by), index in self._names.items():
            if network.id not in ids or (member.id, member.name) in index.get(member.name_key, ()):
                kept[ids, seen_by] = index
            elif status in ATTACHED_STATUSES and self.reader(seen_by).everything:
                index.setdefault(member.name_key, []).append((member.id, member.name))
                kept[ids, seen_by] = index
        self._names = kept


def in_networks(network_ids: Iterable[int]) -> Any:
    """Organisations in these networks: attached members (applicants too: two applicants of one
    name would be confused), and those the networks registered."""
    ids = list(network_ids)
    attached = select(Membership.member_id).where(
        Membership.network_id.in_(ids), Membership.status.in_(ATTACHED_STATUSES))
    return Organisation.id.in_(attached) | Organisation.registered_by_id.in_(ids)
