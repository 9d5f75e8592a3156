"""Coverage over the API: the board's internal view, everyone else's public one, as JSON and
GeoJSON, on the seeded sample network."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from registry.access import tokens
from registry.db import today
from registry.networks.directory import by_public_id
from registry.organisations.models import Organisation
from registry.access.permissions import Actor

SYSTEM = Actor.system("coverage api test")


@pytest.fixture(scope="module")
def ids(seeded):
    return {o.acronym: o.public_id
            for o in seeded.scalars(select(Organisation).where(Organisation.acronym.is_not(None)))}


@pytest.fixture(scope="module")
def client(seeded):
    app = create_app({"TESTING": True}, sessions=lambda: Session(
        bind=seeded.bind, join_transaction_mode="create_savepoint", expire_on_commit=False))
    return app.test_client()


@pytest.fixture(scope="module")
def as_role(seeded, ids):
    def headers(role, acronym):
        _, secret = tokens.issue_token(seeded, SYSTEM, role, by_public_id(seeded, Organisation, ids[acronym]), label="t")
        seeded.flush()
        return {"Authorization": f"Bearer {secret}"}
    return headers


def test_anonymous_callers_get_the_listed_view(client, ids):
    body = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage").get_json()
    assert (body["view"], body["public"], body["threshold"]) == ("listed", True, None)
    assert "chose not to be listed are not counted" in body["note"]
    assert body["boundary_set"]["key"] == "vn-34-2025" and body["areas_in_scope"] == 34
    assert all(area["organisations"] == [] for area in body["areas"])
    assert {area["status"] for area in body["areas"]} == {"counted", "none"}  # exact: nothing masked
    assert {a["label"] for a in body["areas"] if a["status"] == "none"} == {"no listed member organisation"}
    assert body["organisations"] == 14 and body["summary"] == "14 listed member organisations in 11 of 34 provinces"


def test_the_reach_view_of_a_network_that_publishes_it(client, ids):
    body = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?view=reach").get_json()
    assert (body["view"], body["public"], body["threshold"]) == ("reach", True, 5)
    # VNSW's own figure: 32 CBOs in 21 provinces; every province holds fewer than 5, so none is shown.
    assert body["summary"] == "32 member organisations in 21 of 34 provinces"
    assert {a["label"] for a in body["areas"] if a["status"] == "masked"} == {"not shown"}
    assert sum(a["status"] == "masked" for a in body["areas"]) == 21
    assert all(area["organisations"] == [] for area in body["areas"])
    same = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?view=reach&set=vn-34-2025"
                      f"&on={today()}&level=1").get_json()
    assert same["areas"] == body["areas"]
    country = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage.geojson?view=reach&level=0").get_json()
    assert [(f["id"], f["properties"]["count"]) for f in country["features"]
            if f["properties"]["status"] != "no_data"] == [("VN", 32)]


@pytest.mark.parametrize(("query", "refused"), [
    ("&on=2012-12-31", "the reach view is for today only"),
    ("&set=vn-63-2008", "the reach view uses the boundary set in force today only"),
    ("&level=2", "the reach view counts by provinces (level 1) or coarser, not level 2"),
    ("&priority_area=health", "the reach view takes no priority area filter"),
    ("&population=female-sex-workers", "the reach view takes no population filter"),
    ("&service=outreach", "the reach view takes no service filter"),
])
def test_the_reach_view_is_one_table(client, ids, query, refused):
    for path in ("coverage", "coverage.geojson"):
        response = client.get(f"/api/v1/networks/{ids['VNSW']}/{path}?view=reach{query}")
        assert response.status_code == 422 and refused in response.get_json()["message"]


def test_no_reach_view_for_a_network_that_does_not_publish_it(client, ids, as_role):
    for headers in ({}, as_role("board", "WNU")):
        response = client.get(f"/api/v1/networks/{ids['WNU']}/coverage?view=reach", headers=headers)
        assert response.status_code == 422
        body = response.get_json()
        assert set(body) == {"status", "error", "message", "fields"} and "view" in body["fields"]
        assert "does not publish its reach" in body["message"]


def test_the_board_may_ask_for_what_the_public_sees(client, ids, as_role):
    board = as_role("board", "VNSW")
    body = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage?view=listed", headers=board).get_json()
    assert body["view"] == "listed" and body["organisations"] == 14


def test_the_board_gets_the_internal_view_and_the_documented_figures(client, ids, as_role):
    board = as_role("board", "VNSW")
    now = client.get(f"/api/v1/networks/{ids['VNSW']}/coverage", headers=board).get_json()
    assert (now["view"], now["public"], now["organisations"], now["areas_covered"]) == ("internal", False, 32, 21)
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
    ("?view=internal", 422, "validation_failed"),
    ("?view=everything", 422, "validation_failed"),
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
