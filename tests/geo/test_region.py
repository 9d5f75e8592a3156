"""Country maps cut to the network's region, the view fitted to the covered areas, and the
packed shapes a map page carries."""

from __future__ import annotations

from shapely.geometry import shape

from geo.boundaries import load_bundled
from geo.coverage import OrgPresence, View, compute_coverage
from geo.maps import WORLD, coverage_map, render_map, view_box
from geo.packing import ALPHABET, pack_geometry, pack_ring, unpack_ring
from geo.region import around, region_box
from tests.geo.conftest import make_set


def test_a_country_map_of_vietnam_keeps_only_its_region():
    world = load_bundled("ne-admin0")
    region = around(world, ["VN"])
    codes = set(region.codes())
    assert {"VN", "LA", "KH", "TH", "CN"} <= codes
    assert not codes & {"US", "BR", "FR", "ZA", "AU"}
    west, south, east, north = region_box(world, ["VN"])
    # China is cut at the region's edge rather than drawn whole.
    china = shape(region.area("CN").geometry).bounds
    assert china[0] >= west - 1e-9 and china[3] <= north + 1e-9
    assert shape(region.area("VN").geometry).equals(shape(world.area("VN").geometry))
    html = render_map(coverage_map(compute_coverage([OrgPresence(1, "A", ["VN-HN"])], region,
                                                    scope=["VN"])), static_prefix="/v/")
    assert len(html.encode()) < 60_000


def test_a_regional_network_gets_its_countries_and_their_neighbours():
    world = load_bundled("ne-admin0")
    region = around(world, ["VN", "KH", "LA", "TH", "MM", "ID", "PH", "IN", "NP"])
    assert {"BD", "MY"} <= set(region.codes()) and "US" not in region.codes()
    # Nothing to cut to: the set as it was.
    assert around(world, ["XX"]) is world
    # Fiji lies across the antimeridian: a box around it would be the whole width, so no cut.
    assert region_box(world, ["FJ"]) is None and around(world, ["FJ"]) is world


def test_the_view_opens_on_the_covered_areas_then_the_scope_then_the_set():
    bset = make_set([(f"KH-0{i}", f"Khan {i}") for i in range(6)], country="KH")  # squares at x=100..105
    covered = compute_coverage([OrgPresence(1, "A", ["KH-02"]), OrgPresence(2, "B", ["KH-03"])], bset)
    assert view_box([covered]) == [[10.0, 102.0], [11.0, 104.0]]
    nobody = compute_coverage([], bset, view=View.LISTED, scope=["KH-04", "KH-05"])
    assert view_box([nobody]) == [[10.0, 104.0], [11.0, 106.0]]
    world = make_set([("VN", "Vietnam")], level=0, country=None)
    assert view_box([compute_coverage([], world)]) == [[WORLD[1], WORLD[0]], [WORLD[3], WORLD[2]]]


def test_packed_rings_read_back_on_the_grid_and_use_safe_letters():
    vn = load_bundled("vn-63-2008")
    for area in vn.areas[:10]:
        packed = pack_geometry(area.geometry)
        polygons = [packed["coordinates"]] if packed["type"] == "Polygon" else packed["coordinates"]
        originals = [area.geometry["coordinates"]] if area.geometry["type"] == "Polygon" \
            else area.geometry["coordinates"]
        for rings, original in zip(polygons, originals):
            for ring, points in zip(rings, original):
                assert set(ring) <= set(ALPHABET)
                assert unpack_ring(ring) == [[round(x, 4), round(y, 4)] for x, y in points]
    assert unpack_ring(pack_ring([[-179.9999, -89.5], [180.0, 90.0], [0.0, 0.0]])) == [
        [-179.9999, -89.5], [180.0, 90.0], [0.0, 0.0]]
