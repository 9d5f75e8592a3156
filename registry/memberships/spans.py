"""A membership's statuses over time as spans of days (MembershipSpan), derived from its dated
changes, and the questions they answer from an index rather than from every change: a
membership's status on a date, and a network's active members on each of many dates (a
board's year-ends), counted or with the areas they serve, in one statement for all the dates.

A membership's status on a day before today is that of its last change (by the order they
were made) dated up to that day; undated changes count only for now. So a dated change holds
from its day until the earliest day of any change made after it: the same day (a member
applied, was verified and admitted at once) leaves only the last, and a later change dated
earlier (data older than the rule that forbids it) ends it before it began.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (Date, Select, and_, case, delete, exists, func, insert, literal, or_,
                        select, true, union_all)
from sqlalchemy.orm import Session

from registry.db import in_chunks, year_of
from registry.memberships.models import Membership, MembershipEvent, MembershipSpan, MembershipStatus
from registry.networks.models import MAX_DEPTH
from registry.organisations.models import OrganisationArea

_spans = MembershipSpan.__table__
_COLUMNS = ("membership_id", "held_from", "held_until", "network_id", "member_id", "status")


def derived(membership_ids: Sequence[int] | None = None) -> Select[Any]:
    """SQL: the spans of these memberships (None: of all), from their events."""
    events = MembershipEvent.__table__
    until = func.min(events.c.effective_on).over(partition_by=events.c.membership_id, order_by=events.c.id,
                                                 rows=(1, None))
    dated = (select(events.c.membership_id, events.c.effective_on.label("held_from"), until.label("held_until"),
                    Membership.network_id, Membership.member_id, events.c.to_status.label("status"))
             .join(Membership, Membership.id == events.c.membership_id)
             .where(events.c.effective_on.is_not(None)))
    if membership_ids is not None:
        dated = dated.where(events.c.membership_id.in_(membership_ids))
    found = dated.subquery("dated")
    return select(*(found.c[name] for name in _COLUMNS)).where(
        or_(found.c.held_until.is_(None), found.c.held_until > found.c.held_from))


def refresh(session: Session, membership_ids: Iterable[int]) -> None:
    """Derive these memberships' spans again from their events: the write path calls it once
    their new events are written (two statements per 500 memberships)."""
    for chunk in in_chunks(sorted(set(membership_ids))):
        session.execute(delete(_spans).where(_spans.c.membership_id.in_(chunk)))
        session.execute(insert(_spans).from_select(_COLUMNS, derived(chunk)))


def status_on(on: dt.date) -> Any:
    """SQL: a membership's status on `on`, a day before today (None: it had none yet)."""
    return (select(MembershipSpan.status).where(
        MembershipSpan.membership_id == Membership.id, MembershipSpan.held_from <= on,
        or_(MembershipSpan.held_until.is_(None), MembershipSpan.held_until > on)).scalar_subquery())


def held_on(on: dt.date) -> Any:
    """SQL, a FROM: the memberships as they stood on `on`, a day before today, one row each
    (network_id, member_id, status) from the span that held then, read by network from the
    spans' index: what a network's members on a date are chosen from, rather than every
    membership it ever had asked status_on one by one."""
    return select(_spans.c.network_id, _spans.c.member_id, _spans.c.status).where(
        _spans.c.held_from <= on, or_(_spans.c.held_until.is_(None), _spans.c.held_until > on)).subquery("held")


def active_at_year_ends(session: Session, network_id: int, *, since: int | None, until: int) -> dict[int, int]:
    """The network's active memberships at the end of each year from `since` (None: the year
    of its first dated change) to `until` (a year already over), one row per year-end from
    one statement: its active spans are grouped by the years they began and ended in (a span
    holds on 31 December of the years from the one it began in to the one before it ended)."""
    active = select(year_of(_spans.c.held_from).label("began"), year_of(_spans.c.held_until).label("ended"),
                    func.count().label("spans")).where(
        _spans.c.network_id == network_id, _spans.c.status == MembershipStatus.ACTIVE.value
    ).group_by(year_of(_spans.c.held_from), year_of(_spans.c.held_until)).subquery("active")
    # The first dated change began the first span; asked per status, each is one seek in the index.
    began = union_all(*(select(func.min(_spans.c.held_from).label("on")).where(
        _spans.c.network_id == network_id, _spans.c.status == status.value) for status in MembershipStatus)
    ).subquery("began")
    first = literal(since) if since is not None else select(year_of(func.min(began.c.on))).scalar_subquery()
    years = select(first.label("year")).cte("years", recursive=True)
    years = years.union_all(select(years.c.year + 1).where(years.c.year < until))
    rows = session.execute(
        select(years.c.year, func.coalesce(func.sum(active.c.spans), 0))
        .select_from(years).outerjoin(active, and_(active.c.began <= years.c.year,
                                                   or_(active.c.ended.is_(None), active.c.ended > years.c.year)))
        .where(years.c.year <= until).group_by(years.c.year).order_by(years.c.year))
    return {int(year): int(count) for year, count in rows if year is not None}


def _position(column: Any, dates: Sequence[dt.date], *, missing: int) -> Any:
    """SQL: how many of `dates` (ascending) fall before the day in `column` (`missing` when it
    has none), found by halving: a few comparisons per row, however many dates."""
    def within(low: int, high: int) -> Any:  # the answer is between low and high
        if low == high:
            return literal(low)
        middle = (low + high) // 2
        return case((column <= dates[middle], within(low, middle)), else_=within(middle + 1, high))

    return case((column.is_(None), literal(missing)), else_=within(0, len(dates)))


def served_on_dates(session: Session, network_id: int, dates: Sequence[dt.date]) -> dict[int, frozenset[str]]:
    """By position in `dates` (ascending, each before today): the area codes served by the
    network's active members then, counting those of its member networks active in it then
    (members_as_of(recursive=True)); a position is missing when it had no active member, and
    empty when its members record no area. A statement per level of member networks (to find
    on which days each was active in the network) and one for the members' areas."""
    if not dates:
        return {}
    spans = _spans.alias("spans")
    return _served(session, network_id, _Standing(
        spans.c.network_id, spans.c.member_id, spans.c.held_from, spans.c.held_until,
        (spans.c.status == MembershipStatus.ACTIVE.value, spans.c.held_from <= dates[-1])), dates)


def served_now(session: Session, network_id: int) -> frozenset[str] | None:
    """served_on_dates for today, where every membership counts as it stands."""
    table = Membership.__table__
    return _served(session, network_id, _Standing(
        table.c.network_id, table.c.member_id, literal(None, Date), literal(None, Date),
        (table.c.status == MembershipStatus.ACTIVE.value,)), []).get(0)


@dataclass(frozen=True)
class _Standing:
    """Where the active memberships are read from: each holds from `held_from` (None: ever)
    until `held_until` (None: still), where `active` holds."""

    network_id: Any
    member_id: Any
    held_from: Any
    held_until: Any
    active: tuple[Any, ...]


Days = tuple[dt.date | None, dt.date | None]  # from (None: ever) until (None: still)


def _served(session: Session, network_id: int, standing: _Standing,
            dates: Sequence[dt.date]) -> dict[int, frozenset[str]]:
    """served_on_dates over `standing`; no date: what holds now, at position 0."""
    reached = _networks_reached(session, network_id, standing)
    # The networks as constants: the members are read from the index by network.
    nets = union_all(*(select(literal(nid).label("id"), literal(since, Date).label("held_from"),
                              literal(until, Date).label("held_until"))
                       for nid, found in sorted(reached.items()) for since, until in sorted(found, key=_order))
                     ).cte("nets")
    if dates:
        since, until = _later(nets.c.held_from, standing.held_from), _earlier(nets.c.held_until, standing.held_until)
        holds = _holds(since, until)
    else:  # now: every membership reached holds
        since, until, holds = nets.c.held_from, nets.c.held_until, true()
    held = (select(standing.member_id, since.label("held_from"), until.label("held_until"))
            .join(nets, nets.c.id == standing.network_id)
            .where(standing.network_id.in_(sorted(reached)), *standing.active, holds)).subquery("held")
    # Per code (None: a member serving no recorded area) and the first date it no longer
    # holds on, the earliest start: a code is served on a date if one of its spans holds then.
    # What is read back is bounded by codes × dates, not by members.
    positions = max(len(dates), 1)
    past = _position(held.c.held_until, dates, missing=positions)
    per_code = (select(OrganisationArea.area_code.label("code"), past.label("past"),
                       func.min(held.c.held_from).label("held_from"))
                .select_from(held).outerjoin(OrganisationArea, OrganisationArea.organisation_id == held.c.member_id)
                .group_by(OrganisationArea.area_code, past)).subquery("per_code")
    ranges: dict[str | None, list[tuple[int, int]]] = {}
    for code, begins, ends in session.execute(
            select(per_code.c.code, _position(per_code.c.held_from, dates, missing=0), per_code.c.past)):
        ranges.setdefault(code, []).append((int(begins), int(ends)))
    # Each code's ranges joined, then the code placed on the positions they hold.
    found: dict[int, set[str]] = {}
    for code, held in ranges.items():
        reach = 0
        for begins, ends in sorted(held):
            for position in range(max(begins, reach), ends):
                codes = found.setdefault(position, set())
                if code is not None:
                    codes.add(code)
            reach = max(reach, ends)
    return {position: frozenset(codes) for position, codes in found.items()}


def _networks_reached(session: Session, network_id: int, standing: _Standing) -> dict[int, set[Days]]:
    """The network and the member networks active in it (and in them), each with the days it
    was: a statement per level of the tree, each reading only memberships of members with
    members of their own (only a network has members: transitions refuses any other)."""
    reached: dict[int, set[Days]] = {network_id: {(None, None)}}
    frontier = reached
    below = Membership.__table__.alias("below")
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        found: dict[int, set[Days]] = {}
        for nid, member_id, held_from, held_until in session.execute(
                select(standing.network_id, standing.member_id, standing.held_from, standing.held_until)
                .where(standing.network_id.in_(sorted(frontier)), *standing.active,
                       exists().where(below.c.network_id == standing.member_id))):
            for since, until in frontier[nid]:
                days = (_max(since, held_from), _min(until, held_until))
                if (days[0] is None or days[1] is None or days[1] > days[0]) and days not in reached.get(member_id, ()):
                    found.setdefault(member_id, set()).add(days)
        for member_id, days in found.items():
            reached.setdefault(member_id, set()).update(days)
        frontier = found
    return reached


def _order(days: Days) -> tuple[dt.date, dt.date]:
    return (days[0] or dt.date.min, days[1] or dt.date.max)


def _max(one: dt.date | None, other: dt.date | None) -> dt.date | None:
    return other if one is None else one if other is None else max(one, other)


def _min(one: dt.date | None, other: dt.date | None) -> dt.date | None:
    return other if one is None else one if other is None else min(one, other)


def _later(one: Any, other: Any) -> Any:
    """SQL: the later of two first days (None: since ever)."""
    return case((one.is_(None), other), (other.is_(None), one), (one > other, one), else_=other)


def _earlier(one: Any, other: Any) -> Any:
    """SQL: the earlier of two ends (None: still holding)."""
    return case((one.is_(None), other), (other.is_(None), one), (one < other, one), else_=other)


def _holds(since: Any, until: Any) -> Any:
    """SQL: the days from `since` until `until` are not none."""
    return or_(since.is_(None), until.is_(None), until > since)
