"""GET /areas: every area's code and names, for anyone, found by a name in any script."""

from __future__ import annotations

import pytest

from seeds.load import load_all
from tests.factories import SYSTEM

API = "/api/v1"


@pytest.fixture
def gazetteer(session):
    load_all(session, SYSTEM, sample=False)
    session.flush()


def test_a_khan_written_in_khmer_is_found_with_its_code(client, gazetteer):
    found = client.get(f"{API}/areas", query_string={"name": "ខណ្ឌចំការមន"}).json
    assert [a["code"] for a in found["items"]] == ["KH-1201"]
    assert found["items"][0]["names"]["km"] == "ចំការមន" and found["items"][0]["level"] == 2


def test_names_follow_the_callers_language_and_vietnam_lists_its_provinces_in_force(client, gazetteer):
    page = client.get(f"{API}/areas", query_string={"country": "VN", "level": 1, "page_size": 100},
                      headers={"Accept-Language": "vi"})
    assert page.headers["Content-Language"] == "vi"
    assert page.json["total"] == 34  # the 2025 set is in force today
    assert {a["boundary_set"] for a in page.json["items"]} == {"vn-34-2025"}
    hanoi = next(a for a in page.json["items"] if a["code"] == "VN-HN")
    assert hanoi["name"] == hanoi["names"].get("vi", hanoi["name"])
    before = client.get(f"{API}/areas", query_string={"country": "VN", "level": 1, "on": "2020-01-01"}).json
    assert before["total"] == 63


def test_one_area_per_code_the_countrys_own_set_first(client, gazetteer):
    codes = [a["code"] for a in client.get(f"{API}/areas", query_string={"country": "VN", "level": 1,
                                                                          "page_size": 100}).json["items"]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("query", [{"level": "1.5"}, {"level": 3}, {"country": "Vietnam"}, {"on": "2020-13-01"},
                                   {"page": 0}, {"name": ""}])
def test_bad_filters_are_refused_in_the_one_error_shape(client, gazetteer, query):
    refused = client.get(f"{API}/areas", query_string=query)
    assert refused.status_code == 422
    assert "errors" in refused.json or "message" in refused.json
