"""An organisation's own page in a real browser, in Vietnamese and in Khmer: it edits its profile,
hits a conflict with a save made meanwhile through the API and resolves it, and stops its public
listing, after which the public directory no longer lists it.

Each journey registers its own organisation (through the API, as VNSW's secretariat), is given
an editor's sign-in code, and signs in with it on the sign-in page.
"""

from __future__ import annotations

import json
import uuid
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from tests.web.conftest import Site, sign_in
from tests.web.kit import Visit

API = "/api/v1"


@dataclass
class Organisation:
    public_id: str
    name: str
    secret: str  # its editor's sign-in code


def call(site: Site, method: str, path: str, *, secret: str | None = None, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[Any, dict[str, str]]:
    """The JSON API on the live server: (answer, headers)."""
    sent = {"Accept": "application/json", **(headers or {})}
    if secret:
        sent["Authorization"] = f"Bearer {secret}"
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        sent["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(site.base + path, data=data, method=method,
                                                       headers=sent), timeout=30) as answer:
        return json.loads(answer.read() or b"null"), dict(answer.headers)


def new_organisation(site: Site) -> Organisation:
    """A CBO of VNSW's, listed publicly, with an editor's sign-in code."""
    secretariat = site.codes["secretariat VNSW"]
    found, _ = call(site, "GET", f"{API}/organisations?q=VNSW&kind=national_network")
    vnsw = found["items"][0]["id"]
    name = f"Sample CBO web {uuid.uuid4().hex[:6]}"
    made, _ = call(site, "POST", f"{API}/organisations", secret=secretariat, body={
        "network_id": vnsw, "kind": "community_organisation", "name": name, "country": "VN",
        "public_listing": True, "areas_served": ["VN-HN"], "priority_areas": ["health"]})
    token, _ = call(site, "POST", f"{API}/tokens", secret=secretariat, body={
        "role": "editor", "scope_id": made["id"], "label": f"web test {name}"})
    return Organisation(made["id"], name, token["secret"])


def signed_in_as(page: Visit, organisation: Organisation) -> Visit:
    """Signed in with the organisation's code on the sign-in page, as a person would."""
    sign_in(page, organisation.secret)
    return page


def listed(site: Site, organisation: Organisation) -> bool:
    """Whether the public directory (anonymous, kept in memory between writes) lists it."""
    query = urllib.parse.urlencode({"q": organisation.name})
    found, _ = call(site, "GET", f"{API}/organisations?{query}")
    return any(o["id"] == organisation.public_id for o in found["items"])


def profile(site: Site, organisation: Organisation) -> dict[str, Any]:
    return call(site, "GET", f"{API}/organisations/{organisation.public_id}", secret=organisation.secret)[0]


@pytest.mark.parametrize("language,viewport", [("vi", "phone"), ("km", "desktop")])
def test_an_organisation_edits_its_profile_resolves_a_conflict_and_stops_its_listing(
        visit, web_site, language, viewport):
    organisation = new_organisation(web_site)
    page = signed_in_as(visit(viewport=viewport, language=language), organisation)
    tag = uuid.uuid4().hex[:6]

    page.goto("/organisation/")
    page.check("profile")
    assert page.page.locator("h1").inner_text() == organisation.name
    page.page.fill("input[name=website]", f"https://example.org/{tag}")
    page.page.fill("textarea[name=new_areas]", "tỉnh Bắc Ninh")
    page.page.click("form.profile button")
    page.check("saved")
    saved = profile(web_site, organisation)
    assert saved["website"] == f"https://example.org/{tag}" and saved["areas_served"] == ["VN-56", "VN-HN"]

    # Another browser (here the API, with the same editor's code) saves first.
    _, headers = call(web_site, "GET", f"{API}/organisations/{organisation.public_id}", secret=organisation.secret)
    call(web_site, "PATCH", f"{API}/organisations/{organisation.public_id}", secret=organisation.secret,
         body={"website": f"https://theirs.example.org/{tag}", "acronym": f"T{tag}"},
         headers={"If-Match": headers["ETag"]})
    page.page.fill("input[name=website]", f"https://mine.example.org/{tag}")
    page.page.fill("input[name=drop_in_centres]", "4")
    page.expect_status(409)
    page.page.click("form.profile button")
    page.check("conflict")
    assert page.page.locator(f"text=https://theirs.example.org/{tag}").count() == 1
    page.page.check("input[name=take_website][value=yours]")
    page.page.click("form[action='/organisation/resolve'] button")
    page.check("resolved")
    resolved = profile(web_site, organisation)
    assert (resolved["website"], resolved["acronym"], resolved["drop_in_centres"]) == (
        f"https://mine.example.org/{tag}", f"T{tag}", 4)

    assert listed(web_site, organisation) and listed(web_site, organisation)  # the second from memory
    page.page.click("button.stop")
    page.check("delisted")
    assert not listed(web_site, organisation)
    assert page.page.locator("button.stop").count() == 0

    page.page.click("a[href='/organisation/history']")
    page.check("history")
    assert page.page.locator("table tr").count() >= 4  # registered, saved, theirs, resolved, delisted


@pytest.mark.parametrize("language,viewport", [("vi", "desktop"), ("km", "phone")])
def test_an_organisation_applies_to_a_network_and_reads_its_memberships(visit, web_site, language, viewport):
    organisation = new_organisation(web_site)
    page = signed_in_as(visit(viewport=viewport, language=language), organisation)
    page.goto("/organisation/")
    page.check("profile")
    page.page.select_option("select[name=network]", label="Women's Network for Unity (WNU)")
    page.page.click("form[action='/organisation/apply'] button")
    page.check("applied")
    assert page.page.locator("details summary", has_text="Women's Network for Unity").count() == 1
