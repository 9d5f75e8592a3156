"""Coverage over the API: the board's internal view, everyone else's public one, as JSON and
GeoJSON, on the seeded sample network."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from registry import tokens
from registry.organisations import Organisation
from registry.permissions import Actor

SYSTEM = Actor.system("coverage api test")


@pytest.fixture(scope="module")
def ids(seeded):
    return {o.acronym: o.id for o in seeded.scalars(select(Organisation).where(Organisation.acronym.is_not(None)))}


@pytest.fixture(scope="module")
def client(seeded):
    app = create_app({"TESTING": True}, sessions=lambda: Session(
        bind=seeded.bind, join_transaction_mode="create_savepoint", expire_on_commit=False))
    return app.test_client()


@pytest.fixture(scope="module")
def as_role(seeded, ids):
    def headers(role, acronym):
        _, secret = tokens.issue_token(seeded, SYSTEM, role, seeded.get(Organisation, ids[acronym]), label="t")
        seeded.flush()
        return {"Authorization": f"Bearer {secret}"}
    return headers


def test_anonymous_callers_get_the_public_view(client, ids):
    body = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage").get_json()
    assert body["public"] is True and body["threshold"] == 5
    assert body["boundary_set"]["key"] == "vn-34-2025" and body["areas_in_scope"] == 34
    assert all(area["organisations"] == [] for area in body["areas"])
    assert all(area["status"] != "counted" or area["count"] >= 5 for area in body["areas"])
    assert {a["label"] for a in body["areas"] if a["status"] == "masked"} == {"fewer than 5"}
    assert body["organisations"] is not None and body["organisations"] < 32  # only the listed ones


def test_the_board_gets_the_internal_view_and_the_documented_figures(client, ids, as_role):
    board = as_role("board", "VNSW")
    now = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage", headers=board).get_json()
    assert (now["public"], now["organisations"], now["areas_covered"]) == (False, 32, 21)
    assert any("Sample CBO 01" in a["organisations"] for a in now["areas"])
    assert len(now["gaps"]) == 34 - 21
    then = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?on=2012-12-31&set=vn-63-2008",
                      headers=board).get_json()
    assert (then["organisations"], then["areas_covered"], then["areas_in_scope"]) == (11, 7, 63)
    filtered = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?priority_area=economic-empowerment",
                          headers=board).get_json()
    assert filtered["filters"] == {"priority_area": "economic-empowerment"} and filtered["organisations"] < 32


def test_another_networks_board_gets_only_the_public_view(client, ids, as_role):
    body = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage", headers=as_role("board", "WNU")).get_json()
    assert body["public"] is True


def test_geojson(client, ids):
    response = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 34
    assert "Sample CBO" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "status", "error"), [
    ("?level=7", 422, "validation_failed"),
    ("?level=1.5", 422, "validation_failed"),
    ("?set=no-such-set", 404, "not_found"),
    ("?on=2012-13-01", 422, "validation_failed"),
])
def test_bad_requests_get_the_one_error_shape(client, ids, query, status, error):
    response = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage{query}")
    assert response.status_code == status and response.get_json()["error"] == error


def test_the_level_is_read_from_the_query_string(client, ids):
    # A query string is text: "0" is the level 0 (countries), not a refused non-integer.
    response = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?level=0")
    assert response.status_code == 200 and response.get_json()["boundary_set"]["level"] == 0


def test_a_public_district_map_is_refused(client, ids):
    # WNU serves Phnom Penh's khans; the district set is not imported here, but the bundled
    # gazetteer knows no level-2 shapes for Cambodia either, so level 2 is refused publicly.
    response = client.get(f"/api/v1/networks/{ids['WNU']}/coverage?level=2")
    assert response.status_code == 422 and set(response.get_json()) >= {"status", "error", "message"}


def test_what_is_not_a_visible_network_is_not_found(client, ids):
    assert client.get(f"/api/v1/networks/{ids['WLIC']}/coverage").status_code == 404
    assert client.get("/api/v1/networks/2147483647/coverage").status_code == 404
