"""Coverage: how many member organisations work in each area of one boundary set.

Places recorded area codes onto the set's areas (old codes through the crosswalk, districts
onto their provinces) and turns counts per area into a map's cells: the registry counts its
members in SQL from that placement (coverage_from_counts), and plain records are counted here
the same way (compute_coverage). What each view may show of those counts, and in which words,
is decided by geo.disclosure. Public views never name an organisation and stop at admin-1.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo import disclosure
from geo.boundaries import BoundarySet
from geo.crosswalk import merges
from geo.disclosure import DEFAULT_THRESHOLD, AreaStatus, Cell, View
from geo.errors import CoverageError
from geo.words import area_name

__all__ = ["AreaCounter", "AreaCoverage", "AreaStatus", "Counts", "Coverage", "OrgPresence", "View",
           "check_request", "compute_coverage", "country_total", "coverage_from_counts", "place_codes"]

PUBLIC_FINEST_LEVEL = 1


@dataclass(frozen=True)
class OrgPresence:
    """One organisation as coverage sees it: where it works, what it does, and whether it chose
    to be listed publicly (unlisted unless said otherwise)."""

    org_id: str | int
    name: str
    area_codes: Sequence[str]
    priority_areas: Collection[str] = ()
    populations: Collection[str] = ()
    services: Collection[str] = ()
    listed: bool = False
    # Where the public directory places it (the areas it published); None: all its areas.
    # A listed organisation that keeps its areas to itself adds to no area's listed count,
    # since nobody outside can count it there.
    public_area_codes: Sequence[str] | None = None


@dataclass(frozen=True)
class AreaCoverage:
    code: str
    name: str
    status: AreaStatus
    count: int | None  # None for no data, and for a withheld count
    label: str  # what a reader sees: "12 organisations", "no listed member organisation", "not shown"
    organisations: tuple[str, ...] = ()  # names, sorted; internal view only


@dataclass(frozen=True)
class Coverage:
    boundary_set: BoundarySet
    areas: tuple[AreaCoverage, ...]
    view: View
    threshold: int
    organisations: int | None  # distinct organisations shown on the map; None when withheld
    organisations_label: str
    areas_covered: int
    areas_in_scope: int
    # Organisations with none of their codes on this map (a country-wide record on a province
    # map, a code of another country or set, only areas outside the scope); None when not published.
    not_on_map: int | None
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.view is not View.INTERNAL

    @property
    def note(self) -> str:
        """What this coverage counts, in one sentence."""
        return disclosure.note(self.view, self.threshold)

    def area(self, code: str) -> AreaCoverage | None:
        return next((a for a in self.areas if a.code == code), None)

    def gaps(self) -> list[AreaCoverage]:
        """Areas in scope where the view counts nobody."""
        return [a for a in self.areas if a.status is AreaStatus.NONE]

    def summary(self) -> str:
        """E.g. "32 organisations in 21 of 63 provinces"."""
        if self.areas_in_scope == 0 or all(a.status is AreaStatus.NO_DATA for a in self.areas):
            return disclosure.no_data()
        return disclosure.summary(self.view, self.organisations, self.areas_covered, self.areas_in_scope,
                                  self.boundary_set.level)

    def to_geojson(self, *, geometry: bool = True) -> dict[str, Any]:
        """A FeatureCollection, one feature per area, with the set and totals as foreign members."""
        features = []
        for cov in self.areas:
            props: dict[str, Any] = {"code": cov.code, "name": cov.name, "status": cov.status.value,
                                     "count": cov.count, "label": cov.label}
            if not self.public:
                props["organisations"] = list(cov.organisations)
            area = self.boundary_set.area(cov.code)
            features.append({"type": "Feature", "id": cov.code, "properties": props,
                             "geometry": area.geometry if geometry and area else None})
        return {
            "type": "FeatureCollection",
            "boundary_set": self.boundary_set.id,
            "attribution": self.boundary_set.attribution,
            "view": self.view.value,
            "public": self.public,
            "note": self.note,
            "threshold": self.threshold if self.view is View.REACH else None,
            "filters": dict(self.filters),
            "summary": self.summary(),
            "organisations": self.organisations,
            "areas_covered": self.areas_covered,
            "areas_in_scope": self.areas_in_scope,
            "not_on_map": self.not_on_map,
            "features": features,
        }


def compute_coverage(
    records: Iterable[OrgPresence],
    boundary_set: BoundarySet,
    *,
    view: View = View.INTERNAL,
    threshold: int = DEFAULT_THRESHOLD,
    scope: Iterable[str] | None = None,
    priority_area: str | None = None,
    population: str | None = None,
    service: str | None = None,
    parents: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Coverage:
    """Count member organisations per area of `boundary_set`, as `view` may show them.

    A code is placed on the set directly, through `aliases` (old code → code in this set; the
    set's own merged_from_iso crosswalk is always applied, so VN 63-province records show on the
    34-province map), or by walking `parents` upwards (district → province; pass the district
    set's .parents()). On a country map every code counts for its two-letter prefix.
    `scope` names the countries or areas the network covers: areas outside it are "no data",
    not zero; so is everything when there are no records at all (in the listed view with a
    scope, an area in it then has no listed member organisation).

    The registry counts its members in SQL (place_codes, then coverage_from_counts); this
    counts plain records the same way.
    """
    filters = {k: v for k, v in (("priority_area", priority_area), ("population", population),
                                 ("service", service)) if v}
    check_request(boundary_set, view=view, threshold=threshold, filters=filters)
    scope = None if scope is None else list(scope)
    records = disclosure.counted(view, records)
    chosen = [r for r in records
              if (not priority_area or priority_area in r.priority_areas)
              and (not population or population in r.populations)
              and (not service or service in r.services)]
    codes = {c for r in chosen for c in (*r.area_codes, *(r.public_area_codes or ()))}
    placed_on = place_codes(boundary_set, codes, scope=scope, parents=parents, aliases=aliases)

    def targets(codes: Iterable[str]) -> set[str]:
        return {placed_on[c] for c in codes if c in placed_on}

    members: dict[str, set[int]] = {}
    known_to_public: dict[str, set[int]] = {}
    placed: set[int] = set()
    placed_publicly: set[int] = set()
    for i, record in enumerate(chosen):
        for target in targets(record.area_codes):
            members.setdefault(target, set()).add(i)
            placed.add(i)
        if record.listed:
            public = record.area_codes if record.public_area_codes is None else record.public_area_codes
            for target in targets(public) & targets(record.area_codes):
                known_to_public.setdefault(target, set()).add(i)
                placed_publicly.add(i)
    counts = Counts(
        members={code: len(found) for code, found in members.items()},
        listed={code: len(found) for code, found in known_to_public.items()},
        names={code: tuple(chosen[i].name for i in found) for code, found in members.items()}
        if view is View.INTERNAL else {},
        placed=len(placed), placed_listed=len(placed_publicly), chosen=len(chosen), counted=len(records))
    return coverage_from_counts(counts, boundary_set, view=view, threshold=threshold, scope=scope, filters=filters)


@dataclass(frozen=True)
class Counts:
    """A view's members counted on a boundary set, before disclosure: per area (by code) the
    distinct organisations there and how many of them the public places there, their names
    (internal view only), and the totals."""

    members: Mapping[str, int]
    listed: Mapping[str, int]
    names: Mapping[str, Sequence[str]]
    placed: int  # distinct organisations in some area
    placed_listed: int  # of them, placed there by the public directory
    chosen: int  # organisations the view counts that pass the filters
    counted: int  # organisations the view counts (0: the map has no data)


def check_request(boundary_set: BoundarySet, *, view: View, threshold: int, filters: Mapping[str, str]) -> None:
    """Refuse what no view may be asked: a threshold below 1, a public map below provinces,
    a filtered reach table."""
    if threshold < 1:
        raise CoverageError(f"the masking threshold must be at least 1, not {threshold}")
    if view is not View.INTERNAL and boundary_set.level > PUBLIC_FINEST_LEVEL:
        raise CoverageError(
            f"{boundary_set.id} is a level-{boundary_set.level} set; public maps stop at "
            "province level so that no organisation can be located more precisely"
        )
    if view is View.REACH and filters:
        raise CoverageError(disclosure.reach_refusals(filters=filters))


def place_codes(boundary_set: BoundarySet, codes: Iterable[str], *, scope: Iterable[str] | None = None,
                parents: Mapping[str, str] | None = None, aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """{recorded area code: the area of `boundary_set` it counts for} for the codes that land
    on an area in `scope` (compute_coverage says how a code is placed)."""
    place = _placer(boundary_set, {**merges(boundary_set), **(aliases or {})}, parents or {})
    in_scope = _scope_test(scope)
    found = {code: place(code) for code in set(codes)}
    return {code: target for code, target in found.items() if target and in_scope(boundary_set.area(target))}


def coverage_from_counts(counts: Counts, boundary_set: BoundarySet, *, view: View = View.INTERNAL,
                         threshold: int = DEFAULT_THRESHOLD, scope: Iterable[str] | None = None,
                         filters: Mapping[str, str] | None = None) -> Coverage:
    """The coverage these counts make, as `view` may show it (geo.disclosure decides)."""
    filters = dict(filters or {})
    check_request(boundary_set, view=view, threshold=threshold, filters=filters)
    in_scope = _scope_test(scope)
    # With nothing counted, the map says so, except where the listed view knows its scope:
    # there, an area has no listed member organisation, whatever the others are.
    no_data = not counts.counted and (view is not View.LISTED or scope is None)
    cells = [Cell(a.code, counts.members.get(a.code, 0), counts.listed.get(a.code, 0))
             for a in boundary_set.areas if not no_data and in_scope(a)]
    shown = disclosure.disclose(view, cells, placed=counts.placed, placed_listed=counts.placed_listed,
                                unplaced=counts.chosen - counts.placed, threshold=threshold)
    areas = []
    for area in boundary_set.areas:
        cell = shown.cells.get(area.code)
        if cell is None:
            areas.append(AreaCoverage(area.code, area_name(area.name, area.names), AreaStatus.NO_DATA, None,
                                      disclosure.no_data()))
            continue
        names = tuple(sorted(counts.names.get(area.code, ()))) if view is View.INTERNAL else ()
        areas.append(AreaCoverage(area.code, area_name(area.name, area.names), cell.status, cell.count, cell.label,
                                  names))

    return Coverage(
        boundary_set=boundary_set, areas=tuple(areas), view=view, threshold=threshold,
        organisations=shown.total, organisations_label=shown.total_label,
        areas_covered=sum(a.status in (AreaStatus.COUNTED, AreaStatus.MASKED) for a in areas),
        areas_in_scope=sum(a.status is not AreaStatus.NO_DATA for a in areas),
        not_on_map=shown.not_on_map, filters=filters,
    )


class AreaCounter:
    """The internal map's area count (covered, in scope) of any group of members on one
    boundary set: the codes are placed once, whatever the number of groups (a board's years)."""

    def __init__(self, boundary_set: BoundarySet, codes: Iterable[str], *, scope: Iterable[str] | None,
                 parents: Mapping[str, str] | None = None) -> None:
        scope = None if scope is None else list(scope)
        self.placed_on = place_codes(boundary_set, codes, scope=scope, parents=parents)
        in_scope = _scope_test(scope)
        self.in_scope = sum(1 for a in boundary_set.areas if in_scope(a))

    def __call__(self, members: Sequence[Iterable[str]]) -> tuple[int, int]:
        """(areas covered, areas in scope) of these members' codes, one iterable per member, as
        their coverage says them (no member: no data, nothing in scope)."""
        if not members:
            return 0, 0
        return len({self.placed_on[c] for found in members for c in found if c in self.placed_on}), self.in_scope


def country_total(coverage: Coverage, countries: BoundarySet, country: str) -> Coverage:
    """A national network's reach at country level: its one country, holding the total that its
    province table publishes (or withholds), so that the two answers always agree."""
    if coverage.view is not View.REACH or countries.level != 0:
        raise CoverageError("a country total is drawn from a reach table on a country set")
    total = coverage.organisations
    if total is None:
        cell = (AreaStatus.MASKED, None, disclosure.not_shown())
    elif total == 0:
        cell = (AreaStatus.NONE, 0, disclosure.nobody(View.REACH))
    else:
        cell = (AreaStatus.COUNTED, total, disclosure.organisations(View.REACH, total))
    areas = tuple(AreaCoverage(a.code, area_name(a.name, a.names), *cell) if a.code == country
                  else AreaCoverage(a.code, area_name(a.name, a.names), AreaStatus.NO_DATA, None, disclosure.no_data())
                  for a in countries.areas)
    in_scope = [a for a in areas if a.status is not AreaStatus.NO_DATA]
    return Coverage(
        boundary_set=countries, areas=areas, view=View.REACH, threshold=coverage.threshold,
        organisations=total, organisations_label=coverage.organisations_label,
        areas_covered=sum(a.status is not AreaStatus.NONE for a in in_scope), areas_in_scope=len(in_scope),
        not_on_map=None,
    )


def _placer(boundary_set: BoundarySet, aliases: Mapping[str, str], parents: Mapping[str, str]):
    def place(code: str) -> str | None:
        code = aliases.get(code, code)
        for _ in range(4):  # district → province → country is as deep as areas go
            if code in boundary_set:
                return code
            if boundary_set.level == 0:
                return code[:2] if code[:2] in boundary_set else None
            parent = parents.get(code)
            if not parent:
                return None
            code = aliases.get(parent, parent)
        return None

    return place


def _scope_test(scope: Iterable[str] | None):
    if scope is None:
        return lambda area: area is not None
    codes = set(scope)
    return lambda area: area is not None and bool(
        {area.code, area.country, area.parent_code} & codes
    )
