"""The gazetteer: boundary sets and the administrative areas they contain.

An area is identified by (boundary set, code): Vietnam's VN-HN exists in the 63-province set
valid until 2025-06-30 and again in the 34-province set from 2025-07-01. Organisations record
the areas they serve by code; a code is valid when some boundary set knows it. Geometry is
optional (a gazetteer entry without a shape is still a valid code) and loaded only on demand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from registry.access import audit
from registry.access.permissions import Actor, Permission, require
from registry.areas.models import AREA_CODE, Area, AreaRecord, BoundarySet
from registry.db import utcnow
from registry.errors import N_, Conflict, Said, ValidationFailed


def import_boundary_set(
    session: Session,
    actor: Actor,
    *,
    key: str,
    title: str,
    level: int,
    areas: Iterable[AreaRecord],
    country: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    attribution: str = "",
    licence: str = "",
) -> BoundarySet:
    """Store a boundary set and its areas; refuses a key already in use or a bad area list."""
    require(session, actor, Permission.IMPORT_BOUNDARIES, None)
    if session.scalar(select(BoundarySet).where(BoundarySet.key == key)):
        raise Conflict(N_("boundary set %(key)s already exists"), params={"key": repr(key)})
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed.on("valid_to", N_("ends before it starts"))
    records = list(areas)
    _check_records(records, level)
    boundary_set = BoundarySet(
        key=key, title=title, level=level, country=country, valid_from=valid_from,
        valid_to=valid_to, attribution=attribution, licence=licence,
    )
    session.add(boundary_set)
    session.flush()
    session.add_all(
        Area(boundary_set_id=boundary_set.id, code=r.code, name=r.name, names=dict(r.names),
             level=r.level, country=r.country, parent_code=r.parent_code,
             properties=dict(r.properties), geometry=r.geometry)
        for r in records
    )
    audit.record(session, actor, "import_boundary_set", boundary_set,
                 {"key": [None, key], "areas": [None, len(records)], "level": [None, level],
                  "valid_from": [None, valid_from], "valid_to": [None, valid_to]})
    return boundary_set


def boundary_set(session: Session, key: str) -> BoundarySet | None:
    return session.scalar(select(BoundarySet).where(BoundarySet.key == key))


def boundary_sets(session: Session) -> list[BoundarySet]:
    """Every boundary set the registry knows, by key."""
    return list(session.scalars(select(BoundarySet).order_by(BoundarySet.key)))


def unknown_codes(session: Session, codes: Iterable[str]) -> list[str]:
    """The codes no boundary set knows, in the order given."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    known = set(session.scalars(select(Area.code).where(Area.code.in_(wanted)).distinct()))
    return [c for c in wanted if c not in known]


def areas_by_code(session: Session, codes: Iterable[str], on: dt.date | None = None) -> dict[str, Area]:
    """One Area per known code, preferring the set valid on `on` (today by default)."""
    on = on or utcnow().date()
    rows = session.execute(
        select(Area, BoundarySet).join(BoundarySet).where(Area.code.in_(list(set(codes))))
    ).all()
    best: dict[str, tuple[bool, Area]] = {}
    for area, bset in rows:
        valid = (bset.valid_from is None or bset.valid_from <= on) and (
            bset.valid_to is None or on <= bset.valid_to
        )
        if area.code not in best or (valid and not best[area.code][0]):
            best[area.code] = (valid, area)
    return {code: area for code, (_, area) in best.items()}


def _check_records(records: list[AreaRecord], level: int) -> None:
    problems: list[str] = []  # Said
    seen: set[str] = set()
    for r in records:
        if not AREA_CODE.match(r.code):
            problems.append(Said(N_("%(code)s: not an area code like VN-HN, KH-12 or KH-1201"), code=repr(r.code)))
        if r.code in seen:
            problems.append(Said(N_("%(code)s: appears twice"), code=r.code))
        seen.add(r.code)
        if r.level != level:
            problems.append(Said(N_("%(code)s: level %(level)s, but the set is level %(set_level)s"), code=r.code,
                                 level=r.level, set_level=level))
        if not r.name.strip():
            problems.append(Said(N_("%(code)s: has no name"), code=r.code))
    if not records:
        problems.append(Said(N_("the set has no areas")))
    if problems:
        raise ValidationFailed.of(N_("the boundary set"), {"areas": problems})


def areas_of(session: Session, key: str, *, countries: Iterable[str] | None = None) -> list[Area]:
    """A set's areas with their shapes (optionally only some countries), in code order."""
    query = (select(Area).join(BoundarySet).where(BoundarySet.key == key)
             .options(undefer(Area.geometry)).order_by(Area.code))
    if countries is not None:
        query = query.where(Area.country.in_(list(countries)))
    return list(session.scalars(query))


def parents_of(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """{code: parent code} for the given codes that some set places under a parent."""
    wanted = list(set(codes))
    rows = session.execute(select(Area.code, Area.parent_code).where(
        Area.code.in_(wanted), Area.parent_code.is_not(None), Area.level >= 2)).all()
    return {code: parent for code, parent in rows}


def sets_for(session: Session, level: int, on: dt.date) -> list[BoundarySet]:
    """Boundary sets of `level` valid on `on`, country sets before world sets."""
    return sets_on(session, level, [on])[on]


def sets_on(session: Session, level: int, dates: Iterable[dt.date]) -> dict[dt.date, list[BoundarySet]]:
    """sets_for on each of `dates`, read in one query."""
    every = sorted(session.scalars(select(BoundarySet).where(BoundarySet.level == level)),
                   key=lambda s: (s.country is None, s.key))
    return {on: [s for s in every if (s.valid_from is None or s.valid_from <= on)
                 and (s.valid_to is None or on <= s.valid_to)] for on in dates}


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
