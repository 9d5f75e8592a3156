"""Coverage maps from the registry's data: the documented VNSW figures on both Vietnamese
province sets, WNU's khans, public maps that reveal nothing unpublished, and the `map` command."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api.coverage import MapRequest, network_coverage, network_map_html
from geo.boundaries import ATTRIBUTION_CAMBODIA
from geo.bundle import shared_geo_dir
from geo.coverage import AreaStatus, OrgPresence, View, compute_coverage
from geo.errors import CoverageError
from registry.areas import services as areas
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from registry.access.visibility import reader_for
from seeds.boundaries import licensed_sets
from seeds.load import read_yaml
from tests.geo.conftest import map_data

SYSTEM = Actor.system("coverage test")
END_OF_2012 = dt.date(2012, 12, 31)


def org(session, acronym):
    return session.scalars(select(Organisation).where(Organisation.acronym == acronym)).one()


@pytest.fixture(scope="module")
def with_khans(seeded):
    """The Cambodian district set, imported from shared/geo as the boundary-import feature does."""
    from geo.boundaries import read_boundary_file
    from seeds.boundaries import area_records

    for spec, path, reader in licensed_sets(shared_geo_dir(), read_yaml("licensed_boundaries.yaml")):
        if spec["key"] == "kh-admin2-2014":
            read = read_boundary_file(path, valid_from=None, valid_to=None, set_id=spec["key"],
                                      **{k: spec[k] for k in ("level", "country", "attribution", "licence")},
                                      **reader)
            areas.import_boundary_set(seeded, SYSTEM, areas=area_records(read), **spec)
    return seeded


@pytest.mark.parametrize("set_key", ["vn-63-2008", "vn-34-2025"])
@pytest.mark.parametrize(("on", "organisations_", "covered"), [(END_OF_2012, 11, 7), (None, 32, 21)])
def test_vnsw_documented_coverage_on_both_province_sets(seeded, set_key, on, organisations_, covered):
    coverage = network_coverage(seeded, org(seeded, "VNSW"), MapRequest(set_key=set_key, on=on))
    assert (coverage.organisations, coverage.areas_covered) == (organisations_, covered)
    assert coverage.areas_in_scope == (63 if set_key == "vn-63-2008" else 34)
    assert len(coverage.gaps()) == coverage.areas_in_scope - covered


def test_the_default_set_follows_the_date(seeded):
    vnsw = org(seeded, "VNSW")
    assert network_coverage(seeded, vnsw, MapRequest(on=END_OF_2012)).boundary_set.id == "vn-63-2008"
    assert network_coverage(seeded, vnsw, MapRequest()).boundary_set.id == "vn-34-2025"


def test_filters_narrow_the_count(seeded):
    vnsw = org(seeded, "VNSW")
    everyone = network_coverage(seeded, vnsw, MapRequest())
    some = network_coverage(seeded, vnsw, MapRequest(priority_area="economic-empowerment"))
    assert 0 < some.organisations < everyone.organisations
    assert some.filters == {"priority_area": "economic-empowerment"}


@pytest.mark.parametrize("set_key", ["vn-63-2008", "vn-34-2025"])
def test_the_listed_view_counts_only_what_listed_organisations_published_and_says_so(seeded, set_key):
    vnsw = org(seeded, "VNSW")
    members = seeded.scalars(select(Organisation).where(Organisation.registered_by_id == vnsw.id)).all()
    listed = [m for m in members if m.public_listing and "networks" in m.published_fields]
    placed = [m for m in listed if "areas_served" in m.published_fields]
    public = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED, set_key=set_key))
    internal = network_coverage(seeded, vnsw, MapRequest(set_key=set_key))
    assert public.organisations == len(placed) < internal.organisations == 32
    assert public.not_on_map == len(listed) - len(placed)  # listed, but keeping its areas to itself
    assert all(a.organisations == () for a in public.areas)
    # Exact, as the directory gives them one by one: nothing is masked.
    assert {a.status for a in public.areas} == {AreaStatus.COUNTED, AreaStatus.NONE}
    assert all(a.label.endswith(("listed member organisation", "listed member organisations"))
               for a in public.areas if a.status is AreaStatus.COUNTED)
    # The six provinces where only unlisted members work: the listed view cannot claim absence.
    only_unlisted = [a for a in internal.areas if a.status is AreaStatus.COUNTED
                     and public.area(a.code).status is AreaStatus.NONE]
    assert only_unlisted
    assert {public.area(a.code).label for a in only_unlisted} == {"no listed member organisation"}
    assert all(a.label != "no member organisation" for a in public.areas)
    assert public.summary() == (f"{len(placed)} listed member organisations in {public.areas_covered} of "
                                f"{public.areas_in_scope} provinces")


def test_a_public_map_shows_no_presence_an_organisation_did_not_publish(seeded):
    vnsw = org(seeded, "VNSW")
    savepoint = seeded.begin_nested()
    try:
        members = memberships.members_as_of(seeded, vnsw.id)
        for member in members:  # listed, publishing its priority areas and nothing more
            organisations.update_profile(seeded, SYSTEM, member, {"public_listing": True,
                                                                  "published_fields": ["priority_areas"]})
        silent = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED))
        assert (silent.organisations, silent.areas_covered) == (0, 0)  # on no area, not even as a count
        for member in members:
            organisations.update_profile(seeded, SYSTEM, member, {"published_fields": ["networks"]})
        nowhere = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED))
        assert (nowhere.organisations, nowhere.not_on_map, nowhere.areas_covered) == (0, 32, 0)
        for member in members:
            organisations.update_profile(seeded, SYSTEM, member, {"published_fields": ["networks", "areas_served"]})
        placed = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED))
        assert (placed.organisations, placed.areas_covered) == (32, 21)
        filtered = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED, priority_area="health"))
        assert filtered.organisations == 0  # priority areas are no longer published
        assert network_coverage(seeded, vnsw, MapRequest(priority_area="health")).organisations > 0
    finally:
        savepoint.rollback()


def test_wnu_khans_on_the_district_map(with_khans):
    wnu = org(with_khans, "WNU")
    coverage = network_coverage(with_khans, wnu, MapRequest(level=2, set_key="kh-admin2-2014"))
    covered = sorted(a.code for a in coverage.areas if a.status is AreaStatus.COUNTED)
    assert covered == ["KH-1201", "KH-1202", "KH-1204", "KH-1206", "KH-1207", "KH-1208", "KH-1209"]
    html = network_map_html(with_khans, wnu, MapRequest(level=2, set_key="kh-admin2-2014"),
                            static_prefix="/static/vendor/")
    assert "Chamkar Mon" in html and "Sample WNU group" in html  # internal maps may name members
    assert ATTRIBUTION_CAMBODIA.split(",")[0] in html
    with pytest.raises(CoverageError, match="province level"):
        network_coverage(with_khans, wnu, MapRequest(level=2, set_key="kh-admin2-2014", view=View.LISTED))


def test_public_province_map_rolls_khans_up_to_phnom_penh(with_khans):
    wnu = org(with_khans, "WNU")
    sample_groups = with_khans.scalars(select(Organisation).where(
        Organisation.registered_by_id == wnu.id)).all()
    for group in sample_groups:  # publish them all for this test; rolled back at module end
        organisations.update_profile(with_khans, SYSTEM, group, {
            "public_listing": True, "published_fields": ["areas_served", "networks"]})
    coverage = network_coverage(with_khans, wnu, MapRequest(level=1, view=View.LISTED))
    phnom_penh = coverage.area("KH-12")
    assert phnom_penh.count == 7 and phnom_penh.organisations == ()
    html = network_map_html(with_khans, wnu, MapRequest(level=1, view=View.LISTED), static_prefix="/v/")
    assert "Sample WNU group" not in html and "Chamkar Mon" not in html


def test_hostile_names_never_reach_the_page_unescaped(seeded):
    vnsw = org(seeded, "VNSW")
    for name in ("<img src=x onerror=alert(1)>", "`backtick`", "${alert(1)}"):
        cbo = organisations.register_organisation(seeded, SYSTEM, network=vnsw, kind="community_organisation",
                                                  name=name, country="VN", areas_served=["VN-HN"])
        for action in ("apply", "verify", "admit"):
            memberships.transition(seeded, SYSTEM, vnsw, cbo, action)
    html = network_map_html(seeded, vnsw, MapRequest(), static_prefix="/static/vendor/")
    for raw in ("<img src=x", "`backtick`", "${alert(1)}"):
        assert raw not in html
    # Present only as data, which the page's script puts into text nodes.
    hanoi = [f["properties"] for f in map_data(html)["layers"][0]["features"]["features"]
             if f["properties"]["name"] == "Hà Nội"]
    assert {"<img src=x onerror=alert(1)>", "`backtick`", "${alert(1)}"} <= set(hanoi[0]["lines"])


def test_the_map_command_writes_an_offline_page(tmp_path):
    # The command opens its own session, so it needs a separate, committed database.
    from api.cli import main
    from tests.conftest import fresh_database

    with fresh_database(tmp_path) as url:
        runner = CliRunner(env={"DATABASE_URL": url})
        assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(main, ["seed"]).exit_code == 0
        out = tmp_path / "maps" / "vnsw.html"
        out.parent.mkdir()
        result = runner.invoke(main, ["map", "VNSW", "--out", str(out), "--compare", "2012-12-31"])
        assert result.exit_code == 0, result.output
        html = out.read_text()
        assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?://""", html)
        assert (out.parent / "vendor" / "leaflet").exists()
        assert "11 organisations in 7 of 63 provinces" in html and "32 organisations in 21 of 34" in html
        refused = runner.invoke(main, ["map", "WNU", "--set", "no-such-set", "--out", str(tmp_path / "x.html")])
        assert refused.exit_code == 1 and "no boundary set 'no-such-set'" in refused.output
        assert not (tmp_path / "x.html").exists()
        # --public: only listed organisations, said so; --reach: VNSW publishes its reach (seeds).
        assert runner.invoke(main, ["map", "VNSW", "--out", str(out), "--public"]).exit_code == 0
        listed = map_data(out.read_text())
        assert listed["legend"]["lines"] == ["14 listed member organisations in 11 of 34 provinces"]
        assert "no member organisation" not in out.read_text()
        assert runner.invoke(main, ["map", "VNSW", "--out", str(out), "--reach"]).exit_code == 0
        assert map_data(out.read_text())["legend"]["lines"] == ["32 member organisations in 21 of 34 provinces"]
        for args, message in ((["WNU", "--reach"], "does not publish its reach"),
                              (["VNSW", "--reach", "--on", "2012-12-31"], "the reach view is for today only"),
                              (["VNSW", "--reach", "--public"], "not both")):
            refused = runner.invoke(main, ["map", *args, "--out", str(tmp_path / "x.html")])
            assert refused.exit_code != 0 and message in refused.output, refused.output
            assert not (tmp_path / "x.html").exists()


def _records(session, network, on, view):
    """The members as plain records, read one object at a time and shown as the anonymous
    Reader shows each: what the grouped query must count alike."""
    anyone = reader_for(session, Actor.anonymous())
    records = []
    for m in memberships.members_as_of(session, network.id, on, recursive=True):
        public = {f: list(getattr(m, f)) if anyone.shows(m, f) else []
                  for f in ("areas_served", "priority_areas", "populations", "services")}
        known = anyone.shows(m, "networks")
        if view is View.LISTED:
            if known:
                records.append(OrgPresence(m.id, m.name, public["areas_served"], public["priority_areas"],
                                           public["populations"], public["services"], listed=True))
            continue
        records.append(OrgPresence(m.id, m.name, m.areas_served, m.priority_areas, m.populations, m.services,
                                   listed=known, public_area_codes=public["areas_served"] if known else ()))
    return records


@pytest.mark.parametrize("view", [View.INTERNAL, View.LISTED])
@pytest.mark.parametrize("on", [END_OF_2012, None])
@pytest.mark.parametrize("priority_area", [None, "health"])
def test_the_grouped_count_is_the_count_of_each_member(seeded, view, on, priority_area):
    vnsw = org(seeded, "VNSW")
    counted = network_coverage(seeded, vnsw, MapRequest(view=view, on=on, priority_area=priority_area))
    records = _records(seeded, vnsw, on, view)
    each = compute_coverage(records, counted.boundary_set, view=view, scope=["VN"], priority_area=priority_area,
                            parents=areas.parents_of(seeded, [c for r in records for c in r.area_codes]))
    assert counted.to_geojson(geometry=False) == each.to_geojson(geometry=False)
    assert [a.organisations for a in counted.areas] == [a.organisations for a in each.areas]
