"""Fixtures for geo/: where shared/geo lives, and small hand-made boundary sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.boundaries import ATTRIBUTION_NATURAL_EARTH, BoundaryArea, BoundarySet
from geo.bundle import shared_geo_dir

# The geoBoundaries files (CC BY / ODbL) are never copied into the repo: read them in place.
SHARED_GEO = shared_geo_dir()

HOSTILE = ("<img src=x onerror=alert(1)>", "`", "${alert(1)}")


@pytest.fixture(scope="session")
def shared_geo() -> Path:
    assert (SHARED_GEO / "SOURCES.md").exists(), (
        f"shared/geo not found at {SHARED_GEO}: put it beside the repository or set REGISTRY_SHARED_GEO")
    return SHARED_GEO


def square(x: float, y: float, size: float = 1.0) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_set(areas: list[tuple[str, str]], *, level: int = 1, country: str | None = "VN",
             set_id: str = "test-set", attribution: str = ATTRIBUTION_NATURAL_EARTH,
             parents: dict[str, str] | None = None) -> BoundarySet:
    """A boundary set of unit squares in a row, one per (code, name)."""
    parents = parents or {}
    built = tuple(
        BoundaryArea(code, name, {}, level, parents.get(code, code[:2] if level == 1 else None),
                     code[:2], square(100 + i, 10))
        for i, (code, name) in enumerate(areas)
    )
    return BoundarySet(
        id=set_id, title=set_id, level=level, country=country, valid_from=None, valid_to=None,
        key_field="code", attribution=attribution, licence="", source="hand-made", areas=built,
    )
