"""The gazetteer the seeds need: the bundled Natural Earth sets (read by geo/) and the
names-only entries in gazetteer.yaml, as (import arguments, area records) pairs for
registry.areas.import_boundary_set. Records are produced lazily: a set already imported is
never read again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from geo.boundaries import BUNDLED_SETS, BoundarySet, load_bundled
from registry.areas.models import AreaRecord

# Countries first, then Vietnam's two province sets, then the world's provinces.
DEFAULT_BUNDLED = ("ne-admin0", "vn-63-2008", "vn-34-2025", "ne-admin1")

SetToLoad = tuple[dict[str, Any], Callable[[], list[AreaRecord]]]


def bundled_records(keys: Iterable[str] | None = None) -> Iterator[SetToLoad]:
    for key in keys if keys is not None else DEFAULT_BUNDLED:
        info = BUNDLED_SETS[key]
        spec = {"key": info.id, "title": info.title, "level": info.level, "country": info.country,
                "valid_from": info.valid_from, "valid_to": info.valid_to,
                "attribution": info.attribution, "licence": info.licence}
        yield spec, (lambda key=key: area_records(load_bundled(key)))


def area_records(boundary_set: BoundarySet) -> list[AreaRecord]:
    """geo's areas as the registry's records (geometry included)."""
    return [AreaRecord(code=a.code, name=a.name, level=a.level, country=a.country,
                       parent_code=a.parent_code, names=dict(a.names), properties=dict(a.properties),
                       geometry=a.geometry)
            for a in boundary_set.areas]


def gazetteer_records(data: dict[str, Any]) -> Iterator[SetToLoad]:
    for item in data["boundary_sets"]:
        spec = {k: item[k] for k in ("key", "title", "level", "country", "attribution", "licence")}
        parent = {2: lambda code: code[:5]}.get(item["level"])  # KH-1201 sits in KH-12

        def records(item: dict[str, Any] = item, parent: Callable[[str], str] | None = parent
                    ) -> list[AreaRecord]:
            return [AreaRecord(code=a["code"], name=a["name"], level=item["level"],
                               country=item["country"], parent_code=parent(a["code"]) if parent else None,
                               names={"en": a["name"], **({"km": a["km"]} if "km" in a else {})})
                    for a in item["areas"]]

        yield spec, records


def licensed_sets(directory: Path, data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Path, dict[str, Any]]]:
    """(import arguments, file, reader arguments) for each licensed file present in `directory`."""
    for item in data["boundary_sets"]:
        path = directory / item["file"]
        if not path.exists():
            continue
        spec = {k: item.get(k) for k in ("key", "title", "level", "country", "attribution", "licence")}
        reader = {k: item.get(k) for k in ("key_field", "name_field", "code_prefix", "parent_field")}
        yield spec, path, reader
