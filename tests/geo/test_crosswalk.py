from __future__ import annotations

import pytest

from geo.boundaries import BoundaryError, load_bundled
from geo.crosswalk import check_crosswalk, merges, rekey_codes, rekey_counts, vietnam_2025
from tests.geo.conftest import make_set


def test_every_one_of_the_63_provinces_lands_in_one_of_the_34():
    crosswalk = vietnam_2025()
    old, new = load_bundled("vn-63-2008"), load_bundled("vn-34-2025")
    assert set(crosswalk) == set(old.codes())
    assert set(crosswalk.values()) == set(new.codes())
    assert check_crosswalk(crosswalk, old, new) == []


def test_a_code_kept_by_a_2025_province_maps_to_itself():
    crosswalk = vietnam_2025()
    new = load_bundled("vn-34-2025")
    assert all(crosswalk[code] == code for code in new.codes())
    assert crosswalk["VN-57"] == "VN-SG"  # Bình Dương went into Hồ Chí Minh City
    assert crosswalk["VN-HN"] == "VN-HN"


def test_check_crosswalk_names_what_is_missing():
    old = make_set([("VN-01", "One"), ("VN-02", "Two")])
    new = make_set([("VN-01", "One")])
    assert check_crosswalk({"VN-01": "VN-01", "VN-03": "VN-09"}, old, new) == [
        "VN-02 (Two) has no area in test-set", "VN-03 maps to VN-09, which is not in test-set",
    ]


def test_an_old_code_claimed_by_two_new_areas_is_refused():
    new = make_set([("VN-01", "One"), ("VN-02", "Two")])
    new.area("VN-01").properties["merged_from_iso"] = ["VN-05"]
    new.area("VN-02").properties["merged_from_iso"] = ["VN-05"]
    with pytest.raises(BoundaryError, match="VN-05 is listed as merged into both VN-01 and VN-02"):
        merges(new)


def test_rekeying_an_organisations_codes_removes_the_duplicates_a_merger_makes():
    crosswalk = vietnam_2025()
    assert rekey_codes(["VN-57", "VN-SG", "VN-HN", "KH-12"], crosswalk) == ["VN-SG", "VN-HN", "KH-12"]


def test_rekeying_counts_adds_up_merged_areas():
    crosswalk = vietnam_2025()
    assert rekey_counts({"VN-SG": 4, "VN-57": 2, "VN-43": 1, "VN-HN": 3}, crosswalk) == {
        "VN-SG": 7, "VN-HN": 3,
    }
