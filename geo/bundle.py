"""Derives the boundary sets shipped in geo/data from the Natural Earth files in shared/geo.

Run `python -m geo.bundle [SOURCE_DIR]`. The output is deterministic, so a re-run on the same
sources changes nothing; only public-domain Natural Earth derivatives are ever written here.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

SHARED_GEO_ENV = "REGISTRY_SHARED_GEO"
DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = ("en", "fr", "es", "ru", "zh", "vi")

SOURCES = {
    "ne-admin0": "world_admin0_ne10m.geojson",
    "ne-admin1": "world_admin1_ne10m.geojson",
    "vn-63-2008": "vn_admin1_63_pre2025_ne10m.geojson",
    "vn-34-2025": "vn_admin1_34_2025_ne10m.geojson",
}

# coverage_simplify's tolerance is roughly the square root of the triangle area it removes, in
# degrees. These values keep the world admin-1 map under 5 MB and Vietnam's under 150 KB.
WORLD_TOLERANCE, WORLD_GRID = 0.05, 0.001
VN_TOLERANCE, VN_GRID = 0.02, 0.0001

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,6}$")
# Natural Earth's stand-ins where ISO has no code: "SY-X01~", "-99-X16~" and one "AI-X00".
_NE_PLACEHOLDER = re.compile(r"-X\d+~?$")

Feature = dict[str, Any]


def shared_geo_dir() -> Path:
    """shared/geo beside the repository, unless REGISTRY_SHARED_GEO names another folder."""
    override = os.environ.get(SHARED_GEO_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / ".." / "shared" / "geo"


def build_bundle(source_dir: Path | None = None, target_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Write the four bundled sets into `target_dir`; returns {set id: written file}."""
    source_dir = Path(source_dir) if source_dir else shared_geo_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    sources = {set_id: _read(source_dir / name) for set_id, name in SOURCES.items()}

    vn63 = _vietnam_63(sources["vn-63-2008"])
    built = {
        "ne-admin0": _world_admin0(sources["ne-admin0"]),
        "ne-admin1": _world_admin1(sources["ne-admin1"], sources["ne-admin0"]),
        "vn-63-2008": vn63,
        "vn-34-2025": _vietnam_34(sources["vn-34-2025"], vn63),
    }
    written = {}
    for set_id, features in built.items():
        path = target_dir / f"{set_id}.geojson"
        decimals = 3 if set_id.startswith("ne-") else 4
        _write(path, set_id, features, decimals)
        written[set_id] = path
    return written


def _read(path: Path) -> list[Feature]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def _simplified(features: Sequence[Feature], tolerance: float, grid: float) -> np.ndarray:
    # One topology-aware pass over the whole layer, so neighbours keep sharing their edges.
    geoms = np.array([shape(f["geometry"]) for f in features])
    return shapely.set_precision(shapely.coverage_simplify(geoms, tolerance), grid)


def _dissolve(parts: Sequence[Any], grid: float) -> Any:
    merged = parts[0] if len(parts) == 1 else shapely.union_all(parts, grid_size=grid)
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    return merged


def _names(props: dict[str, Any]) -> dict[str, str]:
    return {f"name_{lang}": props[f"name_{lang}"] for lang in LANGUAGES if props.get(f"name_{lang}")}


def _shared_names(group: Sequence[dict[str, Any]]) -> dict[str, str]:
    # A name only one part carries would mislabel the merged area, so keep those all parts share.
    first = _names(group[0])
    return {k: v for k, v in first.items() if all(p.get(k) == v for p in group[1:])}


def _group_name(group: Sequence[dict[str, Any]], areas: Sequence[float]) -> str:
    names = list(dict.fromkeys(p.get("name") for p in group if p.get("name")))
    if len(names) <= 1:
        return names[0] if names else ""
    largest = group[int(np.argmax(areas))].get("name") or names[0]
    if len(names) <= 3:
        return ", ".join([largest] + [n for n in names if n != largest])
    return f"{largest} and {len(names) - 1} more"


def _grouped(
    features: Sequence[Feature], code_of: Callable[[dict[str, Any]], str | None]
) -> tuple[dict[str, list[int]], list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    uncoded: list[int] = []
    for i, f in enumerate(features):
        code = code_of(f["properties"])
        if code:
            groups[code].append(i)
        else:
            uncoded.append(i)
    return dict(sorted(groups.items())), uncoded


def _is_iso_subdivision(code: str) -> bool:
    return bool(_SUBDIVISION.match(code)) and not _NE_PLACEHOLDER.search(code)


def _world_admin0(features: list[Feature]) -> list[Feature]:
    geoms = _simplified(features, WORLD_TOLERANCE, WORLD_GRID)
    groups, uncoded = _grouped(
        features, lambda p: p["iso_a2"] if _COUNTRY.match(p.get("iso_a2") or "") else None
    )
    out = []
    for code, idx in groups.items():
        props = [features[i]["properties"] for i in idx]
        # The country itself, not a dependency that shares its ISO code (Clipperton, Coral Sea).
        main = next((p for p in props if p.get("adm0_a3") == p.get("iso_a3")), props[0])
        out.append(_feature(
            _dissolve(list(geoms[idx]), WORLD_GRID),
            code=code, name=main["name"], country=code, parent_code=None,
            **_names(main), iso_a3=main.get("iso_a3"), iso_n3=main.get("iso_n3"),
            ne_adm0_a3=[p["adm0_a3"] for p in props], ne_features=len(idx),
        ))
    out.extend(_uncoded(features, geoms, uncoded, lambda p: p["adm0_a3"], lambda p: None))
    return out


def _world_admin1(features: list[Feature], admin0: list[Feature]) -> list[Feature]:
    """One area per ISO 3166-2 code; Natural Earth splits some codes over several polygons."""
    geoms = _simplified(features, WORLD_TOLERANCE, WORLD_GRID)
    countries: dict[str, dict[str, Any]] = {}
    for p in sorted((f["properties"] for f in admin0), key=lambda p: p.get("adm0_a3") == p.get("iso_a3")):
        countries[p["iso_a2"]] = p  # the country itself wins over a dependency sharing its code
    by_country: dict[str, list[str]] = defaultdict(list)
    for f in features:
        by_country[f["properties"]["iso_a2"]].append(f["properties"]["iso_3166_2"])
    # Territories with no ISO subdivision at all (Hong Kong, Kosovo, Åland...) become one
    # level-1 area under their country code, so an organisation recorded there still shows.
    whole = {c for c, codes in by_country.items()
             if _COUNTRY.match(c) and not any(_is_iso_subdivision(x) for x in codes)}

    def code_of(p: dict[str, Any]) -> str | None:
        if _is_iso_subdivision(p["iso_3166_2"]):
            return p["iso_3166_2"]
        return p["iso_a2"] if p["iso_a2"] in whole else None

    groups, uncoded = _grouped(features, code_of)
    out = []
    for code, idx in groups.items():
        props = [features[i]["properties"] for i in idx]
        if code in whole:
            country = countries.get(code, props[0])
            name, names = country.get("name") or props[0]["admin"], _names(country)
            parent = None
        else:
            areas = [shapely.area(geoms[i]) for i in idx]
            name, names, parent = _group_name(props, areas), _shared_names(props), code[:2]
        extra: dict[str, Any] = {"ne_features": len(idx)}
        if len(idx) > 1:
            extra["ne_names"] = [p.get("name") for p in props]
        out.append(_feature(
            _dissolve(list(geoms[idx]), WORLD_GRID),
            code=code, name=name, country=code[:2], parent_code=parent, **names,
            type_en=props[0].get("type_en") if len(idx) == 1 else None, **extra,
        ))
    out.extend(_uncoded(features, geoms, uncoded, lambda p: p["iso_3166_2"],
                        lambda p: p["iso_a2"] if _COUNTRY.match(p["iso_a2"]) else None))
    return out


def _uncoded(
    features: list[Feature], geoms: np.ndarray, idx: list[int],
    ne_code: Callable[[dict[str, Any]], str], country: Callable[[dict[str, Any]], str | None],
) -> list[Feature]:
    # Kept so the map has no holes (Somaliland, Northern Cyprus...), but they are not areas:
    # no ISO code exists that an organisation could record.
    out = []
    for i in idx:
        p = features[i]["properties"]
        out.append(_feature(geoms[i], code=None, name=p.get("name") or p.get("admin") or "",
                            country=country(p), parent_code=None, ne_code=ne_code(p), ne_features=1))
    return out


def _vietnam_63(features: list[Feature]) -> list[Feature]:
    geoms = _simplified(features, VN_TOLERANCE, VN_GRID)
    out = []
    for f, geom in sorted(zip(features, geoms), key=lambda fg: fg[0]["properties"]["iso_3166_2"]):
        p = f["properties"]
        out.append(_feature(
            geom, code=p["iso_3166_2"], name=p["name"], country="VN", parent_code="VN",
            name_en=p.get("name_en"), name_vi=p.get("name_vi"), type_en=p.get("type_en"),
            gso_code=p.get("gso_code"), vn2025_unit=p.get("vn2025_unit"),
            vn2025_gso_code=p.get("vn2025_gso_code"), ne_features=1,
        ))
    return out


def _vietnam_34(features: list[Feature], vn63: list[Feature]) -> list[Feature]:
    """The 34 provinces as unions of the simplified 63, so both maps share every edge."""
    old = {f["properties"]["code"]: shape(f["geometry"]) for f in vn63}
    out = []
    for f in sorted(features, key=lambda f: f["properties"]["iso_3166_2_provisional"]):
        p = f["properties"]
        merged = _dissolve([old[c] for c in p["merged_from_iso"]], VN_GRID)
        source = shape(f["geometry"])
        overlap = shapely.area(shapely.intersection(merged, source)) / shapely.area(shapely.union(merged, source))
        if overlap < 0.95:
            raise ValueError(f"{p['name']}: union of {p['merged_from_iso']} differs from the source shape")
        out.append(_feature(
            merged, code=p["iso_3166_2_provisional"], name=p["name"], country="VN", parent_code="VN",
            name_vi=p["name"], name_official=p.get("name_official"), type_en=p.get("type_en"),
            gso_code=p.get("gso_code"), merged_from_iso=list(p["merged_from_iso"]),
            merged_from_gso=list(p["merged_from_gso"]), merged_from_names=list(p["merged_from_names"]),
            ne_features=len(p["merged_from_iso"]),
        ))
    return out


def _feature(geometry: Any, **properties: Any) -> Feature:
    props = {k: v for k, v in properties.items() if v is not None or k in ("code", "parent_code")}
    return {"type": "Feature", "properties": props, "geometry": mapping(geometry)}


def _rounded(coords: Any, decimals: int) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(float(c), decimals) for c in coords]
    return [_rounded(c, decimals) for c in coords]


def _write(path: Path, set_id: str, features: list[Feature], decimals: int) -> None:
    lines = []
    for f in features:
        geom = f["geometry"]
        geom = {"type": geom["type"], "coordinates": _rounded(geom["coordinates"], decimals)}
        lines.append(json.dumps({"type": "Feature", "properties": f["properties"], "geometry": geom},
                                ensure_ascii=False, separators=(",", ":")))
    # One feature per line keeps diffs of a regenerated file readable.
    body = ",\n".join(lines)
    path.write_text(f'{{"type":"FeatureCollection","name":"{set_id}","features":[\n{body}\n]}}\n',
                    encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m geo.bundle [SOURCE_DIR]  (default: shared/geo beside the repo)")
        return 2
    source = Path(args[0]) if args else shared_geo_dir()
    for set_id, path in build_bundle(source).items():
        print(f"{set_id}: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
