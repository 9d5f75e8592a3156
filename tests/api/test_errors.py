"""One error shape for every failure, and no input that reaches a 500."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from api.errors import register
from api.extensions import Blueprint

API = "/api/v1"
SHAPE = {"status", "error", "message"}


def assert_shape(response, status):
    assert response.status_code == status
    assert response.is_json
    assert SHAPE <= set(response.json) and response.json["status"] == status


def test_not_found(client, world):
    assert_shape(client.get(f"{API}/nowhere"), 404)
    assert_shape(client.get(f"{API}/organisations/999999"), 404)


@pytest.mark.parametrize("path", ["/organisations/99999999999999999999", "/organisations/-1",
                                  "/networks/2147483648/members", "/tokens/1e3"])
def test_ids_beyond_the_database_s_integers_are_not_found(client, world, path):
    assert_shape(client.get(API + path), 404)


def test_method_not_allowed_says_what_is(client, world):
    response = client.delete(f"{API}/organisations")
    assert_shape(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_validation_names_each_field(client, world):
    response = client.post(f"{API}/organisations", headers=world.roles["secretariat"],
                           json={"network_id": world.vnsw.id, "kind": "club", "name": "", "drop_in_centres": 2.5})
    assert_shape(response, 422)
    assert set(response.json["fields"]) == {"kind", "name", "drop_in_centres"}


def test_a_body_that_is_not_json_is_refused(client, world):
    response = client.post(f"{API}/organisations", headers={**world.roles["secretariat"],
                                                            "Content-Type": "application/json"}, data="{")
    assert response.status_code in (400, 422)
    assert SHAPE <= set(response.json)


def test_domain_refusals_after_validation_name_fields_too(client, world):
    response = client.post(f"{API}/organisations", headers=world.roles["secretariat"],
                           json={"network_id": world.vnsw.id, "kind": "community_organisation", "name": "X",
                                 "country": "VN", "areas_served": ["VN-XX"]})
    assert_shape(response, 422)
    assert "areas_served" in response.json["fields"]


def _bare_app() -> Flask:
    app = Flask(__name__)
    register(app)

    @app.get("/integrity")
    def integrity():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    @app.get("/crash")
    def crash():
        raise RuntimeError("boom")

    return app


def test_an_integrity_error_is_a_conflict_and_a_crash_keeps_the_shape():
    client = _bare_app().test_client()
    assert_shape(client.get("/integrity"), 409)
    crash = client.get("/crash")
    assert_shape(crash, 500)
    assert "boom" not in crash.get_data(as_text=True)


def test_a_route_without_an_access_rule_is_refused():
    blp = Blueprint("careless", __name__)
    with pytest.raises(TypeError, match="declares no access rule"):
        @blp.route("/careless")
        def careless():
            return "anyone?"
