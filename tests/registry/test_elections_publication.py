"""The published election: anyone holding the file recomputes the ballot list's root and
recounts, and each voter finds its own ballot; every tampering the issue names is caught."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
from sqlalchemy import delete, select, update

from registry.access import audit
from registry.elections import ballots, publication
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
    return json.loads(json.dumps(publication.published_election(r.session, board(r.network), r.election)))


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
    assert publication.verify({"format": publication.FORMAT})[0].startswith("the file is not a published election")


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
