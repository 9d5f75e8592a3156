"""The published election: anyone holding the file recomputes the ballot list's root and
recounts, and each voter finds its own ballot; every tampering the issue names is caught."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from registry.access import audit
from registry.access.public_ids import is_public_id
from registry.elections import ballots, publication, results
from registry.elections.ballot_keys import seal
from registry.elections.models import Ballot, ElectionPhase, SealedBallot, Voter
from registry.errors import Conflict, NotPermitted
from tests.factories import board, editor, secretariat
from tests.registry.test_elections import Ready, ready_election

P = ElectionPhase
PAPERS = (["Ana", "Binh"], ["Binh", "Ana"], ["Chau", "Binh"], ["Ana"], [])


@pytest.fixture
def ready(session, make_org, member_of, vnsw):
    return lambda **kw: ready_election(session, make_org, member_of, vnsw, **kw)


def cast(r: Ready, papers=PAPERS) -> list[ballots.CastReceipt]:
    return [ballots.cast_ballot(r.session, editor(member), r.election, member, r.ids(*paper))
            for member, paper in zip(r.members, papers)]


def certify(r: Ready) -> dict:
    r.move(P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED)
    # Through JSON, as a downloaded file would be.
    published = json.loads(json.dumps(publication.published_election(r.session, board(r.network), r.election)))
    # Format 2 unless a test casts in format 1: every tampering test below is one of format 2.
    assert published["format"] == publication.FORMATS[r.election.ballot_format]
    return published


def test_the_published_election_verifies_and_every_voter_finds_its_ballot(session, ready):
    r = ready(members=5, seats=2)
    receipts = cast(r)
    published = certify(r)
    assert publication.verify(published) == []
    listed = published["ballot_list"]["ballots"]
    assert [b["ballot_hash"] for b in listed] == sorted(c.ballot_hash for c in receipts)
    assert published["ballot_list"]["root"] == r.election.result["ballot_list_root"] == r.election.ballot_list_root
    assert [c["name"] for c in published["candidates"]] == ["Ana", "Binh", "Chau"]
    for receipt in receipts:
        assert publication.check_ballot(published, receipt.receipt, receipt.content) == []
    # The file names no organisation: neither voters nor nominators.
    text = json.dumps(published, ensure_ascii=False)
    assert not any(m.name in text for m in r.members)


def test_the_boxes_are_fixed_at_the_close_and_the_root_by_the_count_both_audited(session, ready):
    r = ready(members=3)
    cast(r, PAPERS[:3])
    r.move(P.VOTING_CLOSED)
    assert r.election.ballot_list_root is None
    r.move(P.TALLIED)
    log = {e.action: e.changes for e in audit.history(session, organisation_id=r.network.id)}
    assert log["election_voting_closed"]["sealed_root"] == [None, r.election.sealed_root]
    assert log["election_tallied"]["ballot_list_root"] == [None, r.election.ballot_list_root]
    assert log["election_tallied"]["ballots"] == [None, 3]
    assert len(r.election.ballot_list_root) == 64


def test_a_ballot_changed_in_the_file_fails_verify_and_its_voters_check(session, ready):
    r = ready(members=5)
    receipts = cast(r)
    published = certify(r)
    mine = receipts[0]
    forged = copy.deepcopy(published)
    entry = next(b for b in forged["ballot_list"]["ballots"] if b["ballot_hash"] == mine.ballot_hash)
    entry["content"] = json.dumps({"open": r.ids("Chau")}, separators=(",", ":"))
    assert any("root" in p for p in publication.verify(forged))
    assert "your ballot is listed with a content other than the one you cast" in \
        publication.check_ballot(forged, mine.receipt, mine.content)
    # The forger also republishes the root: the root no longer matches the one counted, and
    # the voter still sees its content changed.
    forged["ballot_list"]["root"] = publication.list_root(
        r.election.public_id, [(b["ballot_hash"], b["content"]) for b in forged["ballot_list"]["ballots"]])
    assert any("not counted from the published ballot list" in p for p in publication.verify(forged))
    assert publication.check_ballot(forged, mine.receipt, mine.content) == [
        "your ballot is listed with a content other than the one you cast"]


def forged_box(r: Ready, names: tuple[str, ...]) -> str:
    """A ballot sealed by someone who can write to the database: the public key is public."""
    content = json.dumps({"open": r.ids(*names)}, separators=(",", ":"))
    plain = json.dumps({"ballot_hash": ballots.ballot_hash(r.election.public_id, "f" * 32, content), "content": content})
    return base64.b64encode(seal(r.election.ballot_public_key, plain.encode())).decode()


def locator_of(r: Ready, member: int, receipt: ballots.CastReceipt) -> str:
    return hashlib.sha256(f"locator:{r.election.public_id}:{r.members[member].public_id}:{receipt.receipt}".encode()).hexdigest()


def test_a_ballot_swapped_in_the_database_during_voting_is_caught_by_its_voter(session, ready):
    r = ready(members=5)
    receipts = cast(r)
    mine = receipts[0]
    session.execute(update(SealedBallot).where(SealedBallot.locator == locator_of(r, 0, mine))
                    .values(content=forged_box(r, ("Chau",))))
    published = certify(r)
    # The forged ballot was there before the list was fixed, so the file holds together...
    assert publication.verify(published) == []
    # ...but the voter does not find its ballot.
    assert publication.check_ballot(published, mine.receipt, mine.content) == [
        "your ballot is not in the published list"]
    assert publication.check_ballot(published, receipts[1].receipt, receipts[1].content) == []


def test_a_ballot_swapped_in_the_database_after_the_close_is_not_counted(session, ready):
    r = ready(members=5)
    receipts = cast(r)
    r.move(P.VOTING_CLOSED)
    session.execute(update(SealedBallot).where(SealedBallot.locator == locator_of(r, 1, receipts[1]))
                    .values(content=forged_box(r, ("Chau",))))
    with pytest.raises(Conflict, match="not those there when voting closed"):
        r.move(P.TALLIED)


def test_a_ballot_added_or_removed_without_its_voter_row_is_not_counted(session, ready):
    r = ready(members=5)
    receipts = cast(r)
    session.execute(delete(SealedBallot).where(SealedBallot.locator == locator_of(r, 1, receipts[1])))
    r.move(P.VOTING_CLOSED)
    with pytest.raises(Conflict, match="4 sealed ballots for 5 organisations that voted"):
        r.move(P.TALLIED)


def test_a_ballot_deleted_with_its_voter_row_after_the_count_fails_verify(session, ready):
    r = ready(members=5)
    cast(r)
    published_before = certify(r)
    gone = published_before["ballot_list"]["ballots"][0]["ballot_hash"]
    session.execute(delete(Ballot).where(Ballot.ballot_hash == gone))
    session.execute(delete(Voter).where(Voter.election_id == r.election.id,
                                        Voter.organisation_id == r.members[0].id))
    published = json.loads(json.dumps(publication.published_election(session, board(r.network), r.election)))
    problems = publication.verify(published)
    assert any("root" in p for p in problems) and any("turnout" in p for p in problems)


def test_a_ballot_deleted_with_its_voter_row_during_voting_is_missed_by_its_voter(session, ready):
    r = ready(members=5)
    receipts = cast(r)
    mine = receipts[2]
    session.execute(delete(SealedBallot).where(SealedBallot.locator == locator_of(r, 2, mine)))
    session.execute(delete(Voter).where(Voter.election_id == r.election.id,
                                        Voter.organisation_id == r.members[2].id))
    published = certify(r)
    assert publication.check_ballot(published, mine.receipt, mine.content) == [
        "your ballot is not in the published list"]


def test_a_reordered_list_fails_verify(session, ready):
    r = ready(members=5)
    cast(r)
    published = certify(r)
    published["ballot_list"]["ballots"].reverse()
    problems = publication.verify(published)
    assert "the ballot list is not in ballot-hash order, or holds a hash twice" in problems
    assert any("root" in p for p in problems)


def test_a_swapped_seed_fails_verify(session, ready):
    # Ana 2, Binh 2 first preferences for one seat among four papers: a lot decides.
    r = ready(members=4, seats=1, method="block_plurality", candidates=("Ana", "Binh"))
    cast(r, (["Ana"], ["Binh"], ["Ana"], ["Binh"]))
    published = certify(r)
    assert publication.verify(published) == []
    assert published["result"]["seed"] == published["ballot_list"]["root"]
    published["result"]["seed"] = "another seed"
    problems = publication.verify(published)
    assert "the seed of the lots is not the ballot list's root: someone could have chosen it" in problems
    assert any("recount" in p for p in problems)


def test_a_file_that_is_not_a_published_election_is_refused_plainly():
    assert publication.verify({"format": "something else"})[0].startswith("not a published election")
    assert publication.check_ballot({"format": "something else"}, "f" * 32, "{}")[0].startswith(
        "not a published election")
    for version in publication.FORMATS.values():
        assert publication.verify({"format": version})[0].startswith("the file is not a published election")


def test_the_published_file_is_read_as_the_result_is(session, ready):
    r = ready(members=3)
    cast(r, PAPERS[:3])
    r.move(P.VOTING_CLOSED, P.TALLIED)
    with pytest.raises(NotPermitted):
        publication.published_election(session, board(r.network), r.election)
    assert publication.verify(json.loads(json.dumps(
        publication.published_election(session, secretariat(r.network), r.election)))) == []


@pytest.mark.parametrize("method", ["meek_stv", "block_plurality"])
def test_every_method_publishes_a_file_that_verify_recounts_with_that_method(session, ready, method):
    r = ready(members=5, seats=2, method=method)
    cast(r, PAPERS if method == "meek_stv" else (["Ana", "Binh"], ["Binh"], ["Chau", "Ana"], ["Ana"], []))
    published = certify(r)
    assert published["election"]["method"] == published["result"]["counts"][0]["method"] == method
    assert publication.verify(published) == []
    # The same file said to be counted by another method no longer holds together.
    other = copy.deepcopy(published)
    other["election"]["method"] = "scottish_stv"
    assert any("a recount" in problem for problem in publication.verify(other))
    unknown = copy.deepcopy(published)
    unknown["election"]["method"] = "borda"
    assert publication.verify(unknown) and "no counting method is called 'borda'" in publication.verify(unknown)[0]


# --- what names the election and its candidates ------------------------------------------------

# Where a published file or a result answer names an election or a candidate.
NAMING = {"id", "election_id", "nomination_id", "candidate"}
NAMING_LISTS = {"elected", "candidates", "outcome"}
NAMING_KEYS = {"votes", "transfers", "keep_factors", "candidates"}


def naming_ids(data: Any) -> list[Any]:
    """Every id a published election or a result names an election or a candidate by, ballot
    contents included."""
    found: list[Any] = []
    if isinstance(data, list):
        for item in data:
            found += naming_ids(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            if key in NAMING and not isinstance(value, dict | list) and value is not None:
                found.append(value)
            if key in NAMING_LISTS and isinstance(value, list):
                found += [v for v in value if not isinstance(v, dict)]
            if key in NAMING_KEYS and isinstance(value, dict):
                found += list(value)
            if key == "content" and isinstance(value, str):
                found += [i for part in json.loads(value).values() for i in part]
            found += naming_ids(value)
    return found


def test_format_2_names_the_election_and_every_candidate_by_public_ids(session, ready):
    # Reserved and open seats, a lot: every place a candidate is named.
    r = ready(members=5, seats=3, body_kw={"reserved_seats": {"North": 1}}, method="block_plurality",
              candidates=("Hanh", "Lan", "Mai", "Nga"), constituencies={"Hanh": "North", "Lan": "North"})
    receipts = [ballots.cast_ballot(session, editor(m), r.election, m, choices) for m, choices in zip(r.members, (
        {"North": r.ids("Hanh"), "open": r.ids("Mai")}, {"North": r.ids("Lan"), "open": r.ids("Nga")},
        {"open": r.ids("Mai", "Lan")}, {}, {"open": r.ids("Nga")}))]
    published = certify(r)
    assert publication.verify(published) == []
    assert published["format"] == "registry-published-election/2"
    election = r.election
    assert published["election"]["id"] == election.public_id
    assert {c["id"] for c in published["candidates"]} == {n.public_id for n in election.nominations}
    assert published["result"]["counts"][0]["tie_breaks"]  # Hanh and Lan tie for North
    named = naming_ids(published)
    assert len(named) > 20 and all(map(is_public_id, named)), [i for i in named if not is_public_id(i)]
    # The chain starts from the election's public id, and each hash is made with it.
    entries = [(b["ballot_hash"], b["content"]) for b in published["ballot_list"]["ballots"]]
    assert publication.list_root(election.public_id, entries) == published["ballot_list"]["root"]
    for receipt in receipts:
        assert receipt.ballot_hash == ballots.ballot_hash(election.public_id, receipt.receipt, receipt.content)
        assert publication.check_ballot(published, receipt.receipt, receipt.content) == []
    answer = results.published_result(session, board(r.network), election)
    named = naming_ids(json.loads(json.dumps({"election_id": answer.election_id, "candidates": answer.candidates,
                                              "counts": answer.counts,
                                              "elected": [e.nomination_id for e in answer.elected]})))
    assert named and all(map(is_public_id, named))


def test_a_file_naming_by_the_other_formats_ids_fails_verify(session, ready):
    r = ready(members=3)
    cast(r, PAPERS[:3])
    published = certify(r)
    relabelled = {**published, "format": publication.FORMATS[1]}
    assert "registry-published-election/1 names the election and its candidates by integer keys, and this " \
           "file does not" in publication.verify(relabelled)
    numbered = copy.deepcopy(published)
    numbered["election"]["id"] = r.election.id
    assert any("by public ids" in p for p in publication.verify(numbered))


# --- format 1: elections cast and published by integer keys before public ids ----------------

# Written by the registry as it was before format 2 (commit ee25788), with one voter's receipt and
# content: its hashes and root were made with integer keys and must verify as they are, forever.
FORMAT_1 = Path(__file__).with_name("published_election_format_1.json")


@pytest.fixture
def format_1() -> dict[str, Any]:
    return json.loads(FORMAT_1.read_text(encoding="utf-8"))


def test_a_stored_format_1_file_still_verifies_and_its_voter_finds_its_ballot(format_1):
    published = format_1["published"]
    assert published["format"] == "registry-published-election/1" and published["election"]["id"] == 1
    assert len(naming_ids(published)) > 20 and not any(map(is_public_id, naming_ids(published)))
    assert publication.verify(published) == []
    assert publication.check_ballot(published, format_1["receipt"], format_1["content"]) == []
    assert publication.check_ballot(published, "0" * 32, format_1["content"]) == [
        "your ballot is not in the published list"]


def test_every_tampering_of_a_stored_format_1_file_is_caught(format_1):
    published, receipt, content = format_1["published"], format_1["receipt"], format_1["content"]
    changed = copy.deepcopy(published)
    mine = next(b for b in changed["ballot_list"]["ballots"] if b["content"] == content)
    mine["content"] = json.dumps({"open": [3]}, separators=(",", ":"))
    assert any("root" in p for p in publication.verify(changed))
    assert "your ballot is listed with a content other than the one you cast" in \
        publication.check_ballot(changed, receipt, content)
    deleted = copy.deepcopy(published)
    deleted["ballot_list"]["ballots"].pop(0)
    assert any("root" in p for p in publication.verify(deleted)) and any(
        "turnout" in p for p in publication.verify(deleted))
    reordered = copy.deepcopy(published)
    reordered["ballot_list"]["ballots"].reverse()
    assert "the ballot list is not in ballot-hash order, or holds a hash twice" in publication.verify(reordered)
    reseeded = copy.deepcopy(published)
    reseeded["result"]["seed"] = "another seed"
    assert "the seed of the lots is not the ballot list's root: someone could have chosen it" in \
        publication.verify(reseeded)
    renamed = copy.deepcopy(published)
    renamed["election"]["id"] = 2  # another election's list
    assert any("root" in p for p in publication.verify(renamed))


def test_an_election_cast_in_format_1_is_counted_seated_and_published_as_before(session, ready):
    r = ready(members=5, seats=2)
    r.election.ballot_format = 1  # as 0016 leaves an election whose voting had opened
    receipts = [ballots.cast_ballot(session, editor(m), r.election, m, choices) for m, choices in zip(
        r.members, (r.ids("Ana", "Binh"), [r.candidates["Binh"].public_id, r.candidates["Ana"].public_id],
                    r.ids("Chau", "Binh"), r.ids("Ana"), []))]
    # The content names candidates by integer key, whichever way they were chosen, as before.
    assert [json.loads(c.content)["open"] for c in receipts[:2]] == [r.ids("Ana", "Binh"), r.ids("Binh", "Ana")]
    assert all(isinstance(i, int) for i in r.ids("Ana"))
    assert receipts[0].ballot_hash == ballots.ballot_hash(r.election.id, receipts[0].receipt, receipts[0].content)
    # Replacing a ballot finds its box as it was sealed.
    receipts[3] = ballots.cast_ballot(session, editor(r.members[3]), r.election, r.members[3], r.ids("Chau"),
                                      receipt=receipts[3].receipt)
    published = certify(r)
    assert published["format"] == "registry-published-election/1"
    assert published["election"]["id"] == r.election.id
    assert [c["id"] for c in published["candidates"]] == r.ids("Ana", "Binh", "Chau")
    assert publication.verify(published) == []
    for receipt in receipts:
        assert publication.check_ballot(published, receipt.receipt, receipt.content) == []
    # The result the network reads names the candidates by public ids all the same.
    answer = results.published_result(session, board(r.network), r.election)
    assert {e.nomination_id for e in answer.elected} <= {n.public_id for n in r.election.nominations}
    assert set(answer.counts[0]["rounds"][0]["votes"]) == {n.public_id for n in r.election.nominations}
    assert "Ana" in results.format_result(answer) and len(answer.elected) == 2
    assert sorted(h.name for h in r.election.terms) == sorted(e.name for e in answer.elected)
