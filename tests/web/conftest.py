"""One live registry for the browser journeys: the seeds and the sample network (copied from
the run's seeded template database), the licensed boundary files, and a sign-in code for each
role, served on a local port. Journeys share it, so each makes its own names ("Sample ... <uuid>")
and never relies on another journey's writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from api import database
from api.app import create_app
from api.cli import main
from geo.bundle import shared_geo_dir
from tests.api.conftest import serving
from tests.conftest import copy_of
from tests.web.kit import Visit

# Who signs in, with a code the secretariat would issue: (role, for whom).
ROLES = {
    "secretariat VNSW": ("secretariat", "VNSW"),
    "secretariat WNU": ("secretariat", "WNU"),
    "board VNSW": ("board", "VNSW"),
    "editor Sample CBO 01": ("editor", "Sample CBO 01"),
    "editor Sample CBO 02": ("editor", "Sample CBO 02"),
}


@dataclass
class Site:
    base: str          # the live server's address
    database_url: str
    codes: dict[str, str]  # sign-in codes by ROLES key
    browser: Browser

    def visit(self, name: str, *, viewport: str = "phone", language: str = "vi", signed_in_as: str | None = None) -> Visit:
        one = Visit(self.browser, self.base, viewport=viewport, language=language, name=name)
        if signed_in_as:
            sign_in(one, self.codes[signed_in_as])
        return one


def sign_in(visit: Visit, code: str) -> None:
    """Sign `visit`'s browser in with a sign-in code, as a person would on the sign-in page."""
    visit.goto("/dashboard/sign-in")
    visit.page.fill("input[name=token]", code)
    visit.page.click("main form button, main form input[type=submit]")
    visit.page.wait_for_load_state("load")


@pytest.fixture(scope="session")
def web_site(seeds_database, browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    engine, _ = seeds_database
    with copy_of(engine, tmp_path_factory.mktemp("web")) as url:
        run = CliRunner(env={"DATABASE_URL": url}).invoke
        imported = run(main, ["boundaries", "import-known", str(shared_geo_dir())])
        assert imported.exit_code == 0, imported.output
        codes = {}
        for key, (role, scope) in ROLES.items():
            made = run(main, ["token", "create", "--role", role, "--for", scope, "--label", f"web test {key}"])
            assert made.exit_code == 0, made.output
            codes[key] = made.output.strip().splitlines()[-1]
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        try:
            with serving(app) as base:
                yield Site(base=base, database_url=url, codes=codes, browser=browser)
        finally:
            database.dispose(app)


@pytest.fixture
def visit(web_site: Site, request: pytest.FixtureRequest) -> Iterator[Callable[..., Visit]]:
    """`visit(viewport=..., language=..., signed_in_as="secretariat VNSW")`: a fresh browser for
    this test (signed in with that role's code when asked), closed after it."""
    opened: list[Visit] = []

    def open_one(*, viewport: str = "phone", language: str = "vi", signed_in_as: str | None = None) -> Visit:
        one = web_site.visit(request.node.name, viewport=viewport, language=language, signed_in_as=signed_in_as)
        opened.append(one)
        return one

    yield open_one
    for one in opened:
        one.close()
