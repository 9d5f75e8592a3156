"""Journeys of signing in, in Vietnamese and Khmer on a phone and a desktop: a board member signs
in with a code and reads the board page; the secretariat issues a code, prints it, the new code
signs in from its QR address, the secretariat revokes it and it signs in no more."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.web.conftest import Site

WAYS = [("vi", "phone"), ("vi", "desktop"), ("km", "phone"), ("km", "desktop")]


@pytest.mark.parametrize(("language", "viewport"), WAYS)
def test_a_board_member_signs_in_with_a_code_and_reads_the_dashboard(visit, web_site: Site, language, viewport):
    board = visit(viewport=viewport, language=language)
    board.goto("/sign-in")
    board.check("sign-in")
    board.page.fill("input[name=code]", web_site.codes["board VNSW"])
    board.page.click("main button[type=submit]")
    board.page.wait_for_url(re.compile(r".*/dashboard/board/[0-9A-Z]{12}$"))
    board.check("board page", max_kb=None, max_requests=None)  # it shows maps
    assert board.page.locator("html").get_attribute("lang") == language
    if viewport == "desktop":  # the longer walk on one viewport: the account page, then out
        board.goto("/sign-in")
        board.check("signed in")
        board.page.click("header button")  # the header's Sign out
        board.page.wait_for_url(re.compile(r".*/sign-in\?ended=out$"))
        board.check("signed out")
        board.expect_status(302)
        board.goto(board.page.url.split("/sign-in")[0] + "/dashboard/")
        assert board.page.locator("header form").count() == 0  # no Sign out: nobody is signed in


@pytest.mark.parametrize(("language", "viewport"), [("vi", "desktop"), ("km", "phone")])
def test_the_secretariat_issues_prints_and_revokes_a_code(visit, web_site: Site, language, viewport):
    secretariat = visit(viewport=viewport, language=language)
    secretariat.goto("/sign-in")
    secretariat.page.fill("input[name=code]", web_site.codes["secretariat VNSW"])
    secretariat.page.click("main button[type=submit]")
    secretariat.page.wait_for_url(re.compile(r".*/console/$"))
    secretariat.check("console")
    secretariat.page.click("nav.console a[href$='/console/codes/']")
    secretariat.check("sign-in codes")

    seat = f"Seat web {uuid.uuid4().hex[:6]}"
    secretariat.page.select_option("#role", "board")
    secretariat.page.select_option("#holder", label="Vietnam Network of Sex Workers")
    secretariat.page.fill("#label", seat)
    secretariat.page.click("main button[type=submit]")
    secretariat.page.wait_for_selector("code.sign-in-code")
    secretariat.check("the code, once")
    code = secretariat.page.text_content("code.sign-in-code").strip()
    assert secretariat.page.locator("svg.qr").is_visible()
    secretariat.page.emulate_media(media="print")
    assert not secretariat.page.locator("header").is_visible() and secretariat.page.locator("svg.qr").is_visible()
    secretariat.check("the code, printed")
    secretariat.page.emulate_media(media="screen")

    # The QR code opens the sign-in page with the code in the fragment; the page's script moves
    # it into the form and out of the address bar.
    holder = visit(viewport="phone", language=language)
    holder.goto(f"/sign-in#code={code}")
    assert holder.page.input_value("input[name=code]") == code and "#" not in holder.page.url
    holder.check("sign-in from the QR code")
    holder.page.click("main button[type=submit]")
    holder.page.wait_for_url(re.compile(r".*/dashboard/board/[0-9A-Z]{12}$"))
    board_page = holder.page.url

    secretariat.goto("/console/codes/")
    secretariat.page.click(f"a[href$='/revoke'] >> text={seat}")
    secretariat.check("revoke, asked")
    secretariat.page.click("main button[type=submit]")
    secretariat.page.wait_for_url(re.compile(r".*/console/codes/\?revoked=.*"))
    secretariat.check("revoked")

    holder.expect_status(401)
    holder.goto(board_page)
    assert holder.page.locator("main p.error").count() == 1  # "your sign-in has ended"
    holder.check("signed out by the revocation")
    holder.goto("/sign-in")
    holder.page.fill("input[name=code]", code)
    holder.page.click("main button[type=submit]")
    holder.page.wait_for_load_state("load")
    assert holder.page.locator("main p.error").count() == 1 and "/sign-in" in holder.page.url
    holder.check("the revoked code refused")
