"""Puts the registry's data and geo/ together: which boundary set to draw, whose presence to
count, and the rendered map. Used by the `registry map` command, the API and the dashboard, so
all of them answer each view (internal, listed, reach; geo.disclosure) in one place."""

from __future__ import annotations

import datetime as dt
import csv
import io
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm import Session

from geo import disclosure
from geo.boundaries import BoundaryArea, BoundarySet
from geo.coverage import (AreaCounter, AreaStatus, Counts, Coverage, View, check_request, country_total,
                          coverage_from_counts, place_codes)
from geo.errors import CoverageError
from geo.region import around
from registry.areas import services as areas
from registry.networks import directory
from registry.db import today
from registry.errors import NotFound, NotPermitted, ValidationFailed
from registry.exchange.member_export import BOM, neutralise
from registry.organisations.models import Organisation, OrganisationKind
from registry.access.permissions import Actor, Permission, can
from registry.networks import area_counts
from registry.networks.summaries import AreaTally, served_on

TITLES = {View.INTERNAL: _l("member organisations by area"), View.LISTED: _l("listed member organisations by area"),
          View.REACH: _l("reach, all member organisations by area")}


@dataclass(frozen=True)
class MapRequest:
    level: int | None = None  # default: provinces (1); in the reach view, the network's reach level
    set_key: str | None = None  # default: the set of that level valid on the date
    on: dt.date | None = None
    compare_on: dt.date | None = None  # e.g. 2012-12-31, drawn as a second layer
    view: View = View.INTERNAL
    threshold: int = disclosure.DEFAULT_THRESHOLD
    priority_area: str | None = None
    population: str | None = None
    service: str | None = None

    @property
    def filters(self) -> dict[str, str]:
        return {k: v for k in ("priority_area", "population", "service") if (v := getattr(self, k))}


def network_coverage(session: Session, network: Organisation, request: MapRequest,
                     on: dt.date | None = None) -> Coverage:
    """Coverage of `network` (and its member networks) on `on` (default: request.on), as
    request.view shows it: the members counted per area in one grouped query."""
    if request.view is View.REACH:
        return _reach(session, network, request)
    when = on or request.on
    public_only = request.view is View.LISTED
    networks = area_counts.networks_counted(session, network.id, when)
    # The internal view names every member it counts: read them and their codes once.
    named = area_counts.named_members(session, networks, when, filters=request.filters) if (
        request.view is View.INTERNAL) else None
    codes = named.codes() if named else area_counts.served_codes(session, networks, when, public_only=public_only)
    # Scope and boundary set follow what the view counts: a listed map shows no country that
    # only unlisted members work in.
    countries = sorted({c[:2] for c in codes} | ({network.country} - {None}))
    level = 1 if request.level is None else request.level
    row = _set_row(session, level, request.set_key, countries, when or today())
    boundary_set = _as_geo(session, row, countries)
    scope = countries or None
    check_request(boundary_set, view=request.view, threshold=request.threshold, filters=request.filters)
    placed_on = place_codes(boundary_set, codes, scope=scope, parents=areas.parents_of(session, codes))
    counts = named.counts(placed_on) if named else area_counts.area_counts(
        session, networks, when, placed_on, public_only=public_only, filters=request.filters)
    return coverage_from_counts(_counts(counts), boundary_set, view=request.view, threshold=request.threshold,
                                scope=scope, filters=request.filters)


def _counts(found: area_counts.AreaCounts) -> Counts:
    return Counts(members=found.members, listed=found.listed, names=found.names, placed=found.placed,
                  placed_listed=found.placed_listed, chosen=found.chosen, counted=found.counted)


def area_tally(session: Session, network: Organisation, on: dt.date | None = None) -> AreaTally:
    """The areas the network's members serve on `on`, counted as its internal province map
    counts them, with the set it counted on: every headline, table and export says this."""
    return area_tallies(session, network, [on])[0]


def area_tallies(session: Session, network: Organisation, dates: list[dt.date | None]) -> list[AreaTally]:
    """area_tally on each of `dates` (a board's growth table): the codes served on each date,
    the boundary sets and the areas' parents read once for all of them."""
    served = served_on(session, network, dates)
    sets = areas.sets_on(session, 1, {on or today() for on in dates})
    every = {c for codes in served.values() if codes for c in codes}
    parents = areas.parents_of(session, every)
    counters: dict[tuple[str, tuple[str, ...]], AreaCounter] = {}  # the codes placed once per set
    tallies = []
    for on in dates:
        codes = served[on]
        countries = sorted({c[:2] for c in codes or ()} | ({network.country} - {None}))
        boundary_set = _as_geo(session, _set_row(session, 1, None, countries, on or today(),
                                                 candidates=sets[on or today()]), countries)
        key = (boundary_set.id, tuple(countries))
        if key not in counters:
            counters[key] = AreaCounter(boundary_set, every, scope=countries or None, parents=parents)
        # The members' codes together: the count is of the areas any of them serves.
        covered, in_scope = counters[key]([] if codes is None else [codes])
        tallies.append(AreaTally(covered, in_scope, boundary_set.area_noun, boundary_set.title))
    return tallies


def tally_of(coverage: Coverage) -> AreaTally:
    """The area count of an internal province map (area_tally), from one already drawn."""
    return AreaTally(coverage.areas_covered, coverage.areas_in_scope, coverage.boundary_set.area_noun,
                     coverage.boundary_set.title)


def coverage_for(session: Session, actor: Actor, network_id: str, request: MapRequest,
                 asked: View | None = None) -> Coverage:
    """Coverage as this caller may see it: by default the internal view (names, districts) for
    the network's board and secretariat and the listed view for everyone else; anyone may ask
    for the listed view, or for the reach view of a network that publishes it. A network the
    caller may not know of is not found."""
    network = directory.find_network(session, actor, network_id)
    internal = can(session, actor, Permission.READ_INTERNAL, network.id)
    view = asked or (View.INTERNAL if internal else View.LISTED)
    if view is View.INTERNAL and not internal:
        raise NotPermitted(f"{actor.label} may not read {network.name}'s internal view")
    return network_coverage(session, network, replace(request, view=view))


def network_map_html(session: Session, network: Organisation, request: MapRequest, *,
                     static_prefix: str, tiles: tuple[str, str] | None = None) -> str:
    """The rendered map page, its assets pointing at `static_prefix` (never a CDN).

    `tiles` is (URL template, attribution) when an operator switched a basemap on; by default
    there is none, because a tile server learns who looks at which place."""
    # folium (and pandas under it) is imported by the first map drawn, not by every command.
    from geo.maps import comparison_map, coverage_map, render_map

    title = f"{network.name}: {TITLES[request.view]}"
    basemap = {"tiles": tiles[0], "tiles_attribution": tiles[1]} if tiles else {}
    current = network_coverage(session, network, request)
    if request.compare_on is None:
        return render_map(coverage_map(current, title=title, **basemap), static_prefix=static_prefix)
    earlier = network_coverage(session, network, request, on=request.compare_on)
    # The first layer is the one shown: the chosen date, with the earlier one a click away.
    layers = [((request.on or today()).isoformat(), current),
              (request.compare_on.isoformat(), earlier)]
    return render_map(comparison_map(layers, title=title, **basemap), static_prefix=static_prefix)


def _reach(session: Session, network: Organisation, request: MapRequest) -> Coverage:
    """The reach view: one table, today, in the set in force today, without filters; a
    national network's by province (its country's total at level 0), a regional or global
    network's by country."""
    if not network.publishes_reach:
        raise ValidationFailed.on("view", f"{network.name} does not publish its reach; the listed view "
                                          "shows its listed member organisations")
    now = today()
    national = network.kind is OrganisationKind.NATIONAL_NETWORK and network.country is not None
    reach_level = 1 if national else 0
    level = reach_level if request.level is None else request.level
    networks = area_counts.networks_counted(session, network.id, None)
    codes = area_counts.served_codes(session, networks, None, public_only=False)
    countries = [network.country] if national else sorted({c[:2] for c in codes})
    asked_set = _set_row(session, min(level, reach_level), None, countries, now)
    refused = disclosure.reach_refusals(
        level=level, reach_level=reach_level, on_other_day=request.on not in (None, now),
        other_set=request.set_key not in (None, asked_set.key), compare=request.compare_on is not None,
        filters=request.filters)
    if refused:
        raise CoverageError(refused)
    table_set = asked_set if level == reach_level else _set_row(session, reach_level, None, countries, now)
    table_geo = _as_geo(session, table_set, countries)
    check_request(table_geo, view=View.REACH, threshold=request.threshold, filters={})
    placed_on = place_codes(table_geo, codes, scope=countries, parents=areas.parents_of(session, codes))
    table = coverage_from_counts(_counts(area_counts.area_counts(session, networks, None, placed_on,
                                                                 public_only=False)),
                                 table_geo, view=View.REACH, threshold=request.threshold, scope=countries)
    if level == reach_level:
        return table
    return country_total(table, _as_geo(session, asked_set, countries), network.country)


def coverage_csv(coverage: Coverage, *, bom: bool = True) -> bytes:
    """The areas of a coverage the view counts someone in, one row each, with the boundary set
    they were counted on: the map's own table, so a spreadsheet's count of rows is the map's."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Code"), _("Area"), _("Members"), _("Boundary set")])
    for area in coverage.areas:
        if area.status in (AreaStatus.COUNTED, AreaStatus.MASKED):
            count = "" if area.count is None else str(area.count)
            writer.writerow([neutralise(area.code), neutralise(area.name), count,
                             neutralise(coverage.boundary_set.title)])
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


def configured_tiles(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """The operator's basemap as (URL template, attribution), or None (the default)."""
    url, attribution = config.get("MAP_TILES_URL"), config.get("MAP_TILES_ATTRIBUTION")
    if url and not attribution:
        raise RuntimeError("REGISTRY_MAP_TILES_URL needs REGISTRY_MAP_TILES_ATTRIBUTION")
    return (url, attribution) if url else None


def _set_row(session: Session, level: int, set_key: str | None, countries: list[str],
             on: dt.date, *, candidates: list[areas.BoundarySet] | None = None) -> areas.BoundarySet:
    """The boundary set asked for, or the one of `level` valid on `on`: the country's own set
    when there is one country, otherwise the world's. `candidates`: those sets, already read."""
    if set_key:
        row = areas.boundary_set(session, set_key)
        if row is None:
            raise NotFound(f"no boundary set {set_key!r}")
        return row
    if candidates is None:
        candidates = areas.sets_for(session, level, on)
    national = [s for s in candidates if s.country and s.country in countries]
    world = [s for s in candidates if s.country is None]
    if len(countries) == 1 and national:
        return national[0]
    if world:
        return world[0]
    raise ValidationFailed.on("level", f"no level-{level} boundary set covers "
                                       f"{', '.join(countries) or 'these areas'} on {on}")


def _as_geo(session: Session, row: areas.BoundarySet, countries: list[str]) -> BoundarySet:
    """The set as geo/ takes it: a world set of provinces cut to the countries shown, a world
    set of countries to the region around them."""
    world = row.country is None and bool(countries)
    restrict = tuple(countries) if world and row.level > 0 else None
    if world and row.level == 0:
        return _around(session, row, tuple(countries))
    return _read_set(session, row.key, row.imported_at, restrict)


def _around(session: Session, row: areas.BoundarySet, countries: tuple[str, ...]) -> BoundarySet:
    cache_key = (f"{row.key} around", row.imported_at, countries)
    if cache_key not in _CACHE:
        _remember(cache_key, around(_read_set(session, row.key, row.imported_at, None), countries))
    _CACHE.move_to_end(cache_key)
    return _CACHE[cache_key]


# Boundary sets rebuilt from the database, keyed by (set, import time, countries): a set is
# read once per process, and a re-imported set (new import time) is read afresh.
_CACHE: OrderedDict[tuple[str, dt.datetime, tuple[str, ...] | None], BoundarySet] = OrderedDict()
_CACHE_SIZE = 16


def _read_set(session: Session, key: str, imported_at: dt.datetime,
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
    _remember(cache_key, built)
    return built


def _remember(cache_key: tuple[str, dt.datetime, tuple[str, ...] | None], built: BoundarySet) -> None:
    _CACHE[cache_key] = built
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
