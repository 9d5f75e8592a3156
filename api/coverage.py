"""Puts the registry's data and geo/ together: which boundary set to draw, whose presence to
count, and the rendered map. Used by the `registry map` command and by the dashboard, so both
make the same public/internal decision in one place."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from geo.boundaries import BoundaryArea, BoundarySet
from geo.coverage import Coverage, OrgPresence, compute_coverage
from geo.maps import comparison_map, coverage_map, render_map
from registry import areas, directory
from registry.db import today
from registry.errors import NotFound, ValidationFailed
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, can
from registry.summaries import member_presence


@dataclass(frozen=True)
class MapRequest:
    level: int = 1
    set_key: str | None = None  # default: the set of that level valid on the date
    on: dt.date | None = None
    compare_on: dt.date | None = None  # e.g. 2012-12-31, drawn as a second layer
    public: bool = False
    threshold: int = 5
    priority_area: str | None = None
    population: str | None = None
    service: str | None = None


def network_coverage(session: Session, network: Organisation, request: MapRequest,
                     on: dt.date | None = None) -> Coverage:
    """Coverage of `network` (and its member networks) on `on` (default: request.on)."""
    when = on or request.on
    presence = member_presence(session, network, when, public_only=request.public)
    countries = sorted({c[:2] for p in presence for c in p.area_codes} | ({network.country} - {None}))
    boundary_set = _boundary_set(session, request, countries, when or today())
    records = [OrgPresence(p.organisation_id, p.name, p.area_codes, p.priority_areas,
                           p.populations, p.services) for p in presence]
    return compute_coverage(
        records, boundary_set, public=request.public, threshold=request.threshold,
        scope=countries or None, priority_area=request.priority_area,
        population=request.population, service=request.service,
        parents=areas.parents_of(session, [c for p in presence for c in p.area_codes]),
    )


def coverage_for(session: Session, actor: Actor, network_id: int, request: MapRequest) -> Coverage:
    """Coverage as this caller may see it: the internal view (names, districts) for the
    network's board and secretariat, otherwise the public one; a network the caller may not
    know of is not found."""
    network = directory.find_network(session, actor, network_id)
    internal = can(session, actor, Permission.READ_INTERNAL, network.id)
    return network_coverage(session, network, replace(request, public=not internal))


def network_map_html(session: Session, network: Organisation, request: MapRequest, *,
                     static_prefix: str, tiles: tuple[str, str] | None = None) -> str:
    """The rendered map page, its assets pointing at `static_prefix` (never a CDN).

    `tiles` is (URL template, attribution) when an operator switched a basemap on; by default
    there is none, because a tile server learns who looks at which place."""
    title = f"{network.name}: member organisations by area"
    basemap = {"tiles": tiles[0], "tiles_attribution": tiles[1]} if tiles else {}
    current = network_coverage(session, network, request)
    if request.compare_on is None:
        return render_map(coverage_map(current, title=title, **basemap), static_prefix=static_prefix)
    earlier = network_coverage(session, network, request, on=request.compare_on)
    # The first layer is the one shown: the chosen date, with the earlier one a click away.
    layers = [((request.on or today()).isoformat(), current),
              (request.compare_on.isoformat(), earlier)]
    return render_map(comparison_map(layers, title=title, **basemap), static_prefix=static_prefix)


def configured_tiles(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """The operator's basemap as (URL template, attribution), or None (the default)."""
    url, attribution = config.get("MAP_TILES_URL"), config.get("MAP_TILES_ATTRIBUTION")
    if url and not attribution:
        raise RuntimeError("REGISTRY_MAP_TILES_URL needs REGISTRY_MAP_TILES_ATTRIBUTION")
    return (url, attribution) if url else None


def _boundary_set(session: Session, request: MapRequest, countries: list[str], on: dt.date) -> BoundarySet:
    if request.set_key:
        row = areas.boundary_set(session, request.set_key)
        if row is None:
            raise NotFound(f"no boundary set {request.set_key!r}")
    else:
        candidates = areas.sets_for(session, request.level, on)
        national = [s for s in candidates if s.country and s.country in countries]
        world = [s for s in candidates if s.country is None]
        if len(countries) == 1 and national:
            row = national[0]
        elif world:
            row = world[0]
        else:
            raise ValidationFailed.on("level", f"no level-{request.level} boundary set covers "
                                               f"{', '.join(countries) or 'these areas'} on {on}")
    restrict = countries if row.country is None and request.level > 0 and countries else None
    return _as_geo(session, row.key, row.imported_at, tuple(restrict) if restrict else None)


# Boundary sets rebuilt from the database, keyed by (set, import time, countries): a set is
# read once per process, and a re-imported set (new import time) is read afresh.
_CACHE: OrderedDict[tuple[str, dt.datetime, tuple[str, ...] | None], BoundarySet] = OrderedDict()
_CACHE_SIZE = 16


def _as_geo(session: Session, key: str, imported_at: dt.datetime,
            countries: tuple[str, ...] | None) -> BoundarySet:
    cache_key = (key, imported_at, countries)
    if cache_key in _CACHE:
        _CACHE.move_to_end(cache_key)
        return _CACHE[cache_key]
    row = areas.boundary_set(session, key)
    assert row is not None
    built = BoundarySet(
        id=key, title=row.title, level=row.level, country=row.country, valid_from=row.valid_from,
        valid_to=row.valid_to, key_field="code", attribution=row.attribution, licence=row.licence,
        source="registry",
        areas=tuple(BoundaryArea(a.code, a.name, dict(a.names), a.level, a.parent_code, a.country,
                                 a.geometry, dict(a.properties))
                    for a in areas.areas_of(session, key, countries=countries) if a.geometry),
    )
    _CACHE[cache_key] = built
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return built
