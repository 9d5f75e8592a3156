"""The gazetteer: importing boundary sets and looking codes up."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.areas import services as areas
from registry.areas.models import AreaRecord
from registry.errors import Conflict, NotPermitted, ValidationFailed
from tests.factories import SYSTEM, editor, secretariat


def test_import_and_look_up(session):
    areas.import_boundary_set(session, SYSTEM, key="vn-old", title="old", level=1, country="VN",
                              valid_to=dt.date(2025, 6, 30),
                              areas=[AreaRecord("VN-HN", "Hà Nội", 1, "VN"), AreaRecord("VN-54", "Bắc Giang", 1, "VN")])
    areas.import_boundary_set(session, SYSTEM, key="vn-new", title="new", level=1, country="VN",
                              valid_from=dt.date(2025, 7, 1),
                              areas=[AreaRecord("VN-HN", "Hà Nội", 1, "VN", properties={"merged_from": ["VN-HN"]})])
    assert areas.unknown_codes(session, ["VN-HN", "VN-54", "VN-99"]) == ["VN-99"]
    old = areas.areas_by_code(session, ["VN-HN", "VN-54"], on=dt.date(2012, 1, 1))
    new = areas.areas_by_code(session, ["VN-HN"], on=dt.date(2026, 1, 1))
    assert old["VN-HN"].boundary_set.key == "vn-old" and new["VN-HN"].boundary_set.key == "vn-new"
    assert old["VN-54"].name == "Bắc Giang"  # only one set knows it, valid or not


def test_a_key_is_imported_once(session):
    record = [AreaRecord("VN-HN", "Hà Nội", 1, "VN")]
    areas.import_boundary_set(session, SYSTEM, key="k", title="t", level=1, areas=record)
    with pytest.raises(Conflict):
        areas.import_boundary_set(session, SYSTEM, key="k", title="t", level=1, areas=record)


@pytest.mark.parametrize(("records", "message"), [
    ([], "no areas"),
    ([AreaRecord("VN-HN", "a", 1, "VN"), AreaRecord("VN-HN", "b", 1, "VN")], "twice"),
    ([AreaRecord("hanoi", "a", 1, "VN")], "not an area code"),
    ([AreaRecord("VN-HN", "a", 2, "VN")], "level"),
    ([AreaRecord("VN-HN", " ", 1, "VN")], "no name"),
])
def test_bad_sets_are_refused_whole(session, records, message):
    with pytest.raises(ValidationFailed, match=message):
        areas.import_boundary_set(session, SYSTEM, key="bad", title="t", level=1, areas=records)
    assert areas.boundary_set(session, "bad") is None


def test_validity_must_not_end_before_it_starts(session):
    with pytest.raises(ValidationFailed, match="valid_to"):
        areas.import_boundary_set(session, SYSTEM, key="k", title="t", level=1,
                                  valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2024, 1, 1),
                                  areas=[AreaRecord("VN-HN", "a", 1, "VN")])


def test_who_may_import(session, vnsw, make_org):
    record = [AreaRecord("VN-HN", "a", 1, "VN")]
    areas.import_boundary_set(session, secretariat(vnsw), key="by-secretariat", title="t", level=1,
                              areas=record)
    with pytest.raises(NotPermitted):
        areas.import_boundary_set(session, editor(make_org(vnsw)), key="by-editor", title="t",
                                  level=1, areas=record)
