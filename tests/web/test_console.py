"""The secretariat's journey through its console, in Vietnamese on a phone and in Khmer on a
desktop: register a CBO, verify and admit it, find it in the member list; import a spreadsheet
whose headers are the template's in that language, with one bad row, read the error by its
column header, fix the file and apply it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from babel.support import Translations

from tests.web.kit import Visit

TRANSLATIONS = Path(__file__).resolve().parents[2] / "api" / "translations"


def said(language: str, message: str, **params: object) -> str:
    text = Translations.load(str(TRANSLATIONS), [language]).gettext(message)
    return text % params if params else text


def decide(page: Visit, action: str) -> None:
    page.page.click(f"ul.decisions a[href$='/{action}']")
    page.check(f"confirm {action}")
    page.page.click("form button[type=submit]")
    page.check(f"after {action}")


def upload(page: Visit, rows: list[str], header: str) -> None:
    page.page.set_input_files("input[name=file]", files=[{
        "name": "members.csv", "mimeType": "text/csv", "buffer": "\n".join([header, *rows]).encode()}])
    page.page.click("form[enctype] button[type=submit]")


@pytest.mark.parametrize(("language", "viewport"), [("vi", "phone"), ("km", "desktop")])
def test_the_secretariat_registers_admits_and_imports(visit, language: str, viewport: str) -> None:
    page = visit(viewport=viewport, language=language, signed_in_as="secretariat VNSW")
    tag = uuid.uuid4().hex[:6]
    page.goto("/console/")
    page.check("review queue")

    # Register a CBO by an area's name in the person's script; it waits in the queue.
    name = f"Sample CBO web {tag}"
    page.page.click("a[href='/console/register']")
    page.check("register form")
    page.page.fill("input[name=name]", name)
    page.page.fill("input[name=area] >> nth=0", "Hà Nội")
    page.page.click("form.stacked button[type=submit]")
    page.check("registered")
    assert said(language, "%(organisation)s is registered and waits for verification.", organisation=name) \
        in page.page.inner_text("main")
    page.goto("/console/")
    assert name in page.page.inner_text("main")
    page.page.click(f"text={name}")
    decide(page, "verify")
    decide(page, "admit")
    assert said(language, "active") in page.page.inner_text("main")

    page.goto(f"/console/members?q={tag}")
    page.check("member list")
    assert name in page.page.inner_text("main")

    # The import, headed in the person's language as the template is.
    page.page.click("a[href='/console/import']")
    page.check("import form")
    header = ",".join([said(language, "Name"), said(language, "Drop-in centres")])
    imported = [f"Sample CBO import {tag} A", f"Sample CBO import {tag} B"]
    upload(page, [f"{imported[0]},2", f"{imported[1]},many"], header)
    page.check("dry run with an error")
    report = page.page.inner_text("table.report")  # each problem: "<the sheet's header>: <why>"
    assert f"{said(language, 'Drop-in centres')}: " + said(language, "'%(value)s' is not a whole number",
                                                             value="many") in report
    assert page.page.locator("form[action^='/console/import/']").count() == 0
    upload(page, [f"{imported[0]},2", f"{imported[1]},3"], header)
    page.check("clean dry run")
    page.page.click("form[action^='/console/import/'] button")
    page.check("import applied")
    page.goto(f"/console/members?q=import+{tag}")
    listed = page.page.inner_text("main")
    assert all(n in listed for n in imported)

    page.goto("/console/history")
    page.check("history")
    assert imported[0] in page.page.inner_text("main")
