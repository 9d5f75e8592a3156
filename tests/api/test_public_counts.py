"""An attacker against the public counts: everything anyone can ask about VNSW (the reach view as
JSON, GeoJSON, map document and country total; the listed view on two dates, both Vietnamese
province sets and every filter; the directory for every area with its page totals), then worked
through to bound each withheld reach cell. No withheld cell that holds an unlisted organisation
may come out as one value.

The sample network (32 CBOs in 21 provinces, 14 of them listed and publishing their networks and
areas, so that the directory places them) gets more members, in two steps. First every unlisted member but six lone ones joins a large group, so that withholding
only the small cells would pin each lone one (the withheld cells would hold exactly their
listed organisations and one each). Then a province above the threshold gets two unlisted
members, which the directory would give away if its count were shown."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.coverage import MapRequest, network_coverage
from geo.boundaries import load_bundled
from geo.coverage import View
from geo.crosswalk import merges
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.vocabularies import services as vocabularies
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from registry.vocabularies.models import Vocabulary
from tests.geo.conftest import map_data

SYSTEM = Actor.system("public counts test")
SETS = ("vn-63-2008", "vn-34-2025")
DATES = ("2012-12-31", None)
# (province, listed, unlisted) added to the sample's CBOs, in two steps.
LONE_ONES_LEFT = (("VN-21", 0, 5), ("VN-CT", 0, 5), ("VN-HP", 0, 5), ("VN-SG", 0, 5), ("VN-HN", 4, 0),
                  ("VN-DN", 3, 0))
A_FEW_IN_A_CROWD = (("VN-HN", 0, 2),)


def add(session: Session, network: Organisation, added: tuple[tuple[str, int, int], ...]) -> None:
    for code, listed, unlisted in added:
        for public in [True] * listed + [False] * unlisted:
            number = len(memberships.members_as_of(session, network.id)) + 1
            cbo = organisations.register_organisation(
                session, SYSTEM, network=network, kind="community_organisation", is_sample=True,
                name=f"Sample added CBO {number:02d}", country="VN", areas_served=[code], public_listing=public,
                published_fields=["areas_served", "networks"] if public else ["priority_areas"])
            for action in ("apply", "verify", "admit"):
                memberships.transition(session, SYSTEM, network, cbo, action)
    session.flush()


@pytest.fixture(scope="module")
def vnsw(seeded) -> Organisation:
    return seeded.scalars(select(Organisation).where(Organisation.acronym == "VNSW")).one()


@pytest.fixture(scope="module")
def client(seeded, vnsw):
    app = create_app({"TESTING": True}, sessions=lambda: Session(
        bind=seeded.bind, join_transaction_mode="create_savepoint", expire_on_commit=False))
    return app.test_client()


def get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    return response


def reach_answers(client, network_id: int) -> dict[str, tuple[str, int | None]]:
    """Every reach answer, checked to agree cell by cell: {code: (status, count)}, plus the total."""
    base = f"/api/v1/networks/{network_id}"
    body = get(client, f"{base}/coverage?view=reach").get_json()
    cells = {a["code"]: (a["status"], a["count"]) for a in body["areas"]}
    names = {a["name"]: a["code"] for a in body["areas"]}
    collection = get(client, f"{base}/coverage.geojson?view=reach").get_json()
    assert {f["id"]: (f["properties"]["status"], f["properties"]["count"]) for f in collection["features"]} == cells
    assert collection["organisations"] == body["organisations"]
    document = map_data(get(client, f"/maps/networks/{network_id}.html?view=reach").get_data(as_text=True))
    for feature in document["layers"][0]["features"]["features"]:
        code, label = names[feature["properties"]["name"]], feature["properties"]["lines"][0]
        status, count = cells[code]
        assert label == ("not shown" if status == "masked" else "no member organisation" if status == "none"
                         else f"{count} member organisation{'s' if count != 1 else ''}")
    assert document["legend"]["lines"] == [body["summary"]]
    country = get(client, f"{base}/coverage?view=reach&level=0").get_json()
    assert [(a["code"], a["count"]) for a in country["areas"] if a["status"] != "no_data"] == [
        ("VN", body["organisations"])]
    cells["total"] = ("total", body["organisations"])
    return cells


def listed_answers(client, network_id: int, filters: list[str]) -> dict[tuple, dict[str, int]]:
    """The listed view on both dates, both sets and every filter: {(date, set, filter): {code: count}}."""
    answers = {}
    for on in DATES:
        for set_key in SETS:
            for extra in [""] + filters:
                query = f"set={set_key}" + (f"&on={on}" if on else "") + extra
                body = get(client, f"/api/v1/networks/{network_id}/coverage?{query}").get_json()
                assert body["view"] == "listed" and {a["status"] for a in body["areas"]} <= {"counted", "none"}
                answers[(on, set_key, extra)] = {a["code"]: a["count"] for a in body["areas"]}
    return answers


def directory_answers(client, network_id: int) -> dict[str, set[int]]:
    """The public directory's listed members of the network for every area, with page totals."""
    found = {}
    codes = {a.code for s in SETS for a in load_bundled(s).areas}
    for code in sorted(codes):
        ids: set[int] = set()
        page, total = 1, None
        while total is None or len(ids) < total:
            body = get(client, f"/api/v1/organisations?network_id={network_id}&area={code}"
                               f"&page_size=100&page={page}").get_json()
            total = body["total"]
            ids |= {o["id"] for o in body["items"]}
            page += 1
            if not body["items"]:
                break
        assert len(ids) == total
        found[code] = ids
    return found


def test_no_combination_of_public_answers_pins_a_withheld_cell(seeded, vnsw, client):
    add(seeded, vnsw, LONE_ONES_LEFT)
    withheld = attack(seeded, vnsw, client, total=59, listed_total=21)
    primary = {a.code for a in network_coverage(seeded, vnsw, MapRequest()).areas
               if a.count and a.count < 5}
    assert primary < set(withheld)  # a larger cell was withheld beside the small ones
    add(seeded, vnsw, A_FEW_IN_A_CROWD)
    assert "VN-HN" in attack(seeded, vnsw, client, total=61, listed_total=21)  # 9, 2 of them unlisted


def attack(seeded, vnsw, client, *, total: int, listed_total: int) -> list[str]:
    """Collect every public answer, bound every withheld cell, and fail on a pinned one; the
    withheld cells' codes."""
    filters = [f"&{name}={t.code}" for name, vocabulary in (("priority_area", Vocabulary.PRIORITY_AREA),
                                                            ("population", Vocabulary.POPULATION),
                                                            ("service", Vocabulary.SERVICE))
               for t in vocabularies.terms(seeded, vocabulary)]
    reach = reach_answers(client, vnsw.public_id)
    assert reach.pop("total")[1] == total
    listed = listed_answers(client, vnsw.public_id, filters)
    directory = directory_answers(client, vnsw.public_id)

    # The reach view answers nothing else: another day, set or any filter is refused.
    for query in ("on=2012-12-31", "set=vn-63-2008", "level=2", *(f[1:] for f in filters[:3])):
        response = client.get(f"/api/v1/networks/{vnsw.public_id}/coverage?view=reach&{query}")
        assert response.status_code == 422, query

    # Lower bounds for today's cells: what any listed answer for today shows in that province
    # (an old province counts for the province it merged into), and the listed organisations
    # the directory finds under the province or any old province merged into it.
    into = merges(load_bundled("vn-34-2025"))
    lower: dict[str, int] = defaultdict(int)
    for (on, _set, _filter), counts in listed.items():
        if on is None:
            for code, count in counts.items():
                lower[into.get(code, code)] = max(lower[into.get(code, code)], count)
    by_cell: dict[str, set[int]] = defaultdict(set)
    for code, ids in directory.items():
        by_cell[into.get(code, code)] |= ids
    for code in reach:
        lower[code] = max(lower[code], len(by_cell[code]))
    assert len(set().union(*by_cell.values())) == listed_total

    # The truth, to know which withheld cells hold unlisted organisations.
    truth = network_coverage(seeded, vnsw, MapRequest())
    true_listed = network_coverage(seeded, vnsw, MapRequest(view=View.LISTED))
    assert (truth.organisations, true_listed.organisations) == (total, listed_total)

    withheld = [code for code, (status, _) in reach.items() if status == "masked"]
    shown = {code: count for code, (status, count) in reach.items() if status != "masked"}
    # Withheld cells are not empty; together they hold the total less the shown cells; none holds
    # more unlisted organisations than there are.
    low = {code: max(lower[code], 1) for code in withheld}
    high = {code: lower[code] + (total - listed_total) for code in withheld}
    together = total - sum(shown.values())
    pinned = []
    for code in withheld:
        others_low = sum(low[c] for c in withheld if c != code)
        others_high = sum(high[c] for c in withheld if c != code)
        least, most = max(low[code], together - others_high), min(high[code], together - others_low)
        true = truth.area(code).count
        assert least <= true <= most, f"{code}: the model is wrong ({least}..{most}, truly {true})"
        if true > true_listed.area(code).count and least == most:
            pinned.append(code)
    assert pinned == []
    return withheld


def test_the_listed_answers_agree_with_the_directory(seeded, vnsw, client):
    listed = get(client, f"/api/v1/networks/{vnsw.public_id}/coverage?set=vn-63-2008").get_json()
    for area in listed["areas"]:
        body = get(client, f"/api/v1/organisations?network_id={vnsw.public_id}&area={area['code']}").get_json()
        assert area["count"] == body["total"], area["code"]
    assert not re.search(r"fewer than|no member organisation", str(listed))
