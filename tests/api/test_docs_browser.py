"""The API docs page in a real browser: headless Chromium renders Swagger UI from assets the
app serves itself, under the pages' Content-Security-Policy (no inline script or style), with
no failed request, no console error, no policy violation and no request leaving the machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api import database
from api.app import create_app
from tests.api.conftest import serving

# Every Content-Security-Policy violation in a page or its frames, as a console error.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) =>
    console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));"""


@pytest.fixture
def docs_server() -> Iterator[str]:
    # The docs page and the OpenAPI description need no database.
    app = create_app({"DATABASE_URL": "sqlite://"})
    try:
        with serving(app) as url:
            yield url
    finally:
        database.dispose(app)


def test_the_docs_render_offline_in_headless_chromium(docs_server, browser):
    failed, errors, outside = [], [], []
    page = browser.new_page()
    try:
        page.add_init_script(REPORT_VIOLATIONS)
        policies = []
        page.on("response", lambda response: response.url.endswith("/api/v1/docs") and policies.append(
            response.headers.get("content-security-policy", "")))

        def only_local(route):
            if route.request.url.startswith(docs_server):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{docs_server}/api/v1/docs", wait_until="networkidle")
        page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
        title = page.inner_text(".swagger-ui .info .title")
        operations = page.locator(".swagger-ui .opblock").count()
    finally:
        page.close()
    assert "membership registry" in title
    assert operations >= 20
    assert failed == [] and errors == [] and outside == []
    # The page ran under the policy, and the policy lets no inline script or style run.
    assert policies and "default-src 'self'" in policies[0] and "unsafe-inline" not in policies[0]
