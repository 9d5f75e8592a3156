"""Fixtures for geo/: where shared/geo lives, and small hand-made boundary sets."""

from __future__ import annotations

import json
import os
import re
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


# Jinja and script payloads for every string a person or a file can set. Evaluated by Jinja, the
# first reads "49|<pid>" and the fourth "x"; the others fail to compile (a 500) or break out.
JINJA = (
    "{{ 7*7 }}|{{ cycler.__init__.__globals__.os.getpid() }}",
    "{% raw %}",
    "{# x",
    "{%- if true %}x{% endif %}",
    "${alert(1)}",
    "`",
    "</script><script>alert(1)</script>",
)
MAP_DATA = re.compile(r'<script type="application/json" id="coverage-map-data">(.*?)</script>', re.S)


def map_data(html: str) -> dict:
    """The one JSON blob a map page carries its people's and files' text in, each feature given
    its colour and hover lines from its layer's states as the page's script gives them."""
    found = MAP_DATA.findall(html)
    assert len(found) == 1, f"expected one map data blob, found {len(found)}"
    data = json.loads(found[0])
    for layer in data["layers"]:
        for feature in layer["features"]["features"]:
            p = feature["properties"]
            fill, label = layer["states"][p["s"]]
            p.update(fill=fill, lines=([label] if label else []) + p.get("names", []))
    return data


def strings_in(value: object) -> list[str]:
    """Every string anywhere in a decoded JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def assert_inert(html: str, payloads: tuple[str, ...] = JINJA) -> dict:
    """No payload was evaluated or reached the page as markup; each survives as data."""
    assert f"49|{os.getpid()}" not in html and "49|" not in html
    for opener in ("{{", "{%", "{#"):
        assert opener not in html, f"{opener} reached the page"
    assert "<script>alert(1)" not in html and "${alert(1)}" not in html
    data = map_data(html)
    found = "\n".join(strings_in(data))
    for payload in payloads:
        assert payload in found, f"{payload!r} did not survive as data"
    return data
