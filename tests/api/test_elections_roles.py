"""Elections over HTTP, one operation at a time as every caller: the secretariat manages,
organisations nominate and vote through their own editors, the board reads."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.governance import services as governance
from registry.db import today
from registry.elections import ballots, nominations, phases
from registry.elections.models import ElectionPhase
from tests.api.conftest import ROLES, etag_of
from tests.factories import SYSTEM, editor

API = "/api/v1"
P = ElectionPhase
ORDER = [P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED, P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED]


def expect(**given: int) -> dict[str, int]:
    """Expected statuses: the election is out of sight (404) unless said otherwise, and a caller
    without a token is told to sign in (401) before anything is looked up."""
    return {role: given.get(role, 401 if role == "anonymous" else 404) for role in ROLES}


MEMBERS_READ = dict(secretariat=200, own_editor=200, other_editor=200, board=200)


def election_at(session, world, phase: ElectionPhase):
    """VNSW's board election brought to `phase`: the world's member organisation nominates
    Ana, the other member Binh; past voting both vote."""
    body = governance.define_body(session, SYSTEM, world.vnsw, kind="board", name="Board", seats=1,
                                  term_months=24)
    election = phases.create_election(session, SYSTEM, body, title="Board election", method="scottish_stv",
                                      roll_cutoff=today())
    steps = ORDER[:ORDER.index(phase) + 1] if phase in ORDER else []
    for step in steps:
        if step is P.NOMINATIONS_CLOSED:
            for organisation, name in ((world.cbo, "Ana"), (world.fellow, "Binh")):
                nominations.nominate(session, editor(organisation), election, organisation, name=name)
        if step is P.VOTING_CLOSED:
            ana, binh = (n.public_id for n in election.nominations)
            ballots.cast_ballot(session, editor(world.cbo), election, world.cbo, [binh, ana])
            ballots.cast_ballot(session, editor(world.fellow), election, world.fellow, [binh])
        phases.transition(session, SYSTEM, election, step)
    if phase is P.NOMINATIONS_OPEN:
        for organisation, name in ((world.cbo, "Ana"), (world.fellow, "Binh")):
            nominations.nominate(session, editor(organisation), election, organisation, name=name)
    session.flush()
    return election


def at(world, election, path: str = "") -> str:
    return f"{API}/networks/{world.vnsw.public_id}/elections/{election.public_id}{path}"


def nominated_by(election, organisation):
    return next(n for n in election.nominations if n.nominated_by_id == organisation.id)


@pytest.mark.parametrize("role", ROLES)
def test_list_elections(client, world, session, role):
    election_at(session, world, P.NOMINATIONS_OPEN)
    response = client.get(f"{API}/networks/{world.vnsw.public_id}/elections", headers=world.roles[role])
    allowed = {**MEMBERS_READ, "other_secretariat": 403, "anonymous": 401}
    assert response.status_code == allowed[role]
    if response.status_code == 200:
        assert [e["title"] for e in response.json["items"]] == ["Board election"]


@pytest.mark.parametrize("role", ROLES)
def test_create_an_election(client, world, session, role):
    body = governance.define_body(session, SYSTEM, world.vnsw, kind="board", name="Board", seats=5)
    session.flush()
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/elections", headers=world.roles[role], json={
        "body_id": body.public_id, "title": "Board election 2026", "method": "block_plurality",
        "roll_cutoff": today().isoformat(), "quorum_percent": 50})
    allowed = {"secretariat": 201, "other_secretariat": 403, "own_editor": 403, "other_editor": 403,
               "board": 403, "anonymous": 401}
    assert response.status_code == allowed[role], response.json
    if response.status_code == 201:
        assert (response.json["phase"], response.json["seat_groups"]) == ("draft", {"open": 5})
        assert response.headers["ETag"]


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_seen_only_by_those_who_manage_it(client, world, session, role):
    draft = election_at(session, world, P.DRAFT)
    assert client.get(at(world, draft), headers=world.roles[role]).status_code == expect(secretariat=200)[role]


@pytest.mark.parametrize("role", ROLES)
def test_read_an_election(client, world, session, role):
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    response = client.get(at(world, election), headers=world.roles[role])
    assert response.status_code == expect(**MEMBERS_READ)[role]
    if response.status_code == 200:
        assert response.headers["ETag"]
        assert [c["to_phase"] for c in response.json["phase_changes"]] == ["draft", "nominations_open"]


@pytest.mark.parametrize("role", ROLES)
def test_move_an_election_on(client, world, session, role):
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    tag = etag_of(client, at(world, election), world.roles["secretariat"])
    response = client.put(at(world, election, "/phase"), json={"phase": "nominations_closed"},
                          headers={**world.roles[role], "If-Match": tag})
    allowed = expect(secretariat=200, own_editor=403, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 200:
        assert response.json["phase"] == "nominations_closed"
        assert response.headers["ETag"] != tag


@pytest.mark.parametrize("role", ROLES)
def test_nominate(client, world, session, role):
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    response = client.post(at(world, election, "/nominations"), headers=world.roles[role],
                           json={"organisation_id": world.cbo.public_id, "name": "Chau", "statement": "I will serve"})
    allowed = expect(own_editor=201, secretariat=403, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 201:
        assert (response.json["name"], response.json["nominated_by_id"]) == ("Chau", world.cbo.public_id)


@pytest.mark.parametrize("role", ROLES)
def test_second_a_nomination(client, world, session, role):
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    binh = nominated_by(election, world.fellow)
    response = client.post(at(world, election, f"/nominations/{binh.public_id}/seconding"), headers=world.roles[role],
                           json={"organisation_id": world.cbo.public_id})
    allowed = expect(own_editor=200, secretariat=403, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 200:
        assert response.json["seconded_by_id"] == world.cbo.public_id


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_a_nomination(client, world, session, role):
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    ana = nominated_by(election, world.cbo)
    response = client.post(at(world, election, f"/nominations/{ana.public_id}/withdrawal"), headers=world.roles[role],
                           json={"reason": "moving abroad"})
    allowed = expect(own_editor=200, secretariat=200, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 200:
        assert response.json["withdrawn_on"] == today().isoformat()
        listed = client.get(at(world, election, "/nominations"), headers=world.roles["board"]).json
        assert [n["name"] for n in listed["items"]] == ["Binh"]


def test_a_withdrawal_needs_no_body_and_the_description_says_so(client, world, session):
    """Every field of a withdrawal has a default (today, no reason), so the body is optional, and
    the OpenAPI description must not claim otherwise (schemathesis sends none to check)."""
    election = election_at(session, world, P.NOMINATIONS_OPEN)
    ana = nominated_by(election, world.cbo)
    response = client.post(at(world, election, f"/nominations/{ana.public_id}/withdrawal"),
                           headers=world.roles["own_editor"])
    assert response.status_code == 200 and response.json["withdrawn_on"] == today().isoformat(), response.json
    paths = client.get("/api/v1/openapi.json").json["paths"]
    withdrawal = next(ops["post"] for path, ops in paths.items() if path.endswith("/withdrawal"))
    assert withdrawal["requestBody"].get("required") is not True


@pytest.mark.parametrize("role", ROLES)
def test_check_the_roll(client, world, session, role):
    election = election_at(session, world, P.VOTING_OPEN)
    response = client.get(at(world, election, f"/roll/{world.cbo.public_id}"), headers=world.roles[role])
    allowed = expect(own_editor=200, secretariat=200, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 200:
        assert (response.json["on_roll"], response.json["frozen"]) == (True, True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("phase", [P.NOMINATIONS_OPEN, P.VOTING_OPEN])
def test_list_the_roll(client, world, session, role, phase):
    election = election_at(session, world, phase)
    response = client.get(at(world, election, "/roll"), headers=world.roles[role])
    allowed = expect(secretariat=200, own_editor=403, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 200:
        assert sorted(o["id"] for o in response.json["items"]) == sorted([world.cbo.public_id, world.fellow.public_id])
        assert set(response.json["items"][0]) == {"id", "name"}


@pytest.mark.parametrize("role", ROLES)
def test_cast_a_ballot(client, world, session, role):
    election = election_at(session, world, P.VOTING_OPEN)
    ana = nominated_by(election, world.cbo)
    response = client.post(at(world, election, "/ballots"), headers=world.roles[role],
                           json={"organisation_id": world.cbo.public_id, "choices": {"open": [ana.public_id]}})
    allowed = expect(own_editor=201, secretariat=403, other_editor=403, board=403)
    assert response.status_code == allowed[role], response.json
    if response.status_code == 201:
        assert set(response.json) == {"receipt", "ballot_hash", "content"}
        assert response.headers["Cache-Control"] == "private, no-store"
    else:
        assert "content" not in response.json and "receipt" not in response.json


@pytest.mark.parametrize("role", ROLES)
def test_read_the_published_ballot_hashes(client, world, session, role):
    election = election_at(session, world, P.TALLIED)
    response = client.get(at(world, election, "/ballot-hashes"), headers=world.roles[role])
    assert response.status_code == expect(**MEMBERS_READ)[role]
    if response.status_code == 200:
        hashes = [h["ballot_hash"] for h in response.json["items"]]
        assert len(hashes) == 2 and hashes == sorted(hashes)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_secretariat_reads_a_result_before_it_is_certified(client, world, session, role):
    election = election_at(session, world, P.TALLIED)
    response = client.get(at(world, election, "/result"), headers=world.roles[role])
    assert response.status_code == expect(secretariat=200, own_editor=403, other_editor=403, board=403)[role]


@pytest.mark.parametrize("role", ROLES)
def test_read_a_certified_result(client, world, session, role):
    election = election_at(session, world, P.CERTIFIED)
    response = client.get(at(world, election, "/result"), headers=world.roles[role])
    assert response.status_code == expect(**MEMBERS_READ)[role]
    if response.status_code == 200:
        assert ([e["name"] for e in response.json["elected"]], response.json["turnout"]) == (["Binh"], 2)
        assert "Elected:\n  Binh (open seats)" in response.json["text"]


@pytest.mark.parametrize("role", ROLES)
def test_read_the_live_turnout(client, world, session, role):
    election = election_at(session, world, P.VOTING_OPEN)
    ballots.cast_ballot(session, editor(world.cbo), election, world.cbo, [])
    session.flush()
    response = client.get(at(world, election, "/turnout"), headers=world.roles[role])
    assert response.status_code == expect(secretariat=200, board=200, own_editor=403, other_editor=403)[role]
    if response.status_code == 200:
        assert (response.json["roll"], response.json["voted"]) == (2, 1)
        assert response.json["not_voted"] == [{"id": world.fellow.public_id, "name": world.fellow.name}]


@pytest.mark.parametrize("role", ROLES)
def test_extend_voting(client, world, session, role):
    election = election_at(session, world, P.VOTING_OPEN)
    tag = etag_of(client, at(world, election), world.roles["secretariat"])
    until = (today() + dt.timedelta(days=7)).isoformat()
    response = client.put(at(world, election, "/extension"), json={"until": until, "reason": "turnout is short"},
                          headers={**world.roles[role], "If-Match": tag})
    assert response.status_code == expect(secretariat=200, own_editor=403, other_editor=403, board=403)[role]
    if response.status_code == 200:
        assert response.json["voting_closes_on"] == until and response.headers["ETag"] != tag
