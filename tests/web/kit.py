"""What every browser journey checks on every page it reaches, in real headless Chromium.

`Visit` is one person's browser (a context at a viewport and a language) on the live test
server. `visit.check("name")` asserts, for the page now shown:
- nothing overflows horizontally (the page is as wide as the screen, 360 px phones included);
- no console error, no uncaught script error, no Content-Security-Policy violation;
- no failed request, no answer ≥ 400 unless the journey said it expects one, and no request
  to anywhere but the server's own origin (such requests are aborted and recorded);
- no serious or critical axe-core violation (axe-core comes from the npm registry, installed
  into tests/browser by `make test-deps`, and is injected by the test, never served);
- the page weighs at most `max_kb` compressed (each answer gzipped as a proxy would) over at
  most `max_requests` requests, unless the page shows a map;
and keeps a screenshot under the test output folder (REGISTRY_TEST_OUTPUT, else test-output/),
which CI keeps as an artefact.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = Path(os.environ.get("REGISTRY_TEST_OUTPUT", ROOT / "test-output"))
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# Languages as a browser sends them (Accept-Language); the pages' own switcher sets a cookie.
LOCALES = {"vi": "vi-VN", "km": "km-KH", "lo": "lo-LA", "en": "en-GB"}

# Every Content-Security-Policy violation in a page or its frames, as a console error.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) =>
    console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));"""
OVERFLOW_JS = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
    return {scroll: document.documentElement.scrollWidth, width, wide};
}"""
AXE_RUN_JS = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""

_STATUS_LOGGED = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")


_STATUS_SAID = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})\b")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]


class Visit:
    """One person's browser on the live server `base`: a viewport ("phone" or "desktop") and a
    language ("vi", "km", ...). Use `page` as Playwright's; call `check` on every page reached."""

    def __init__(self, browser: Browser, base: str, *, viewport: str = "phone", language: str = "vi",
                 name: str = "visit") -> None:
        self.base = base.rstrip("/")
        self.viewport = viewport
        self.language = language
        self.name = _slug(name)
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], locale=LOCALES.get(language, language),
                                           extra_http_headers={"Accept-Language": LOCALES.get(language, language)})
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.context.route("**/*", self._only_our_origin)
        self.page: Page = self.context.new_page()
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.expected_statuses: set[int] = set()
        self._answers: list[Response] = []
        self._shots = 0
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._answered)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: d.accept())

    # -- watching ---------------------------------------------------------------------------
    def _only_our_origin(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/") or url == self.base or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium also logs every answer >= 400 as an error: one the journey expects is no error.
        logged = _STATUS_LOGGED.search(message.text)
        if message.type == "error" and not (logged and int(logged.group(1)) in self.expected_statuses):
            self.errors.append(message.text)

    def _failed(self, request: Request) -> None:
        if request.url not in self.outside:
            self.failed.append(f"{request.failure} {request.url}")

    def _console(self, message: Any) -> None:
        # Chromium also reports an answer >= 400 as a console error: one the journey expects is none.
        said = _STATUS_SAID.search(message.text)
        if message.type == "error" and not (said and int(said.group(1)) in self.expected_statuses):
            self.errors.append(message.text)

    def _answered(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._answers = []  # a new page: weigh from here
        self._answers.append(response)
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.failed.append(f"{response.status} {response.url}")

    # -- acting -----------------------------------------------------------------------------
    def goto(self, path: str, **kw: Any) -> Response | None:
        return self.page.goto(self.base + path if path.startswith("/") else path, **kw)

    def expect_status(self, *statuses: int) -> None:
        """The journey expects these answers (an error page it means to show, e.g. 412)."""
        self.expected_statuses.update(statuses)

    # -- checking ---------------------------------------------------------------------------
    def check(self, what: str, *, max_kb: float | None = 60, max_requests: int | None = 10,
              axe: bool = True) -> None:
        """Assert everything the module docstring lists for the page now shown, and keep its
        screenshot. Pass max_kb=None, max_requests=None on pages that show a map."""
        page = self.page
        page.wait_for_load_state("load")
        self._shots += 1
        folder = OUTPUT / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"{self.name}-{self.language}-{self.viewport}-{self._shots:02d}-{_slug(what)}.png"
        page.screenshot(path=str(shot), full_page=True)
        where = f"{what} ({self.language}, {self.viewport}, {page.url})"
        overflow = page.evaluate(OVERFLOW_JS)
        assert overflow["scroll"] <= overflow["width"], f"{where}: wider than the screen {overflow}"
        if axe:
            page.evaluate(AXE.read_text(encoding="utf-8"))
            violations = page.evaluate(AXE_RUN_JS)
            assert violations == [], f"{where}: axe-core\n" + json.dumps(violations, indent=1, ensure_ascii=False)
        if max_kb is not None or max_requests is not None:
            answers = [a for a in self._answers if a.status < 300 or a.status >= 400]
            weight = sum(len(gzip.compress(_body(a))) for a in answers) / 1024
            if max_kb is not None:
                assert weight <= max_kb, f"{where}: {weight:.1f} KB compressed > {max_kb} KB"
            if max_requests is not None:
                assert len(answers) <= max_requests, f"{where}: {len(answers)} requests > {max_requests}"
        self.clean(where)

    def clean(self, where: str = "") -> None:
        assert (self.failed, self.errors, self.outside) == ([], [], []), \
            f"{where}: failed={self.failed} errors={self.errors} outside={self.outside}"

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _body(response: Response) -> bytes:
    try:
        return response.body()
    except Exception:  # a body the browser did not keep (a redirect, an aborted request)
        return b""
