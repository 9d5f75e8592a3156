"""The dashboard: public list and maps, the board's signed-in view, its sign-in and sign-out
forms (which only this site can post), and the same pages in real headless Chromium (no failed
request, no console error, no Content-Security-Policy violation, map layers drawn, hostile
names inert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api import database
from api.app import create_app
from api.cli import main
from geo.bundle import shared_geo_dir
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.db import make_engine, make_sessionmaker
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from tests.api.conftest import form_token, serving
from tests.api.test_docs_browser import REPORT_VIOLATIONS
from tests.conftest import fresh_database
from tests.geo.conftest import map_data

HOSTILE = ("<img src=x onerror=alert(1)>", "Sample `${alert(2)}`", "${alert(3)}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A committed database with the seeds, the licensed boundary files, hostile names and tokens."""
    with fresh_database(tmp_path_factory.mktemp("dashboard")) as url:
        run = CliRunner(env={"DATABASE_URL": url}).invoke
        for args in (["db", "upgrade"], ["seed"], ["boundaries", "import-known", str(shared_geo_dir())]):
            assert run(main, args).exit_code == 0
        engine = make_engine(url)
        session = use_ballot_keys(make_sessionmaker(engine)(), BallotKeyFolder(tmp_path_factory.mktemp("ballot-keys")))
        system = Actor.system("dashboard test")
        acronymed = session.scalars(select(Organisation).where(Organisation.acronym.is_not(None))).all()
        ids = {o.acronym: o.id for o in acronymed}
        public_ids = {o.acronym: o.public_id for o in acronymed}  # what pages and maps are named by
        for name in HOSTILE:
            vnsw = session.get(Organisation, ids["VNSW"])
            cbo = organisations.register_organisation(session, system, network=vnsw, country="VN",
                                                      kind="community_organisation", name=name,
                                                      areas_served=["VN-HN"], public_listing=True,
                                                      published_fields=["areas_served", "networks"])
            for action in ("apply", "verify", "admit"):
                memberships.transition(session, system, vnsw, cbo, action)
        session.commit()
        run_board_election(session, ids["VNSW"])
        session.close()
        engine.dispose()
        tokens = {}
        for role, scope in (("board", "VNSW"), ("board", "WNU"), ("editor", "Sample CBO 01")):
            result = run(main, ["token", "create", "--role", role, "--for", scope, "--label", "test"])
            tokens[f"{role} {scope}"] = result.output.strip().splitlines()[-1]
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        yield {"app": app, "tokens": tokens, "ids": public_ids}
        database.dispose(app)


CANDIDATES = ("Thuy (sample)", "My (sample)", "Hoa (sample)", "Lan (sample)", "Mai (sample)", "Ngoc (sample)")


def run_board_election(session, vnsw_id: int) -> None:
    """VNSW's 5-seat board elected by STV from six sample candidates, certified."""
    from registry.governance import services as governance
    from registry.elections import ballots, nominations, phases
    from tests.factories import editor, secretariat

    vnsw = session.get(Organisation, vnsw_id)
    body = governance.bodies_of(session, vnsw.id)[0]
    members = memberships.members_as_of(session, vnsw.id)
    election = phases.create_election(session, secretariat(vnsw), body, title="Board election (sample)",
                                      method="scottish_stv", roll_cutoff=dt.date.today())
    phases.open_nominations(session, secretariat(vnsw), election)
    standing = [nominations.nominate(session, editor(members[i]), election, members[i], name=name)
                for i, name in enumerate(CANDIDATES)]
    phases.close_nominations(session, secretariat(vnsw), election)
    phases.open_voting(session, secretariat(vnsw), election)
    session.commit()
    for i, member in enumerate(members[:20]):
        ranking = [standing[(i + k) % len(standing)].id for k in range(4)]
        ballots.cast_ballot(session, editor(member), election, member, ranking)
        session.commit()
    phases.close_voting(session, secretariat(vnsw), election)
    phases.count_votes(session, secretariat(vnsw), election)
    phases.certify(session, secretariat(vnsw), election)
    session.commit()


@pytest.fixture
def client(site):
    return site["app"].test_client()


def sign_in(client, token):
    return client.post("/sign-in", data={"code": token, "csrf_token": form_token(client)})


class TestPublicPages:
    def test_the_list_shows_listed_networks_and_labels_samples(self, client):
        page = client.get("/dashboard/").get_data(as_text=True)
        assert "Vietnam Network of Sex Workers" in page and "Women&#39;s Network for Unity" in page

    def test_a_public_map_names_no_one_and_stops_at_provinces(self, client, site):
        vnsw = site["ids"]["VNSW"]
        html = client.get(f"/maps/networks/{vnsw}.html").get_data(as_text=True)
        assert "Sample CBO" not in html and "onerror" not in html
        assert "Made with Natural Earth." in html
        refused = client.get(f"/maps/networks/{site['ids']['WNU']}.html?level=2")  # khans exist
        assert refused.status_code == 422 and "province level" in refused.get_data(as_text=True)

    def test_public_maps_say_what_they_count(self, client, site):
        vnsw, wnu = site["ids"]["VNSW"], site["ids"]["WNU"]
        listed = client.get(f"/maps/networks/{vnsw}.html").get_data(as_text=True)
        legend = map_data(listed)["legend"]
        assert legend["lines"] == ["17 listed member organisations in 11 of 34 provinces"]  # + 3 hostile
        assert ["#ffffff", "no listed member organisation"] in legend["rows"]
        assert "chose not to be listed are not counted" in legend["notes"][0]
        assert "no member organisation" not in listed
        reach = client.get(f"/maps/networks/{vnsw}.html?view=reach").get_data(as_text=True)
        assert map_data(reach)["legend"]["lines"] == ["35 member organisations in 21 of 34 provinces"]
        assert ["#d9d9d9", "not shown"] in map_data(reach)["legend"]["rows"]
        for refused in (f"{vnsw}.html?view=reach&compare=2012-12-31", f"{vnsw}.html?view=reach&level=2",
                        f"{wnu}.html?view=reach"):
            response = client.get(f"/maps/networks/{refused}")
            assert response.status_code == 422 and "reach" in response.get_data(as_text=True)

    def test_the_reach_page_offers_one_table(self, client, site):
        vnsw = site["ids"]["VNSW"]
        page = client.get(f"/dashboard/networks/{vnsw}/map?view=reach").get_data(as_text=True)
        assert 'name="on"' not in page and 'name="priority_area"' not in page
        assert "Counts below 5, and some others, are not shown" in page
        assert f"/maps/networks/{vnsw}.html?view=reach" in page
        listed = client.get(f"/dashboard/networks/{vnsw}/map").get_data(as_text=True)
        assert 'name="on"' in listed and "chose not to be listed are not counted" in listed
        listing = client.get("/dashboard/").get_data(as_text=True)
        assert listing.count(">reach map</a>") == 1  # VNSW publishes its reach; WNU does not

    def test_an_unlisted_network_does_not_exist_publicly(self, client, site):
        assert client.get(f"/maps/networks/{site['ids']['WLIC']}.html").status_code == 404  # not a network
        assert client.get("/maps/networks/2147483647.html").status_code == 404
        assert client.get("/maps/networks/99999999999999999999.html").status_code == 404

    def test_pages_carry_a_content_security_policy(self, client, site):
        policy = client.get("/dashboard/").headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        framed = client.get(f"/maps/networks/{site['ids']['VNSW']}.html").headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in framed  # the dashboard frames its maps


class TestBoardPages:
    def test_the_board_page_needs_a_sign_in(self, client, site):
        response = client.get(f"/dashboard/board/{site['ids']['VNSW']}")
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")

    def test_signing_in_sets_a_strict_http_only_cookie(self, client, site):
        response = sign_in(client, site["tokens"]["board VNSW"])
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "35 member organisations in 21 of 34 provinces" in page  # 32 sample CBOs + 3 hostile-named ones
        assert "Board / coordinating committee" in page and "2012-12-31" in page
        assert "<img src=x" not in page  # organisation names appear only escaped

    def test_the_board_sees_its_seats_and_the_latest_result_with_every_round(self, client, site):
        sign_in(client, site["tokens"]["board VNSW"])
        page = client.get(f"/dashboard/board/{site['ids']['VNSW']}").get_data(as_text=True)
        assert "Board election (sample)" in page and "turnout 20 of" in page
        assert "Every round of the count" in page and "Stage 1" in page
        assert sum(name in page for name in CANDIDATES) >= 5  # elected, and holding the seats

    def test_the_cli_prints_the_result_with_its_rounds(self, site):
        url = site["app"].config["DATABASE_URL"]
        listed = CliRunner(env={"DATABASE_URL": url}).invoke(main, ["election", "list", "VNSW"])
        election_id = listed.output.split()[0]
        printed = CliRunner(env={"DATABASE_URL": url}).invoke(main, ["election", "result", election_id])
        assert printed.exit_code == 0, printed.output
        assert "single transferable vote (Scottish rules)" in printed.output and "Elected:" in printed.output
        assert "Turnout: 20 of" in printed.output and "quorum 0%: met" in printed.output

    def test_an_editor_signs_in_to_no_board_and_an_unknown_code_is_refused(self, client, site):
        assert sign_in(client, "swr_not-a-token").status_code == 401
        assert sign_in(client, site["tokens"]["editor Sample CBO 01"]).headers["Location"] == "/organisation/"
        assert client.get(f"/dashboard/board/{site['ids']['VNSW']}").status_code == 403

    def test_a_board_sees_only_its_own_network(self, client, site):
        sign_in(client, site["tokens"]["board WNU"])
        assert client.get(f"/dashboard/board/{site['ids']['VNSW']}").status_code == 403
        assert client.get(f"/maps/networks/{site['ids']['VNSW']}.html?view=internal").status_code == 403
        wnu = client.get(f"/dashboard/board/{site['ids']['WNU']}").get_data(as_text=True)
        assert "Districts" in wnu  # Phnom Penh's khans, from the imported district set

    def test_the_cookie_does_not_open_the_json_api(self, client, site):
        sign_in(client, site["tokens"]["board VNSW"])
        assert client.get("/api/v1/me").get_json()["role"] == "anonymous"

    def test_signing_out_forgets_the_token(self, client, site):
        sign_in(client, site["tokens"]["board VNSW"])
        board = f"/dashboard/board/{site['ids']['VNSW']}"
        response = client.post("/sign-out", data={"csrf_token": form_token(client, board)})
        assert "registry_session=;" in response.headers["Set-Cookie"]
        assert client.get(board).status_code == 302  # to the sign-in page


class TestForms:
    """Only this site's own forms sign a person in or out: another site can neither sign them
    in with its token (login CSRF) nor sign them out."""

    @pytest.fixture
    def board(self, site):
        return f"/dashboard/board/{site['ids']['VNSW']}"

    def test_a_sign_in_without_the_form_token_is_refused_and_sets_no_cookie(self, client, site):
        for form in ({"code": site["tokens"]["board VNSW"]},
                     {"code": site["tokens"]["board VNSW"], "csrf_token": "forged"}):
            response = client.post("/sign-in", data=form, headers=BROWSER)
            assert response.status_code == 400 and response.mimetype == "text/html"
            assert "registry_session" not in response.headers.get("Set-Cookie", "")
            assert "reload the page" in response.get_data(as_text=True)

    def test_a_sign_in_with_another_browser_s_form_token_is_refused(self, site):
        attacker, person = site["app"].test_client(), site["app"].test_client()
        stolen = form_token(attacker)  # what a hostile page could embed: its own session's token
        response = person.post("/sign-in", data={"code": site["tokens"]["board WNU"],
                                                           "csrf_token": stolen})
        assert response.status_code == 400 and "registry_session" not in response.headers.get("Set-Cookie", "")

    def test_a_post_the_browser_says_came_from_another_site_is_refused(self, client, site, board):
        token = form_token(client)
        response = client.post("/sign-in", data={"code": site["tokens"]["board VNSW"], "csrf_token": token},
                               headers={"Sec-Fetch-Site": "cross-site"})
        assert response.status_code == 400 and "registry_session" not in response.headers.get("Set-Cookie", "")
        same = client.post("/sign-in", data={"code": site["tokens"]["board VNSW"], "csrf_token": token},
                           headers={"Sec-Fetch-Site": "same-origin"})
        assert same.status_code == 302

    def test_a_sign_out_without_the_form_token_or_from_elsewhere_changes_nothing(self, client, site, board):
        sign_in(client, site["tokens"]["board VNSW"])
        token = form_token(client, board)
        for data, headers in (({}, {}), ({"csrf_token": "forged"}, {}),
                              ({"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"})):
            response = client.post("/sign-out", data=data, headers=headers)
            assert response.status_code == 400
            assert "Set-Cookie" not in response.headers  # the sign-in cookie is not cleared
            assert client.get(board).status_code == 200  # still signed in

    def test_the_session_cookie_is_http_only_and_strict(self, client):
        cookie = client.get("/sign-in").headers["Set-Cookie"]  # the form token's
        assert cookie.startswith("registry_form=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie

    def test_the_json_api_needs_no_form_token(self, client, site):
        bearer = {"Authorization": f"Bearer {site['tokens']['board VNSW']}"}
        response = client.post("/api/v1/organisations", json={}, headers=bearer)
        assert response.status_code in (403, 422), response.get_json()  # refused for what it is, not as forged


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    with serving(site["app"]) as url:
        yield url


class Watched:
    """A page whose failed requests, console errors and dialogs are all recorded."""

    def __init__(self, browser, **context):
        self.context = browser.new_context(**context)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def clean(self) -> None:
        assert (self.failed, self.errors, self.dialogs) == ([], [], [])


# The maps draw on a canvas (fast for the world map), so areas are Leaflet layers, not DOM
# nodes: ask Leaflet for them, and open each tooltip through its API as a hover would.
# The frame is sandboxed without same-origin rights, so some window properties throw on read.
_LAYERS = """const layers = [];
    for (const key of Object.getOwnPropertyNames(window)) {
        try { if (window[key] instanceof L.GeoJSON) layers.push(window[key]); } catch (refused) {}
    }"""
AREAS_JS = "() => { " + _LAYERS + " return layers.reduce((n, l) => n + l.getLayers().length, 0); }"
OPEN_TOOLTIPS_JS = "() => { " + _LAYERS + """
    const shown = [];
    for (const layer of layers) {
        for (const area of layer.getLayers()) {
            if (!area.getTooltip()) continue;
            area.openTooltip(area.getBounds().getCenter());
            const tip = area.getTooltip().getElement();  // none on the hidden date's layer
            if (tip) shown.push(tip.innerText);
            area.closeTooltip();
        }
    }
    return shown;
}"""


def map_frame(page):
    page.frame_locator("iframe.map").first.locator(".leaflet-overlay-pane canvas").first.wait_for()
    frame = page.locator("iframe.map").first.element_handle().content_frame()
    assert "/maps/networks/" in frame.url
    return frame


def test_browser_public_pages(browser, server, site):
    watched = Watched(browser)
    watched.page.goto(f"{server}/dashboard/")
    watched.page.click("a:has-text('public map') >> nth=0")
    frame = map_frame(watched.page)
    assert frame.evaluate(AREAS_JS) >= 34
    assert "Made with Natural Earth" in frame.content()
    watched.clean()
    watched.context.close()


def test_browser_board_view_with_hostile_names(browser, server, site):
    watched = Watched(browser)
    watched.page.goto(f"{server}/sign-in")
    watched.page.fill("input[name=code]", site["tokens"]["board VNSW"])
    watched.page.click("main button[type=submit]")
    watched.page.wait_for_url("**/dashboard/board/**")
    frame = map_frame(watched.page)
    assert frame.evaluate(AREAS_JS) >= 34
    # The hostile names live in the Hà Nội tooltip: they must show as text and run nothing.
    shown = frame.evaluate(OPEN_TOOLTIPS_JS)
    assert any(HOSTILE[0] in text and HOSTILE[2] in text and "`" in text for text in shown), shown[:3]
    assert frame.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    watched.clean()
    watched.context.close()


def test_no_basemap_by_default_and_one_when_configured(site):
    vnsw = site["ids"]["VNSW"]
    plain = site["app"].test_client().get(f"/maps/networks/{vnsw}.html")
    assert "tileLayer" not in plain.get_data(as_text=True)
    configured = create_app({"DATABASE_URL": site["app"].config["DATABASE_URL"], "TESTING": True,
                             "MAP_TILES_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
                             "MAP_TILES_ATTRIBUTION": "Tiles: the network's own server"})
    try:
        response = configured.test_client().get(f"/maps/networks/{vnsw}.html")
        assert map_data(response.get_data(as_text=True))["tiles"] == {
            "url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "Tiles: the network's own server"}
        assert "img-src 'self' data: https://tiles.example.org;" in response.headers["Content-Security-Policy"]
    finally:
        database.dispose(configured)


class TestNetworksOutOfSight:
    """A network the caller may not know of answers as one that does not exist: 404 for its
    internal map, map document and board page, to anonymous callers and signed-in outsiders."""

    MISSING = "ZZZZZZZZZZZZ"  # a well-formed public id that names nothing

    @pytest.fixture
    def hidden(self, world, make_org):
        return make_org(name="Unlisted test network", acronym="UTN", kind="national_network", country="LA")

    @pytest.fixture
    def pages(self, app):
        return app.test_client()

    @staticmethod
    def paths(network_id: int) -> list[str]:
        return [f"/dashboard/networks/{network_id}/map?view=internal",
                f"/maps/networks/{network_id}.html?view=internal", f"/dashboard/board/{network_id}"]

    @pytest.mark.parametrize("role", ["anonymous", "other_secretariat", "board", "other_editor"])
    def test_a_hidden_network_is_not_found(self, pages, world, hidden, role):
        for there, nowhere in zip(self.paths(hidden.public_id), self.paths(self.MISSING), strict=True):
            found = pages.get(there, headers=world.roles[role])
            missing = pages.get(nowhere, headers=world.roles[role])
            assert found.status_code == missing.status_code, there
            signing_in = role == "anonymous" and there.startswith("/dashboard/board/")
            assert found.status_code == (302 if signing_in else 404), there
            assert found.get_data() == missing.get_data(), there

    @pytest.mark.parametrize("role", ["anonymous", "other_secretariat", "other_editor"])
    def test_a_listed_network_refuses_its_internal_view(self, pages, world, role):
        for path in self.paths(world.vnsw.public_id)[:2]:
            assert pages.get(path, headers=world.roles[role]).status_code == 403, path
