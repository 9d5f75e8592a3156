"""The part of a boundary set a map needs: a set of the world's countries cut to the region
around a network's own countries, so that Vietnam's map does not carry the Americas."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from geo.boundaries import BoundarySet

__all__ = ["around", "region_box"]

# Each side of the region reaches this share of its width (or height) beyond the countries,
# and at least MIN_MARGIN degrees: the neighbours show, greyed, for orientation.
MARGIN = 0.25
MIN_MARGIN = 2.0


def region_box(bset: BoundarySet, codes: Iterable[str]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the areas `codes` names, with its margin; None when
    the set holds none of them or they reach around the world (then nothing is cut)."""
    box = bset.bounds([c for c in codes if c in bset])
    if box is None:
        return None
    west, south, east, north = box
    if east - west > 180:  # across the antimeridian (Fiji, Russia): a cut would split them
        return None
    dx = max((east - west) * MARGIN, MIN_MARGIN)
    dy = max((north - south) * MARGIN, MIN_MARGIN)
    return (max(west - dx, -180.0), max(south - dy, -90.0), min(east + dx, 180.0), min(north + dy, 90.0))


def around(bset: BoundarySet, codes: Iterable[str]) -> BoundarySet:
    """`bset` with only what lies in the region around `codes` (see region_box): areas and
    uncoded shapes outside it dropped, those across its edge cut at the edge. Areas keep their
    codes, names and properties; the set is unchanged when there is no region to cut to."""
    box = region_box(bset, codes)
    if box is None:
        return bset
    import shapely
    from shapely.geometry import box as rectangle, mapping, shape

    frame = rectangle(*box)
    # Points made where the edge cuts a border go on the set's own grid, so that the cut set
    # packs as tightly as the whole (geo.packing).
    grid = 1 / bset.packing_grid

    def cut(geometry: dict[str, Any]) -> dict[str, Any] | None:
        geom = shape(geometry)
        if not geom.intersects(frame):
            return None
        if frame.contains(geom):
            return geometry
        clipped = shapely.set_precision(shapely.clip_by_rect(geom, *box), grid)
        parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon" and not p.is_empty]
        if not parts:
            return None
        return mapping(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))

    areas = tuple(dataclasses.replace(a, geometry=g) for a in bset.areas if (g := cut(a.geometry)) is not None)
    uncoded = tuple(dataclasses.replace(u, geometry=g) for u in bset.uncoded if (g := cut(u.geometry)) is not None)
    return dataclasses.replace(bset, areas=areas, uncoded=uncoded)
