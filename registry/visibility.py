"""Who may read what: the one table of visibility tiers for every field an organisation shows,
and the Reader that decides, per organisation, which tier a caller reads at.

Tiers widen in this order: public < network < board < secretariat < self. A caller reads an
organisation at exactly one tier and sees every field whose tier is at or below it:

- self         the organisation itself (its editor; for a network, its own secretariat)
- secretariat  the secretariat of a network above it (its active subtree, see permissions.py)
- board        a board member of a network above it (the network's internal view)
- network      fellow members: organisations in a network it actively belongs to, and the
               networks above it
- public       anyone, and only when the organisation opted in (public_listing) and is active;
               and the secretariat and board of a network it applied to, while the application
               is pending, whether it is listed or not, so that they can review it
- none         the caller may not know the organisation exists (the API answers 404)

At the public tier an organisation shows the fields it chose to publish (published_fields) and
those that always identify it; the networks it applied to see every public-tier field.

Every serialisation of an organisation goes through `profile_view` (or `profile_views`, for a
list), and every public filter or list by a field asks `shows`/`sees_field`, so this module is
the one place a field's audience is decided.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, bindparam, select, true
from sqlalchemy.orm import Session

from registry.areas import Area
from registry.db import json_list_holds
from registry.memberships import PENDING_STATUSES, Membership, MembershipStatus
from registry.organisations import (
    Contact,
    ContactView,
    Organisation,
    OrganisationArea,
    OrganisationStatus,
    OrganisationTerm,
    Visibility,
    open_contacts,
)
from registry.permissions import Actor, Role, ancestor_network_ids, subtree_ids
from registry.organisation_rules import PUBLISHABLE_FIELDS, TERM_FIELDS, term_codes
from registry.vocabularies import Term

V = Visibility
C = TypeVar("C")  # a Contact, or a row of its columns
RANK = {tier: rank for rank, tier in enumerate(V)}

# The tier of every field of an organisation's profile, in the order the API shows them.
FIELD_TIERS: dict[str, Visibility] = {
    "id": V.PUBLIC,
    "kind": V.PUBLIC,
    "name": V.PUBLIC,
    "name_translations": V.PUBLIC,
    "acronym": V.PUBLIC,
    "country": V.PUBLIC,
    "status": V.PUBLIC,
    "is_sample": V.PUBLIC,  # sample organisations are always labelled as such
    "founding_date": V.PUBLIC,
    "sex_worker_led": V.PUBLIC,
    "populations": V.PUBLIC,
    "services": V.PUBLIC,
    "priority_areas": V.PUBLIC,
    "areas_served": V.PUBLIC,  # below PRECISE_AREAS: rolled up to provinces (admin-1)
    "languages": V.PUBLIC,
    "website": V.PUBLIC,
    "publishes_reach": V.PUBLIC,  # a network's choice; what its public reach view then shows
    "networks": V.PUBLIC,  # networks it is an active member of (only those the reader may see)
    "contacts": V.PUBLIC,  # each contact carries its own tier; see visible_contacts
    "sex_worker_involvement": V.NETWORK,  # how sex workers run it: candid, for peers
    "drop_in_centres": V.NETWORK,  # that a physical place exists is itself sensitive
    "public_listing": V.NETWORK,
    "published_fields": V.NETWORK,  # which public-tier fields the public sees
    "registered_by_id": V.NETWORK,
    "created_at": V.NETWORK,
    "updated_at": V.NETWORK,
    "memberships": V.BOARD,  # every membership with its state: suspensions, applications
}
# Fields only a network has: a community organisation's profile leaves them out.
NETWORK_ONLY_FIELDS = frozenset({"publishes_reach"})
# District-level areas (KH-1201) can point at a drop-in centre: only the internal view sees them.
PRECISE_AREAS = V.BOARD
# The finest administrative level any reader below PRECISE_AREAS is shown.
COARSEST_PUBLIC_LEVEL = 1
assert all(FIELD_TIERS[f] is V.PUBLIC for f in PUBLISHABLE_FIELDS), "only public-tier fields are chosen"


def at_least(tier: Visibility | None, floor: Visibility) -> bool:
    return tier is not None and RANK[tier] >= RANK[floor]


@dataclass(frozen=True)
class Reader:
    """A caller, with the organisations it reads above the public tier worked out once."""

    actor: Actor
    everything: bool
    own: int | None
    administered: frozenset[int]
    boarded: frozenset[int]
    fellows: frozenset[int]
    reviewing: frozenset[int] = frozenset()  # applicants of the networks in the reader's care

    def tier(self, organisation: Organisation) -> Visibility | None:
        oid = organisation.id
        if self.everything or oid == self.own:
            return V.SELF
        if oid in self.administered:
            return V.SECRETARIAT
        if oid in self.boarded:
            return V.BOARD
        if oid in self.fellows:
            return V.NETWORK
        if oid in self.reviewing:
            return V.PUBLIC
        if organisation.public_listing and organisation.status is OrganisationStatus.ACTIVE:
            return V.PUBLIC
        return None

    def unpublished(self, organisation: Organisation) -> frozenset[str]:
        """The public-tier fields this reader does not see because the organisation chose not
        to publish them (none above the public tier, nor for a network it applied to)."""
        if self.tier(organisation) is not V.PUBLIC or organisation.id in self.reviewing:
            return frozenset()
        return frozenset(PUBLISHABLE_FIELDS) - set(organisation.published_fields)

    def shows(self, organisation: Organisation, field: str) -> bool:
        """Whether this reader sees `field` of the organisation (a field of FIELD_TIERS)."""
        return at_least(self.tier(organisation), FIELD_TIERS[field]) and field not in self.unpublished(organisation)

    @property
    def known_ids(self) -> frozenset[int]:
        own = {self.own} if self.own is not None else set()
        return frozenset(own) | self.administered | self.boarded | self.fellows | self.reviewing

    def may_see(self) -> ColumnElement[bool]:
        """The SQL condition for "this reader may know the organisation exists"."""
        if self.everything:
            return true()
        public = Organisation.public_listing.is_(True) & (Organisation.status == OrganisationStatus.ACTIVE)
        return Organisation.id.in_(sorted(self.known_ids)) | public

    def sees_field(self, field: str) -> ColumnElement[bool]:
        """The SQL condition for "this reader sees `field` of the organisation" (with may_see):
        a public filter on a field the organisation did not publish must not match it, or the
        filter would tell what the profile does not."""
        if self.everything or field not in PUBLISHABLE_FIELDS:
            return true()
        return Organisation.id.in_(sorted(self.known_ids)) | json_list_holds(Organisation.published_fields, field)

    def precise_ids(self) -> ColumnElement[bool]:
        """The SQL condition for "this reader sees the organisation's exact areas"."""
        if self.everything:
            return true()
        ids = self.administered | self.boarded | ({self.own} if self.own is not None else set())
        return Organisation.id.in_(sorted(ids))


def reader_for(session: Session, actor: Actor) -> Reader:
    if actor.role is Role.SYSTEM:
        return Reader(actor, True, None, frozenset(), frozenset(), frozenset())
    own = actor.organisation_id if actor.role is Role.EDITOR else (
        actor.network_id if actor.role is Role.SECRETARIAT else None)
    below = frozenset({actor.network_id} | subtree_ids(session, actor.network_id)) \
        if actor.network_id is not None and actor.role in (Role.SECRETARIAT, Role.BOARD) else frozenset()
    home = actor.organisation_id if actor.role is Role.EDITOR else actor.network_id
    fellows = _fellows(session, home) if home is not None and actor.role is not Role.ANONYMOUS else frozenset()
    return Reader(
        actor=actor, everything=False, own=own,
        administered=below if actor.role is Role.SECRETARIAT else frozenset(),
        boarded=below if actor.role is Role.BOARD else frozenset(),
        fellows=fellows, reviewing=_applicants(session, below),
    )


def _applicants(session: Session, network_ids: frozenset[int]) -> frozenset[int]:
    """Organisations with an application pending (applied, verified) in one of these networks.
    Pending applications are few: they are read all at once and matched here."""
    if not network_ids:
        return frozenset()
    pending = session.execute(select(Membership.network_id, Membership.member_id).where(
        Membership.status.in_(PENDING_STATUSES)))
    return frozenset(member_id for network_id, member_id in pending if network_id in network_ids)


def _fellows(session: Session, organisation_id: int) -> frozenset[int]:
    """The networks above the organisation (whose active subtree holds it), and every active
    member of a network it (or it as a network) actively belongs to or heads. An applicant has
    no fellows in the network it applied to until it is admitted."""
    active = MembershipStatus.ACTIVE
    above = ancestor_network_ids(session, organisation_id)
    networks = set(session.scalars(select(Membership.network_id).where(
        Membership.member_id == organisation_id, Membership.status == active)))
    networks.add(organisation_id)
    members = set(session.scalars(select(Membership.member_id).where(
        Membership.network_id.in_(networks), Membership.status == active)))
    return frozenset(above | networks | members)


def profile_view(session: Session, reader: Reader, organisation: Organisation) -> dict[str, Any]:
    """The fields of `organisation` this reader may see, as plain values (tier included)."""
    return profile_views(session, reader, [organisation])[0]


def profile_views(session: Session, reader: Reader, organisations: Sequence[Organisation]) -> list[dict[str, Any]]:
    """`profile_view` of each organisation. A list's page reads what the profiles show besides
    the organisations' own columns (terms, areas, contacts, memberships, area roll-ups) in one
    query each for the whole page, as plain rows: no query and no ORM object per organisation."""
    tiers = [reader.tier(o) for o in organisations]
    if None in tiers:
        raise ValueError("profile_view called for an organisation the reader may not see")
    page = _Page.read(session, reader, [o.id for o in organisations],
                      [o.registered_by_id for o in organisations if o.registered_by_id is not None])
    coarse = _rollups(session, {c for o, tier in zip(organisations, tiers) if not at_least(tier, PRECISE_AREAS)
                                for c in page.areas[o.id]})
    return [_view(organisation, tier, page, coarse, reader.unpublished(organisation))
            for organisation, tier in zip(organisations, tiers) if tier is not None]


@dataclass
class _Page:
    """Per organisation id: its terms, area codes, published contacts (opened: anyone may read
    them) and the memberships of networks the reader may see (areas, contacts and memberships in
    the order a profile gives them)."""

    terms: dict[int, list[Row[Any]]]
    areas: dict[int, list[str]]
    contacts: dict[int, list[ContactView]]
    memberships: dict[int, list[Row[Any]]]
    public_ids: dict[int, str]  # of the networks in `memberships` and of the registering organisations

    @classmethod
    def read(cls, session: Session, reader: Reader, ids: list[int], registered_by: list[int]) -> _Page:
        wanted = {"ids": sorted(set(ids))}
        terms: dict[int, list[Row[Any]]] = defaultdict(list)
        for term in session.execute(_TERMS, wanted):
            terms[term.organisation_id].append(term)
        areas: dict[int, list[str]] = defaultdict(list)
        for oid, code in sorted(session.execute(_AREAS, wanted), key=lambda row: row[1]):
            areas[oid].append(code)
        contacts: dict[int, list[ContactView]] = defaultdict(list)
        published = session.execute(_CONTACTS, wanted).all()
        for row, contact in zip(published, open_contacts(session, published), strict=True):
            contacts[row.organisation_id].append(contact)
        rows = session.execute(_MEMBERSHIPS, wanted).all()
        networks = {n.id: n for n in session.scalars(_ORGANISATIONS, {"ids": sorted({m.network_id for m in rows})})}
        memberships: dict[int, list[Row[Any]]] = defaultdict(list)
        for m in rows:
            if reader.tier(networks[m.network_id]) is not None:
                memberships[m.member_id].append(m)
        public_ids = {n.id: n.public_id for n in networks.values()}
        if registered_by:
            wanted = {"ids": sorted(set(registered_by))}
            public_ids.update((row.id, row.public_id) for row in session.execute(_PUBLIC_IDS, wanted))
        return cls(terms, areas, contacts, memberships, public_ids)


# _Page's queries, built once: each takes the organisations' ids.
_IDS = bindparam("ids", expanding=True)
_TERMS = (select(OrganisationTerm.organisation_id, Term.vocabulary, Term.position, Term.code)
          .join(Term, Term.id == OrganisationTerm.term_id).where(OrganisationTerm.organisation_id.in_(_IDS)))
_AREAS = select(OrganisationArea.organisation_id, OrganisationArea.area_code).where(
    OrganisationArea.organisation_id.in_(_IDS))
# Only published contacts are read (and opened) for a profile; the others through the logged read.
_CONTACTS = (select(Contact.organisation_id, Contact.id, Contact.kind, Contact.sealed_value, Contact.label,
                    Contact.visibility)
             .where(Contact.organisation_id.in_(_IDS), Contact.visibility == Visibility.PUBLIC).order_by(Contact.id))
_MEMBERSHIPS = (select(Membership.member_id, Membership.network_id, Membership.status, Membership.status_since)
                .where(Membership.member_id.in_(_IDS)).order_by(Membership.member_id, Membership.network_id))
_ORGANISATIONS = select(Organisation).where(Organisation.id.in_(_IDS))
_PUBLIC_IDS = select(Organisation.id, Organisation.public_id).where(Organisation.id.in_(_IDS))
# The fields each tier reads, in FIELD_TIERS' order: worked out once, not per organisation.
_FIELDS_SHOWN = {tier: tuple(f for f, floor in FIELD_TIERS.items() if at_least(tier, floor)) for tier in Visibility}


def _view(organisation: Organisation, tier: Visibility, page: _Page, coarse: dict[str, set[str]],
          unpublished: frozenset[str]) -> dict[str, Any]:
    oid = organisation.id
    shown: dict[str, Any] = {}
    for field in _FIELDS_SHOWN[tier]:
        if field in unpublished or (field in NETWORK_ONLY_FIELDS and not organisation.is_network):
            continue
        if field in TERM_FIELDS:
            shown[field] = term_codes(page.terms[oid], TERM_FIELDS[field])
        elif field == "areas_served":
            codes = page.areas[oid]
            shown[field] = list(codes) if at_least(tier, PRECISE_AREAS) else sorted(
                set().union(*(coarse.get(c, ()) for c in codes)))
        elif field == "id":  # the public id: integer keys would count the organisations not shown
            shown[field] = organisation.public_id
        elif field == "registered_by_id":
            registered_by = organisation.registered_by_id
            shown[field] = None if registered_by is None else page.public_ids[registered_by]
        elif field == "networks":
            shown[field] = [page.public_ids[m.network_id] for m in page.memberships[oid]
                            if m.status is MembershipStatus.ACTIVE]
        elif field == "memberships":
            shown[field] = [{"network_id": page.public_ids[m.network_id], "status": m.status.value,
                             "status_since": m.status_since}
                            for m in page.memberships[oid]]
        elif field == "contacts":
            shown[field] = visible_contacts(tier, page.contacts[oid], including_private=False)
        else:
            shown[field] = getattr(organisation, field)
    shown["visibility"] = tier
    return shown


def visible_contacts(tier: Visibility | None, contacts: Iterable[C], *, including_private: bool) -> list[C]:
    """Public contacts for anyone; with `including_private` (the logged contacts read), also
    secretariat-tier contacts for the secretariat and every contact for the organisation itself."""
    if tier is None:
        return []
    if not including_private:
        return [c for c in contacts if c.visibility is V.PUBLIC]
    if tier is V.SELF:
        return list(contacts)
    if tier is V.SECRETARIAT:
        return [c for c in contacts if c.visibility in (V.PUBLIC, V.SECRETARIAT)]
    return [c for c in contacts if c.visibility is V.PUBLIC]


def coarse_areas(session: Session, codes: Iterable[str]) -> list[str]:
    """Each code rolled up to its province (admin-1) or country; codes no gazetteer can place
    are dropped rather than shown at an unknown precision."""
    rollups = _rollups(session, set(codes))
    return sorted(set().union(*rollups.values()))


def _rollups(session: Session, codes: set[str]) -> dict[str, set[str]]:
    """Each code's roll-up (see coarse_areas), for many codes with one query per level climbed."""
    found: dict[str, set[str]] = {code: set() for code in codes}
    pending = {code: {code} for code in codes}  # code to place -> the codes it stands in for
    for _ in range(6):  # administrative hierarchies are a few levels deep
        if not pending:
            break
        entries: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for code, level, parent in session.execute(_AREA_LEVELS, {"codes": sorted(pending)}):
            entries[code].append((level, parent))
        climbing: dict[str, set[str]] = defaultdict(set)
        for code, origins in pending.items():
            known = entries.get(code)
            if not known:
                continue
            if all(level <= COARSEST_PUBLIC_LEVEL for level, _ in known):
                for origin in origins:
                    found[origin].add(code)
            else:
                for _, parent in known:
                    if parent:
                        climbing[parent] |= origins
        pending = climbing
    return found


_AREA_LEVELS = select(Area.code, Area.level, Area.parent_code).where(Area.code.in_(bindparam("codes", expanding=True)))


def area_level(session: Session, code: str) -> int | None:
    """The finest level any boundary set gives `code` (None: unknown)."""
    levels = list(session.scalars(select(Area.level).where(Area.code == code)))
    return max(levels) if levels else None


def area_and_below(session: Session, code: str) -> set[str]:
    """`code` and every area whose parent chain leads to it."""
    found = {code}
    frontier = {code}
    for _ in range(6):
        children = set(session.scalars(select(Area.code).where(Area.parent_code.in_(sorted(frontier)))))
        frontier = children - found
        if not frontier:
            break
        found |= frontier
    return found
