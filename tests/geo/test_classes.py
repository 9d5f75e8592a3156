"""Class breaks chosen from the counts shown, and colours that stand apart from white and grey."""

from __future__ import annotations

from collections import Counter

import pytest

from geo.classes import PALETTE, classes_of, natural_breaks
from geo.coverage import OrgPresence, View, compute_coverage
from geo.maps import NO_DATA, NO_MEMBER, NOT_SHOWN, coverage_map, render_map
from tests.geo.conftest import make_set, map_data


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_few_distinct_counts_each_get_their_own_class():
    classes = classes_of([1, 1, 4, 2, 1, 4, 0])
    assert classes.ranges == ((1, 1), (2, 2), (4, 4))
    assert len(set(classes.colours)) == 3
    # 1 and 4 are as far apart as the palette goes.
    assert (classes.colour(1), classes.colour(4)) == (PALETTE[0], PALETTE[-1])
    assert classes.colour(3) == classes.colour(2)  # between two classes: the lower


def test_one_count_only_still_stands_apart_from_white():
    classes = classes_of([3, 3, 3])
    assert classes.ranges == ((3, 3),) and contrast(classes.colour(3), NO_MEMBER) >= 3


def test_many_counts_are_grouped_by_natural_breaks():
    # Three clusters and two outliers: Jenks keeps each cluster whole.
    counts = [1, 1, 2, 2, 2, 9, 10, 11, 10, 30, 31, 32, 80, 120]
    classes = classes_of(counts)
    assert classes.ranges == ((1, 2), (9, 11), (30, 32), (80, 80), (120, 120))
    assert natural_breaks(Counter(counts), 3) == ((1, 11), (30, 32), (80, 120))
    assert classes_of([]).ranges == ()


def test_classes_cover_every_count_in_order():
    counts = list(range(1, 200, 3)) * 2
    ranges = classes_of(counts).ranges
    assert len(ranges) == 5 and ranges[0][0] == 1 and ranges[-1][1] == 199
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:]))


def test_the_palette_reads_against_white_grey_and_itself():
    for colour in PALETTE:
        assert contrast(colour, NO_MEMBER) >= 2.4  # the lightest class; the others darker still
    assert all(contrast(a, b) >= 1.4 for a, b in zip(PALETTE, PALETTE[1:]))
    assert {NO_DATA, NOT_SHOWN, NO_MEMBER}.isdisjoint(PALETTE)


def test_an_internal_map_tells_1_from_4_and_its_legend_shows_the_breaks():
    bset = make_set([("VN-01", "A"), ("VN-02", "B"), ("VN-03", "C"), ("VN-04", "D")])
    records = [OrgPresence(i, f"Org {i}", [code]) for i, code in
               enumerate(["VN-01", "VN-02", "VN-02", "VN-03", "VN-03", "VN-03", "VN-03"])]
    html = render_map(coverage_map(compute_coverage(records, bset)), static_prefix="/v/")
    data = map_data(html)
    fills = {f["properties"]["name"]: f["properties"]["fill"] for f in data["layers"][0]["features"]["features"]}
    assert len({fills["A"], fills["B"], fills["C"]}) == 3 and fills["D"] == NO_MEMBER
    assert [row[1] for row in data["legend"]["rows"]][2:] == ["1", "2", "4"]


@pytest.mark.parametrize("view", [View.LISTED, View.REACH])
def test_public_maps_draw_classes_only_from_the_counts_they_show(view):
    bset = make_set([("VN-01", "A"), ("VN-02", "B"), ("VN-03", "C")])
    records = ([OrgPresence(i, f"L{i}", ["VN-01"], listed=True) for i in range(7)]
               + [OrgPresence(10 + i, f"U{i}", ["VN-02"]) for i in range(2)]
               + [OrgPresence(20 + i, f"W{i}", ["VN-03"]) for i in range(6)])
    coverage = compute_coverage(records, bset, view=view)
    data = map_data(render_map(coverage_map(coverage), static_prefix="/v/"))
    shown = sorted(a.count for a in coverage.areas if a.count)
    bands = [row[1] for row in data["legend"]["rows"] if row[0] in PALETTE]
    assert bands == [str(n) for n in dict.fromkeys(shown)]
    if view is View.REACH:  # the withheld cells are grey, and no class is drawn from them
        assert "2" not in bands and ["#d9d9d9", "not shown"] in data["legend"]["rows"]
