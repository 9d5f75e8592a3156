"""Maps a board can read, on a phone, and one count of areas everywhere (#16 items 1 and 2): the
board page, its map and its CSV agree on VNSW's and WNU's areas, before and after a member moves
to a province that merged; every map page fits a 390 px screen in headless Chromium with its
legend folded, and WNU's khan map opens on Phnom Penh."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api import database
from api.app import create_app
from api.cli import main
from geo.bundle import shared_geo_dir
from geo.crosswalk import vietnam_2025
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.db import make_engine, make_sessionmaker
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from tests.api.conftest import serving
from tests.api.test_dashboard import Watched
from tests.conftest import fresh_database
from tests.geo.conftest import map_data

SYSTEM = Actor.system("maps pages test")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A committed database with the seeds and the licensed boundary files, and board tokens."""
    with fresh_database(tmp_path_factory.mktemp("maps-pages")) as url:
        run = CliRunner(env={"DATABASE_URL": url}).invoke
        for args in (["db", "upgrade"], ["seed"], ["boundaries", "import-known", str(shared_geo_dir())]):
            assert run(main, args).exit_code == 0
        tokens = {}
        for acronym in ("VNSW", "WNU"):
            result = run(main, ["token", "create", "--role", "board", "--for", acronym, "--label", "test"])
            tokens[acronym] = result.output.strip().splitlines()[-1]
        engine = make_engine(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        yield {"app": app, "tokens": tokens, "sessions": make_sessionmaker(engine)}
        database.dispose(app)
        engine.dispose()


def public_id(site, acronym: str) -> str:
    with site["sessions"]() as session:
        return session.scalars(select(Organisation.public_id).where(Organisation.acronym == acronym)).one()


def counts(site, acronym: str) -> dict[str, tuple[int, int]]:
    """(areas covered, areas in scope) as the board page, its map and its CSV give them."""
    network = public_id(site, acronym)
    board = {"Authorization": f"Bearer {site['tokens'][acronym]}"}
    client = site["app"].test_client()
    page = client.get(f"/dashboard/board/{network}", headers=board).get_data(as_text=True)
    headline = re.search(r"member organisations in (\d+) of (\d+) provinces", page)
    document = client.get(f"/maps/networks/{network}.html?view=internal", headers=board).get_data(as_text=True)
    legend = re.search(r"in (\d+) of (\d+) provinces", map_data(document)["legend"]["lines"][0])
    exported = client.get(f"/dashboard/board/{network}/areas.csv", headers=board)
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    sets = {row[3] for row in rows[1:]}
    assert len(sets) == 1 and sets.pop() in page  # the page names the set the CSV counted on
    return {"board": (int(headline[1]), int(headline[2])), "map": (int(legend[1]), int(legend[2])),
            "csv": (len(rows) - 1, int(legend[2]))}


def move(site, member_name: str, codes: list[str]) -> list[str]:
    """Move a member to `codes` through the registry; what it served before."""
    with site["sessions"]() as session:
        member = session.scalars(select(Organisation).where(Organisation.name == member_name)).one()
        before = list(member.areas_served)
        organisations.update_profile(session, SYSTEM, member, {"areas_served": codes})
        session.commit()
    return before


def vnsw_move(site) -> tuple[str, str]:
    """A VNSW member alone in its 2025 province, and an old province, served by nobody, that
    merged into a 2025 province others already serve: moving there makes one area fewer."""
    crosswalk = vietnam_2025()
    with site["sessions"]() as session:
        vnsw = session.scalars(select(Organisation).where(Organisation.acronym == "VNSW")).one()
        members = memberships.members_as_of(session, vnsw.id)
        served = {m.name: [crosswalk.get(c, c) for c in m.areas_served] for m in members}
        old_served = {c for m in members for c in m.areas_served}
    by_area: dict[str, list[str]] = {}
    for name, areas in served.items():
        for area in areas:
            by_area.setdefault(area, []).append(name)
    alone = next(names[0] for area, names in sorted(by_area.items()) if len(names) == 1 and len(served[names[0]]) == 1)
    busy = {area for area, names in by_area.items() if alone not in names}
    merged_into_busy = next(old for old, new in sorted(crosswalk.items()) if new in busy and old not in old_served)
    return alone, merged_into_busy


def test_the_board_page_its_map_and_its_csv_agree_before_and_after_a_move(site):
    before = counts(site, "VNSW")
    assert before["board"] == before["map"] == before["csv"] == (21, 34)
    wnu = counts(site, "WNU")
    # Seven khans and seven provinces served: eight of Cambodia's 25 provinces, not 14 "areas".
    assert wnu["board"] == wnu["map"] == wnu["csv"] == (8, 25)

    member, old_province = vnsw_move(site)
    served = move(site, member, [old_province])
    try:
        after = counts(site, "VNSW")
        assert after["board"] == after["map"] == after["csv"] == (20, 34)
    finally:
        move(site, member, served)
    # WNU's group in Mean Chey moves to Doun Penh: still Phnom Penh, still eight provinces.
    served = move(site, "Sample WNU group 01 (Mean Chey)", ["KH-1202"])
    try:
        moved = counts(site, "WNU")
        assert moved["board"] == moved["map"] == moved["csv"] == (8, 25)
    finally:
        move(site, "Sample WNU group 01 (Mean Chey)", served)


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    with serving(site["app"]) as url:
        yield url


OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
# The Leaflet map of a map document (the frame is sandboxed: some window properties throw on read).
MAP_BOUNDS_JS = """() => {
    for (const key of Object.getOwnPropertyNames(window)) {
        try {
            if (window[key] instanceof L.Map) {
                const b = window[key].getBounds();
                return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
            }
        } catch (refused) {}
    }
    return null;
}"""
SHOWN_LABELS_JS = """() => Array.from(document.querySelectorAll(".coverage-label:not(.coverage-label-hidden)"))
    .map((label) => label.innerText)"""


def open_on_a_phone(watched: Watched, url: str) -> list:
    """Open a map page; its map frames, each checked to fit the screen with its legend folded."""
    watched.page.goto(url)
    frames = map_frames(watched.page)
    assert watched.page.evaluate(OVERFLOW_JS) <= 0, url
    for frame in frames:
        assert frame.evaluate(OVERFLOW_JS) <= 0, url
        assert frame.evaluate("document.querySelector('details.coverage-legend').open") is False, url
    return frames


def map_frames(page) -> list:
    page.frame_locator("iframe.map").first.locator(".leaflet-overlay-pane canvas").first.wait_for()
    frames = [handle.content_frame() for handle in page.locator("iframe.map").element_handles()]
    for frame in frames:
        frame.wait_for_selector(".coverage-legend")
    return frames


def test_every_map_page_fits_a_phone_with_its_legend_folded(browser, server, site):
    vnsw, wnu = public_id(site, "VNSW"), public_id(site, "WNU")
    watched = Watched(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    pages = [f"/dashboard/networks/{vnsw}/map", f"/dashboard/networks/{vnsw}/map?view=reach",
             f"/dashboard/networks/{wnu}/map"]
    for path in pages:
        frames = open_on_a_phone(watched, f"{server}{path}")
        # Folded, not gone: a tap opens it.
        frames[0].click("details.coverage-legend summary")
        assert frames[0].evaluate("document.querySelector('details.coverage-legend').open") is True
    # The board's pages: signed in as WNU's board.
    watched.page.goto(f"{server}/sign-in")
    watched.page.fill("input[name=code]", site["tokens"]["WNU"])
    watched.page.click("main button[type=submit]")
    watched.page.wait_for_url("**/dashboard/board/**")
    for path in (f"/dashboard/board/{wnu}", f"/dashboard/networks/{wnu}/map?view=internal&level=1",
                 f"/dashboard/networks/{wnu}/map?view=internal&level=2"):
        frames = open_on_a_phone(watched, f"{server}{path}")
    # The khan map opens on the seven khans: inside Phnom Penh's surroundings, not all Cambodia.
    west, south, east, north = frames[0].evaluate(MAP_BOUNDS_JS)
    assert 104.5 < west < 104.92 < east < 105.3 and 11.2 < south < 11.56 < north < 11.9, (west, south, east, north)
    # The khans are labelled where their names fit.
    assert any("Chamkar Mon" in text or "Tuol Kouk" in text for text in frames[0].evaluate(SHOWN_LABELS_JS))
    watched.clean()
    watched.context.close()


def test_a_wide_screen_opens_the_legend(browser, server, site):
    watched = Watched(browser)
    watched.page.goto(f"{server}/dashboard/networks/{public_id(site, 'VNSW')}/map")
    frame = map_frames(watched.page)[0]
    # Open once the frame has its width (it may first be laid out at a frame's default size).
    frame.wait_for_function("document.querySelector('details.coverage-legend').open")
    watched.clean()
    watched.context.close()
