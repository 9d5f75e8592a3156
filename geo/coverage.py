"""Coverage: how many member organisations work in each area of one boundary set.

Takes plain records (what each organisation chose to publish; the caller narrows them to what
the viewer may see), rolls their area codes onto the set's level, and gives counts, gaps, totals
and GeoJSON. Public output never names an organisation, masks small counts and stops at admin-1.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo.boundaries import BoundarySet
from geo.crosswalk import merges
from geo.errors import CoverageError

__all__ = ["AreaCoverage", "AreaStatus", "Coverage", "OrgPresence", "compute_coverage"]

PUBLIC_FINEST_LEVEL = 1
DEFAULT_THRESHOLD = 5


class AreaStatus(enum.StrEnum):
    NO_DATA = "no_data"  # outside the network's scope, or nothing recorded at all
    NONE = "none"  # in scope and no member organisation there: a gap
    MASKED = "masked"  # public output: between 1 and threshold - 1 organisations
    COUNTED = "counted"


@dataclass(frozen=True)
class OrgPresence:
    """One organisation as coverage sees it: where it works and what it does."""

    org_id: str | int
    name: str
    area_codes: Sequence[str]
    priority_areas: Collection[str] = ()
    populations: Collection[str] = ()
    services: Collection[str] = ()


@dataclass(frozen=True)
class AreaCoverage:
    code: str
    name: str
    status: AreaStatus
    count: int | None  # None for no data, and for a masked count in public output
    label: str  # what a reader sees: "12 organisations", "fewer than 5", "none", "no data"
    organisations: tuple[str, ...] = ()  # names, sorted; always empty in public output


@dataclass(frozen=True)
class Coverage:
    boundary_set: BoundarySet
    areas: tuple[AreaCoverage, ...]
    public: bool
    threshold: int
    organisations: int | None  # distinct organisations shown on the map; None when masked
    organisations_label: str
    areas_covered: int
    areas_in_scope: int
    # Organisations with none of their codes on this map (a country-wide record on a province
    # map, a code of another country or set, only areas outside the scope); None when masked.
    not_on_map: int | None
    filters: dict[str, str] = field(default_factory=dict)

    def area(self, code: str) -> AreaCoverage | None:
        return next((a for a in self.areas if a.code == code), None)

    def gaps(self) -> list[AreaCoverage]:
        """Areas in scope with no member organisation."""
        return [a for a in self.areas if a.status is AreaStatus.NONE]

    def summary(self) -> str:
        """E.g. "32 organisations in 21 of 63 provinces"."""
        if self.areas_in_scope == 0 or all(a.status is AreaStatus.NO_DATA for a in self.areas):
            return "no data"
        noun = self.boundary_set.area_noun
        return f"{self.organisations_label} in {self.areas_covered} of {self.areas_in_scope} {noun}"

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
            "public": self.public,
            "threshold": self.threshold if self.public else None,
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
    public: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    scope: Iterable[str] | None = None,
    priority_area: str | None = None,
    population: str | None = None,
    service: str | None = None,
    parents: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Coverage:
    """Count member organisations per area of `boundary_set`.

    A code is placed on the set directly, through `aliases` (old code → code in this set; the
    set's own merged_from_iso crosswalk is always applied, so VN 63-province records show on the
    34-province map), or by walking `parents` upwards (district → province; pass the district
    set's .parents()). On a country map every code counts for its two-letter prefix.
    `scope` names the countries or areas the network covers: areas outside it are "no data",
    not zero; so is everything when there are no records at all.
    """
    if threshold < 1:
        raise CoverageError(f"the masking threshold must be at least 1, not {threshold}")
    if public and boundary_set.level > PUBLIC_FINEST_LEVEL:
        raise CoverageError(
            f"{boundary_set.id} is a level-{boundary_set.level} set; public maps stop at "
            "province level so that no organisation can be located more precisely"
        )
    records = list(records)
    filters = {k: v for k, v in (("priority_area", priority_area), ("population", population),
                                 ("service", service)) if v}
    chosen = [r for r in records
              if (not priority_area or priority_area in r.priority_areas)
              and (not population or population in r.populations)
              and (not service or service in r.services)]
    place = _placer(boundary_set, {**merges(boundary_set), **(aliases or {})}, parents or {})
    in_scope = _scope_test(scope)

    members: dict[str, set[int]] = {a.code: set() for a in boundary_set.areas}
    placed: set[int] = set()
    for i, record in enumerate(chosen):
        for code in record.area_codes:
            target = place(code)
            if target and in_scope(boundary_set.area(target)):
                members[target].add(i)
                placed.add(i)

    no_records = not records
    areas = []
    for area in boundary_set.areas:
        if no_records or not in_scope(area):
            areas.append(AreaCoverage(area.code, area.name, AreaStatus.NO_DATA, None, "no data"))
            continue
        found = members[area.code]
        names = () if public else tuple(sorted(chosen[i].name for i in found))
        status, count, label = _shown(len(found), public, threshold)
        areas.append(AreaCoverage(area.code, area.name, status, count, label, names))

    total, total_label = _total(len(placed), public, threshold)
    missing = len(chosen) - len(placed)
    return Coverage(
        boundary_set=boundary_set, areas=tuple(areas), public=public, threshold=threshold,
        organisations=total, organisations_label=total_label,
        areas_covered=sum(a.status in (AreaStatus.COUNTED, AreaStatus.MASKED) for a in areas),
        areas_in_scope=sum(a.status is not AreaStatus.NO_DATA for a in areas),
        not_on_map=_total(missing, public, threshold)[0],
        filters=filters,
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


def _shown(n: int, public: bool, threshold: int) -> tuple[AreaStatus, int | None, str]:
    if n == 0:
        return AreaStatus.NONE, 0, "no member organisation"
    if public and n < threshold:
        return AreaStatus.MASKED, None, f"fewer than {threshold}"
    return AreaStatus.COUNTED, n, _organisations(n)


def _total(n: int, public: bool, threshold: int) -> tuple[int | None, str]:
    if public and 0 < n < threshold:
        return None, f"fewer than {threshold} organisations"
    return n, _organisations(n)


def _organisations(n: int) -> str:
    return "1 organisation" if n == 1 else f"{n} organisations"

