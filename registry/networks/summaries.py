"""What a network looks like on a date: members, the areas and countries they serve, their
priority areas. Used by the CLI now and by the board's dashboard later."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from registry.access.permissions import Actor
from registry.access.visibility import reader_for
from registry.db import in_chunks, today
from registry.memberships.models import Membership, MembershipEvent, MembershipStatus
from registry.memberships.services import History, members_as_of, status_on
from registry.organisations.models import NETWORK_KINDS, Organisation, OrganisationStatus


@dataclass(frozen=True)
class AreaTally:
    """The areas a network's members serve, counted as its maps count them: on the boundary set
    in force on the date, old codes carried onto that set's areas, districts onto their provinces.
    The counting is the map's (api.coverage.area_tally); the registry only says it."""

    covered: int  # areas with at least one active member
    in_scope: int  # areas of the network's countries in that set
    noun: str  # what the set's areas are: "provinces", "districts"
    boundary_set: str  # the set's title, e.g. "Vietnam: 34 provinces (from 2025-07-01)"


@dataclass(frozen=True)
class NetworkSummary:
    network: Organisation
    on: dt.date | None
    members: int
    member_networks: int
    areas: tuple[str, ...]  # area codes served by active members as recorded, sorted (not a count of areas: AreaTally)
    countries: tuple[str, ...]
    statuses: dict[str, int]  # every membership by its status on the date
    priority_areas: dict[str, int]  # active members per priority area code
    sample_members: int

    def headline(self, tally: AreaTally) -> str:
        """e.g. "32 member organisations in 21 of 34 provinces (1 country); areas counted on Vietnam:
        34 provinces (from 2025-07-01)"."""
        return (f"{self.members} member organisations in {tally.covered} of {tally.in_scope} {tally.noun} "
                f"({len(self.countries)} {'country' if len(self.countries) == 1 else 'countries'}); "
                f"areas counted on {tally.boundary_set}")


def network_summary(session: Session, network: Organisation, on: dt.date | None = None) -> NetworkSummary:
    members = members_as_of(session, network.id, on)
    # Every membership by its status on the date, counted in SQL (None: none yet on that date).
    on_date = select(status_on(on).label("status")).where(Membership.network_id == network.id).subquery()
    statuses = {status: count for status, count in session.execute(
        select(on_date.c.status, func.count()).group_by(on_date.c.status)) if status is not None}
    areas = sorted({code for m in members for code in m.areas_served})
    countries = sorted({m.country for m in members if m.country})
    priority = Counter(code for m in members for code in m.priority_areas)
    return NetworkSummary(
        network=network, on=on, members=len(members),
        member_networks=sum(1 for m in members if m.is_network),
        areas=tuple(areas), countries=tuple(countries),
        statuses={s.value: statuses[s] for s in MembershipStatus if statuses.get(s)},
        priority_areas=dict(priority.most_common()), sample_members=sum(1 for m in members if m.is_sample),
    )


@dataclass(frozen=True)
class Presence:
    """Where one member organisation works, as plain values for coverage maps."""

    organisation_id: int
    name: str
    area_codes: tuple[str, ...]
    priority_areas: tuple[str, ...]
    populations: tuple[str, ...]
    services: tuple[str, ...]
    # What anyone may know of it (listed publicly, and publishing its networks): its published
    # areas and terms; None when the public may not know it is a member.
    public: Presence | None


def member_presence(session: Session, network: Organisation, on: dt.date | None = None) -> list[Presence]:
    """Active members of the network and of its member networks on `on`, with their areas, and
    each with what the public sees of it (registry.access.visibility): `public` is None unless it is
    listed publicly and publishes which networks it belongs to, and then holds only the areas
    and terms it published. Which of them a view may count is geo.disclosure's to say."""
    return _presences(session, members_as_of(session, network.id, on, recursive=True))


def presence_on(session: Session, network: Organisation,
                dates: Sequence[dt.date | None]) -> dict[dt.date | None, list[Presence]]:
    """member_presence on each of `dates`, the memberships and the members read once for all
    of them (a board's growth table): as many queries for 30 dates as for one."""
    history = History(session, network.id)
    found = {on: set(history.members_on(on, recursive=True)) for on in dates}
    ids = sorted({oid for members in found.values() for oid in members})
    members: dict[int, Organisation] = {}
    for chunk in in_chunks(ids):
        members.update((m.id, m) for m in session.scalars(
            select(Organisation).where(Organisation.id.in_(chunk))
            .options(selectinload(Organisation.terms), selectinload(Organisation.area_links))))
    presence = {p.organisation_id: p for p in _presences(session, list(members.values()))}
    order = sorted(ids, key=lambda oid: (members[oid].name_key, oid))
    return {on: [presence[oid] for oid in order if oid in found[on]] for on in dates}


def _presences(session: Session, members: list[Organisation]) -> list[Presence]:
    """Each member's Presence, its terms and areas already loaded."""
    anyone = reader_for(session, Actor.anonymous())

    def published(member: Organisation, field: str, values: list[str]) -> tuple[str, ...]:
        return tuple(values) if anyone.shows(member, field) else ()

    def public(member: Organisation) -> Presence | None:
        if not anyone.shows(member, "networks"):
            return None
        return Presence(member.id, member.name, published(member, "areas_served", member.areas_served),
                        published(member, "priority_areas", member.priority_areas),
                        published(member, "populations", member.populations),
                        published(member, "services", member.services), None)

    return [Presence(m.id, m.name, tuple(m.areas_served), tuple(m.priority_areas), tuple(m.populations),
                     tuple(m.services), public(m)) for m in members]


def public_networks(session: Session) -> list[Organisation]:
    """Networks that chose to be listed publicly, real ones first."""
    query = select(Organisation).where(
        Organisation.kind.in_(list(NETWORK_KINDS)), Organisation.public_listing.is_(True),
        Organisation.status == OrganisationStatus.ACTIVE)
    return sorted(session.scalars(query), key=lambda o: (o.is_sample, o.name_key))


@dataclass(frozen=True)
class YearEnd:
    on: dt.date
    members: int


def growth(session: Session, network: Organisation, *, since: int | None = None) -> list[YearEnd]:
    """Active members at the end of each year, from the first dated admission (or `since`) to
    today: one sweep over the network's dated membership changes in the order they took effect
    (a membership's changes are dated in the order they are made). The areas they serve on each
    date are counted as the maps count them (AreaTally)."""
    changes = session.execute(
        select(MembershipEvent.membership_id, MembershipEvent.effective_on, MembershipEvent.to_status)
        .join(Membership, Membership.id == MembershipEvent.membership_id)
        .where(Membership.network_id == network.id, MembershipEvent.effective_on.is_not(None))
        .order_by(MembershipEvent.effective_on, MembershipEvent.id)).all()
    now = today()
    start = since or (changes[0].effective_on.year if changes else now.year)
    status: dict[int, MembershipStatus] = {}
    active, swept, points = 0, 0, []
    for year in range(start, now.year + 1):
        on = min(dt.date(year, 12, 31), now)
        if on >= now:  # today counts every membership as it stands, undated changes too
            points.append(YearEnd(on, session.scalar(select(func.count()).where(
                Membership.network_id == network.id, Membership.status == MembershipStatus.ACTIVE)) or 0))
            continue
        while swept < len(changes) and changes[swept].effective_on <= on:
            membership_id, _, to_status = changes[swept]
            active += (to_status is MembershipStatus.ACTIVE) - (status.get(membership_id) is MembershipStatus.ACTIVE)
            status[membership_id] = to_status
            swept += 1
        points.append(YearEnd(on, active))
    return points
