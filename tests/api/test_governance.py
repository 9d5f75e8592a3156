"""Governing bodies over HTTP: defining a board, its seats, who held them on a date, and the
role of every caller."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from registry.governance import services as governance
from registry.elections import phases
from tests.api.conftest import ROLES, etag_of
from tests.factories import SYSTEM

API = "/api/v1"

READ = {"secretariat": 200, "other_secretariat": 403, "own_editor": 200, "other_editor": 200, "board": 200,
        "anonymous": 401}
MANAGE = {"secretariat": 201, "other_secretariat": 403, "own_editor": 403, "other_editor": 403, "board": 403,
          "anonymous": 401}


@pytest.fixture
def board_body(session, world):
    body = governance.define_body(session, SYSTEM, world.vnsw, kind="board", name="Board of directors", seats=3,
                                  term_months=24, reserved_seats={"North": 1})
    governance.record_officeholder(session, SYSTEM, body, name="Lan", starts_on=dt.date(2020, 1, 1),
                                   ends_on=dt.date(2021, 12, 31), nominated_by=world.cbo)
    governance.record_officeholder(session, SYSTEM, body, name="Mai", starts_on=dt.date(2022, 1, 1))
    session.flush()
    return body


@pytest.mark.parametrize("role", ROLES)
def test_define_a_body(client, world, role):
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/bodies", headers=world.roles[role], json={
        "kind": "board", "name": "Board", "seats": 5, "term_months": 24, "term_classes": 2,
        "reserved_seats": {"Sex workers living with HIV": 1}})
    assert response.status_code == MANAGE[role], response.json
    if response.status_code == 201:
        assert [(s["number"], s["term_class"], s["constituency"]) for s in response.json["seat_plan"]] == [
            (1, 1, "Sex workers living with HIV"), (2, 1, None), (3, 1, None), (4, 2, None), (5, 2, None)]
        assert client.get(response.headers["Location"], headers=world.roles["board"]).json["name"] == "Board"


def test_a_whole_number_of_seats_may_be_written_as_a_float(client, world):
    # JSON has one number type: 5.0 is the integer 5 to JSON Schema and to most clients.
    url, secretariat = f"{API}/networks/{world.vnsw.public_id}/bodies", world.roles["secretariat"]
    response = client.post(url, headers=secretariat, json={"kind": "board", "name": "Board", "seats": 5.0})
    assert response.status_code == 201 and response.json["seats"] == 5
    for seats in (2.5, "5", True):
        refused = client.post(url, headers=secretariat, json={"kind": "board", "name": "Other", "seats": seats})
        assert refused.status_code == 422 and "seats" in refused.json["fields"], seats


def test_an_establishment_date_is_ascii_digits_and_nothing_after(client, world):
    url, secretariat = f"{API}/networks/{world.vnsw.public_id}/bodies", world.roles["secretariat"]
    for established in ("２０２０", "2020\n", "2020-01-01\n"):
        refused = client.post(url, headers=secretariat, json={
            "kind": "board", "name": "Board", "seats": 3, "established": established})
        assert refused.status_code == 422 and "established" in refused.json["fields"], established


@pytest.mark.parametrize("role", ROLES)
def test_read_bodies_and_composition(client, world, board_body, role):
    base = f"{API}/networks/{world.vnsw.public_id}/bodies"
    listed = client.get(base, headers=world.roles[role])
    assert listed.status_code == READ[role]
    read = client.get(f"{base}/{board_body.public_id}", headers=world.roles[role])
    assert read.status_code == READ[role]
    then = client.get(f"{base}/{board_body.public_id}/composition", query_string={"on": "2021-06-01"},
                      headers=world.roles[role])
    assert then.status_code == READ[role]
    terms = client.get(f"{base}/{board_body.public_id}/officeholders", headers=world.roles[role])
    assert terms.status_code == READ[role]
    if READ[role] == 200:
        assert [b["name"] for b in listed.json["items"]] == ["Board of directors"]
        assert [(s["seat"]["number"], s["seat"]["constituency"], s["holder"] and s["holder"]["name"])
                for s in then.json["seats"]] == [(1, "North", "Lan"), (2, None, None), (3, None, None)]
        assert [(t["name"], t["seat"], t["ends_on"]) for t in terms.json["items"]] == [
            ("Lan", 1, "2021-12-31"), ("Mai", 1, None)]


def test_composition_defaults_to_today(client, world, board_body):
    now = client.get(f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/composition",
                     headers=world.roles["board"]).json
    assert now["on"] == dt.date.today().isoformat()
    assert [s["holder"] and s["holder"]["name"] for s in now["seats"]] == ["Mai", None, None]


@pytest.mark.parametrize("role", ROLES)
def test_record_an_officeholder(client, world, board_body, role):
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/officeholders",
                           headers=world.roles[role],
                           json={"name": "Ngoc", "starts_on": "2023-01-01", "nominated_by": world.fellow.public_id})
    assert response.status_code == MANAGE[role], response.json
    if response.status_code == 201:
        assert (response.json["seat"], response.json["nominated_by_id"]) == (2, world.fellow.public_id)


def test_a_body_of_another_network_is_not_found_here(client, world, board_body):
    response = client.get(f"{API}/networks/{world.wnu.public_id}/bodies/{board_body.public_id}",
                          headers=world.roles["other_secretariat"])
    assert response.status_code == 404


def test_an_officeholder_is_a_name_not_a_contact(client, world, board_body):
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/officeholders",
                           headers=world.roles["secretariat"], json={"name": "lan@example.org",
                                                                     "starts_on": "2023-01-01"})
    assert response.status_code == 422
    assert "name" in response.json["fields"]



def test_an_officeholder_for_a_seat_the_body_does_not_have_is_refused_not_missing(client, world, board_body):
    """The seat is named in the request's body: its address is found, what it asks is refused."""
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/officeholders",
                           headers={**world.roles["secretariat"], "Accept-Language": "vi"},
                           json={"name": "Ngoc", "starts_on": "2023-01-01", "seat_number": 76})
    assert response.status_code == 422, response.json
    assert list(response.json["fields"]) == ["seat_number"] and "76" in response.json["fields"]["seat_number"][0]
    assert "has no seat" not in response.json["fields"]["seat_number"][0]  # said in Vietnamese

SEAT = {"secretariat": 200, "other_secretariat": 403, "own_editor": 403, "other_editor": 403, "board": 403,
        "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_reserve_a_seat(client, world, board_body, role):
    where = f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}"
    tag = etag_of(client, where, world.roles["secretariat"])
    response = client.patch(f"{where}/seats/3", json={"constituency": "South"},
                            headers={**world.roles[role], "If-Match": tag})
    assert response.status_code == SEAT[role], response.json
    if response.status_code == 200:
        assert [s["constituency"] for s in response.json["seat_plan"]] == ["North", None, "South"]
        assert response.headers["ETag"] != tag


def test_a_seat_changes_only_with_the_current_etag_and_no_election_under_way(client, world, session, board_body):
    where = f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}"
    secretariat = world.roles["secretariat"]
    assert client.patch(f"{where}/seats/1", json={"open_seat": True}, headers=secretariat).status_code == 428
    tag = etag_of(client, where, secretariat)
    assert client.patch(f"{where}/seats/9", json={"open_seat": True},
                        headers={**secretariat, "If-Match": tag}).status_code == 404
    phases.create_election(session, SYSTEM, board_body, title="Board election", method="block_plurality",
                           roll_cutoff=dt.date.today())
    session.flush()
    refused = client.patch(f"{where}/seats/1", json={"open_seat": True}, headers={**secretariat, "If-Match": tag})
    assert refused.status_code == 409
    assert client.patch(f"{where}/seats/1", json={"open_seat": True},
                        headers={**secretariat, "If-Match": '"stale"'}).status_code == 412


@pytest.mark.parametrize("role", ROLES)
def test_end_a_term_early(client, world, session, board_body, role):
    mai = governance.officeholders_of(session, SYSTEM, board_body)[-1]
    url = f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/officeholders/{mai.public_id}"
    etag = etag_of(client, url, world.roles["board"])
    response = client.patch(url, json={"last_day": "2024-06-30", "reason": "resigned to work abroad"},
                            headers={**world.roles[role], "If-Match": etag})
    assert response.status_code == {**MANAGE, "secretariat": 200}[role], response.json
    if response.status_code == 200:
        assert (response.json["ends_on"], response.json["left_reason"]) == ("2024-06-30", "resigned to work abroad")
        composition = client.get(f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/composition",
                                 query_string={"on": "2024-07-01"}, headers=world.roles["board"]).json
        assert all(s["holder"] is None for s in composition["seats"])
        again = client.patch(url, json={"last_day": "2024-05-31"}, headers={**world.roles[role], "If-Match": etag})
        assert again.status_code == 412


def test_a_term_cannot_end_before_it_starts_or_outside_its_body(client, world, session, board_body):
    lan, mai = governance.officeholders_of(session, SYSTEM, board_body)
    url = f"{API}/networks/{world.vnsw.public_id}/bodies/{board_body.public_id}/officeholders"
    headers = world.roles["secretariat"]
    before = client.patch(f"{url}/{mai.public_id}", json={"last_day": "2021-01-01"},
                          headers={**headers, "If-Match": etag_of(client, f"{url}/{mai.public_id}", headers)})
    assert before.status_code == 422 and "last_day" in before.json["fields"]
    later = client.patch(f"{url}/{lan.public_id}", json={"last_day": "2023-01-01"},
                         headers={**headers, "If-Match": etag_of(client, f"{url}/{lan.public_id}", headers)})
    assert later.status_code == 422
    other = governance.define_body(session, SYSTEM, world.vnsw, kind="coordinating_committee", name="Audit committee",
                                  seats=1)
    session.flush()
    assert client.get(f"{API}/networks/{world.vnsw.public_id}/bodies/{other.public_id}/officeholders/{mai.public_id}",
                      headers=headers).status_code == 404
    assert client.get(f"{url}/{mai.public_id}", headers=world.roles["other_secretariat"]).status_code == 403


# --- a network the caller may not know of is not found, exactly as a missing one ----------------

MISSING = "ZZZZZZZZZZZZ"  # a well-formed public id that names nothing


@pytest.fixture
def hidden(session, make_org, member_of):
    """An unlisted network none of the world's callers is part of, with a body, a past
    officeholder and an election in nominations."""
    network = make_org(name="Unlisted test network", acronym="UTN", kind="national_network", country="LA")
    member = make_org(network, country="LA")
    member_of(network, member)
    body = governance.define_body(session, SYSTEM, network, kind="board", name="Board", seats=3, term_months=24)
    holder = governance.record_officeholder(session, SYSTEM, body, name="Khamla", starts_on=dt.date(2020, 1, 1))
    election = phases.create_election(session, SYSTEM, body, title="Board election", method="scottish_stv",
                                      roll_cutoff=dt.date.today())
    phases.open_nominations(session, SYSTEM, election)
    session.flush()
    return network, body, holder, election, member


def governance_paths(body_id: str, holder_id: str, election_id: str, member_id: str) -> list[str]:
    return ["bodies", f"bodies/{body_id}", f"bodies/{body_id}/composition", f"bodies/{body_id}/officeholders",
            f"bodies/{body_id}/officeholders/{holder_id}", "elections", f"elections/{election_id}",
            f"elections/{election_id}/nominations", f"elections/{election_id}/result",
            f"elections/{election_id}/ballot-hashes", f"elections/{election_id}/roll",
            f"elections/{election_id}/roll/{member_id}", f"members/{member_id}"]


@pytest.mark.parametrize("role", ROLES)
def test_a_hidden_networks_governance_answers_as_a_missing_one(client, world, hidden, role):
    network, body, holder, election, member = hidden
    for path in governance_paths(body.public_id, holder.public_id, election.public_id, member.public_id):
        there = client.get(f"{API}/networks/{network.public_id}/{path}", headers=world.roles[role])
        nowhere = client.get(f"{API}/networks/{MISSING}/{path}", headers=world.roles[role])
        assert there.status_code == nowhere.status_code == (401 if role == "anonymous" else 404), (path, there.json)
        assert there.json == json.loads(json.dumps(nowhere.json).replace(str(MISSING), str(network.public_id))), path


def test_a_network_the_caller_sees_refuses_its_governance_whatever_body_is_named(client, world, board_body):
    headers = world.roles["other_secretariat"]  # VNSW is listed: WNU's secretariat sees it, not its board
    for body_id in (board_body.public_id, MISSING):
        assert client.get(f"{API}/networks/{world.vnsw.public_id}/bodies/{body_id}", headers=headers).status_code == 403
    assert client.get(f"{API}/networks/{world.vnsw.public_id}/bodies", headers=headers).status_code == 403
