"""Area shapes written compactly for a map page, and read back by the page's script.

A map page spends nearly all its bytes on coordinates; as GeoJSON text each point costs about
17 bytes ("[105.8412,21.0245],"). Here each ring becomes one string: its points on a grid of
1/10,000 degree (about 11 m, the precision the boundary sets are stored at; 1/1,000 for a set
stored at that, as the world's are: each number then takes fewer bits), the first as it is
and every later one as the step from the one before, each number zigzag-coded and written five
bits to a letter. A step between neighbouring points is small, so most points take four to six
letters. The letters are A-Z, a-z, 0-9, '-' and '_' only: nothing a page, a script or a template
could read as anything but text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ALPHABET", "GRID", "grid_of", "pack_geometry", "pack_ring", "unpack_ring"]

GRID = 10_000  # steps per degree
COARSE_GRID = 1_000
# The first 32 letters carry five bits with more to come, the last 32 the final five bits.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_MORE, _LAST = ALPHABET[:32], ALPHABET[32:]


def grid_of(geometries: Iterable[dict[str, Any]]) -> int:
    """The coarsest grid every coordinate of `geometries` lies on: COARSE_GRID or GRID."""
    import numpy as np
    import shapely
    from shapely.geometry import shape

    coordinates = shapely.get_coordinates([shape(g) for g in geometries])
    steps = coordinates * COARSE_GRID
    return COARSE_GRID if np.allclose(steps, np.round(steps), rtol=0, atol=1e-6) else GRID


def pack_geometry(geometry: dict[str, Any], grid: int = GRID) -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon with each ring as a packed string."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        return {"type": kind, "coordinates": [pack_ring(r, grid) for r in coordinates]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[pack_ring(r, grid) for r in polygon] for polygon in coordinates]}
    raise ValueError(f"a {kind} is not an area")


def pack_ring(ring: list[list[float]], grid: int = GRID) -> str:
    out: list[str] = []
    x0 = y0 = 0
    for point in ring:
        x, y = round(point[0] * grid), round(point[1] * grid)
        for step in (x - x0, y - y0):
            n = step * 2 if step >= 0 else -step * 2 - 1  # zigzag: small either way
            while n >= 32:
                out.append(_MORE[n & 31])
                n >>= 5
            out.append(_LAST[n])
        x0, y0 = x, y
    return "".join(out)


def unpack_ring(text: str, grid: int = GRID) -> list[list[float]]:
    """The ring a packed string holds (what the page's script does, for tests and tools)."""
    numbers, n, shift = [], 0, 0
    for letter in text:
        value = ALPHABET.index(letter)
        if value < 32:
            n |= value << shift
            shift += 5
            continue
        n |= (value - 32) << shift
        numbers.append(n // 2 if n % 2 == 0 else -(n + 1) // 2)
        n, shift = 0, 0
    ring, x, y = [], 0, 0
    for dx, dy in zip(numbers[0::2], numbers[1::2]):
        x, y = x + dx, y + dy
        ring.append([x / grid, y / grid])
    return ring


# The page's decoder, the mirror of pack_ring (geo.maps puts it in the page).
UNPACK_JS = """
        function coverage_unpack(text, grid) {
            var ring = [], numbers = [], n = 0, shift = 0, x = 0, y = 0, i, value;
            for (i = 0; i < text.length; i++) {
                value = coverage_letters[text.charCodeAt(i)];
                if (value < 32) { n += value * Math.pow(2, shift); shift += 5; continue; }
                n += (value - 32) * Math.pow(2, shift);
                numbers.push(n % 2 === 0 ? n / 2 : -(n + 1) / 2);
                n = 0; shift = 0;
            }
            for (i = 0; i + 1 < numbers.length; i += 2) {
                x += numbers[i]; y += numbers[i + 1];
                ring.push([x / grid, y / grid]);
            }
            return ring;
        }
        var coverage_letters = {};
        \"""" + ALPHABET + """\".split("").forEach(function (c, i) { coverage_letters[c.charCodeAt(0)] = i; });
        // A layer's features with their rings unpacked and their state (colour, what a hover
        // says) taken from the layer's table of states.
        function coverage_shapes(layer) {
            function ring(text) { return coverage_unpack(text, layer.grid); }
            layer.features.features.forEach(function (f) {
                var g = f.geometry, p = f.properties, state = layer.states[p.s];
                p.fill = state[0];
                p.lines = (state[1] ? [state[1]] : []).concat(p.names || []);
                g.coordinates = g.type === "Polygon" ? g.coordinates.map(ring)
                    : g.coordinates.map(function (polygon) { return polygon.map(ring); });
            });
            return layer.features;
        }
"""
