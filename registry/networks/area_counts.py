"""How many of a network's members work in each area, counted in SQL: one grouped query per
coverage, whatever the number of members, narrowed to what the view counts. What the public
knows of each member (listed, its networks and areas published) is the anonymous Reader's
to say (registry.access.visibility); where a recorded area code lands on a map is geo's, and
the caller hands that placement in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, and_, case, distinct, exists, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from registry.access.permissions import Actor
from registry.access.visibility import reader_for
from registry.memberships.models import Membership, MembershipStatus
from registry.memberships.services import status_on
from registry.organisations.models import NETWORK_KINDS, Organisation, OrganisationArea, OrganisationTerm
from registry.vocabularies.models import Term, Vocabulary

# A coverage filter, the profile field it reads and its vocabulary.
FILTERS = {"priority_area": ("priority_areas", Vocabulary.PRIORITY_AREA),
           "population": ("populations", Vocabulary.POPULATION),
           "service": ("services", Vocabulary.SERVICE)}


@dataclass(frozen=True)
class AreaCounts:
    """Per area (the code a placement gave) the distinct organisations counted there and how
    many of them the public directory places there, their names when asked, and the totals."""

    members: dict[str, int]
    listed: dict[str, int]
    names: dict[str, tuple[str, ...]]
    placed: int  # distinct organisations in some area
    placed_listed: int  # of them, placed there by the public directory
    chosen: int  # organisations counted that pass the filters
    counted: int  # organisations counted


def networks_counted(session: Session, network_id: int, on: dt.date | None) -> list[int]:
    """The network and the member networks active in it, and in them, on `on` (None: now):
    whose active members count as its own (members_as_of(recursive=True)). One query a level
    of the tree: networks are few, and walking them leaves the members' query one indexed read."""
    found, frontier = [network_id], [network_id]
    # The registry's networks (by the index on kind) that are members, not the members that are
    # networks: a national network has thousands of members and no more than a few networks.
    networks = select(Organisation.id).where(Organisation.kind.in_(sorted(NETWORK_KINDS)))
    while frontier:
        frontier = sorted(set(session.scalars(
            select(Membership.member_id)
            .where(Membership.network_id.in_(frontier), status_on(on) == MembershipStatus.ACTIVE,
                   Membership.member_id.in_(networks))
        )) - set(found))
        found += frontier
    return found


def _counted(session: Session, networks: list[int], on: dt.date | None, *, public_only: bool,
             filters: Mapping[str, str]) -> CTE:
    """SQL: (id, name, placeable, listed, chosen) for each active member of `networks` (see
    networks_counted) that the view counts. `public_only` (the listed view): only members
    anyone may know to be members, placed only by the areas they published and filtered only
    by the terms they published. `listed`: the public directory places it in its areas;
    `chosen`: it passes the filters. Each flag is 1 or 0, alike on every database."""
    anyone = reader_for(session, Actor.anonymous())
    known, areas_known = anyone.shown("networks"), anyone.shown("areas_served")
    passes: list[ColumnElement[bool]] = []
    for name, code in filters.items():
        field, vocabulary = FILTERS[name]
        holds = exists().where(OrganisationTerm.organisation_id == Organisation.id, OrganisationTerm.term_id == Term.id,
                               Term.vocabulary == vocabulary, Term.code == code)
        passes.append(holds & anyone.shown(field) if public_only else holds)
    query = select(Organisation.id, Organisation.name,
                   (_flag(areas_known) if public_only else literal(1)).label("placeable"),
                   (literal(1) if public_only else _flag(known & areas_known)).label("listed"),
                   (_flag(and_(*passes)) if passes else literal(1)).label("chosen"),
                   ).where(Organisation.id.in_(
                       select(Membership.member_id).where(Membership.network_id.in_(networks),
                                                          status_on(on) == MembershipStatus.ACTIVE)))
    if public_only:
        query = query.where(known)
    return query.cte("counted")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def served_codes(session: Session, networks: list[int], on: dt.date | None, *, public_only: bool) -> list[str]:
    """The area codes recorded for the members the view counts (see area_counts), each once."""
    counted = _counted(session, networks, on, public_only=public_only, filters={})
    return sorted(session.scalars(
        select(OrganisationArea.area_code).distinct()
        .join(counted, and_(counted.c.id == OrganisationArea.organisation_id, counted.c.placeable == 1))))


def area_counts(session: Session, networks: list[int], on: dt.date | None, placed_on: Mapping[str, str], *,
                public_only: bool, filters: Mapping[str, str] | None = None) -> AreaCounts:
    """The members the view counts, per area of `placed_on` ({recorded code: area}), with the
    totals: one grouped query. The internal view, which names them, reads them (named_members)."""
    filters = dict(filters or {})
    counted = _counted(session, networks, on, public_only=public_only, filters=filters)
    totals = (select(func.count()).select_from(counted).where(counted.c.chosen == 1).scalar_subquery(),
              select(func.count()).select_from(counted).scalar_subquery())
    if not placed_on:
        chosen, everyone = session.execute(select(*totals)).one()
        return AreaCounts({}, {}, {}, 0, 0, chosen, everyone)
    target = case(dict(placed_on), value=OrganisationArea.area_code)
    listed_id = case((counted.c.listed == 1, counted.c.id), else_=null())

    def placed(*columns: Any) -> Select[Any]:
        # Placed by its code's area (the CASE is NULL for a code not placed): asking the index
        # for each member and each placed code instead cost SQLite a probe per pair.
        return (select(*columns).select_from(counted)
                .join(OrganisationArea, OrganisationArea.organisation_id == counted.c.id)
                .where(counted.c.chosen == 1, counted.c.placeable == 1, target.is_not(None)))

    # Who is placed where, read once; then one row per area and one of totals (no code): the
    # distinct organisations placed, and those counted with and without the filters.
    where = placed(target.label("code"), counted.c.id, listed_id.label("listed_id")).cte("placed")
    rows = session.execute(union_all(
        select(where.c.code, func.count(distinct(where.c.id)), func.count(distinct(where.c.listed_id)),
               null(), null()).group_by(where.c.code),
        select(null(), select(func.count(distinct(where.c.id))).scalar_subquery(),
               select(func.count(distinct(where.c.listed_id))).scalar_subquery(), *totals))).all()
    members = {row[0]: row[1] for row in rows if row[0] is not None}
    listed = {row[0]: row[2] for row in rows if row[0] is not None and row[2]}
    _, placed_total, placed_listed, chosen, everyone = next(row for row in rows if row[0] is None)
    return AreaCounts(members, listed, {}, placed_total, placed_listed, chosen, everyone)


@dataclass(frozen=True)
class NamedMembers:
    """The members the internal view counts, by the codes recorded for them: the view names
    every member in each of its areas, so they are read once, in one query, and the codes to
    place (`codes`) and the counts per area (`counts`) are worked out from the same rows. Grouped
    in SQL as well, the placement (a CASE over every code, `IN` every code) cost SQLite ten times
    more than reading them; and a second read for the codes, as many again. How many of them the
    public directory lists is not read: the internal view shows no such count (geo.disclosure
    weighs it in the reach view only), and asking it of every member cost SQLite two JSON scans
    a row."""

    # Per code recorded (None: a member with none), those of its members that pass the filters,
    # {organisation: name}; a code only members left out by the filters record holds {}.
    by_code: dict[str | None, dict[int, str]]
    counted: int  # organisations counted, filtered or not

    def codes(self) -> list[str]:
        """The area codes recorded for the members counted, each once (served_codes)."""
        return sorted(code for code in self.by_code if code is not None)

    def counts(self, placed_on: Mapping[str, str]) -> AreaCounts:
        """area_counts of these members with their names, by area of `placed_on`; `listed` is
        left empty (see the class)."""
        found: dict[str, dict[int, str]] = {}  # area -> {organisation: name}
        for code, who in self.by_code.items():
            area = None if code is None else placed_on.get(code)
            if area is not None:
                found.setdefault(area, {}).update(who)
        return AreaCounts({area: len(who) for area, who in found.items()}, {},
                          {area: tuple(who.values()) for area, who in found.items()},
                          len(set().union(*found.values())), 0, len(set().union(*self.by_code.values())),
                          self.counted)


def named_members(session: Session, networks: list[int], on: dt.date | None, *,
                  filters: Mapping[str, str] | None = None) -> NamedMembers:
    """The members the internal view counts (see networks_counted) and their codes: one query,
    in order of code, so that its rows are gathered a code at a time (each code is then placed
    once, not once a member)."""
    counted = _counted(session, networks, on, public_only=False, filters=dict(filters or {}))
    # Plain rows from the connection: through the session's ORM loading each row was built
    # twice, half the cost of reading them. Services flush what they change, so nothing the
    # query should see is pending.
    rows = session.connection().execute(
        select(OrganisationArea.area_code, counted.c.id, counted.c.name, counted.c.chosen)
        .select_from(counted).outerjoin(OrganisationArea, OrganisationArea.organisation_id == counted.c.id)
        .order_by(OrganisationArea.area_code)
    ).all()
    return NamedMembers({code: {oid: name for _, oid, name, chosen in members if chosen}
                         for code, members in groupby(rows, itemgetter(0))},
                        len({row[1] for row in rows}))
