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

Every serialisation of an organisation goes through `profiles.profile_view` (or
`profile_views`, for a list), which shows what `Reader.sight` decides here, and every public
filter or list by a field asks `shows`/`sees_field`, so this module is the one place a field's
audience is decided.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement, Select, case, event, exists, false, func, literal, null, or_, select, true, union_all
)
from sqlalchemy.orm import Session, aliased

from registry.access.permissions import Actor, Role, spoken_for
from registry.db import in_chunks, json_list_holds
from registry.errors import N_, NotPermitted
from registry.memberships.models import PENDING_STATUSES, Membership, MembershipStatus
from registry.networks import tree as network_tree
from registry.organisations.models import (
    NETWORK_KINDS, PUBLISHABLE_FIELDS, Organisation, OrganisationStatus, Visibility
)

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


# The memberships a tier's EXISTS reads, aliased once: an alias made for every condition cost
# more than the rest of the condition (a list asks the tier of its page's organisations).
_FELLOW, _PENDING = aliased(Membership, name="fellow"), aliased(Membership, name="pending")
# The caller's own memberships, from which its fellows are found (Reader._above_public).
_MINE = aliased(Membership, name="mine")


def at_least(tier: Visibility | None, floor: Visibility) -> bool:
    return tier is not None and RANK[tier] >= RANK[floor]


def audience(organisation: Organisation, field: str) -> Visibility:
    """The widest tier that reads `field` of the organisation as it stands: its tier in
    FIELD_TIERS, except that a public-tier field reaches the public only while the organisation
    is listed (and, for a field it chooses, publishes it); otherwise fellow members are the
    widest. What a profile form says to the organisation about each field."""
    tier = FIELD_TIERS[field]
    if tier is V.PUBLIC and (not organisation.listed_publicly or (
            field in PUBLISHABLE_FIELDS and field not in organisation.published_fields)):
        return V.NETWORK
    return tier


class Reader:
    """A caller, and what it reads of which organisation, decided in SQL: the tier is a CASE over
    EXISTS against the network tree's table (network_tree.py), so a list narrows itself in the
    one query that reads it, whatever the size of the caller's subtree. Built once for a
    request or a command; it remembers the tiers it has looked up for single organisations."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self.everything = actor.role is Role.SYSTEM
        self.own = spoken_for(actor)
        # The network whose subtree the caller reads at its secretariat's or board's tier.
        self.network = actor.network_id if actor.role in (Role.SECRETARIAT, Role.BOARD) else None
        # Where the caller stands among fellows: its own organisation, or its network.
        self.home = None if actor.role is Role.ANONYMOUS else (
            actor.organisation_id if actor.role is Role.EDITOR else actor.network_id)
        self._known: dict[int, tuple[Visibility | None, bool]] = {}

    # The SQL conditions, each on an organisation's id column.

    def _is_own(self, oid: Any) -> ColumnElement[bool]:
        return oid == self.own if self.own is not None else false()

    def _is_below(self, oid: Any) -> ColumnElement[bool]:
        if self.network is None:
            return false()
        return (oid == self.network) | network_tree.holds(self.network, oid)

    def _is_fellow(self, oid: Any) -> ColumnElement[bool]:
        """The networks above the caller's organisation, the networks it actively belongs to (and
        itself), and every active member of those. An applicant has no fellows in the network it
        applied to until it is admitted."""
        if self.home is None:
            return false()
        active = MembershipStatus.ACTIVE
        joined = select(Membership.network_id).where(Membership.member_id == self.home, Membership.status == active)
        fellow = _FELLOW
        return or_(
            oid == self.home,
            network_tree.holds(oid, self.home),
            oid.in_(joined),
            exists().where(fellow.member_id == oid, fellow.status == active,
                           or_(fellow.network_id == self.home, fellow.network_id.in_(joined))),
        )

    def _is_reviewed(self, oid: Any) -> ColumnElement[bool]:
        """An application pending in the caller's network or a network below it."""
        if self.network is None:
            return false()
        pending = _PENDING
        return exists().where(pending.member_id == oid, pending.status.in_(PENDING_STATUSES),
                              (pending.network_id == self.network) | network_tree.holds(self.network,
                                                                                        pending.network_id))

    def _above_public(self, oid: Any) -> ColumnElement[bool]:
        """SQL: the caller reads the organisation above the public tier, or reviews its
        application. For a whole list: one uncorrelated set of ids, which the database reads
        once, rather than the conditions asked again for every row. UNION ALL: `IN` keeps each
        id once anyway, and UNION would sort the set (every id below APNSW) once more first."""
        ids: list[Any] = []
        if self.own is not None:
            ids.append(select(literal(self.own)))
        if self.network is not None:
            ids += [select(literal(self.network)), network_tree.below(self.network)]
            pending = select(Membership.member_id).where(Membership.status.in_(PENDING_STATUSES))
            # The networks below that have applications, found among the few networks with any:
            # from the subtree (every organisation below APNSW) SQLite reads every membership.
            applied_to = select(Membership.network_id).where(Membership.status.in_(PENDING_STATUSES)).distinct(
                ).subquery()
            reviewed = select(applied_to.c.network_id).where(network_tree.holds(self.network, applied_to.c.network_id))
            ids += [pending.where(Membership.network_id == self.network),
                    pending.where(Membership.network_id.in_(reviewed))]
        if self.home is not None:
            active = MembershipStatus.ACTIVE
            joined = select(Membership.network_id).where(Membership.member_id == self.home,
                                                         Membership.status == active)
            members = select(Membership.member_id).where(Membership.status == active)
            # The members of the networks the caller joined, as a join from its own memberships:
            # as `network_id IN (joined)`, SQLite's planner reads every membership of the registry.
            fellows = select(Membership.member_id).join(_MINE, _MINE.network_id == Membership.network_id).where(
                _MINE.member_id == self.home, _MINE.status == active, Membership.status == active)
            ids += [select(literal(self.home)), network_tree.above(self.home), joined,
                    members.where(Membership.network_id == self.home), fellows]
        return oid.in_(union_all(*ids)) if ids else false()

    # The two forms of "above the public tier" on Organisation.id, built once for the reader: a
    # list asks one of them of its page, its count and its filters, and building them took a
    # secretariat's list longer than the database took to answer it.

    @functools.cached_property
    def _each_above_public(self) -> ColumnElement[bool]:
        """Asked of each organisation, with indexed lookups (the subtree's first)."""
        oid = Organisation.id
        return self._is_own(oid) | self._is_below(oid) | self._is_fellow(oid) | self._is_reviewed(oid)

    @functools.cached_property
    def _set_above_public(self) -> ColumnElement[bool]:
        """Against the reader's one set of ids (_above_public)."""
        return self._above_public(Organisation.id)

    def _tier_above_public(self, oid: Any) -> Any:
        """SQL: the tier the caller reads the organisation at for who it is, not for what the
        organisation published (NULL: the public tier at most)."""
        secretariat = self.actor.role is Role.SECRETARIAT
        return case(
            (self._is_own(oid), V.SELF.value),
            (self._is_below(oid), (V.SECRETARIAT if secretariat else V.BOARD).value),
            (self._is_fellow(oid), V.NETWORK.value),
            else_=null())

    def remember(self, organisation_ids: Iterable[int]) -> None:
        """Look up the tiers of these organisations in one query, for a list about to ask each."""
        wanted = sorted(set(organisation_ids) - self._known.keys() - {self.own, self.network})
        if not self.asks or not wanted:
            return
        for chunk in in_chunks(wanted):
            rows = self.session.execute(select(
                Organisation.id, self._tier_above_public(Organisation.id), self._is_reviewed(Organisation.id))
                .where(Organisation.id.in_(chunk)))
            for oid, tier, reviewed in rows:
                self._known[oid] = (Visibility(tier) if tier else None, bool(reviewed))

    @property
    def asks(self) -> bool:
        """Whether the tier this reader reads an organisation at takes a query (`remember`): not
        for the public, nor for the registry's operators."""
        return not (self.everything or self.home is None)

    def _standing(self, oid: int) -> tuple[Visibility | None, bool]:
        if self.everything or oid == self.own:
            return V.SELF, False
        if self.home is None:
            return None, False
        if oid == self.network:  # its own network, known without asking (the CASE's second branch)
            return (V.SECRETARIAT if self.actor.role is Role.SECRETARIAT else V.BOARD), False
        if oid not in self._known:
            self.remember([oid])
        return self._known.get(oid, (None, False))

    def tier(self, organisation: Organisation) -> Visibility | None:
        above_public, reviewed = self._standing(organisation.id)
        if above_public is not None:
            return above_public
        if reviewed:
            return V.PUBLIC
        if organisation.public_listing and organisation.status is OrganisationStatus.ACTIVE:
            return V.PUBLIC
        return None

    @property
    def widest(self) -> Visibility:
        """The widest tier this reader reads any organisation at (what `_standing` can answer)."""
        if self.everything or self.own is not None:
            return V.SELF
        if self.network is not None:
            return V.SECRETARIAT if self.actor.role is Role.SECRETARIAT else V.BOARD
        return V.PUBLIC if self.home is None else V.NETWORK

    def sight(self, organisation: Any) -> tuple[Visibility, tuple[str, ...]] | None:
        """The tier this reader reads the organisation at and the fields it sees there, in
        FIELD_TIERS' order (what `tier`, `unpublished` and `shows` answer one by one), decided
        once for the organisation; None if the reader may not know it exists. `organisation`:
        an Organisation, or a row of the columns profile_columns chose."""
        above_public, reviewed = self._standing(organisation.id)
        network = organisation.kind in NETWORK_KINDS
        if above_public is not None:
            return above_public, _fields(above_public, None, network)
        if reviewed:
            return V.PUBLIC, _fields(V.PUBLIC, None, network)
        if organisation.public_listing and organisation.status is OrganisationStatus.ACTIVE:
            return V.PUBLIC, _fields(V.PUBLIC, tuple(organisation.published_fields), network)
        return None

    def unpublished(self, organisation: Organisation) -> frozenset[str]:
        """The public-tier fields this reader does not see because the organisation chose not
        to publish them (none above the public tier, nor for a network it applied to)."""
        if self.tier(organisation) is not V.PUBLIC or self._standing(organisation.id)[1]:
            return frozenset()
        return frozenset(PUBLISHABLE_FIELDS) - set(organisation.published_fields)

    def shows(self, organisation: Organisation, field: str) -> bool:
        """Whether this reader sees `field` of the organisation (a field of FIELD_TIERS)."""
        return at_least(self.tier(organisation), FIELD_TIERS[field]) and field not in self.unpublished(organisation)

    def may_see(self, *, row_by_row: bool = False) -> ColumnElement[bool]:
        """The SQL condition for "this reader may know the organisation exists". `row_by_row`:
        asked of each organisation with indexed lookups, for a page read in order, which the
        database stops reading after a page's worth of rows; otherwise against one set of ids
        read once per query (all of a secretariat's subtree), for what reads every row."""
        if self.everything:
            return true()
        if self.own is None and self.home is None:  # the public: nothing above the public tier
            return _public()
        if row_by_row:
            return _public() | self._each_above_public
        return _public() | self._set_above_public

    def count_seen(self, query: Select[Any]) -> Select[Any]:
        """SQL: how many of `query`'s organisations (a select of Organisation, without may_see)
        this reader may know exist, as `may_see` decides, counted in two disjoint parts: the
        listed ones, an index-only count, and the unlisted ones the reader reads above the
        public tier, found from its own set of ids. Asked as one condition (listed OR in that
        set), SQLite merges two indexes' row ids, sorts them and reads every row they name: tens
        of thousands for a secretariat of a large registry."""
        def count(rows: Select[Any]) -> Any:
            counted = rows.with_only_columns(Organisation.id, maintain_column_froms=True).order_by(None)
            return select(func.count()).select_from(counted.subquery()).scalar_subquery()

        if self.everything:
            return select(count(query))
        listed = count(query.where(_public()))
        if self.own is None and self.home is None:  # the public: nothing above the public tier
            return select(listed)
        return select(listed + count(query.where(~_public(), self._set_above_public)))

    def sees_field(self, field: str) -> ColumnElement[bool]:
        """The SQL condition for "this reader sees `field` of the organisation" (with may_see):
        a public filter on a field the organisation did not publish must not match it, or the
        filter would tell what the profile does not."""
        if self.everything or field not in PUBLISHABLE_FIELDS:
            return true()
        published = json_list_holds(Organisation.published_fields, field)
        if self.own is None and self.home is None:  # the public
            return published
        return published | self._set_above_public

    def shown(self, field: str) -> ColumnElement[bool]:
        """The SQL twin of `shows`, on Organisation's columns, for a public-tier field: what a
        count over many organisations asks instead of loading each."""
        if FIELD_TIERS[field] is not V.PUBLIC:
            raise ValueError(f"{field} is not a public-tier field")
        if self.everything:
            return true()
        if field not in PUBLISHABLE_FIELDS:
            return self.may_see()
        # may_see & sees_field, (listed | above) & (published | above), asked as (listed &
        # published) | above: the same organisations, with the set of ids the caller reads above
        # the public tier read once rather than once for each half.
        return (_public() & json_list_holds(Organisation.published_fields, field)) | self._set_above_public

    def precise_ids(self) -> ColumnElement[bool]:
        """The SQL condition for "this reader sees the organisation's exact areas"."""
        if self.everything:
            return true()
        return self._is_own(Organisation.id) | self._is_below(Organisation.id)


    def history_reach(self, organisation_id: Any) -> ColumnElement[bool]:
        """SQL, on an audit entry's organisation column: the caller reads that history. A
        secretariat reads its whole active subtree's (not its applicants'), an editor its own
        organisation's; anyone else is refused."""
        if self.everything:
            return true()
        if self.actor.role is Role.SECRETARIAT and self.network is not None:
            return self._is_below(organisation_id)
        if self.actor.role is Role.EDITOR and self.own is not None:
            return self._is_own(organisation_id)
        raise NotPermitted(N_("%(actor)s may not read the change history"), params={"actor": self.actor.label})

    def token_reach(self, network_id: Any, organisation_id: Any) -> ColumnElement[bool]:
        """SQL, on a token's scope columns: the caller manages that token (a secretariat: those
        scoped to its active subtree); anyone else is refused."""
        if self.everything:
            return true()
        if self.actor.role is Role.SECRETARIAT and self.network is not None:
            return self._is_below(network_id) | self._is_below(organisation_id)
        raise NotPermitted(N_("%(actor)s may not manage access tokens"), params={"actor": self.actor.label})


def _public() -> ColumnElement[bool]:
    """SQL: anyone may know the organisation exists (it is listed and active)."""
    return _PUBLIC


# Built once: the same condition in every query (building it took a list's Reader longer than
# deciding the tiers of a page).
_PUBLIC = Organisation.public_listing.is_(True) & (Organisation.status == OrganisationStatus.ACTIVE)


def reader_for(session: Session, actor: Actor) -> Reader:
    """The actor's Reader for this session: one per request (its session) and per CLI command,
    however many reads ask for it. What it remembers of the tree is forgotten when the tree
    moves (network_tree.relink) or the session rolls back."""
    readers = session.info.setdefault(network_tree.REMEMBERED, {})
    if actor not in readers:
        readers[actor] = Reader(session, actor)
    return readers[actor]


# Listened for on every session once, as audit.py does: a listener added to each session as it
# first built a Reader cost more than the rest of an anonymous list's Reader.
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.get(network_tree.REMEMBERED, {}).clear()


# The fields each tier reads, in FIELD_TIERS' order: worked out once, not per organisation.
FIELDS_SHOWN = {tier: tuple(f for f, floor in FIELD_TIERS.items() if at_least(tier, floor)) for tier in Visibility}


@functools.lru_cache(maxsize=4096)
def _fields(tier: Visibility, published: tuple[str, ...] | None, network: bool) -> tuple[str, ...]:
    """The fields a reader sees at `tier` of an organisation that publishes `published` (None:
    every public-tier field, as above the public tier and for the networks it applied to), in
    FIELD_TIERS' order: worked out once for each tier and choice, not for each organisation."""
    hidden = frozenset() if published is None else frozenset(PUBLISHABLE_FIELDS) - set(published)
    return tuple(f for f in FIELDS_SHOWN[tier] if f not in hidden and (network or f not in NETWORK_ONLY_FIELDS))


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
