"""The app the API tests share (tests/api/conftest.py) is handed to each test as it was built:
what one test sets or leaves in it (settings, extensions, counted sign-in
failures, rows written through it) is gone for the next. The tests run in this order."""

from __future__ import annotations

from sqlalchemy import func, select

from api import auth
from registry.organisations.models import Organisation

API = "/api/v1"
WRONG = {"Authorization": "Bearer not-a-token"}


def test_one_test_leaves_settings_failures_and_rows_behind(make_app, world):
    app = make_app(AUTH_FAILURES_PER_MINUTE=1)
    app.config["A_SETTING_OF_ONE_TEST"] = "left behind"
    app.extensions["registry.engine"] = object()
    client = app.test_client()
    assert client.get(f"{API}/organisations").status_code == 200
    assert client.get(f"{API}/organisations", headers=WRONG).status_code == 401
    assert client.get(f"{API}/organisations", headers=WRONG).status_code == 429
    secretariat = world.roles["secretariat"]
    network = next(o["id"] for o in client.get(f"{API}/organisations", headers=secretariat).json["items"]
                   if o["name"] == world.vnsw.name)
    created = client.post(f"{API}/organisations", headers=secretariat, json={
        "network_id": network, "kind": "community_organisation", "name": "Sample CBO 99", "country": "VN"})
    assert created.status_code == 201, created.json


def test_the_next_finds_the_app_as_built(app, session, world):
    assert "A_SETTING_OF_ONE_TEST" not in app.config
    assert app.config["AUTH_FAILURES_PER_MINUTE"] > 1
    assert "registry.engine" not in app.extensions
    assert isinstance(app.extensions[auth._KEY], auth.LocalFailures)
    client = app.test_client()
    assert client.get(f"{API}/organisations", headers=WRONG).status_code == 401
    assert client.get(f"{API}/organisations").status_code == 200
    assert session.scalar(select(func.count()).select_from(Organisation)
                          .where(Organisation.name == "Sample CBO 99")) == 0


def test_settings_read_per_request_do_not_build_another_app(make_app):
    shared = make_app()
    assert make_app(PUBLIC_MAX_AGE=5, TRUSTED_HOSTS=["registry.example.org"]) is shared
    assert shared.config["PUBLIC_MAX_AGE"] == 5
    assert make_app() is shared and shared.config["PUBLIC_MAX_AGE"] == 0
    assert shared.config["TRUSTED_HOSTS"] != ["registry.example.org"]


def test_a_setting_read_at_build_gets_an_app_of_its_own(make_app):
    proxied = make_app(PROXY_HOPS=1)
    assert proxied is not make_app() and proxied is make_app(PROXY_HOPS=1)
    assert proxied.config["PROXY_HOPS"] == 1 and make_app().config["PROXY_HOPS"] == 0
