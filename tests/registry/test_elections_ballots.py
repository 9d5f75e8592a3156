"""Ballots: one per organisation on the roll, replaceable with its receipt while voting is open,
mixed when voting closes, and checkable against the published ballot hashes."""

from __future__ import annotations

import base64
import json
import os

import pytest
from sqlalchemy import func, select

from registry.access import audit
from registry.elections import ballots, nominations
from registry.elections.ballot_keys import BallotKeyFolder, seal, unseal
from registry.elections.models import Ballot, ElectionPhase, SealedBallot, Voter
from registry.errors import Conflict, NotPermitted, ValidationFailed
from tests.factories import board, editor, secretariat
from tests.registry.test_elections import ready_election

P = ElectionPhase


@pytest.fixture
def ready(session, make_org, member_of, vnsw):
    return lambda **kw: ready_election(session, make_org, member_of, vnsw, **kw)


def sealed_contents(session, ballot_keys, election) -> list[str]:
    """What the sealed boxes hold, opened with the key kept outside the database."""
    opener = ballot_keys.opener(election.id)
    return sorted(json.loads(unseal(opener, base64.b64decode(box)))["content"] for box in session.scalars(
        select(SealedBallot.content).where(SealedBallot.election_id == election.id)))


def rows(session, model, election):
    return session.scalar(select(func.count()).select_from(model).where(model.election_id == election.id))


def test_a_ballot_given_by_integer_keys_inside_the_registry_is_written_by_public_ids(session, ready):
    r = ready()
    voter = r.members[0]
    cast = ballots.cast_ballot(session, editor(voter), r.election, voter,
                               [r.candidates["Chau"].id, r.candidates["Ana"].id])
    assert json.loads(cast.content) == {"open": [r.candidates["Chau"].public_id, r.candidates["Ana"].public_id]}


def test_an_organisation_casts_one_ballot_and_gets_a_receipt(session, ready):
    r = ready()
    voter = r.members[0]
    cast = ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Chau", "Ana"))
    assert cast.content == json.dumps({"open": r.ids("Chau", "Ana")}, separators=(",", ":"))
    assert cast.ballot_hash == ballots.ballot_hash(r.election.public_id, cast.receipt, cast.content)
    assert len(cast.receipt) == 32 and cast.receipt not in (cast.ballot_hash, cast.content)
    with pytest.raises(Conflict, match="already voted"):
        ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Binh"))
    assert (rows(session, Voter, r.election), rows(session, SealedBallot, r.election)) == (1, 1)
    assert ballots.turnout(session, r.election) == 1


def test_the_audit_log_says_who_voted_and_nothing_about_the_ballot(session, ready):
    r = ready()
    voter = r.members[0]
    cast = ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Ana"))
    ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Binh"), receipt=cast.receipt)
    entries = [e for e in audit.history(session, organisation_id=voter.id) if e.action.startswith("ballot")]
    assert [(e.action, e.object_type, e.object_id, e.changes) for e in entries] == [
        ("ballot_replaced", "elections", r.election.id, {}), ("ballot_cast", "elections", r.election.id, {})]


def test_a_ballot_is_replaced_with_its_receipt_and_the_old_one_disappears(session, ready, ballot_keys):
    r = ready()
    voter, other = r.members[:2]
    first = ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Ana"))
    theirs = ballots.cast_ballot(session, editor(other), r.election, other, r.ids("Binh"))
    with pytest.raises(ValidationFailed, match="receipt"):
        # Another organisation's receipt replaces nothing: the receipt is bound to its voter.
        ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Chau"), receipt=theirs.receipt)
    second = ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Chau"),
                                 receipt=f"  {first.receipt.upper()} ")
    assert second.receipt != first.receipt
    assert sealed_contents(session, ballot_keys, r.election) == sorted([second.content, theirs.content])
    with pytest.raises(ValidationFailed, match="not the receipt of your current ballot"):
        ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Ana"), receipt=first.receipt)
    assert rows(session, Voter, r.election) == 2
    with pytest.raises(ValidationFailed, match="no ballot to replace"):
        ballots.cast_ballot(session, editor(r.members[2]), r.election, r.members[2], [], receipt=first.receipt)


def test_an_empty_ballot_is_an_abstention_and_counts_as_turnout(session, ready):
    r = ready()
    cast = ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], [])
    assert cast.content == '{"open":[]}'
    assert ballots.turnout(session, r.election) == 1


@pytest.mark.parametrize("choices, problem", [
    ([99999], "99999 is not a candidate"),
    (["ZZZZZZZZZZZZ"], "ZZZZZZZZZZZZ is not a candidate"),  # a public id naming no nomination
    ("Ana", "list of nominations' public ids"),
    ([True], "list of nominations' public ids"),
    ({"north": []}, "no seats are up for election"),
    ({"open": 5}, "list of nominations' public ids"),
])
def test_a_ballot_names_only_candidates_standing(session, ready, choices, problem):
    r = ready()
    with pytest.raises(ValidationFailed, match=problem):
        ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], choices)
    assert rows(session, Voter, r.election) == 0


def test_a_ranking_names_each_candidate_once(session, ready):
    r = ready()
    with pytest.raises(ValidationFailed, match="more than once"):
        ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana", "Binh", "Ana"))


def test_a_block_ballot_chooses_at_most_as_many_as_there_are_seats_in_any_order(session, ready):
    r = ready(method="block_plurality", seats=2)
    with pytest.raises(ValidationFailed, match="at most 2"):
        ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana", "Binh", "Chau"))
    cast = ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Chau", "Ana"))
    assert json.loads(cast.content) == {"open": sorted(r.ids("Ana", "Chau"))}


def test_with_reserved_seats_a_ballot_has_a_part_per_constituency(session, ready):
    r = ready(seats=3, body_kw={"reserved_seats": {"North": 1}}, candidates=("Hanh", "Mai"),
              constituencies={"Hanh": "North"})
    voter = r.members[0]
    with pytest.raises(ValidationFailed, match="North: .* not a candidate"):
        ballots.cast_ballot(session, editor(voter), r.election, voter, {"North": r.ids("Mai")})
    cast = ballots.cast_ballot(session, editor(voter), r.election, voter,
                               {"North": r.ids("Hanh"), "open": r.ids("Mai", "Hanh")})
    assert json.loads(cast.content) == {"North": r.ids("Hanh"), "open": r.ids("Mai", "Hanh")}
    second = ballots.cast_ballot(session, editor(r.members[1]), r.election, r.members[1], r.ids("Mai"))
    assert json.loads(second.content) == {"North": [], "open": r.ids("Mai")}


def test_withdrawn_candidates_are_not_on_the_ballot(session, ready):
    r = ready(phase=P.NOMINATIONS_CLOSED)
    nominations.withdraw_nomination(session, editor(r.members[0]), r.candidates["Ana"])
    r.move(P.VOTING_OPEN)
    with pytest.raises(ValidationFailed, match="not a candidate"):
        ballots.cast_ballot(session, editor(r.members[1]), r.election, r.members[1], r.ids("Ana"))


def test_only_organisations_on_the_roll_vote(session, ready, make_org, vnsw):
    r = ready()
    newcomer = make_org(vnsw)
    with pytest.raises(NotPermitted, match="not on the roll"):
        ballots.cast_ballot(session, editor(newcomer), r.election, newcomer, r.ids("Ana"))


@pytest.mark.parametrize("phase", [P.NOMINATIONS_CLOSED, P.VOTING_CLOSED, P.TALLIED, P.CANCELLED])
def test_ballots_are_cast_only_while_voting_is_open(session, ready, phase):
    r = ready(phase=min(phase, P.VOTING_OPEN, key=list(P).index))
    if phase is P.CANCELLED:
        r.move(phase, reason="called off")
    elif phase is not P.NOMINATIONS_CLOSED:
        r.move(*[p for p in (P.VOTING_CLOSED, P.TALLIED) if list(P).index(p) <= list(P).index(phase)])
    with pytest.raises(Conflict, match="voting is not open"):
        ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana"))


def test_a_ballot_is_sealed_as_cast_and_every_box_has_one_length(session, ready, ballot_keys):
    r = ready(members=3, candidates=("Ana", "Binh", "Chau", "Dung"))
    casts = [ballots.cast_ballot(session, editor(m), r.election, m, r.ids(*names))
             for m, names in zip(r.members, (("Ana", "Binh", "Chau", "Dung"), ("Dung",), ()))]
    boxes = list(session.scalars(select(SealedBallot.content).where(SealedBallot.election_id == r.election.id)))
    # An abstention and a full ranking look alike: nothing in the row gives the content away.
    assert len({len(b) for b in boxes}) == 1
    stored = repr(session.execute(select(SealedBallot.__table__)).all())
    assert not any(c.content in stored or c.ballot_hash in stored for c in casts)
    assert sealed_contents(session, ballot_keys, r.election) == sorted(c.content for c in casts)
    # The public key is in the database; the private key is not, only in the folder.
    assert len(r.election.ballot_public_key) == 64
    assert (ballot_keys.path / f"election-{r.election.id}.key").stat().st_mode & 0o077 == 0


def test_a_destroyed_key_is_overwritten_before_it_is_removed(tmp_path):
    folder = BallotKeyFolder(tmp_path / "keys")
    public = folder.create(7)
    box = seal(public, b"a ballot")
    assert unseal(folder.opener(7), box) == b"a ballot"
    os.link(folder.path / "election-7.key", tmp_path / "copy")  # another name for the same bytes
    folder.destroy(7)
    assert not (folder.path / "election-7.key").exists()
    assert set((tmp_path / "copy").read_bytes()) == {0}
    with pytest.raises(Conflict, match="private ballot key of this election is not in"):
        folder.opener(7)
    folder.destroy(7)  # twice is harmless


def test_the_count_opens_the_sealed_ballots_under_new_ids(session, ready):
    r = ready(members=5)
    casts = [ballots.cast_ballot(session, editor(m), r.election, m, r.ids(name))
             for m, name in zip(r.members, ("Ana", "Binh", "Chau", "Ana", "Ana"))]
    sealed_ids = set(session.scalars(select(SealedBallot.id).where(SealedBallot.election_id == r.election.id)))
    r.move(P.VOTING_CLOSED)
    # Closing fixes the boxes; nothing is opened or published until the count.
    assert (rows(session, SealedBallot, r.election), rows(session, Ballot, r.election)) == (5, 0)
    r.move(P.TALLIED)
    assert rows(session, SealedBallot, r.election) == 0
    mixed = session.execute(select(Ballot.id, Ballot.content, Ballot.ballot_hash)
                            .where(Ballot.election_id == r.election.id)).all()
    assert sorted((c, h) for _, c, h in mixed) == sorted((c.content, c.ballot_hash) for c in casts)
    assert not sealed_ids & {i for i, _, _ in mixed}
    assert all(len(i) == 32 and int(i, 16) >= 0 for i, _, _ in mixed)
    assert r.election.phase_changes[-1].to_phase is P.TALLIED


def test_each_voter_finds_its_ballot_hash_in_the_published_list(session, ready):
    r = ready()
    voter = r.members[0]
    cast = ballots.cast_ballot(session, editor(voter), r.election, voter, r.ids("Binh", "Ana"))
    ballots.cast_ballot(session, editor(r.members[1]), r.election, r.members[1], [])
    r.move(P.VOTING_CLOSED)
    with pytest.raises(Conflict, match="once the ballots are counted"):
        ballots.published_ballot_hashes(session, board(r.network), r.election)
    r.move(P.TALLIED)
    published = ballots.published_ballot_hashes(session, editor(r.members[3]), r.election)
    assert published == sorted(published) and len(published) == 2
    # What the voter does with its receipt and the content it chose:
    content = json.dumps({"open": r.ids("Binh", "Ana")}, separators=(",", ":"))
    assert ballots.ballot_hash(r.election.public_id, cast.receipt, content) in published
    assert ballots.published_ballot_hashes(session, secretariat(r.network), r.election) == published


def test_cancelling_before_the_count_discards_the_sealed_ballots_unopened(session, ready):
    r = ready()
    ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana"))
    r.move(P.CANCELLED, reason="the venue was raided")
    assert (rows(session, SealedBallot, r.election), rows(session, Ballot, r.election)) == (0, 0)
    with pytest.raises(Conflict, match="once the ballots are counted"):
        ballots.published_ballot_hashes(session, board(r.network), r.election)
