from __future__ import annotations

import datetime as dt
import json
import warnings
import zipfile
from pathlib import Path

import geopandas
import pytest

from geo.boundaries import (
    AREA_CODE, ATTRIBUTION_CAMBODIA, ATTRIBUTION_LAOS, ATTRIBUTION_NATURAL_EARTH, BUNDLED_SETS,
    BoundaryError, bundled_sets_valid_on, load_bundled, read_boundary_file,
)

KH_ADMIN1 = "kh_admin1_25_geoboundaries2014.geojson"
KH_DISTRICTS = "kh_admin2_districts_geoboundaries2014.geojson"
LA_ADMIN1 = "la_admin1_18_geoboundaries.geojson"


def read_kh_provinces(path: Path, **overrides):
    options = dict(key_field="iso_3166_2", level=1, country="KH", valid_from=None, valid_to=None,
                   name_field="name_en", attribution=ATTRIBUTION_CAMBODIA, licence="CC BY 4.0")
    return read_boundary_file(path, **(options | overrides))


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(code, geometry, name="Somewhere"):
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}


SQUARE = {"type": "Polygon", "coordinates": [[[100, 10], [101, 10], [101, 11], [100, 11], [100, 10]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[100, 10], [101, 11], [101, 10], [100, 11], [100, 10]]]}


def read_simple(path: Path, **overrides):
    options = dict(key_field="code", level=1, country="VN", valid_from=None, valid_to=None,
                   name_field="name", attribution=ATTRIBUTION_NATURAL_EARTH)
    return read_boundary_file(path, **(options | overrides))


# --- the bundled sets -------------------------------------------------------------------------

@pytest.mark.parametrize(("set_id", "areas", "uncoded", "source_features"), [
    ("ne-admin0", 239, 8, 251),
    ("ne-admin1", 4352, 44, 4596),
    ("vn-63-2008", 63, 0, 63),
    ("vn-34-2025", 34, 0, 34),
])
def test_bundled_sets_load_with_every_source_feature_accounted_for(set_id, areas, uncoded,
                                                                   source_features):
    bset = load_bundled(set_id)
    assert (len(bset.areas), len(bset.uncoded)) == (areas, uncoded)
    # Natural Earth splits some ISO codes over several polygons; each area says how many it took.
    if set_id == "vn-34-2025":
        assert len(bset.areas) == source_features
        assert sum(a.properties["ne_features"] for a in bset.areas) == 63
    else:
        used = sum(a.properties["ne_features"] for a in bset.areas)
        assert used + sum(s.properties["ne_features"] for s in bset.uncoded) == source_features
    codes = bset.codes()
    assert len(set(codes)) == len(codes)
    assert all(AREA_CODE.match(c) for c in codes)
    assert bset.attribution == ATTRIBUTION_NATURAL_EARTH


def test_world_admin1_has_one_area_per_iso_code():
    world = load_bundled("ne-admin1")
    manila = world.area("PH-MNL")  # 17 Natural Earth polygons, one ISO code
    assert manila.properties["ne_features"] == 17 and len(manila.properties["ne_names"]) == 17
    assert manila.geometry["type"] == "Polygon"  # the 17 cities dissolved into one shape
    assert world.area("VN-HN").names["en"] == "Hanoi"
    assert world.area("LA-VT").country == "LA"
    # A territory without ISO subdivisions is one level-1 area under its country code.
    assert world.area("HK").name == "Hong Kong"
    assert "Somaliland" in {s.name for s in world.uncoded}


def test_vietnam_sets_carry_their_validity_and_the_merge_table():
    old, new = load_bundled("vn-63-2008"), load_bundled("vn-34-2025")
    assert old.valid_to == dt.date(2025, 6, 30) and new.valid_from == dt.date(2025, 7, 1)
    assert old.valid_on(dt.date(2012, 1, 1)) and not new.valid_on(dt.date(2012, 1, 1))
    assert "VN-HN" in old and "VN-HN" in new
    hcmc = new.area("VN-SG")
    assert hcmc.name == "Hồ Chí Minh"
    assert hcmc.properties["merged_from_iso"] == ["VN-SG", "VN-57", "VN-43"]
    assert [s.id for s in bundled_sets_valid_on(dt.date(2012, 5, 1), country="VN")] == ["vn-63-2008"]
    assert [s.id for s in bundled_sets_valid_on(dt.date(2025, 7, 1), country="VN")] == ["vn-34-2025"]


def test_unknown_bundled_set_is_refused():
    with pytest.raises(BoundaryError, match="no bundled boundary set 'vn-2030'"):
        load_bundled("vn-2030")


def test_bundled_ids_match_the_descriptors():
    assert set(BUNDLED_SETS) == {"ne-admin0", "ne-admin1", "vn-63-2008", "vn-34-2025"}
    assert all(s.path.exists() for s in BUNDLED_SETS.values())


# --- importing the Cambodia and Laos files from shared/geo ------------------------------------

def test_cambodia_provinces_import(shared_geo):
    kh = read_kh_provinces(shared_geo / KH_ADMIN1, set_id="kh-25-2014")
    assert len(kh.areas) == 25
    phnom_penh = kh.area("KH-12")
    assert phnom_penh.name == "Phnom Penh" and phnom_penh.names["km"] == "រាជធានីភ្នំពេញ"
    assert phnom_penh.parent_code == "KH" and phnom_penh.country == "KH"
    assert "KH-25" in kh  # Tboung Khmum, missing from Natural Earth
    assert kh.attribution == ATTRIBUTION_CAMBODIA


def test_cambodia_districts_import_with_prefix_and_parent(shared_geo):
    districts = read_boundary_file(
        shared_geo / KH_DISTRICTS, key_field="mef_code", code_prefix="KH-",
        parent_field="province_iso_3166_2", level=2, country="KH", valid_from=None,
        valid_to=None, name_field="name_en", attribution=ATTRIBUTION_CAMBODIA,
    )
    assert len(districts.areas) == 197
    chamkar_mon = districts.area("KH-1201")
    assert (chamkar_mon.name, chamkar_mon.parent_code, chamkar_mon.level) == ("Chamkar Mon", "KH-12", 2)
    assert chamkar_mon.properties["gb_shapeID"].startswith("14789045")
    assert districts.parents()["KH-1201"] == "KH-12"


def test_laos_provinces_import(shared_geo):
    la = read_boundary_file(
        shared_geo / LA_ADMIN1, key_field="iso_3166_2", level=1, country="LA", valid_from=None,
        valid_to=None, name_field="name", attribution=ATTRIBUTION_LAOS,
    )
    assert len(la.areas) == 18
    assert la.area("LA-XS").name == "Xaisomboun"
    assert {la.area("LA-VT").name, la.area("LA-VI").name} == {"Vientiane Capital", "Vientiane"}
    assert la.area("LA-VT").names["lo"]


def test_geopackage_and_zipped_shapefile_read_like_geojson(shared_geo, tmp_path):
    frame = geopandas.read_file(shared_geo / KH_ADMIN1)
    frame.to_file(tmp_path / "kh.gpkg", driver="GPKG")
    frame.to_file(tmp_path / "kh.shp")
    with zipfile.ZipFile(tmp_path / "kh.zip", "w") as archive:
        for part in tmp_path.glob("kh.*"):
            if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                archive.write(part, part.name)
    expected = read_kh_provinces(shared_geo / KH_ADMIN1)
    for path in (tmp_path / "kh.gpkg", tmp_path / "kh.zip"):
        got = read_kh_provinces(path)
        assert got.codes() == expected.codes()
        assert got.area("KH-12").names == expected.area("KH-12").names
        assert got.repairs == ()


def test_other_crs_is_reprojected_to_wgs84(shared_geo, tmp_path):
    geopandas.read_file(shared_geo / KH_ADMIN1).to_crs(32648).to_file(tmp_path / "utm.gpkg")
    kh = read_kh_provinces(tmp_path / "utm.gpkg")
    assert kh.repairs == ("reprojected from EPSG:32648 to EPSG:4326",)
    west, south, east, north = kh.bounds()
    assert 102 < west < east < 108 and 10 < south < north < 15


# --- files that are refused -------------------------------------------------------------------

def test_file_without_crs_is_refused(shared_geo, tmp_path):
    frame = geopandas.read_file(shared_geo / KH_ADMIN1).set_crs(None, allow_override=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns that it writes no CRS
        frame.to_file(tmp_path / "nocrs.gpkg", driver="GPKG")
        frame.to_file(tmp_path / "nocrs.shp")
    for path in (tmp_path / "nocrs.gpkg", tmp_path / "nocrs.shp"):
        with pytest.raises(BoundaryError, match="declares no coordinate reference system"):
            read_kh_provinces(path)


def test_duplicate_codes_are_refused_naming_them(tmp_path):
    path = write_geojson(tmp_path / "dup.geojson", [
        feature("VN-HN", SQUARE), feature("VN-HN", SQUARE), feature("VN-SG", SQUARE),
        feature("VN-SG", SQUARE), feature("VN-DN", SQUARE),
    ])
    with pytest.raises(BoundaryError) as refused:
        read_simple(path)
    assert refused.value.reasons == ["dup.geojson: VN-HN: appears 2 times",
                                     "dup.geojson: VN-SG: appears 2 times"]


def test_missing_codes_are_refused_naming_the_features(tmp_path):
    path = write_geojson(tmp_path / "gaps.geojson", [
        feature("VN-HN", SQUARE), feature(None, SQUARE, name="Nowhere"), feature("", SQUARE),
    ])
    with pytest.raises(BoundaryError, match=r"no value in 'code' for: feature 2 \(Nowhere\), feature 3"):
        read_simple(path)


def test_missing_key_field_is_refused_naming_the_fields_there(shared_geo):
    with pytest.raises(BoundaryError) as refused:
        read_kh_provinces(shared_geo / KH_ADMIN1, key_field="iso_code")
    assert refused.value.reasons == [
        f"{KH_ADMIN1}: no field 'iso_code'; the file has: iso_3166_2, mef_code, name_en, "
        "name_km, name_iso"
    ]


@pytest.mark.parametrize("content", [b"\x00\x01\x02 not a map", b'{"type": "Feature'])
def test_garbage_file_is_refused(tmp_path, content):
    path = tmp_path / "garbage.geojson"
    path.write_bytes(content)
    with pytest.raises(BoundaryError, match="garbage.geojson: not a boundary file that can be read"):
        read_simple(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(BoundaryError, match="nothing.geojson: no such file"):
        read_simple(tmp_path / "nothing.geojson")


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    path = write_geojson(tmp_path / "bowtie.geojson", [feature("VN-HN", BOWTIE)])
    bset = read_simple(path)
    assert bset.area("VN-HN").geometry["type"] == "MultiPolygon"
    assert bset.repairs == ("VN-HN: repaired invalid geometry (Self-intersection[100.5 10.5])",)


def test_empty_or_non_area_geometry_is_refused(tmp_path):
    path = write_geojson(tmp_path / "bad.geojson", [
        feature("VN-HN", {"type": "Polygon", "coordinates": []}),
        feature("VN-SG", {"type": "LineString", "coordinates": [[100, 10], [101, 11]]}),
        feature("VN-DN", SQUARE),
    ])
    with pytest.raises(BoundaryError) as refused:
        read_simple(path)
    assert refused.value.reasons == ["bad.geojson: VN-HN: has no geometry",
                                     "bad.geojson: VN-SG: is a LineString, not an area"]


def test_codes_outside_the_country_or_not_codes_are_refused(tmp_path):
    path = write_geojson(tmp_path / "codes.geojson", [
        feature("KH-12", SQUARE), feature("VN HN", SQUARE), feature("VN-DN", SQUARE, name=""),
    ])
    with pytest.raises(BoundaryError) as refused:
        read_simple(path)
    assert refused.value.reasons == [
        "codes.geojson: KH-12: not in VN, the set's country",
        "codes.geojson: 'VN HN': not an area code like VN, VN-HN, KH-12 or KH-1201",
        "codes.geojson: no name in 'name' for: VN-DN",
    ]


def test_geopackage_with_several_layers_must_name_one(shared_geo, tmp_path):
    frame = geopandas.read_file(shared_geo / KH_ADMIN1)
    frame.to_file(tmp_path / "two.gpkg", layer="provinces")
    frame.to_file(tmp_path / "two.gpkg", layer="copy")
    with pytest.raises(BoundaryError, match=r"several layers \(provinces, copy\); name one"):
        read_kh_provinces(tmp_path / "two.gpkg")
    assert len(read_kh_provinces(tmp_path / "two.gpkg", layer="copy").areas) == 25
