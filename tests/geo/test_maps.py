from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import stat

import folium.plugins
import pytest

from geo.boundaries import ATTRIBUTION_CAMBODIA, UncodedShape, load_bundled
from geo.coverage import OrgPresence, View, compute_coverage
from geo.errors import OfflineAssetError
from geo.inert import escape_text, js_json
from geo.maps import comparison_map, coverage_map, render_map
from geo.offline import install_assets, localise_assets, remote_assets, required_assets
from tests.geo.conftest import HOSTILE, JINJA, assert_inert, make_set, map_data, square

PREFIX = "/static/vendor/"


def hostile_map(names: tuple[str, ...]) -> str:
    """A map where every user-controlled string is one of `names`."""
    bset = make_set([(f"VN-0{i}", n) for i, n in enumerate(names)], attribution=" ".join(names))
    records = [OrgPresence(i, n, [f"VN-0{i}"]) for i, n in enumerate(names)]
    coverage = compute_coverage(records, bset)
    single = render_map(coverage_map(coverage, title=" ".join(names)), static_prefix=PREFIX)
    both = render_map(comparison_map([(names[0], coverage), (names[-1], coverage)],
                                     title=names[0]), static_prefix=PREFIX)
    return single + both


def test_escape_text_neutralises_html_and_template_literals():
    assert escape_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape_text("`${alert(1)}`") == "&#96;&#36;&#123;alert(1)&#125;&#96;"
    assert escape_text("\"a\" & 'b' \\") == "&quot;a&quot; &amp; &#39;b&#39; &#92;"
    assert escape_text("Hồ Chí Minh") == "Hồ Chí Minh"


def test_hostile_names_reach_the_page_only_as_data():
    html = hostile_map(HOSTILE)
    benign = hostile_map(("plain one", "plain two", "plain three"))
    assert "<img src=x onerror=alert(1)>" not in html
    assert "${alert(1)}" not in html
    # The only backticks are folium's own: the names added none.
    assert html.count("`") == benign.count("`")
    assert "<title>&lt;img src=x onerror=alert(1)&gt; &#96; &#36;&#123;alert(1)&#125;</title>" in html
    # In the data blob every name is itself, to be put in text nodes by the page's script.
    pages = html.split("<!DOCTYPE html>")[1:]
    for page in pages:
        data = map_data(page)
        names = [f["properties"]["name"] for f in data["layers"][0]["features"]["features"]]
        assert names == list(HOSTILE)
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html and "\\u0024\\u007balert(1)\\u007d" in html


def test_public_maps_never_name_an_organisation():
    bset = make_set([("VN-01", "Hà Nội"), ("VN-02", "Huế"), ("VN-03", "Huế 2")])
    records = [OrgPresence(i, f"Secret Collective {i}", ["VN-01"], listed=True) for i in range(7)]
    records.append(OrgPresence(99, "Lone Group", ["VN-02"], listed=True))
    records.append(OrgPresence(98, "Unlisted Group", ["VN-03"]))
    public = render_map(coverage_map(compute_coverage(records, bset, view=View.LISTED)), static_prefix=PREFIX)
    internal = render_map(coverage_map(compute_coverage(records, bset)), static_prefix=PREFIX)
    assert "Secret Collective" not in public and "Lone Group" not in public and "Unlisted" not in public
    lines = {f["properties"]["name"]: f["properties"]["lines"]
             for f in map_data(public)["layers"][0]["features"]["features"]}
    assert lines == {"Hà Nội": ["7 listed member organisations"], "Huế": ["1 listed member organisation"],
                     "Huế 2": ["no listed member organisation"]}
    legend = map_data(public)["legend"]
    assert ["#ffffff", "no listed member organisation"] in legend["rows"]
    assert legend["notes"] == ["Counts only member organisations that chose to be listed publicly; "
                               "organisations that chose not to be listed are not counted."]
    assert "no member organisation" not in public
    assert "Secret Collective 0" in internal and "Lone Group" in internal


def test_what_many_areas_share_travels_once():
    bset = make_set([(f"VN-{i:02d}", f"Province {i}") for i in range(40)])
    records = [OrgPresence(i, f"Group {i}", ["VN-00"]) for i in range(3)]
    html = render_map(coverage_map(compute_coverage(records, bset)), static_prefix=PREFIX)
    assert html.count("no member organisation") == 2  # the states' table and the legend, not 39 features
    layer = map_data(html)["layers"][0]
    assert [label for _, label in layer["states"]] == ["3 organisations", "no member organisation"]
    first = layer["features"]["features"][0]["properties"]
    assert first["lines"] == ["3 organisations", "Group 0", "Group 1", "Group 2"]


def test_a_reach_map_withholds_alike_and_says_why():
    bset = make_set([("VN-01", "Hà Nội"), ("VN-02", "Huế"), ("VN-03", "Huế 2")])
    records = ([OrgPresence(i, f"Listed {i}", ["VN-01"], listed=True) for i in range(7)]
               + [OrgPresence(10 + i, f"Unlisted {i}", ["VN-02"]) for i in range(2)]
               + [OrgPresence(20 + i, f"Unlisted crowd {i}", ["VN-03"]) for i in range(6)])
    html = render_map(coverage_map(compute_coverage(records, bset, view=View.REACH)), static_prefix=PREFIX)
    features = {f["properties"]["name"]: f["properties"] for f in map_data(html)["layers"][0]["features"]["features"]}
    assert features["Huế"]["lines"] == features["Huế 2"]["lines"] == ["not shown"]  # 2; and its partner
    assert features["Huế"]["fill"] == features["Huế 2"]["fill"] == "#d9d9d9"
    assert features["Hà Nội"]["lines"] == ["7 member organisations"]
    legend = map_data(html)["legend"]
    assert ["#d9d9d9", "not shown"] in legend["rows"] and "cannot be worked out" in legend["notes"][0]
    assert "Unlisted" not in html and "Listed" not in html


def test_localised_page_loads_no_script_or_stylesheet_from_outside():
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"])], load_bundled("vn-63-2008"))
    raw = render_map(coverage_map(coverage), static_prefix=None)
    assert remote_assets(raw) == [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    ]
    html = localise_assets(raw, PREFIX)
    assert remote_assets(html) == []
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    assert [a.path for a in required_assets(html, PREFIX)] == [
        "leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images",
    ]


def test_a_script_from_an_unknown_cdn_fails_loudly():
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"])], load_bundled("vn-63-2008"))
    m = coverage_map(coverage)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineAssetError, match="still loaded from outside: https://"):
        render_map(m, static_prefix=PREFIX)
    with pytest.raises(OfflineAssetError, match="//fonts.example.org/a.css"):
        localise_assets('<link rel="stylesheet" href="//fonts.example.org/a.css">', PREFIX)
    with pytest.raises(OfflineAssetError, match="https://x.example/i.css"):
        localise_assets('<style>@import url("https://x.example/i.css");</style>', PREFIX)


def test_install_assets_copies_every_file_the_page_needs(tmp_path):
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"])], load_bundled("vn-63-2008"))
    html = render_map(comparison_map([("2012", coverage), ("2013", coverage)]), static_prefix=PREFIX)
    written = install_assets(tmp_path, required_assets(html, PREFIX))
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images",
    ]
    for url in re.findall(r'(?:src|href)="/static/vendor/([^"]+)"', html):
        assert (tmp_path / url).is_file()
    assert (tmp_path / "leaflet/images/layers.png").is_file()  # the layer control's icon


def test_installed_assets_are_readable_by_others(tmp_path):
    """A folder of offline maps is opened by other people or served by a web server: the
    copies carry the usual permissions, not a temporary file's 0600 (which shows a blank map)."""
    previous = os.umask(0o022)
    try:
        written = install_assets(tmp_path / "vendor")
    finally:
        os.umask(previous)
    files = [f for path in written for f in ([path] if path.is_file() else path.rglob("*"))]
    assert files
    for path in files:
        expected = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    assert stat.S_IMODE((tmp_path / "vendor").stat().st_mode) == 0o755


def test_no_basemap_unless_tiles_are_configured():
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"])], load_bundled("vn-63-2008"))
    assert "L.tileLayer" not in render_map(coverage_map(coverage), static_prefix=PREFIX)
    tiles = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = render_map(coverage_map(coverage, tiles=tiles, tiles_attribution="© <Tiles> Ltd"),
                      static_prefix=PREFIX)
    assert "L.tileLayer" in html and "<Tiles>" not in html
    assert map_data(html)["tiles"] == {"url": tiles, "attribution": "© <Tiles> Ltd"}
    with pytest.raises(ValueError, match="attribution"):
        coverage_map(coverage, tiles=tiles)


def test_maps_carry_the_boundary_sets_attribution():
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"])], load_bundled("vn-63-2008"))
    assert "Made with Natural Earth." in render_map(coverage_map(coverage), static_prefix=PREFIX)
    kh = make_set([("KH-12", "Phnom Penh")], country="KH", attribution=ATTRIBUTION_CAMBODIA)
    coverage = compute_coverage([OrgPresence(1, "A", ["KH-12"])], kh)
    html = render_map(coverage_map(coverage), static_prefix=PREFIX)
    assert "Ministry of Economy and Finance, Cambodia (data.mef.gov.kh)" in html


def test_two_dates_compare_as_switchable_layers():
    records = [OrgPresence(1, "A", ["VN-57"]), OrgPresence(2, "B", ["VN-HN"])]
    before = compute_coverage(records, load_bundled("vn-63-2008"))
    after = compute_coverage(records, load_bundled("vn-34-2025"))
    html = render_map(comparison_map([("2012", before), ("2025", after)], title="VNSW"),
                      static_prefix=PREFIX)
    assert "L.control.layers" in html
    assert [layer["label"] for layer in map_data(html)["layers"]] == ["2012", "2025"]
    assert len(re.findall(r"\.addBaseLayer\(area_layer_\w+,", html)) == 2
    assert "2012: 2 organisations in 2 of 63 provinces" in html
    assert "2025: 2 organisations in 2 of 34 provinces" in html
    # Only the first date is drawn on opening.
    assert len(re.findall(r"area_layer_\w+\.addTo\(", html)) == 1
    public = compute_coverage(records, load_bundled("vn-34-2025"), view=View.LISTED)
    with pytest.raises(ValueError, match="cannot mix views"):
        comparison_map([("2012", before), ("2025", public)])


def test_map_sizes_stay_within_target():
    vn = load_bundled("vn-63-2008")
    records = [OrgPresence(i, f"Organisation {i}", [vn.codes()[i % 63]]) for i in range(300)]
    html = render_map(coverage_map(compute_coverage(records, vn), title="VNSW"), static_prefix=PREFIX)
    assert len(html.encode()) <= 150_000
    world = load_bundled("ne-admin1")
    coverage = compute_coverage([OrgPresence(1, "A", ["VN-HN"], listed=True)], world, view=View.LISTED)
    html = render_map(coverage_map(coverage), static_prefix=PREFIX)
    assert len(html.encode()) <= 5_000_000


def jinja_coverage(*, view: View):
    """Coverage where every string a person or a file sets is a Jinja or script payload: area
    names, an uncoded shape's name, the set's title and attribution, organisation names."""
    bset = make_set([(f"VN-0{i}", p) for i, p in enumerate(JINJA)], attribution=" ".join(JINJA))
    bset = dataclasses.replace(bset, title=" ".join(JINJA),
                               uncoded=(UncodedShape(" ".join(JINJA), None, square(0, 0)),))
    records = [OrgPresence(i, p, [f"VN-0{i % len(JINJA)}"], listed=i % 2 == 0) for i, p in enumerate(JINJA * 5)]
    return compute_coverage(records, bset, view=view)


@pytest.mark.parametrize("view", list(View))
def test_jinja_in_any_string_is_never_evaluated_and_stays_data(view):
    coverage = jinja_coverage(view=view)
    tiles = {"tiles": "https://tiles.example.org/{z}/{x}/{y}.png", "tiles_attribution": " ".join(JINJA)}
    single = render_map(coverage_map(coverage, title=" ".join(JINJA), **tiles), static_prefix=PREFIX)
    data = assert_inert(single)
    assert [f["properties"]["name"] for f in data["layers"][0]["features"]["features"][:len(JINJA)]] \
        == list(JINJA)
    assert data["tiles"] == {"url": tiles["tiles"], "attribution": " ".join(JINJA)}
    assert data["layers"][0]["attribution"] == " ".join(JINJA)
    assert "<title>&#123;&#123; 7*7 &#125;&#125;|" in single
    # The layer control's labels (the dates compared) are data too.
    labels = [(p, coverage) for p in JINJA]
    both = render_map(comparison_map(labels, title=" ".join(JINJA), **tiles), static_prefix=PREFIX)
    assert [layer["label"] for layer in assert_inert(both)["layers"]] == list(JINJA)
    if view is View.INTERNAL:
        names = {n for f in data["layers"][0]["features"]["features"]
                 for n in f["properties"]["lines"]}
        assert set(JINJA) <= names


def test_the_data_blob_is_json_that_no_template_or_script_can_read_as_code():
    rng = random.Random(7)
    alphabet = "{}%#<>&'\"\\`$ab\u2028\u2029\né"

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))

    def value(depth: int = 0):
        pick = rng.random()
        if depth > 3 or pick < 0.4:
            return text()
        if pick < 0.5:
            return rng.randint(-5, 5)
        if pick < 0.75:
            return {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}
        return [value(depth + 1) for _ in range(rng.randint(0, 4))]

    for _ in range(5000):
        original = value()
        written = js_json(original)
        assert json.loads(written) == original
        for unsafe in ("{{", "{%", "{#", "<", ">", "&", "`", "$", "\u2028", "\u2029"):
            assert unsafe not in written


def test_escape_text_breaks_every_template_opener():
    assert escape_text("{{ 7*7 }} {% raw %} {# x") == "&#123;&#123; 7*7 &#125;&#125; &#123;% raw %&#125; &#123;# x"
