"""Languages: every word a person reads is marked for translation and translated in every
catalog; the locale is the person's choice, then their browser's, then English; the API's
errors and the pages speak it."""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment, nodes

from api import i18n
from geo import words
from geo.coverage import OrgPresence, View, compute_coverage
from geo.maps import coverage_map, render_map
from registry.errors import N_, ValidationFailed
from registry.exchange.spreadsheets import COLUMNS
from registry.names import fold
from tests.api.conftest import World, etag_of
from tests.api.test_spreadsheets import post_file
from tests.geo.conftest import make_set, map_data

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "api" / "translations"
TEMPLATES = ROOT / "api" / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _compile_catalogs() -> None:
    """What `make install` does (pybabel compile), for a run that did not go through it."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    _compile_catalogs()
    with app.app_context():  # nothing loaded before the .mo files were there
        app.extensions["babel"].instance.domain_instance.cache.clear()
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _translation(locale: str, msgid: str) -> str:
    message = _catalog(locale).get(msgid)
    assert message is not None and message.string, (locale, msgid)
    return str(message.string)


# -- (a) nothing a person reads is left unmarked ---------------------------------------------

def _template_text(path: Path) -> list[str]:
    """Words in a template's own text (outside {{ _() }} and {% trans %}), after the markup,
    code samples and entities are taken out, and literal words in reader-facing attributes."""
    tree = Environment(extensions=["jinja2.ext.i18n"]).parse(path.read_text(), path.name)
    # The literal text in document order, with "{}" wherever the template puts something in.
    html = "{}".join(data.data for data in tree.find_all(nodes.TemplateData))
    found = [m.group(2) for m in re.finditer(r'\b(title|alt|aria-label|placeholder)="([^"{]*[A-Za-z][^"{]*)"', html)]
    text = re.sub(r"<code>.*?</code>|<!--.*?-->|<[^>]*>|&\w+;|Swagger UI", " ", html, flags=re.S)
    found += re.findall(r"[^\W\d_][\w'’-]*", text)
    return found


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_a_template_holds_no_words_outside_translation(template: str) -> None:
    assert _template_text(TEMPLATES / template) == []


# Calls whose string argument a person reads: the message of an error answer or a page.
SHOWN = {"error_response": 1, "_sign_in_page": 0, "unavailable_response": None}


def _unmarked_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and SHOWN.get(node.func.id) is not None:
            argument = node.args[SHOWN[node.func.id]] if len(node.args) > SHOWN[node.func.id] else None
            if isinstance(argument, (ast.Constant, ast.JoinedStr)) and not (
                    isinstance(argument, ast.Constant) and argument.value is None):
                found.append(f"{path.name}:{node.lineno}")
        # An HTTP refusal's own words (werkzeug's `description`) are read by the caller too.
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if (isinstance(statement, ast.Assign) and any(getattr(t, "id", "") == "description" for t in statement.targets)
                        and isinstance(statement.value, (ast.Constant, ast.JoinedStr))):
                    found.append(f"{path.name}:{statement.lineno}")
    return sorted(found)


def test_no_module_of_the_api_answers_with_unmarked_words() -> None:
    assert [hit for path in sorted((ROOT / "api").rglob("*.py")) for hit in _unmarked_in(path)] == []


def test_the_unmarked_word_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "refusal.py"
    module.write_text('error_response(404, "gone")\nerror_response(404, _("gone"))\n'
                      'class Gone(Exception):\n    description = "gone"\n')
    assert _unmarked_in(module) == ["refusal.py:1", "refusal.py:4"]
    page = tmp_path / "page.html"
    page.write_text('<p title="A map">{{ _("Shown") }} Left out <code>GET /x</code></p>')
    assert _template_text(page) == ["A map", "Left", "out"]


# -- (b) the catalogs are current and complete ----------------------------------------------

def _extracted() -> set[object]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {message for _filename, _line, message, _comments, _context
            in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)}


def test_the_message_template_is_current_with_the_sources() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(pot) if m.id}
    extracted = {m if isinstance(m, str) else tuple(m) for m in _extracted()}
    assert extracted - template == set(), "run the extract command in README.md (Languages)"
    assert template - extracted == set(), "the .pot keeps messages no source has any more"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_catalog_translates_every_message(locale: str) -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = [m for m in read_po(pot) if m.id]
    catalog = _catalog(locale)
    assert not catalog.fuzzy
    for wanted in template:
        message = catalog.get(wanted.id)
        assert message is not None, (locale, wanted.id)
        assert "fuzzy" not in message.flags, (locale, wanted.id)  # gettext would not use it
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(forms) == (catalog.num_plurals if wanted.pluralizable else 1) and all(forms), (locale, wanted.id)
        ids = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(ids[-1])), (locale, form)
    assert not catalog.obsolete


# -- (c) the locale: the person's choice, then Accept-Language, then English ---------------------

@pytest.mark.parametrize(("cookie", "accept", "expected"), [
    ("km", "vi,en;q=0.5", "km"),  # the person's choice wins over the browser's
    (None, "fr-CA,vi;q=0.5", "fr"),
    (None, "zh-TW", "zh"),
    ("xx", "ru", "ru"),  # an unknown choice is no choice
    (None, "de", "en"),
    (None, None, "en"),
])
def test_the_locale_is_the_cookie_then_accept_language_then_english(
        client: FlaskClient, cookie: str | None, accept: str | None, expected: str) -> None:
    if cookie:
        client.set_cookie(i18n.COOKIE, cookie)
    page = client.get("/", headers={"Accept-Language": accept} if accept else {}).get_data(as_text=True)
    assert f'<html lang="{expected}">' in page


def test_the_switcher_on_a_page_offers_every_language_and_keeps_the_page(client: FlaskClient) -> None:
    page = client.get("/dashboard/?x=1").get_data(as_text=True)
    assert 'href="/language/km?next=/dashboard/%3Fx%3D1"' in page
    assert ">ລາວ<" in page and ">Tiếng Việt<" in page and "<strong lang=\"en\">English</strong>" in page
    chosen = client.get("/language/km?next=/dashboard/%3Fx%3D1")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/dashboard/?x=1"
    assert f"{i18n.COOKIE}=km" in chosen.headers["Set-Cookie"] and "HttpOnly" in chosen.headers["Set-Cookie"]
    assert '<html lang="km">' in client.get("/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize("elsewhere", ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil"])
def test_the_switcher_never_sends_anyone_off_the_site(client: FlaskClient, elsewhere: str) -> None:
    answer = client.get("/language/vi", query_string={"next": elsewhere})
    assert answer.headers["Location"] == "/"


def test_a_control_character_cannot_turn_the_way_back_into_another_site(client: FlaskClient) -> None:
    # Browsers drop tabs and line breaks from an address: "/<tab>/evil" would become "//evil".
    location = client.get("/language/vi", query_string={"next": "/\t/evil.example"}).headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\t" not in location


def test_an_unknown_language_sets_nothing(client: FlaskClient) -> None:
    answer = client.get("/language/xx")
    assert answer.status_code == 302 and "Set-Cookie" not in answer.headers


def test_the_api_follows_accept_language_not_the_page_cookie(client: FlaskClient) -> None:
    client.set_cookie(i18n.COOKIE, "km")
    body = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "vi"}).get_json()
    assert body["message"] == _translation("vi", "nothing was found at this address")


# -- (d) the API's errors and the pages in the reader's language -----------------------------------

def test_an_api_error_in_vietnamese(client: FlaskClient) -> None:
    answer = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token", "Accept-Language": "vi-VN"})
    assert answer.status_code == 401
    assert answer.get_json()["message"] == "mã truy cập bị thiếu, không tồn tại, đã hết hạn hoặc đã bị thu hồi"
    assert answer.get_json()["error"] == "unauthorized"  # the machine-readable word stays the same


def test_an_api_error_in_khmer(client: FlaskClient) -> None:
    answer = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "km"})
    assert answer.status_code == 404
    assert answer.get_json() == {"status": 404, "error": "not_found", "message": "រកមិនឃើញអ្វីនៅអាសយដ្ឋាននេះទេ"}


def test_an_error_page_in_khmer(client: FlaskClient) -> None:
    client.set_cookie(i18n.COOKIE, "km")
    page = client.get("/dashboard/networks/999/map", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<html lang="km">' in page and "404: រកមិនឃើញ" in page


def test_a_page_in_lao(client: FlaskClient) -> None:
    client.set_cookie(i18n.COOKIE, "lo")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert '<html lang="lo">' in page
    assert f"<h1>{_translation('lo', 'Networks')}</h1>" in page
    assert _translation("lo", "No network is listed publicly yet.") in page
    assert "Networks of sex-worker-led organisations" not in page
    sign_in = client.get("/sign-in").get_data(as_text=True)
    assert _translation("lo", "Sign-in code") in sign_in


def test_numbers_are_written_for_the_locale(client: FlaskClient, app: Flask) -> None:
    app.config["PUBLIC_COUNT_THRESHOLD"] = 12345
    client.set_cookie(i18n.COOKIE, "fr")
    assert "12\u202f345" in client.get("/dashboard/").get_data(as_text=True)
    client.set_cookie(i18n.COOKIE, "en")
    assert "12,345" in client.get("/dashboard/").get_data(as_text=True)


def test_a_map_speaks_the_reader_s_language_and_names_areas_in_it() -> None:
    _compile_catalogs()
    vietnamese = Translations.load(str(TRANSLATIONS), ["vi"])
    bset = make_set([("VN-HN", "Ha Noi"), ("VN-SG", "Ho Chi Minh City")])
    bset = dataclasses.replace(bset, areas=(dataclasses.replace(bset.areas[0], names={"vi": "Hà Nội"}), bset.areas[1]))
    records = [OrgPresence(1, "Sample CBO 01", ["VN-HN"], listed=True)]
    with words.speaking(words.Speaker(vietnamese.gettext, vietnamese.ngettext, str, "vi")):
        coverage = compute_coverage(records, bset, view=View.LISTED, scope=["VN"])
        data = map_data(render_map(coverage_map(coverage), static_prefix="/static/vendor/"))
    features = data["layers"][0]["features"]["features"]
    assert [f["properties"]["name"] for f in features] == ["Hà Nội", "Ho Chi Minh City"]  # the set's own name where none
    assert features[0]["properties"]["lines"] == ["1 tổ chức thành viên công khai"]
    assert features[1]["properties"]["lines"] == ["không có tổ chức thành viên công khai"]
    assert data["legend"]["lines"] == ["1 tổ chức thành viên công khai tại 1 trên 2 tỉnh/thành"]
    assert data["legend"]["notes"] == [_translation("vi", "Counts only member organisations that chose to be listed "
                                                          "publicly; organisations that chose not to be listed are "
                                                          "not counted.")]
    # Outside a reader's request, geo/ writes English and the set's own names.
    english = compute_coverage(records, bset, view=View.LISTED, scope=["VN"])
    assert english.area("VN-HN").name == "Ha Noi" and english.summary() == "1 listed member organisation in 1 of 2 provinces"



def test_a_domain_refusal_in_khmer_keeps_its_field_and_its_english_elsewhere(client: FlaskClient, world: World) -> None:
    where = f"/api/v1/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}"
    secretariat = world.roles["secretariat"]
    headers = {**secretariat, "If-Match": etag_of(client, where, secretariat), "Accept-Language": "km"}
    answer = client.patch(where, json={"action": "suspend", "reason": "minutes", "on": "2999-01-01"}, headers=headers)
    assert answer.status_code == 422
    khmer = _translation("km", "a membership change cannot take effect in the future")
    assert answer.get_json()["message"] == f"on: {khmer}" and answer.get_json()["fields"] == {"on": [khmer]}
    english = client.patch(where, json={"action": "suspend", "reason": "minutes", "on": "2999-01-01"},
                           headers={**headers, "Accept-Language": "en"})
    assert english.get_json()["fields"] == {"on": ["a membership change cannot take effect in the future"]}


def test_what_a_person_typed_is_never_read_as_a_message_id() -> None:
    refused = ValidationFailed.on("network", N_("%(member)s already sits above %(network)s"),
                                  member="%(network)s", network="Sample network")
    assert refused.message == "network: %(network)s already sits above Sample network"
    assert (refused.template, refused.params["member"]) == ("%(member)s already sits above %(network)s", "%(network)s")


def test_a_cache_keeps_one_copy_per_language(client: FlaskClient) -> None:
    page = client.get("/dashboard/", headers={"Accept-Language": "vi"})
    assert {"Accept-Language", "Cookie"} <= set(page.headers["Vary"].replace(" ", "").split(","))
    assert page.headers["Content-Language"] == "vi"
    api = client.get("/api/v1/vocabularies", headers={"Accept-Language": "fr-CA,vi;q=0.5"})
    assert "Accept-Language" in api.headers["Vary"] and api.get_json()["language"] == "fr"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_page_renders_in_every_language(client: FlaskClient, world: World, locale: str) -> None:
    client.set_cookie(i18n.COOKIE, locale)
    board = {**world.roles["board"], "Accept": "text/html"}
    secretariat = {**world.roles["secretariat"], "Accept": "text/html"}
    for path, headers in (("/", {}), ("/dashboard/", {}), ("/sign-in", {}), ("/console/codes/", secretariat),
                          (f"/dashboard/board/{world.vnsw.public_id}", board),
                          (f"/dashboard/networks/{world.vnsw.public_id}/map?view=internal", board),
                          (f"/maps/networks/{world.vnsw.public_id}.html?view=internal&level=7", board),
                          ("/dashboard/networks/2147483647/map", {"Accept": "text/html"})):
        answer = client.get(path, headers=headers)
        assert answer.status_code == (404 if "2147483647" in path else 422 if "level=7" in path else 200), path
        page = answer.get_data(as_text=True)
        assert f'lang="{locale}"' in page, path


# -- the import template in the reader's language ----------------------------------------------

@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_the_template_s_headers_in_each_language_name_each_column_once(locale: str) -> None:
    _compile_catalogs()
    i18n.template_headers.cache_clear()
    i18n._catalog.cache_clear()
    said = [fold(_translation(locale, c.header) if locale != "en" else c.header) for c in COLUMNS]
    assert len(set(said)) == len(COLUMNS)
    assert [i18n.template_headers()[header] for header in said] == [c.field for c in COLUMNS]


def test_a_template_downloaded_in_khmer_imports_whoever_uploads_it(client: FlaskClient, world: World) -> None:
    i18n.template_headers.cache_clear()
    i18n._catalog.cache_clear()
    template = client.get("/api/v1/member-template.csv", headers={"Accept-Language": "km"}).data.decode("utf-8-sig")
    headers, help_row = list(csv.reader(io.StringIO(template)))[:2]
    assert headers[0] == _translation("km", "Name") and help_row[0].startswith("# ")
    filled = template + "Sample CBO 07,S7,,VN\n"
    answer = post_file(client, f"/api/v1/networks/{world.vnsw.public_id}/members/import", filled.encode(), "members.csv",
                       query={"dry_run": "true"}, headers={**world.roles["secretariat"], "Accept-Language": "en"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["warnings"] == [] and answer.get_json()["counts"]["error"] == 0
