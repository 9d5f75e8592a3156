"""Boundary sets: reading and validating boundary files, and the sets bundled in geo/data.

A set is one version of one level of boundaries (e.g. Vietnam's 34 provinces from 2025-07-01);
an area is identified by (set id, code), so the same code may live in two sets.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import BoundaryError

# geopandas, pyogrio, shapely and numpy take most of a second to import: they are imported by
# the functions that read files or measure shapes, so a command or a request that only looks
# sets up (every `registry` command but the boundary ones) never pays for them.
if TYPE_CHECKING:
    import geopandas

__all__ = [
    "ATTRIBUTION_CAMBODIA", "ATTRIBUTION_LAOS", "ATTRIBUTION_NATURAL_EARTH", "BUNDLED_SETS",
    "BoundaryArea", "BoundaryError", "BoundarySet", "BundledSet", "UncodedShape",
    "bundled_sets_valid_on", "load_bundled", "read_boundary_file",
]

# The strings shared/geo/SOURCES.md requires the app to show; callers pass them on import.
ATTRIBUTION_NATURAL_EARTH = "Made with Natural Earth."
ATTRIBUTION_CAMBODIA = (
    "Boundaries: geoBoundaries (Runfola et al. 2020), source Open Development Cambodia, CC BY 4.0. "
    "District and province names and codes: General Directorate of Digital Economy, Ministry of "
    "Economy and Finance, Cambodia (data.mef.gov.kh)"
)
ATTRIBUTION_LAOS = "Boundaries: geoBoundaries, © OpenStreetMap contributors, ODbL 1.0"

# The same shape registry/areas/services.py accepts; kept here too because geo/ may not import registry/.
AREA_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,6})?$")
NAME_LANGUAGES = ("en", "fr", "es", "ru", "zh", "vi", "km", "lo")
DATA_DIR = Path(__file__).resolve().parent / "data"
_AREA_NOUNS = {0: "countries", 1: "provinces", 2: "districts"}


@dataclass(frozen=True)
class BoundaryArea:
    code: str
    name: str
    names: dict[str, str]
    level: int
    parent_code: str | None
    country: str
    geometry: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UncodedShape:
    """Land drawn on a map that no ISO code names (Somaliland, Akrotiri...); never an area."""

    name: str
    country: str | None
    geometry: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BoundarySet:
    id: str
    title: str
    level: int
    country: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    key_field: str
    attribution: str
    licence: str
    source: str
    areas: tuple[BoundaryArea, ...]
    uncoded: tuple[UncodedShape, ...] = ()
    # What was changed on the way in (reprojection, repaired shapes), for the import report.
    repairs: tuple[str, ...] = ()

    @functools.cached_property
    def _by_code(self) -> dict[str, BoundaryArea]:
        return {a.code: a for a in self.areas}

    def area(self, code: str) -> BoundaryArea | None:
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def codes(self) -> list[str]:
        return [a.code for a in self.areas]

    def parents(self) -> dict[str, str]:
        """{code: parent code} for the areas that have a parent, e.g. {"KH-1201": "KH-12"}."""
        return {a.code: a.parent_code for a in self.areas if a.parent_code}

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def area_noun(self) -> str:
        return _AREA_NOUNS.get(self.level, "areas")

    @functools.cached_property
    def geometry_json(self) -> dict[str, str]:
        """Each area's geometry as compact JSON text, serialised once (maps embed it often)."""
        return {a.code: json.dumps(a.geometry, separators=(",", ":")) for a in self.areas}

    @functools.cached_property
    def _bounds(self) -> dict[str, tuple[float, float, float, float]]:
        import shapely
        from shapely.geometry import shape

        return {a.code: tuple(shapely.bounds(shape(a.geometry)).tolist()) for a in self.areas}

    @functools.cached_property
    def packing_grid(self) -> int:
        """The grid the set's shapes are packed on for maps (geo.packing)."""
        from geo.packing import grid_of

        return grid_of([a.geometry for a in self.areas] + [u.geometry for u in self.uncoded])

    @functools.cached_property
    def packed_geometry_json(self) -> dict[str, str]:
        """Each area's geometry as compact JSON text with its rings packed (geo.packing), for maps."""
        from geo.packing import pack_geometry

        return {a.code: json.dumps(pack_geometry(a.geometry, self.packing_grid), separators=(",", ":"))
                for a in self.areas}

    @functools.cached_property
    def _label_points(self) -> dict[str, tuple[float, float]]:
        return {}

    def label_point(self, code: str) -> tuple[float, float]:
        """(lon, lat) of a point inside the area where its label goes, worked out once."""
        if code not in self._label_points:
            import shapely
            from shapely.geometry import shape
            from shapely.ops import polylabel

            # The largest part's point farthest from its edges, rather than the box's centre,
            # which a crescent-shaped province would leave outside itself.
            geom = shape(self._by_code[code].geometry)
            largest = max(shapely.get_parts(geom), key=lambda part: part.area)
            point = polylabel(largest, tolerance=0.01)
            self._label_points[code] = (round(point.x, 4), round(point.y, 4))
        return self._label_points[code]

    def bounds(self, codes: Iterable[str] | None = None) -> tuple[float, float, float, float] | None:
        """(min lon, min lat, max lon, max lat) of the given areas, or of the whole set."""
        boxes = [self._bounds[c] for c in (self.codes() if codes is None else codes) if c in self._bounds]
        if not boxes:
            return None
        import numpy as np

        box = np.array(boxes)
        return (float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 2].max()), float(box[:, 3].max()))


@dataclass(frozen=True)
class BundledSet:
    """A boundary set shipped in geo/data (built by `python -m geo.bundle`)."""

    id: str
    title: str
    level: int
    country: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    key_field: str = "code"
    attribution: str = ATTRIBUTION_NATURAL_EARTH
    licence: str = "public domain (Natural Earth)"

    @property
    def path(self) -> Path:
        return DATA_DIR / f"{self.id}.geojson"


BUNDLED_SETS: dict[str, BundledSet] = {
    s.id: s for s in (
        BundledSet("ne-admin0", "Countries (Natural Earth 1:10m)", 0, None, None, None),
        BundledSet("ne-admin1", "Provinces and states of the world (Natural Earth 1:10m)", 1,
                   None, None, None),
        BundledSet("vn-63-2008", "Vietnam: 63 provinces (2008-08-01 to 2025-06-30)", 1, "VN",
                   dt.date(2008, 8, 1), dt.date(2025, 6, 30)),
        BundledSet("vn-34-2025", "Vietnam: 34 provinces (from 2025-07-01)", 1, "VN",
                   dt.date(2025, 7, 1), None),
    )
}


def bundled_sets_valid_on(
    day: dt.date, *, level: int | None = None, country: str | None = None
) -> list[BundledSet]:
    """The bundled sets in force on `day`, e.g. the VN provinces of 2012 or of 2025."""
    return [
        s for s in BUNDLED_SETS.values()
        if (level is None or s.level == level) and (country is None or s.country == country)
        and (s.valid_from is None or s.valid_from <= day) and (s.valid_to is None or day <= s.valid_to)
    ]


@functools.cache
def load_bundled(set_id: str) -> BoundarySet:
    """A bundled set, read once per process. The result is shared: do not mutate its dicts."""
    try:
        info = BUNDLED_SETS[set_id]
    except KeyError:
        raise BoundaryError(f"no bundled boundary set {set_id!r}; known: {', '.join(BUNDLED_SETS)}")
    return read_boundary_file(
        info.path, key_field=info.key_field, level=info.level, country=info.country,
        valid_from=info.valid_from, valid_to=info.valid_to, name_field="name",
        parent_field="parent_code", attribution=info.attribution, licence=info.licence,
        set_id=info.id, title=info.title, keep_uncoded=True,
    )


def read_boundary_file(
    path: str | Path,
    *,
    key_field: str,
    level: int,
    country: str | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    name_field: str,
    attribution: str,
    code_prefix: str | None = None,
    parent_field: str | None = None,
    names_fields: Mapping[str, str] | None = None,
    licence: str = "",
    set_id: str | None = None,
    title: str | None = None,
    layer: str | None = None,
    keep_uncoded: bool = False,
) -> BoundarySet:
    """Read a boundary file (GeoJSON, GeoPackage, zipped Shapefile...) into a validated set.

    Codes are `code_prefix` + the key field's value ("KH-" + "1201"). A level-1 area without a
    parent field gets its country as parent. Invalid shapes are repaired with make_valid and
    reported in `repairs`; everything else wrong is refused with one BoundaryError listing every
    reason. `names_fields` maps a language to a field; by default the name_<lang> fields found.
    """
    path = Path(path)
    frame = _read_frame(path, layer)
    repairs: list[str] = []
    if frame.crs is None:
        raise BoundaryError(
            f"{path.name}: the file declares no coordinate reference system, so its coordinates "
            "cannot be placed; save it with its CRS (e.g. EPSG:4326, or a .prj beside a shapefile)"
        )
    if frame.crs.to_epsg() != 4326:
        repairs.append(f"reprojected from {frame.crs.to_string()} to EPSG:4326")
        frame = frame.to_crs(4326)

    columns = [c for c in frame.columns if c != frame.geometry.name]
    if names_fields is None:
        names_fields = {lang: f"name_{lang}" for lang in NAME_LANGUAGES if f"name_{lang}" in columns}
    wanted = [key_field, name_field, *([parent_field] if parent_field else []), *names_fields.values()]
    missing = [f for f in dict.fromkeys(wanted) if f not in columns]
    if missing:
        raise BoundaryError(
            f"{path.name}: no field {', '.join(repr(f) for f in missing)}; "
            f"the file has: {', '.join(columns) or 'no fields'}"
        )
    if frame.empty:
        raise BoundaryError(f"{path.name}: the file has no features")

    used = set(wanted)
    rows = frame.to_dict("records")
    reasons: list[str] = []
    areas: list[BoundaryArea] = []
    uncoded: list[UncodedShape] = []
    nameless_codes: list[str] = []
    codeless: list[str] = []
    counts = Counter(_code(r[key_field], code_prefix) for r in rows)

    for number, row in enumerate(rows, start=1):
        code = _code(row[key_field], code_prefix)
        name = _text(row[name_field]) or ""
        props = {k: v for k, raw in row.items()
                 if k not in used and k != frame.geometry.name and (v := _plain(raw)) is not None}
        label = code or f"feature {number}{f' ({name})' if name else ''}"
        geometry = _polygonal(row[frame.geometry.name], label, reasons, repairs)
        if code is None:
            if keep_uncoded:
                if geometry is not None:
                    uncoded.append(UncodedShape(name, _text(row.get("country")), geometry, props))
            else:
                codeless.append(label)
            continue
        if counts[code] > 1:
            continue  # reported once below
        if not AREA_CODE.match(code):
            reasons.append(f"{code!r}: not an area code like VN, VN-HN, KH-12 or KH-1201")
            continue
        if level == 0 and "-" in code:
            reasons.append(f"{code}: a subdivision code in a set of countries")
        if country and code[:2] != country:
            reasons.append(f"{code}: not in {country}, the set's country")
        if not name:
            nameless_codes.append(code)
        parent = _code(row[parent_field], None) if parent_field else (code[:2] if level == 1 else None)
        names = {lang: t for lang, f in names_fields.items() if (t := _text(row[f]))}
        if geometry is not None:
            areas.append(BoundaryArea(code, name, names, level, parent, code[:2], geometry, props))

    if codeless:
        reasons.append(f"no value in {key_field!r} for: {', '.join(codeless)}")
    reasons.extend(f"{code}: appears {n} times" for code, n in counts.items() if code and n > 1)
    if nameless_codes:
        reasons.append(f"no name in {name_field!r} for: {', '.join(nameless_codes)}")
    if reasons:
        raise BoundaryError([f"{path.name}: {r}" for r in reasons])
    return BoundarySet(
        id=set_id or path.stem, title=title or path.stem, level=level, country=country,
        valid_from=valid_from, valid_to=valid_to, key_field=key_field, attribution=attribution,
        licence=licence, source=path.name, areas=tuple(areas), uncoded=tuple(uncoded),
        repairs=tuple(repairs),
    )


def _read_frame(path: Path, layer: str | None) -> geopandas.GeoDataFrame:
    import geopandas
    import pyogrio

    if not path.exists():
        raise BoundaryError(f"{path.name}: no such file")
    try:
        if layer is None:
            layers = [name for name, _ in pyogrio.list_layers(path)]
            if len(layers) > 1:
                raise BoundaryError(f"{path.name}: has several layers ({', '.join(layers)}); name one")
        return geopandas.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.FeatureError,
            pyogrio.errors.CRSError, UnicodeDecodeError, ValueError) as exc:
        raise BoundaryError(f"{path.name}: not a boundary file that can be read ({exc})") from exc


def _polygonal(geom: Any, label: str, reasons: list[str], repairs: list[str]) -> dict[str, Any] | None:
    import shapely
    from shapely.geometry import mapping

    if geom is None or shapely.is_empty(geom):
        reasons.append(f"{label}: has no geometry")
        return None
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        fixed = _polygons_only(shapely.make_valid(geom))
        if fixed is None:
            reasons.append(f"{label}: invalid geometry ({why}) that could not be repaired")
            return None
        repairs.append(f"{label}: repaired invalid geometry ({why})")
        geom = fixed
    polygons = _polygons_only(geom)
    if polygons is None:
        reasons.append(f"{label}: is a {geom.geom_type}, not an area")
        return None
    return mapping(polygons)


def _polygons_only(geom: Any) -> Any | None:
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return None if geom.is_empty else geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return None if merged.is_empty else merged


def _code(value: Any, prefix: str | None) -> str | None:
    text = _text(value)
    return f"{prefix or ''}{text}" if text else None


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a shapefile stores integer codes such as 79 as 79.0
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> Any:
    """A JSON-ready value from whatever pandas/numpy handed over (NaN and NA become None)."""
    import numpy as np  # loaded already: only values read by geopandas come here

    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
