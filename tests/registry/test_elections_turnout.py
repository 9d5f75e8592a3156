"""Live turnout against the quorum, for the secretariat and the board, and extending voting
while it is open; a quorum missed offers extending voting (even after it closed, until the
count) or cancelling, and leaves certification refused."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.access import audit
from registry.db import today
from registry.elections import ballots, turnout
from registry.elections.models import ElectionPhase
from registry.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from tests.factories import board, editor, secretariat
from tests.registry.test_elections import ready_election

P = ElectionPhase
DAY = dt.timedelta(days=1)


@pytest.fixture
def ready(session, make_org, member_of, vnsw):
    return lambda **kw: ready_election(session, make_org, member_of, vnsw, **kw)


def test_the_secretariat_and_the_board_see_who_has_not_voted_and_never_how(session, ready):
    r = ready(members=4, quorum_percent=75)
    for member in r.members[:2]:
        ballots.cast_ballot(session, editor(member), r.election, member, r.ids("Ana"))
    for reader in (secretariat(r.network), board(r.network)):
        live = turnout.live_turnout(session, reader, r.election)
        assert (live.roll, live.voted, live.quorum_met, live.short_by) == (4, 2, False, 1)
        assert {o.id for o in live.not_voted} == {m.id for m in r.members[2:]}
    ballots.cast_ballot(session, editor(r.members[2]), r.election, r.members[2], [])
    live = turnout.live_turnout(session, board(r.network), r.election)
    assert (live.voted, live.quorum_met, live.short_by, [o.id for o in live.not_voted]) == \
        (3, True, 0, [r.members[3].id])
    with pytest.raises(NotPermitted):
        turnout.live_turnout(session, editor(r.members[0]), r.election)


def test_there_is_no_turnout_before_voting_opens(session, ready):
    r = ready(phase=P.NOMINATIONS_CLOSED)
    with pytest.raises(Conflict, match="voting has not opened"):
        turnout.live_turnout(session, secretariat(r.network), r.election)


def test_voting_is_extended_while_open_dated_and_audited(session, ready):
    r = ready(quorum_percent=75)
    sec = secretariat(r.network)
    turnout.extend_voting(session, sec, r.election, until=today() + 7 * DAY, reason="turnout is short")
    turnout.extend_voting(session, sec, r.election, until=today() + 14 * DAY, reason="the network asked")
    assert r.election.voting_closes_on == today() + 14 * DAY
    extended = [e.changes for e in audit.history(session, organisation_id=r.network.id)
                if e.action == "election_voting_extended"]
    assert len(extended) == 2 and extended[0]["reason"] == [None, "the network asked"]
    with pytest.raises(ValidationFailed, match="later than the close already announced"):
        turnout.extend_voting(session, sec, r.election, until=today() + 10 * DAY, reason="x")
    with pytest.raises(ValidationFailed, match="after today"):
        turnout.extend_voting(session, sec, r.election, until=today(), reason="x")
    with pytest.raises(ValidationFailed, match="say why"):
        turnout.extend_voting(session, sec, r.election, until=today() + 30 * DAY, reason=" ")
    with pytest.raises(NotPermitted):
        turnout.extend_voting(session, board(r.network), r.election, until=today() + 30 * DAY, reason="x")
    r.move(P.VOTING_CLOSED, P.TALLIED)
    with pytest.raises(InvalidTransition, match="only while it is open"):
        turnout.extend_voting(session, sec, r.election, until=today() + 30 * DAY, reason="too late")


def test_a_quorum_missed_at_the_count_is_not_certified_and_may_be_cancelled(session, ready):
    r = ready(members=4, quorum_percent=75)
    ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana"))
    r.move(P.VOTING_CLOSED, P.TALLIED)
    with pytest.raises(InvalidTransition, match="below the quorum"):
        r.move(P.CERTIFIED)
    r.move(P.CANCELLED, reason="quorum not met")
    assert r.election.phase is P.CANCELLED


def test_a_quorum_missed_offers_extending_voting_or_cancelling_until_the_count(session, ready):
    r = ready(members=4, quorum_percent=75)
    sec = secretariat(r.network)
    options = (turnout.QuorumOption.EXTEND_VOTING, turnout.QuorumOption.CANCEL)
    for member in r.members[:2]:
        ballots.cast_ballot(session, editor(member), r.election, member, r.ids("Ana"))
    assert turnout.live_turnout(session, sec, r.election).options == options
    r.move(P.VOTING_CLOSED)
    closed_root = r.election.sealed_root
    assert closed_root is not None and turnout.live_turnout(session, sec, r.election).options == options

    # Extending after the close opens voting again: a dated phase change with its reason, and
    # the sealed ballots are fixed again when it closes.
    turnout.extend_voting(session, sec, r.election, until=today() + 7 * DAY, reason="two members were offline")
    assert (r.election.phase, r.election.voting_closes_on, r.election.sealed_root) == (
        P.VOTING_OPEN, today() + 7 * DAY, None)
    change = r.election.phase_changes[-1]
    assert (change.from_phase, change.to_phase, change.reason) == (
        P.VOTING_CLOSED, P.VOTING_OPEN, "two members were offline")
    ballots.cast_ballot(session, editor(r.members[2]), r.election, r.members[2], r.ids("Binh", "Ana"))
    live = turnout.live_turnout(session, board(r.network), r.election)
    assert (live.voted, live.quorum_met, live.options) == (3, True, ())
    r.move(P.VOTING_CLOSED)
    assert r.election.sealed_root not in (None, closed_root)
    # Met this time: voting does not open again, and the count and certification go ahead.
    with pytest.raises(InvalidTransition, match="closed with its quorum met"):
        turnout.extend_voting(session, sec, r.election, until=today() + 14 * DAY, reason="more time")
    r.move(P.TALLIED, P.CERTIFIED)
    assert r.election.result["turnout"] == 3


def test_once_counted_a_quorum_missed_leaves_only_cancelling(session, ready):
    r = ready(members=4, quorum_percent=75)
    sec = secretariat(r.network)
    ballots.cast_ballot(session, editor(r.members[0]), r.election, r.members[0], r.ids("Ana"))
    r.move(P.VOTING_CLOSED, P.TALLIED)
    assert turnout.live_turnout(session, sec, r.election).options == (turnout.QuorumOption.CANCEL,)
    with pytest.raises(InvalidTransition, match="cancel it"):
        r.move(P.CERTIFIED)
    with pytest.raises(InvalidTransition, match="closed short of its quorum and not yet counted"):
        turnout.extend_voting(session, sec, r.election, until=today() + 7 * DAY, reason="more time")
    r.move(P.CANCELLED, reason="quorum not met")
