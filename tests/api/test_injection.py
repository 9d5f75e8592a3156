"""Template injection, end to end: every string a person or a boundary file can set is a Jinja or
script payload, and every map (public, internal, comparison, `registry map`) and every page keeps
it as text. Evaluated, "{{ 7*7 }}|{{ cycler.__init__.__globals__.os.getpid() }}" would read
"49|<this process's id>" (the test client and the command run in this process)."""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from api import database
from api.app import create_app
from api.cli import main
from geo.coverage import OrgPresence, compute_coverage
from geo.maps import comparison_map, render_map
from geo.offline import install_assets, required_assets
from registry.areas import services as areas
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.access import tokens
from registry.vocabularies import services as vocabularies
from registry.areas.models import AreaRecord
from registry.db import make_engine, make_sessionmaker
from registry.elections import ballots, nominations, phases
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.access.permissions import Actor
from registry.vocabularies.models import Vocabulary
from seeds.load import LoadReport, load_vocabularies
from tests.api.test_dashboard import OPEN_TOOLTIPS_JS, Watched
from tests.api.conftest import form_token, serving
from tests.conftest import fresh_database
from tests.factories import editor, secretariat
from tests.geo.conftest import JINJA, assert_inert, make_set, square

EVALUATED = f"49|{os.getpid()}"
EVERY = " ".join(JINJA)
SHORT = ("{{7*7}}", "{% raw %}", "{#", "${alert(1)}", "`", "</script>")  # acronyms: 30 characters
SYSTEM = Actor.system("injection test")
SINCE = dt.date(2015, 1, 1)
TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A committed registry in which every person's or file's text is a payload: a Lao boundary
    set (title, attribution, area names), a listed network and its listed members (names,
    translations, acronyms), a network's own service term, a board with a reserved seat, an
    officeholder and a certified election with payload candidates."""
    with fresh_database(tmp_path_factory.mktemp("injection")) as url:
        run = CliRunner(env={"DATABASE_URL": url}).invoke
        assert run(main, ["db", "upgrade"]).exit_code == 0
        engine = make_engine(url)
        session = use_ballot_keys(make_sessionmaker(engine)(), BallotKeyFolder(tmp_path_factory.mktemp("ballot-keys")))
        load_vocabularies(session, SYSTEM, LoadReport())
        codes = [f"LA-X{i}" for i in range(len(JINJA))]
        areas.import_boundary_set(
            session, SYSTEM, key="la-payloads", title=EVERY, level=1, country="LA", attribution=EVERY,
            areas=[AreaRecord(code, payload, 1, "LA", "LA", names={"lo": payload}, geometry=square(100 + i, 15))
                   for i, (code, payload) in enumerate(zip(codes, JINJA))])
        network = organisations.register_organisation(
            session, SYSTEM, network=None, kind="national_network", country="LA", name=JINJA[0],
            acronym=SHORT[0], name_translations={"lo": EVERY, "fr": JINJA[1]}, public_listing=True,
            publishes_reach=True)
        vocabularies.define_term(session, secretariat(network), Vocabulary.SERVICE, "payload-service",
                                 {"en": EVERY, "fr": JINJA[1]}, network_id=network.id)
        members = []
        for i, payload in enumerate(JINJA):
            member = organisations.register_organisation(
                session, SYSTEM, network=network, kind="community_organisation", country="LA",
                name=payload, acronym=SHORT[i % len(SHORT)], name_translations={"en": EVERY},
                areas_served=[codes[i]], services=["payload-service"], public_listing=True)
            for action in ("apply", "verify", "admit"):
                memberships.transition(session, SYSTEM, network, member, action, on=SINCE)
            members.append(member)
        body = governance.define_body(session, secretariat(network), network, kind="board", name=EVERY,
                                      seats=3, notes=EVERY)
        session.commit()
        election = phases.create_election(session, secretariat(network), body, title=EVERY,
                                          method="block_plurality", roll_cutoff=dt.date.today())
        phases.open_nominations(session, secretariat(network), election)
        standing = [nominations.nominate(session, editor(m), election, m, name=p)
                    for m, p in zip(members, JINJA)]
        phases.close_nominations(session, secretariat(network), election)
        phases.open_voting(session, secretariat(network), election)
        session.commit()
        for i, member in enumerate(members):
            ballots.cast_ballot(session, editor(member), election, member,
                                [standing[(i + k) % len(standing)].id for k in range(3)])
            session.commit()
        phases.close_voting(session, secretariat(network), election)
        phases.count_votes(session, secretariat(network), election)
        phases.certify(session, secretariat(network), election)
        governance.configure_seat(session, secretariat(network), body, 3, constituency=JINJA[3])
        governance.record_officeholder(session, secretariat(network), body, name=JINJA[0],
                                       starts_on=SINCE, ends_on=SINCE.replace(year=2016))
        _, board = tokens.issue_token(session, SYSTEM, "board", network, label="board")
        session.commit()
        network_id = network.public_id
        session.close()
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "TESTING": True, "MAP_TILES_URL": TILES,
                          "MAP_TILES_ATTRIBUTION": EVERY})
        yield {"app": app, "url": url, "network": network_id, "board": board}
        database.dispose(app)


@pytest.fixture
def client(site):
    return site["app"].test_client()


def signed_in(client, site):
    assert client.post("/sign-in", data={"code": site["board"],
                                         "csrf_token": form_token(client)}).status_code == 302
    return client


def check_map(html: str, *, internal: bool, dates: int = 1) -> None:
    data = assert_inert(html)
    assert data["tiles"]["attribution"] == EVERY
    assert data["legend"]["title"].startswith(JINJA[0])  # the network's name
    assert len(data["layers"]) == dates
    for layer in data["layers"]:
        assert (layer["boundaries"], layer["attribution"]) == (EVERY, EVERY)
        props = [f["properties"] for f in layer["features"]["features"]]
        assert [p["name"] for p in props] == list(JINJA)
        organisations_named = {line for p in props for line in p["lines"]}
        assert (set(JINJA) <= organisations_named) is internal


@pytest.mark.parametrize(("query", "internal", "dates"), [
    ("", False, 1), ("?compare=2015-06-30", False, 2), ("?view=reach", False, 1),
    ("?view=internal", True, 1), ("?view=internal&compare=2015-06-30", True, 2),
    ("?view=internal&service=payload-service", True, 1),
])
def test_every_map_keeps_payloads_as_data(client, site, query, internal, dates):
    if internal:
        signed_in(client, site)
    response = client.get(f"/maps/networks/{site['network']}.html{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    check_map(response.get_data(as_text=True), internal=internal, dates=dates)


@pytest.mark.parametrize(("path", "board", "shown"), [
    ("/", False, ()),
    ("/dashboard/", False, (JINJA[0], SHORT[0])),
    ("/dashboard/networks/{id}/map", False, (JINJA[0], EVERY)),  # the network, its service's label
    ("/dashboard/networks/{id}/map?view=internal", True, (JINJA[0], EVERY)),
    ("/dashboard/networks/{id}/map?view=reach", False, (JINJA[0],)),
    # Areas, the body and its notes, the reserved seat, holders and candidates, the election.
    ("/dashboard/board/{id}", True, JINJA + (EVERY,)),
    ("/sign-in", False, ()),
])
def test_every_page_shows_payloads_as_text(client, site, path, board, shown):
    if board:
        signed_in(client, site)
    response = client.get(path.format(id=site["network"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert EVALUATED not in page and "49|" not in page
    for text in shown:
        assert str(escape(text)) in page, text
    assert "<script>alert(1)" not in page


def test_the_map_document_title_is_escaped_text(client, site):
    html = client.get(f"/maps/networks/{site['network']}.html").get_data(as_text=True)
    assert "<title>&#123;&#123; 7*7 &#125;&#125;|&#123;&#123; cycler" in html


@pytest.mark.parametrize("view", [[], ["--public"], ["--reach"]], ids=["internal", "public", "reach"])
def test_the_map_command_keeps_payloads_as_data(site, tmp_path: Path, view):
    out = tmp_path / "map.html"
    runner = CliRunner(env={"DATABASE_URL": site["url"], "REGISTRY_MAP_TILES_URL": TILES,
                            "REGISTRY_MAP_TILES_ATTRIBUTION": EVERY})
    compare = [] if view == ["--reach"] else ["--compare", "2015-06-30"]
    result = runner.invoke(main, ["map", str(site["network"]), "--out", str(out), *compare, *view])
    assert result.exit_code == 0, result.output
    check_map(out.read_text(encoding="utf-8"), internal=not view, dates=1 if view == ["--reach"] else 2)


BLANK_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
LEGEND_JS = "() => document.querySelector('.coverage-legend .coverage-title').textContent"
ATTRIBUTION_JS = "() => document.querySelector('.leaflet-control-attribution').innerText"
LAYER_LABELS_JS = "() => [...document.querySelectorAll('.leaflet-control-layers-base label')].map(l => l.innerText.trim())"


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    with serving(site["app"]) as url:
        yield url


def test_browser_shows_payloads_as_text_and_runs_none(browser, server, site):
    watched = Watched(browser)
    page = watched.page
    # The configured basemap is a made-up host: answer its tiles here, with a blank tile.
    page.route("https://tiles.example.org/**", lambda route: route.fulfill(
        status=200, content_type="image/png", body=base64.b64decode(BLANK_PNG)))
    page.goto(f"{server}/sign-in")
    page.fill("input[name=code]", site["board"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/board/**")
    page.goto(f"{server}/maps/networks/{site['network']}.html?view=internal&compare=2015-06-30")
    page.locator(".coverage-legend").wait_for()
    assert page.evaluate(LEGEND_JS).startswith(JINJA[0])
    assert EVERY in page.evaluate(ATTRIBUTION_JS).replace("\n", " ")
    shown = "\n".join(page.evaluate(OPEN_TOOLTIPS_JS))
    assert all(payload in shown for payload in JINJA), shown
    assert page.title() == f"{JINJA[0]}: member organisations by area"
    watched.clean()
    watched.context.close()


def test_browser_labels_layers_with_text(browser, tmp_path):
    """Leaflet writes layer labels and attributions as HTML: the page hands it escaped text."""
    bset = make_set([("VN-01", JINJA[6])], attribution=JINJA[6])
    coverage = compute_coverage([OrgPresence(1, JINJA[6], ["VN-01"])], bset)
    html = render_map(comparison_map([(p, coverage) for p in JINJA]), static_prefix="vendor/")
    install_assets(tmp_path / "vendor", required_assets(html, "vendor/"))
    (tmp_path / "map.html").write_text(html, encoding="utf-8")
    watched = Watched(browser)
    watched.page.goto((tmp_path / "map.html").as_uri())
    watched.page.locator(".leaflet-control-layers-base label").first.wait_for()
    assert watched.page.evaluate(LAYER_LABELS_JS) == list(JINJA)
    assert JINJA[6] in watched.page.evaluate(ATTRIBUTION_JS)
    assert watched.page.evaluate("document.querySelectorAll('script').length") == \
        html.count("<script")  # none was added by a name
    watched.clean()
    watched.context.close()
