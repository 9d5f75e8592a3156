from __future__ import annotations

import json

import pytest

from geo.boundaries import ATTRIBUTION_CAMBODIA, load_bundled, read_boundary_file
from geo.coverage import AreaCounter, AreaStatus, OrgPresence, View, compute_coverage
from geo.errors import CoverageError
from tests.geo.conftest import make_set


def org(i: int, *codes: str, services=(), populations=(), priority_areas=(), listed=True) -> OrgPresence:
    return OrgPresence(i, f"Organisation {i}", list(codes), priority_areas=priority_areas,
                       populations=populations, services=services, listed=listed)


def test_counts_gaps_and_totals_on_the_63_provinces():
    vn = load_bundled("vn-63-2008")
    served = vn.codes()[:21]
    records = [org(i, served[i % 21]) for i in range(32)]
    coverage = compute_coverage(records, vn)
    assert coverage.summary() == "32 organisations in 21 of 63 provinces"
    assert coverage.organisations == 32 and coverage.areas_covered == 21
    assert len(coverage.gaps()) == 42
    first = coverage.area(served[0])
    assert (first.count, first.label) == (2, "2 organisations")
    assert first.organisations == ("Organisation 0", "Organisation 21")
    assert coverage.area(served[20]).label == "1 organisation"


def test_an_organisation_in_two_codes_of_one_area_counts_once():
    vn = load_bundled("vn-34-2025")
    # Recorded against the pre-2025 provinces: Bình Dương (VN-57) is now part of VN-SG.
    coverage = compute_coverage([org(1, "VN-57", "VN-SG"), org(2, "VN-43")], vn)
    assert coverage.area("VN-SG").count == 2
    assert coverage.summary() == "2 organisations in 1 of 34 provinces"


def test_coverage_recorded_on_old_provinces_shows_on_the_new_map():
    old, new = load_bundled("vn-63-2008"), load_bundled("vn-34-2025")
    records = [org(i, code) for i, code in enumerate(old.codes())]
    coverage = compute_coverage(records, new)
    assert coverage.not_on_map == 0
    assert coverage.areas_covered == 34
    assert sum(a.count for a in coverage.areas) == 63


def test_the_listed_view_counts_listed_organisations_exactly_and_names_nobody():
    bset = make_set([("VN-01", "One"), ("VN-02", "Two"), ("VN-03", "Three")])
    records = ([org(i, "VN-01") for i in range(5)] + [org(i, "VN-02") for i in range(5, 9)]
               + [org(i, "VN-02", "VN-03", listed=False) for i in range(9, 11)])
    coverage = compute_coverage(records, bset, view=View.LISTED)
    one, two, three = coverage.areas
    assert (one.status, one.count, one.label) == (AreaStatus.COUNTED, 5, "5 listed member organisations")
    # Anyone can count them in the directory, so nothing is masked.
    assert (two.status, two.count, two.label) == (AreaStatus.COUNTED, 4, "4 listed member organisations")
    # Only unlisted members work here: the listed view cannot say that nobody does.
    assert (three.status, three.count, three.label) == (AreaStatus.NONE, 0, "no listed member organisation")
    assert coverage.summary() == "9 listed member organisations in 2 of 3 provinces"
    assert "chose not to be listed are not counted" in coverage.note
    assert all(a.organisations == () for a in coverage.areas)
    published = json.dumps(coverage.to_geojson())
    assert "Organisation" not in published and "no member organisation" not in published
    assert json.loads(published)["features"][1]["properties"] == {
        "code": "VN-02", "name": "Two", "status": "counted", "count": 4, "label": "4 listed member organisations",
    }
    assert json.loads(published)["view"] == "listed" and json.loads(published)["threshold"] is None


def test_listed_totals_are_exact_and_unlisted_ones_leave_no_trace():
    bset = make_set([("VN-01", "One"), ("VN-02", "Two")])
    coverage = compute_coverage([org(1, "VN-01"), org(2, "VN-02"), org(3, "VN"), org(4, "VN-01", listed=False)],
                                bset, view=View.LISTED)
    assert (coverage.organisations, coverage.not_on_map) == (2, 1)
    assert coverage.summary() == "2 listed member organisations in 2 of 2 provinces"
    nobody_listed = compute_coverage([org(1, "VN-01", listed=False)], bset, view=View.LISTED, scope=["VN"])
    assert nobody_listed.summary() == "0 listed member organisations in 0 of 2 provinces"
    assert {a.label for a in nobody_listed.areas} == {"no listed member organisation"}
    unscoped = compute_coverage([org(1, "VN-01", listed=False)], bset, view=View.LISTED)
    assert unscoped.summary() == "no data" and unscoped.organisations == 0
    assert compute_coverage([org(1, "VN-01")], bset).summary() == "1 organisation in 1 of 2 provinces"


def test_the_reach_view_counts_everyone_and_withholds_small_counts():
    bset = make_set([(f"VN-0{i}", f"Area {i}") for i in range(1, 6)])
    records = ([org(i, "VN-01") for i in range(6)]  # 6 listed: shown
               + [org(i, "VN-02", listed=False) for i in range(10, 16)]  # 6 unlisted: shown
               + [org(i, "VN-03") for i in range(20, 26)] + [org(26, "VN-03", listed=False)]  # 1 hidden
               + [org(i, "VN-04", listed=False) for i in range(30, 32)])  # 2: below the threshold
    coverage = compute_coverage(records, bset, view=View.REACH)
    shown = {a.code: (a.status, a.count, a.label) for a in coverage.areas}
    assert shown["VN-01"] == (AreaStatus.COUNTED, 6, "6 member organisations")
    assert shown["VN-03"] == shown["VN-04"] == (AreaStatus.MASKED, None, "not shown")
    assert shown["VN-05"] == (AreaStatus.NONE, 0, "no member organisation")
    assert coverage.organisations == 21 and coverage.summary() == "21 member organisations in 4 of 5 provinces"
    assert coverage.to_geojson()["threshold"] == 5 and coverage.not_on_map is None


def test_a_listed_organisation_that_keeps_its_areas_to_itself_counts_as_hidden_in_the_reach_view():
    # Listed, but not publishing its areas: the directory cannot place it, so reach minus the
    # directory would give it away just as it would an unlisted one.
    bset = make_set([(f"VN-0{i}", f"Area {i}") for i in range(1, 4)])
    placed = [org(i, "VN-01") for i in range(6)] + [org(i, "VN-02") for i in range(10, 16)]
    quiet = [OrgPresence(i, f"Organisation {i}", ["VN-01"], listed=True, public_area_codes=()) for i in (6, 7)]
    coverage = compute_coverage(placed + quiet, bset, view=View.REACH)
    assert coverage.area("VN-01").status is AreaStatus.MASKED  # 8 there, 2 the directory cannot place
    assert compute_coverage(placed, bset, view=View.REACH).area("VN-01").count == 6


def test_threshold_can_be_set():
    bset = make_set([("VN-01", "One"), ("VN-02", "Two")])
    records = [org(i, "VN-01", listed=False) for i in range(3)] + [org(i, "VN-02", listed=False) for i in range(3, 9)]
    assert compute_coverage(records, bset, view=View.REACH, threshold=3).area("VN-01").count == 3
    assert compute_coverage(records, bset, view=View.REACH, threshold=4).area("VN-01").label == "not shown"
    with pytest.raises(CoverageError, match="at least 1"):
        compute_coverage(records, bset, threshold=0)


@pytest.mark.parametrize("view", [View.LISTED, View.REACH])
def test_public_maps_finer_than_provinces_are_refused(view):
    districts = make_set([("KH-1201", "Chamkar Mon")], level=2, country="KH")
    with pytest.raises(CoverageError, match="public maps stop at province level"):
        compute_coverage([org(1, "KH-1201")], districts, view=view)
    assert compute_coverage([org(1, "KH-1201")], districts).area("KH-1201").count == 1


def test_the_reach_view_takes_no_filter():
    bset = make_set([("VN-01", "One")])
    with pytest.raises(CoverageError, match="the reach view takes no priority area filter"):
        compute_coverage([org(1, "VN-01")], bset, view=View.REACH, priority_area="health")


def test_districts_roll_up_to_their_province(shared_geo):
    options = dict(valid_from=None, valid_to=None, attribution=ATTRIBUTION_CAMBODIA, country="KH")
    provinces = read_boundary_file(shared_geo / "kh_admin1_25_geoboundaries2014.geojson",
                                   key_field="iso_3166_2", level=1, name_field="name_en", **options)
    districts = read_boundary_file(shared_geo / "kh_admin2_districts_geoboundaries2014.geojson",
                                   key_field="mef_code", code_prefix="KH-", level=2,
                                   parent_field="province_iso_3166_2", name_field="name_en", **options)
    records = [org(1, "KH-1201"), org(2, "KH-1201", "KH-1202"), org(3, "KH-12"), org(4, "KH-0102")]
    coverage = compute_coverage(records, provinces, parents=districts.parents())
    assert coverage.area("KH-12").count == 3
    assert coverage.area("KH-1").count == 1
    # Without the district set's parents, a district code cannot be placed on a province map.
    assert compute_coverage(records, provinces).not_on_map == 3


def test_country_map_counts_every_code_for_its_country():
    world = load_bundled("ne-admin0")
    records = [org(1, "VN-HN"), org(2, "KH-1201"), org(3, "LA"), org(4, "VN-SG", "VN-HN")]
    coverage = compute_coverage(records, world)
    assert [coverage.area(c).count for c in ("VN", "KH", "LA", "TH")] == [2, 1, 1, 0]
    assert coverage.summary() == "4 organisations in 3 of 239 countries"


def test_areas_outside_the_scope_have_no_data_rather_than_zero():
    world = load_bundled("ne-admin0")
    coverage = compute_coverage([org(1, "VN-HN")], world, scope=["VN", "KH", "LA"])
    assert coverage.area("KH").status is AreaStatus.NONE and coverage.area("KH").count == 0
    france = coverage.area("FR")
    assert (france.status, france.count, france.label) == (AreaStatus.NO_DATA, None, "no data")
    assert coverage.summary() == "1 organisation in 1 of 3 countries"
    assert [a.code for a in coverage.gaps()] == ["KH", "LA"]


def test_no_records_at_all_is_no_data_everywhere():
    coverage = compute_coverage([], load_bundled("vn-63-2008"))
    assert {a.status for a in coverage.areas} == {AreaStatus.NO_DATA}
    assert coverage.gaps() == [] and coverage.summary() == "no data"


def test_filters_by_priority_area_population_and_service():
    bset = make_set([("VN-01", "One"), ("VN-02", "Two")])
    records = [
        org(1, "VN-01", services=["hiv-testing"], populations=["trans"], priority_areas=["health"]),
        org(2, "VN-02", services=["legal-aid"], populations=["trans"]),
    ]
    by_service = compute_coverage(records, bset, service="hiv-testing")
    assert [a.count for a in by_service.areas] == [1, 0]
    assert by_service.filters == {"service": "hiv-testing"}
    assert [a.count for a in compute_coverage(records, bset, population="trans").areas] == [1, 1]
    assert [a.count for a in compute_coverage(records, bset, priority_area="health").areas] == [1, 0]
    # A filter that matches nobody gives zeros, not "no data": the records exist.
    nobody = compute_coverage(records, bset, service="outreach")
    assert {a.status for a in nobody.areas} == {AreaStatus.NONE}


def test_codes_the_map_cannot_show_are_counted_apart():
    vn = load_bundled("vn-63-2008")
    coverage = compute_coverage([org(1, "VN"), org(2, "KH-12"), org(3, "VN-HN")], vn)
    assert coverage.not_on_map == 2 and coverage.organisations == 1


def test_internal_geojson_lists_organisations_and_carries_geometry():
    bset = make_set([("VN-01", "One")])
    collection = compute_coverage([org(1, "VN-01")], bset).to_geojson()
    feature = collection["features"][0]
    assert feature["properties"]["organisations"] == ["Organisation 1"]
    assert feature["geometry"]["type"] == "Polygon"
    assert collection["summary"] == "1 organisation in 1 of 1 province"
    assert compute_coverage([org(1, "VN-01")], bset).to_geojson(geometry=False)["features"][0]["geometry"] is None


def test_an_area_counter_counts_the_areas_its_coverage_covers():
    bset = load_bundled("vn-34-2025")
    groups = [[], [("VN-57", "VN-SG")], [("VN-57",), ("VN-43", "KH-12"), ()], [("VN",)]]
    counter = AreaCounter(bset, {c for g in groups for codes in g for c in codes}, scope=["VN"])
    for group in groups:
        coverage = compute_coverage([org(i, *codes) for i, codes in enumerate(group)], bset, scope=["VN"])
        assert counter(group) == (coverage.areas_covered, coverage.areas_in_scope)
