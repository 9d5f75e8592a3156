"""VNSW's secretariat runs an election on a phone, in Vietnamese: creates it on the form, opens
nominations and then voting (each confirmed on its own page), and reads the live turnout; the
board reads the same page without a button to press. Every page fits the screen and passes axe.

The journey records its own governing body through the API, so its election never meets another
journey's; a member's candidate is nominated through the API with that member's editor code."""

from __future__ import annotations

import uuid

from tests.web.conftest import Site
from tests.web.test_console import said
from tests.web.test_organisation import API, call


def confirm(page, phase: str) -> None:
    page.page.click(f"ul.decisions a[href$='/phase/{phase}']")
    page.check(f"confirm {phase}")
    page.page.click("form.stacked button[type=submit]")
    page.check(f"after {phase}")


def test_the_secretariat_runs_an_election_and_the_board_watches_turnout(visit, web_site: Site) -> None:
    tag = uuid.uuid4().hex[:6]
    secretariat = web_site.codes["secretariat VNSW"]
    vnsw = call(web_site, "GET", f"{API}/organisations?q=VNSW&kind=national_network")[0]["items"][0]["id"]
    body, _ = call(web_site, "POST", f"{API}/networks/{vnsw}/bodies", secret=secretariat, body={
        "kind": "coordinating_committee", "name": f"Sample committee {tag}", "seats": 2, "term_months": 24})

    page = visit(viewport="phone", language="vi", signed_in_as="secretariat VNSW")
    page.goto(f"/networks/{vnsw}/elections/")
    page.check("election list")
    page.page.click("main p a.button")
    page.check("new election form")
    page.page.select_option("select[name=body]", body["id"])
    page.page.fill("input[name=title]", f"Sample election {tag}")
    page.page.fill("input[name=quorum_percent]", "50")
    page.page.click("form.stacked button[type=submit]")
    page.check("draft")
    main = page.page.inner_text("main")
    assert f"Sample election {tag}" in main and said("vi", "draft") in main
    election = page.page.url.rstrip("/").rsplit("/", 1)[1]

    confirm(page, "nominations_open")
    cbo = call(web_site, "GET", f"{API}/organisations?q=Sample+CBO+01")[0]["items"][0]["id"]
    call(web_site, "POST", f"{API}/networks/{vnsw}/elections/{election}/nominations",
         secret=web_site.codes["editor Sample CBO 01"], body={"organisation_id": cbo, "name": f"Lan {tag}"})
    confirm(page, "nominations_closed")
    confirm(page, "voting_open")
    turnout = page.page.inner_text("p.turnout")
    assert said("vi", "The quorum is met.") not in turnout
    assert page.page.locator("ul.not-voted li").count() > 0

    board = visit(viewport="phone", language="vi", signed_in_as="board VNSW")
    board.goto(f"/networks/{vnsw}/elections/{election}/")
    board.check("board reads turnout")
    assert board.page.locator("ul.not-voted li").count() > 0
    assert board.page.locator("a[href*='/phase/']").count() == 0
