"""An election for VNSW's board, run from draft to certified through the API alone, and what
its secretariat can and cannot learn about how any organisation voted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from api.cli import main
from api.resources import elections as election_resource
from registry.access.public_ids import is_public_id
from registry.elections import ballots as ballot_module, publication
from registry.db import today
from tests.api.conftest import etag_of
from tests.registry.test_elections_publication import naming_ids

API = "/api/v1"


class Run:
    """The calls of one election, each as the caller named."""

    def __init__(self, client, world, voters):
        self.client, self.world, self.voters = client, world, voters
        self.network = f"{API}/networks/{world.vnsw.public_id}"
        self.election = ""

    def call(self, method, path, who, expected, **kw):
        url = path if path.startswith(API) else self.election + path
        response = getattr(self.client, method)(url, headers=who, **kw)
        assert response.status_code == expected, (method, url, response.json)
        return response

    def move(self, phase, **extra):
        secretariat = self.world.roles["secretariat"]
        tag = etag_of(self.client, self.election, secretariat)
        moved = self.call("put", "/phase", {**secretariat, "If-Match": tag}, 200, json={"phase": phase, **extra})
        assert moved.json["phase"] == phase
        return moved


@pytest.fixture
def run(client, world, make_org, member_of, bearer, session):
    """Four member organisations of VNSW, each with its own editor's token."""
    voters = {"cbo": (world.cbo, world.roles["own_editor"]), "fellow": (world.fellow, world.roles["other_editor"])}
    for key, name in (("third", "Nhóm Đà Nẵng"), ("fourth", "Nhóm Cần Thơ")):
        organisation = make_org(world.vnsw, name=name, country="VN", public_listing=True)
        member_of(world.vnsw, organisation)
        voters[key] = (organisation, bearer("editor", organisation))
    session.flush()
    return Run(client, world, voters)


def run_to_voting(run: Run, method: str = "scottish_stv", quorum_percent: int = 50) -> dict[str, str]:
    """Board, election, nominations; returns the candidates' nominations' public ids by name."""
    world, secretariat = run.world, run.world.roles["secretariat"]
    body = run.call("post", f"{run.network}/bodies", secretariat, 201,
                    json={"kind": "board", "name": "VNSW board", "seats": 2, "term_months": 24}).json
    created = run.call("post", f"{run.network}/elections", secretariat, 201, json={
        "body_id": body["id"], "title": "VNSW board election", "method": method,
        "roll_cutoff": today().isoformat(), "quorum_percent": quorum_percent})
    run.election = created.headers["Location"]
    run.move("nominations_open")
    candidates = {}
    for voter, name in (("cbo", "Ana"), ("fellow", "Binh"), ("third", "Chau"), ("fourth", "Dung")):
        organisation, editor = run.voters[voter]
        nominated = run.call("post", "/nominations", editor, 201,
                             json={"organisation_id": organisation.public_id, "name": name, "statement": f"{name} will serve"})
        candidates[name] = nominated.json["id"]
    cbo, cbo_editor = run.voters["cbo"]
    run.call("post", f"/nominations/{candidates['Binh']}/seconding", cbo_editor, 200,
             json={"organisation_id": cbo.public_id})
    fourth_editor = run.voters["fourth"][1]
    run.call("post", f"/nominations/{candidates.pop('Dung')}/withdrawal", fourth_editor, 200,
             json={"reason": "cannot serve this term"})
    run.move("nominations_closed")
    run.move("voting_open")
    return candidates


def test_vnsw_board_election_from_draft_to_certified(run, monkeypatch, app, session):
    scrubbed = []
    monkeypatch.setattr(ballot_module, "scrub_sealed_ballots", scrubbed.append)
    app.extensions["registry.engine"] = engine = object()
    world, secretariat, board = run.world, run.world.roles["secretariat"], run.world.roles["board"]
    ids = run_to_voting(run)
    ana, binh, chau = ids["Ana"], ids["Binh"], ids["Chau"]

    for voter, (organisation, editor) in run.voters.items():
        check = run.call("get", f"/roll/{organisation.public_id}", editor, 200).json
        assert (check["on_roll"], check["frozen"]) == (True, True), voter
    ballots = {"cbo": [ana, binh], "fellow": [binh, ana], "third": [chau, binh], "fourth": []}
    receipts = {}
    for voter, choices in ballots.items():
        organisation, editor = run.voters[voter]
        receipts[voter] = run.call("post", "/ballots", editor, 201,
                                   json={"organisation_id": organisation.public_id, "choices": {"open": choices}}).json
    # The third organisation changes its mind, with its receipt; voting twice without one is refused.
    third, third_editor = run.voters["third"]
    run.call("post", "/ballots", third_editor, 409, json={"organisation_id": third.public_id, "choices": {"open": [ana]}})
    receipts["third"] = run.call("post", "/ballots", third_editor, 201, json={
        "organisation_id": third.public_id, "choices": {"open": [binh, chau]},
        "receipt": receipts["third"]["receipt"]}).json
    # The content names the candidates as the API, the count and the published election do.
    assert json.loads(receipts["third"]["content"]) == {"open": [binh, chau]}
    assert scrubbed == []

    run.move("voting_closed")
    run.call("get", "/ballot-hashes", board, 409)  # nothing is opened before the count

    # The secretariat cannot choose the lot's seed: it is the ballot list's root.
    tag = etag_of(run.client, run.election, secretariat)
    run.call("put", "/phase", {**secretariat, "If-Match": tag}, 422, json={"phase": "tallied", "seed": "2026"})
    assert scrubbed == []
    run.move("tallied")
    assert scrubbed == [engine]  # once the count was committed, and only then
    hashes = [h["ballot_hash"] for h in run.call("get", "/ballot-hashes", board, 200).json["items"]]
    assert sorted(hashes) == hashes == sorted(r["ballot_hash"] for r in receipts.values())
    run.call("get", "/result", board, 403)  # the secretariat checks it first
    assert run.call("get", "/result", secretariat, 200).json["phase"] == "tallied"
    run.move("certified")
    assert scrubbed == [engine]

    result = run.call("get", "/result", board, 200).json
    assert (result["roll"], result["turnout"], result["quorum_met"]) == (4, 4, True)
    # Neither the result nor the published election names anything by an integer key.
    published = run.call("get", "/published", board, 200).json
    assert published["format"] == "registry-published-election/2" and publication.verify(published) == []
    assert published["election"]["id"] == run.call("get", "", board, 200).json["id"]
    for answer in (result, published):
        named = naming_ids(answer)
        assert {ana, binh, chau} <= set(named) and all(map(is_public_id, named)), answer
    for receipt in receipts.values():
        assert publication.check_ballot(published, receipt["receipt"], receipt["content"]) == []
    assert sorted(e["name"] for e in result["elected"]) == ["Ana", "Binh"]
    body_id = run.call("get", "", board, 200).json["body_id"]
    seats = run.call("get", f"{run.network}/bodies/{body_id}/composition", board, 200).json["seats"]
    assert sorted(s["holder"]["name"] for s in seats) == ["Ana", "Binh"]
    assert {s["holder"]["nominated_by_id"] for s in seats} == {world.cbo.public_id, world.fellow.public_id}

    # What the secretariat can read about this election and every organisation that voted.
    seen = [run.call("get", path, secretariat, 200).get_data(as_text=True) for path in (
        "", "/nominations?withdrawn=true", "/ballot-hashes", "/result",
        f"{run.network}/bodies/{body_id}/officeholders", f"{run.network}/members",
        f"{API}/history?page_size=100",
        *(f"/roll/{o.public_id}" for o, _ in run.voters.values()),
        *(f"{API}/organisations/{o.public_id}/history?page_size=100" for o, _ in run.voters.values()),
    )]
    everything = "\n".join(seen)
    for voter, receipt in receipts.items():
        assert receipt["receipt"] not in everything, voter
        assert receipt["content"] not in everything and json.dumps(receipt["content"]) not in everything, voter
    # A ballot's hash is published only in the list of every hash, sorted, tied to no one.
    hash_lists = [text for text in seen if any(r["ballot_hash"] in text for r in receipts.values())]
    assert hash_lists == [seen[2]]
    # The log says that each organisation voted, and nothing about its ballot.
    log = run.call("get", f"{API}/history", secretariat, 200, query_string={"page_size": 100}).json["items"]
    casts = [e for e in log if e["action"] in ("ballot_cast", "ballot_replaced")]
    assert len(casts) == 5 and all(e["changes"] == {} for e in casts)


def test_a_count_or_cancel_refused_is_not_scrubbed(run, monkeypatch, app):
    scrubbed = []
    monkeypatch.setattr(ballot_module, "scrub_sealed_ballots", scrubbed.append)
    app.extensions["registry.engine"] = object()
    run_to_voting(run)
    secretariat = run.world.roles["secretariat"]
    stale = etag_of(run.client, run.election, secretariat)
    run.move("voting_closed")
    run.call("put", "/phase", {**secretariat, "If-Match": stale}, 412, json={"phase": "cancelled", "reason": "x"})
    run.call("put", "/phase", secretariat, 428, json={"phase": "tallied"})
    assert scrubbed == []
    run.move("tallied")
    assert len(scrubbed) == 1


def test_a_phase_change_needs_the_current_etag(run):
    run_to_voting(run)
    secretariat = run.world.roles["secretariat"]
    tag = etag_of(run.client, run.election, secretariat)
    illegal = run.call("put", "/phase", {**secretariat, "If-Match": tag}, 409, json={"phase": "certified"})
    assert illegal.json["error"] == "invalid_transition"
    run.call("put", "/phase", {**secretariat, "If-Match": tag}, 422, json={"phase": "cancelled"})


def test_a_ballot_for_someone_not_standing_is_refused_without_echoing_other_ballots(run):
    ids = run_to_voting(run)
    organisation, editor = run.voters["cbo"]
    refused = run.call("post", "/ballots", editor, 422,
                       json={"organisation_id": organisation.public_id, "choices": {"open": [ids["Ana"], "ZZZZZZZZZZZZ"]}})
    assert "choices" in refused.json["fields"]


def test_the_published_election_downloads_and_verifies_with_the_command_alone(run, tmp_path):
    ids = run_to_voting(run)
    secretariat, board = run.world.roles["secretariat"], run.world.roles["board"]
    receipts = {}
    for voter, choices in (("cbo", [ids["Ana"]]), ("fellow", [ids["Binh"], ids["Chau"]]), ("third", [])):
        organisation, editor = run.voters[voter]
        receipts[voter] = run.call("post", "/ballots", editor, 201,
                                   json={"organisation_id": organisation.public_id, "choices": {"open": choices}}).json
    run.move("voting_closed")
    run.move("tallied")
    run.call("get", "/published", board, 403)  # as the result: the secretariat checks it first
    run.move("certified")
    downloaded = run.call("get", "/published", board, 200)
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    # Whoever may not read the network's result may not download it either.
    for role in ("anonymous", "other_secretariat"):
        who = run.world.roles[role]
        refused = run.client.get(run.election + "/result", headers=who).status_code
        assert refused >= 400 and run.client.get(run.election + "/published", headers=who).status_code == refused
    published = downloaded.json
    assert published["ballot_list"]["root"] == run.call("get", "/result", board, 200).json["ballot_list_root"]
    good, bad = tmp_path / "election.json", tmp_path / "tampered.json"
    good.write_text(json.dumps(published), encoding="utf-8")
    published["ballot_list"]["ballots"][0]["content"] = json.dumps({"open": [ids["Chau"], ids["Ana"]]},
                                                                   separators=(",", ":"))  # cast by nobody
    bad.write_text(json.dumps(published), encoding="utf-8")

    def command(*args):
        return CliRunner().invoke(main, ["election", *args], catch_exceptions=False)

    assert command("verify", str(good)).exit_code == 0
    failed = command("verify", str(bad))
    assert failed.exit_code == 1 and "FAILED" in failed.output
    mine = receipts["fellow"]
    assert command("check-ballot", str(good), "--receipt", mine["receipt"], "--content", mine["content"]).exit_code == 0
    forged = command("check-ballot", str(good), "--receipt", mine["receipt"], "--content", '{"open":[]}')
    assert forged.exit_code == 1 and "not in the published list" in forged.output


def test_a_meek_election_short_of_its_quorum_is_extended_after_the_close_and_named_in_vietnamese(run):
    secretariat, board = run.world.roles["secretariat"], run.world.roles["board"]
    ids = run_to_voting(run, method="meek_stv", quorum_percent=75)
    election = run.call("get", "", {**board, "Accept-Language": "vi"}, 200).json
    assert (election["method"], election["ballot_kind"]) == ("meek_stv", "ranked")
    assert election["method_label"] == "Bầu cử một phiếu có thể chuyển nhượng (phương pháp Meek)"
    papers = {"cbo": [ids["Ana"], ids["Binh"]], "fellow": [ids["Binh"]]}
    for voter, choices in papers.items():
        organisation, editor = run.voters[voter]
        run.call("post", "/ballots", editor, 201, json={"organisation_id": organisation.public_id,
                                                        "choices": {"open": choices}})
    run.move("voting_closed")
    # 2 of 4 is short of 75%: the answer says what may be done, and extending opens voting again.
    live = run.call("get", "/turnout", secretariat, 200).json
    assert (live["quorum_met"], live["short_by"], live["options"]) == (False, 1, ["extend_voting", "cancel"])
    tag = etag_of(run.client, run.election, secretariat)
    until = (today() + dt.timedelta(days=7)).isoformat()
    extended = run.call("put", "/extension", {**secretariat, "If-Match": tag}, 200,
                        json={"until": until, "reason": "two members were offline"}).json
    assert (extended["phase"], extended["voting_closes_on"]) == ("voting_open", until)
    third, third_editor = run.voters["third"]
    run.call("post", "/ballots", third_editor, 201, json={"organisation_id": third.public_id,
                                                          "choices": {"open": [ids["Chau"], ids["Ana"]]}})
    assert run.call("get", "/turnout", board, 200).json["options"] == []
    run.move("voting_closed")
    run.move("tallied")
    run.move("certified")
    result = run.call("get", "/result", {**board, "Accept-Language": "vi"}, 200).json
    assert (result["method"], result["turnout"]) == ("meek_stv", 3)
    assert result["method_label"].endswith("(phương pháp Meek)") and result["method_explanation"].startswith("Cử tri")
    assert "keep_factors" in result["counts"][0]["rounds"][0]
