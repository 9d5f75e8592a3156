"""The API against its own OpenAPI description: every operation documented, and schemathesis
finding no server error and no undocumented answer (settings in schemathesis.toml)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth

from api import database
from api.app import create_app

API = "/api/v1"
MAX_ID = 2**31 - 1


@pytest.fixture
def spec(client) -> dict:
    return client.get(f"{API}/openapi.json").json


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def test_every_operation_has_a_summary_schemas_and_its_error_responses(spec):
    for method, path, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert "Who may call this" in operation["description"], where
        responses = operation["responses"]
        assert {"400", "401", "403", "404", "422", "429", "503", "default"} <= set(responses), where
        success = [s for s in responses if s.startswith("2")]
        assert success, where
        if success != ["204"]:
            assert "content" in responses[success[0]], where
        if method in ("post", "put", "patch"):
            assert "requestBody" in operation, where
        if method in ("put", "patch", "delete"):
            assert {"409", "412", "428"} <= set(responses), where
    error = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert set(spec["components"]["schemas"]["Error"]["required"]) == {"status", "error", "message"}


def test_the_profile_documents_each_publishing_choice(spec):
    from registry.organisations.models import PUBLISHABLE_FIELDS

    change = spec["components"]["schemas"]["ProfileChange"]["properties"]["published_fields"]
    assert change["items"]["enum"] == list(PUBLISHABLE_FIELDS)
    assert all(f"{field}: " in change["description"] for field in PUBLISHABLE_FIELDS)
    shown = spec["components"]["schemas"]["Organisation"]["properties"]
    assert "when the organisation publishes it" in shown["sex_worker_led"]["description"]
    assert "when the organisation publishes it" not in shown["name"]["description"]


def test_the_docs_page_uses_no_cdn(client):
    page = client.get(f"{API}/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)  # all from this site
    assert f"{API}/docs/assets/swagger-ui-bundle.js" in assets
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def _description() -> dict:
    """The OpenAPI description, read from an app with no database behind it (the description
    needs none); the generated requests then go to each test's own app."""
    app = create_app({"DATABASE_URL": "sqlite://"})
    try:
        return app.test_client().get(f"{API}/openapi.json").json
    finally:
        database.dispose(app)


schema = schemathesis.openapi.from_dict(_description())


@schema.parametrize()
# One world per operation, shared by its examples on purpose: what one request writes, the next
# may trip over, and all of it is rolled back with the test.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_conforms_to_its_description(case, app, world):
    # Half the valid generated ids are steered onto organisations that exist, so generated
    # requests also reach past the 404s into the registry's own checks. Ids outside the
    # documented range are left alone: they are what a negative case is testing.
    real = [world.vnsw.public_id, world.wnu.public_id, world.cbo.public_id, world.fellow.public_id]
    for name, value in list((case.path_parameters or {}).items()):
        if isinstance(value, int) and name != "token_id" and 0 <= value <= MAX_ID and value % 2 == 0:
            case.path_parameters[name] = real[(value // 2) % len(real)]
    # ignored_auth sends its probes (no token, a bad token) through the schema's own transport,
    # which cannot reach an app given per call; tests/live/test_fuzz.py runs it against a server.
    case.call_and_validate(headers=world.roles["secretariat"], app=app, excluded_checks=[ignored_auth])
