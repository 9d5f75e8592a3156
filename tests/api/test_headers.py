"""The headers every answer carries, the host names the app answers to, and the proxy it
believes: what a browser, a cache or someone forging headers would notice."""

from __future__ import annotations

import pytest

from api.auth import COOKIE
from api.settings import from_environment
from tests.api.conftest import form_token

PAGE_DIRECTIVES = ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'")
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def directives(response) -> set[str]:
    return {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}


ANSWERS = {
    "front page": ("GET", "/", {}),
    "dashboard": ("GET", "/dashboard/", {}),
    "sign-in page": ("GET", "/sign-in", {}),
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
    response = client.get(f"/maps/networks/{world.vnsw.public_id}.html")
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
    response = client.get(path.format(cbo=world.cbo.public_id), headers=world.roles[role])
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "private, no-store"


def test_pages_for_a_signed_in_person_and_forms_are_not_stored(client, world):
    assert sign_in(client, world.roles["board"]["Authorization"].removeprefix("Bearer ")).status_code == 302
    signed_in = client.get("/dashboard/")
    assert "<button>Sign out</button>" in signed_in.get_data(as_text=True)
    assert signed_in.headers["Cache-Control"] == "private, no-store"
    client.delete_cookie(COOKIE)
    assert client.get("/sign-in").headers["Cache-Control"] == "private, no-store"  # holds a form token
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer swr_unknown"})
    assert refused.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/api/v1/organisations", "/api/v1/organisations/{cbo}",
                                  "/api/v1/docs"])
def test_anonymous_public_answers_are_left_to_caches(client, world, path):
    response = client.get(path.format(cbo=world.cbo.public_id))
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/", "/api/v1/health"])
def test_a_forged_host_is_refused_and_never_redirected_to(client, world, path):
    response = client.get(path, base_url="http://evil.example", headers=BROWSER)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "evil.example" not in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_forged_host_gets_the_one_error_shape(client, world):
    api = client.get("/api/v1/me", base_url="http://evil.example", headers={"Authorization": "Bearer swr_x"})
    assert (api.status_code, api.json["error"]) == (400, "bad_request")
    page = client.get("/dashboard/", base_url="http://evil.example", headers=BROWSER)
    assert page.mimetype == "text/html" and 'data-error="bad_request"' in page.get_data(as_text=True)


@pytest.mark.parametrize("base_url", ["http://localhost", "http://127.0.0.1:5000", "http://LOCALHOST:8080"])
def test_the_hosts_make_serve_serves_on_are_answered(client, world, base_url):
    assert client.get("/dashboard", base_url=base_url).status_code == 308  # to /dashboard/, on that host
    assert client.get("/api/v1/health", base_url=base_url).status_code == 200


def test_trusted_hosts_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_TRUSTED_HOSTS", " registry.example.org, .nswp.example ,")
    assert from_environment(str(tmp_path))["TRUSTED_HOSTS"] == ["registry.example.org", ".nswp.example"]
    monkeypatch.setenv("REGISTRY_TRUSTED_HOSTS", "")
    assert from_environment(str(tmp_path))["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]  # never "any host"


def test_a_configured_host_is_answered_and_the_defaults_are_not(make_app, world):
    client = make_app(TRUSTED_HOSTS=["registry.example.org"]).test_client()
    assert client.get("/api/v1/health", base_url="https://registry.example.org").status_code == 200
    assert client.get("/api/v1/health", base_url="http://localhost").status_code == 400


def sign_in(client, secret, **headers):
    return client.post("/sign-in", data={"code": secret, "csrf_token": form_token(client)}, headers=headers)


def cookies_of(response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


def test_forwarded_headers_are_ignored_without_a_configured_proxy(client, world):
    secret = world.roles["board"]["Authorization"].removeprefix("Bearer ")
    response = sign_in(client, secret, **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 302
    assert "Secure" not in cookies_of(response)[COOKIE]


@pytest.fixture
def proxied(make_app):
    """The app behind one proxy that terminates TLS (REGISTRY_PROXY_HOPS=1)."""
    return make_app(PROXY_HOPS=1)


def test_behind_a_configured_proxy_a_tls_request_gets_secure_cookies(proxied, world):
    client = proxied.test_client()
    over_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = client.get("/sign-in", headers=over_tls)
    assert "Secure" in cookies_of(page)["registry_form"]
    secret = world.roles["board"]["Authorization"].removeprefix("Bearer ")
    response = sign_in(client, secret, **over_tls)
    assert response.status_code == 302  # no Referer needed: the pages send none
    assert "Secure" in cookies_of(response)[COOKIE]
    plain = proxied.test_client()
    assert "Secure" not in cookies_of(sign_in(plain, secret, **{"X-Forwarded-Proto": "http"}))[COOKIE]


def test_behind_a_configured_proxy_the_limit_counts_each_forwarded_address(proxied, world):
    proxied.config["AUTH_FAILURES_PER_MINUTE"] = 2
    client = proxied.test_client()

    def guess(address):
        return client.get("/api/v1/me", headers={"Authorization": "Bearer swr_x",
                                                 "X-Forwarded-For": address}).status_code

    assert [guess("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert guess("198.51.100.2") == 401  # another person behind the same proxy


def test_a_forwarded_host_is_checked_like_a_host(proxied, world):
    response = proxied.test_client().get("/dashboard", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 400 and "Location" not in response.headers
