"""The ballot on a 390 px phone in Vietnamese, in a real browser, with script (tap to rank) and
without (a number per rank): each page fits the screen and is axe-clean, the ballot is read back
before it is cast, and the receipt is shown.

The election is made through the JSON API, as VNSW's secretariat and two sample CBOs' editors
would make it (the secretariat's own election pages are not these); each run makes its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
import pytest

from registry.db import today
from tests.web.conftest import Site, sign_in
from tests.web.kit import Visit
from tests.web.test_organisation import API, call

VOTERS = {True: "editor Sample CBO 01", False: "editor Sample CBO 02"}


def open_election(site: Site) -> tuple[str, dict[str, str], Callable[[str], None]]:
    """A committee election of VNSW's with three candidates, voting open: its page, the
    candidates' nomination ids by name, and how to move it on (as its secretariat)."""
    secretariat = site.codes["secretariat VNSW"]
    found, _ = call(site, "GET", f"{API}/organisations?q=VNSW&kind=national_network")
    vnsw = found["items"][0]["id"]
    network = f"{API}/networks/{vnsw}"
    tag = uuid.uuid4().hex[:6]
    body, _ = call(site, "POST", f"{network}/bodies", secret=secretariat,
                   body={"kind": "coordinating_committee", "name": f"Sample committee {tag}", "seats": 2,
                         "term_months": 24})
    election, _ = call(site, "POST", f"{network}/elections", secret=secretariat, body={
        "body_id": body["id"], "title": f"Sample election {tag}", "method": "scottish_stv",
        "roll_cutoff": today().isoformat()})
    path = f"{network}/elections/{election['id']}"

    def move(phase: str) -> None:
        _, headers = call(site, "GET", path, secret=secretariat)
        call(site, "PUT", f"{path}/phase", secret=secretariat, body={"phase": phase},
             headers={"If-Match": headers["ETag"]})

    move("nominations_open")
    ids = {}
    for who, name in ((VOTERS[True], f"Ánh {tag}"), (VOTERS[False], f"Bình {tag}"), (VOTERS[True], f"Châu {tag}")):
        nominator = who.removeprefix("editor ")
        organisation, _ = call(site, "GET", f"{API}/organisations?q={nominator.replace(' ', '+')}")
        made, _ = call(site, "POST", f"{path}/nominations", secret=site.codes[who], body={
            "organisation_id": organisation["items"][0]["id"], "name": name, "statement": f"{name} sẽ phục vụ"})
        ids[name.split()[0]] = made["id"]
    move("nominations_closed")
    move("voting_open")
    return f"/elections/{vnsw}/{election['id']}/", ids, move


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_a_member_ranks_and_casts_its_ballot_on_a_phone_in_vietnamese(web_site: Site, script: bool) -> None:
    url, ids, move = open_election(web_site)
    with Visit(web_site.browser, web_site.base, viewport="phone", language="vi",
               name=f"ballot-{'script' if script else 'no-script'}") as visit:
        sign_in(visit, web_site.codes[VOTERS[script]])
        scripts = visit.context.new_cdp_session(visit.page)

        def check(what: str) -> None:
            """Pages load without script when `script` is off; script comes back only for the checks
            (which run in the page), after the page has loaded without it: a click's navigation may
            still be loading when the click returns, and script let back on then would run the page's."""
            visit.page.wait_for_load_state("load")
            scripts.send("Emulation.setScriptExecutionDisabled", {"value": False})
            visit.check(what)
            scripts.send("Emulation.setScriptExecutionDisabled", {"value": not script})

        scripts.send("Emulation.setScriptExecutionDisabled", {"value": not script})
        visit.goto(url)
        check("election")
        visit.page.click(f"a[href='{url}ballot']")
        check("ballot")
        page = visit.page
        assert page.locator("h1").inner_text().startswith("Phiếu bầu")
        first, second = (f"#rank-0-{ids['Châu']}", f"#rank-0-{ids['Ánh']}")
        if script:
            # Tap Châu, then Ánh; tap Châu again to take them off, and Ánh moves up to 1.
            for field in (first, second, first):
                page.click(f"{field} ~ button.tap")
            assert (page.input_value(first), page.input_value(second)) == ("", "1")
            page.click(f"{first} ~ button.tap")
            assert (page.input_value(first), page.input_value(second)) == ("2", "1")
            check("ranked by tapping")
        else:
            assert page.locator("button.tap").count() == 0
            page.fill(second, "1")
            page.fill(first, "1")
            visit.expect_status(422)
            page.click("button[name=intent][value=vote]")
            check("duplicate ranks refused")
            assert page.locator("p.problem").count() == 1
            page.fill(first, "2")
        page.click("button[name=intent][value=vote]")
        check("read back")
        names = page.locator(".read-back ol li").all_inner_texts()
        assert [n.split()[0] for n in names] == ["Ánh", "Châu"]
        visit.expect_status(201)
        page.click("form.cast button")
        check("receipt")
        receipts = page.locator("code.receipt").all_inner_texts()
        assert len(receipts[0]) == 32 and receipts[1].startswith('{"open":')
        assert page.locator("html").get_attribute("lang") == "vi"
        if script:  # once is enough: the result page has no script to go without
            for phase in ("voting_closed", "tallied", "certified"):
                move(phase)
            visit.goto(url + "result")
            check("result")
            assert page.locator("svg.rounds title").count() >= 1 and page.locator("table th[scope=row]").count() >= 3

