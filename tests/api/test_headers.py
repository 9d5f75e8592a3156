"""The headers every answer carries: what a browser or a cache would notice."""

from __future__ import annotations

import pytest

from api.auth import COOKIE

PAGE_DIRECTIVES = ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def directives(response) -> set[str]:
    return {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}


ANSWERS = {
    "front page": ("GET", "/", {}),
    "dashboard": ("GET", "/dashboard/", {}),
    "sign-in page": ("GET", "/dashboard/sign-in", {}),
    "API docs": ("GET", "/api/v1/docs", {}),
    "API docs asset": ("GET", "/api/v1/docs/assets/swagger-ui-bundle.js", {}),
    "stylesheet": ("GET", "/static/registry.css", {}),
    "OpenAPI description": ("GET", "/api/v1/openapi.json", {}),
    "JSON list": ("GET", "/api/v1/organisations", {}),
    "JSON 404": ("GET", "/api/v1/nowhere", {}),
    "JSON 405": ("DELETE", "/api/v1/health", {}),
    "JSON 401": ("GET", "/api/v1/me", {"Authorization": "Bearer swr_unknown"}),
    "error page": ("GET", "/dashboard/nowhere", BROWSER),
}


@pytest.mark.parametrize("name", ANSWERS)
def test_every_answer_is_not_sniffed_leaks_no_referrer_and_is_not_framed(client, world, name):
    method, path, headers = ANSWERS[name]
    with client.open(path, method=method, headers=headers) as response:  # closes a file sent
        pass
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    policy = directives(response)
    assert set(PAGE_DIRECTIVES) <= policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]  # no inline script or style


def test_a_browser_s_error_outside_the_api_is_a_page_in_the_one_shape(client, world):
    page = client.get("/dashboard/nowhere", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert 'data-error="not_found"' in page.get_data(as_text=True)
    api = client.get("/api/v1/nowhere", headers=BROWSER)  # the API answers JSON to anyone
    assert api.status_code == 404 and api.json["error"] == "not_found"


def test_map_documents_may_be_framed_by_the_dashboard_only(client, world):
    response = client.get(f"/maps/networks/{world.vnsw.id}.html")
    policy = directives(response)
    assert "frame-ancestors 'self'" in policy and set(PAGE_DIRECTIVES) <= policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


PERSONAL = {
    "who am I, with a token": ("/api/v1/me", "board"),
    "contacts": ("/api/v1/organisations/{cbo}/contacts", "secretariat"),
    "contact-read log": ("/api/v1/organisations/{cbo}/contact-reads", "secretariat"),
    "tokens": ("/api/v1/tokens", "secretariat"),
    "history": ("/api/v1/organisations/{cbo}/history", "secretariat"),
    "a profile read with a token": ("/api/v1/organisations/{cbo}", "own_editor"),
}


@pytest.mark.parametrize("name", PERSONAL)
def test_answers_to_a_token_are_not_stored(client, world, name):
    path, role = PERSONAL[name]
    response = client.get(path.format(cbo=world.cbo.id), headers=world.roles[role])
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_for_a_signed_in_person_and_forms_are_not_stored(client, world):
    client.set_cookie(COOKIE, world.roles["board"]["Authorization"].removeprefix("Bearer "))
    signed_in = client.get("/dashboard/")
    assert "<button>Sign out</button>" in signed_in.get_data(as_text=True)
    assert signed_in.headers["Cache-Control"] == "no-store"
    client.delete_cookie(COOKIE)
    assert client.get("/dashboard/sign-in").headers["Cache-Control"] == "no-store"  # holds a form token
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer swr_unknown"})
    assert refused.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/api/v1/organisations", "/api/v1/organisations/{cbo}",
                                  "/api/v1/docs"])
def test_anonymous_public_answers_are_left_to_caches(client, world, path):
    response = client.get(path.format(cbo=world.cbo.id))
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
