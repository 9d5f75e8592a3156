"""What a network looks like on a date: members, the areas and countries they serve, their
priority areas. Used by the CLI now and by the board's dashboard later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from registry.db import today
from registry.memberships import spans
from registry.memberships.models import Membership, MembershipStatus
from registry.memberships.services import status_on
from registry.organisations.models import (
    NETWORK_KINDS, Organisation, OrganisationArea, OrganisationStatus, OrganisationTerm
)
from registry.vocabularies.models import Term, Vocabulary


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
    """The network's active members on `on` (None: now) counted in SQL: what is read back is
    a row per country, area code, priority area and status, not a row per member."""
    members = select(Membership.member_id).where(Membership.network_id == network.id,
                                                 status_on(on) == MembershipStatus.ACTIVE)
    # Per country (None: none recorded), the members, the member networks and the samples.
    by_country = session.execute(
        select(Organisation.country, func.count(),
               func.sum(case((Organisation.kind.in_(sorted(NETWORK_KINDS)), 1), else_=0)),
               func.sum(case((Organisation.is_sample.is_(True), 1), else_=0)))
        .where(Organisation.id.in_(members)).group_by(Organisation.country)).all()
    areas = list(session.scalars(select(OrganisationArea.area_code).distinct()
                                 .where(OrganisationArea.organisation_id.in_(members))
                                 .order_by(OrganisationArea.area_code)))
    # Priority areas most common first; a tie in the order met, members by name and each
    # member's terms in the vocabulary's order, as a member's profile gives them: the members
    # are ranked by name once, and a code's first meeting is its first member's rank, then its
    # place in the vocabulary (a code is one term), rather than every member's every term sorted.
    ranked = (select(Organisation.id, func.row_number().over(order_by=(Organisation.name_key, Organisation.id))
                     .label("met")).join(Membership, Membership.member_id == Organisation.id)
              .where(Membership.network_id == network.id, status_on(on) == MembershipStatus.ACTIVE).subquery("ranked"))
    priority = dict(session.execute(
        select(Term.code, func.count()).select_from(ranked)
        .join(OrganisationTerm, OrganisationTerm.organisation_id == ranked.c.id)
        .join(Term, Term.id == OrganisationTerm.term_id).where(Term.vocabulary == Vocabulary.PRIORITY_AREA)
        .group_by(Term.code, Term.position)
        .order_by(func.count().desc(), func.min(ranked.c.met), Term.position, Term.code)).all())
    # Every membership by its status on the date, counted in SQL (None: none yet on that date).
    on_date = select(status_on(on).label("status")).where(Membership.network_id == network.id).subquery()
    statuses = {status: count for status, count in session.execute(
        select(on_date.c.status, func.count()).group_by(on_date.c.status)) if status is not None}
    return NetworkSummary(
        network=network, on=on, members=sum(row[1] for row in by_country),
        member_networks=sum(row[2] for row in by_country),
        areas=tuple(sorted(areas)), countries=tuple(sorted(row[0] for row in by_country if row[0])),
        statuses={s.value: statuses[s] for s in MembershipStatus if statuses.get(s)},
        priority_areas=priority, sample_members=sum(row[3] for row in by_country),
    )


def served_on(session: Session, network: Organisation,
              dates: Sequence[dt.date | None]) -> dict[dt.date | None, frozenset[str] | None]:
    """On each of `dates`, the area codes served by the network's active members and those of
    its member networks (members_as_of(recursive=True)); None when it had no active member (an
    empty set: members who record no area). For the dates before today, and again for today: a
    statement per level of member networks and one for the areas, whose answer is bounded by
    dates × codes whatever the number of members (registry.memberships.spans)."""
    now = today()
    past = sorted({on for on in dates if on is not None and on < now})
    found = spans.served_on_dates(session, network.id, past)
    position = {on: i for i, on in enumerate(past)}
    current = spans.served_now(session, network.id) if any(on not in position for on in dates) else None
    return {on: found.get(position[on]) if on in position else current for on in dates}


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
    """Active members at the end of each year, from the year of the first dated change (or
    `since`) to today, where every membership counts as it stands, undated changes too: one
    statement with a row per past year-end, read from the index of the network's spans, and
    today's count. The areas they serve on each date are counted as the maps count them
    (AreaTally)."""
    now = today()
    past = spans.active_at_year_ends(session, network.id, since=since, until=now.year - 1)
    current = session.scalar(select(func.count()).where(
        Membership.network_id == network.id, Membership.status == MembershipStatus.ACTIVE)) or 0
    return [*(YearEnd(dt.date(year, 12, 31), members) for year, members in past.items()), YearEnd(now, current)]
