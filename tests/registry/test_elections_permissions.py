"""Who may do what in governance and elections: every action, as every role.

VNSW runs the election; "own" is the editor of the member organisation the action is for
(its nomination, its ballot, its roll check), "other" the editor of another VNSW member,
"other secretariat" WNU's secretariat. The board reads results and nothing else; anonymous
callers do nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from registry.governance import services as governance
from registry.elections import ballots, nominations, phases, results, roll
from registry.elections.models import ElectionPhase
from registry.errors import NotFound, NotPermitted
from registry.access.permissions import Actor
from tests.factories import SYSTEM, board, editor, secretariat
from tests.registry.test_elections import Ready, ready_election

P = ElectionPhase
ROLES = ["secretariat", "other secretariat", "own", "other", "board", "anonymous"]


def actor_for(role: str, r: Ready, wnu) -> Actor:
    return {
        "secretariat": secretariat(r.network), "other secretariat": secretariat(wnu),
        "own": editor(r.members[0]), "other": editor(r.members[1]), "board": board(r.network),
        "anonymous": Actor.anonymous(),
    }[role]


def certified(r: Ready) -> None:
    ballots.cast_ballot(r.session, editor(r.members[2]), r.election, r.members[2], r.ids("Ana"))
    r.move(P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED)


# action -> (phase the election is brought to, preparation, the action, roles allowed)
ACTIONS: dict[str, tuple[ElectionPhase, Callable[[Ready], Any] | None, Callable[[Ready, Actor], Any], set[str]]] = {
    "define a body": (P.DRAFT, None, lambda r, a: governance.define_body(
        r.session, a, r.network, kind="coordinating_committee", name="Committee", seats=5), {"secretariat"}),
    "configure a seat": (P.DRAFT, lambda r: phases.cancel(r.session, SYSTEM, r.election, reason="x"),
                         lambda r, a: governance.configure_seat(r.session, a, r.body, 1, constituency="North"),
                         {"secretariat"}),
    "record an officeholder": (P.DRAFT, None, lambda r, a: governance.record_officeholder(
        r.session, a, r.body, name="Hoa", starts_on=dt.date(2014, 1, 1)), {"secretariat"}),
    "read the composition": (P.DRAFT, None, lambda r, a: governance.composition(r.session, a, r.body),
                             {"secretariat", "own", "other", "board"}),
    "create an election": (P.DRAFT, lambda r: phases.cancel(r.session, SYSTEM, r.election, reason="x"),
                           lambda r, a: phases.create_election(r.session, a, r.body, title="By-election",
                                                               method="block_plurality",
                                                               roll_cutoff=dt.date.today()),
                           {"secretariat"}),
    "open nominations": (P.DRAFT, None, lambda r, a: phases.open_nominations(r.session, a, r.election),
                         {"secretariat"}),
    "certify": (P.VOTING_OPEN, lambda r: (
        ballots.cast_ballot(r.session, editor(r.members[2]), r.election, r.members[2], r.ids("Ana")),
        r.move(P.VOTING_CLOSED, P.TALLIED)), lambda r, a: phases.certify(r.session, a, r.election), {"secretariat"}),
    "cancel": (P.VOTING_OPEN, None, lambda r, a: phases.cancel(r.session, a, r.election, reason="raid"),
               {"secretariat"}),
    "nominate": (P.NOMINATIONS_OPEN, None, lambda r, a: nominations.nominate(
        r.session, a, r.election, r.members[0], name="Dung"), {"own"}),
    "second": (P.NOMINATIONS_OPEN, None, lambda r, a: nominations.second_nomination(
        r.session, a, r.candidates["Binh"], r.members[0]), {"own"}),
    "withdraw a nomination": (P.NOMINATIONS_OPEN, None, lambda r, a: nominations.withdraw_nomination(
        r.session, a, r.candidates["Ana"]), {"secretariat", "own"}),
    "check the roll": (P.VOTING_OPEN, None, lambda r, a: roll.check_roll(r.session, a, r.election, r.members[0]),
                       {"secretariat", "own"}),
    "read the roll": (P.VOTING_OPEN, None, lambda r, a: roll.roll_of(r.session, a, r.election), {"secretariat"}),
    "cast a ballot": (P.VOTING_OPEN, None, lambda r, a: ballots.cast_ballot(
        r.session, a, r.election, r.members[0], r.ids("Binh")), {"own"}),
    "read the ballot hashes": (P.VOTING_OPEN, certified, lambda r, a: ballots.published_ballot_hashes(
        r.session, a, r.election), {"secretariat", "own", "other", "board"}),
    "read the result before certification": (P.VOTING_OPEN, lambda r: r.move(P.VOTING_CLOSED, P.TALLIED),
                                             lambda r, a: results.published_result(r.session, a, r.election),
                                             {"secretariat"}),
    "read the certified result": (P.VOTING_OPEN, certified, lambda r, a: results.published_result(
        r.session, a, r.election), {"secretariat", "own", "other", "board"}),
    "list the candidates": (P.NOMINATIONS_OPEN, None, lambda r, a: nominations.nominations_of(
        r.session, a, r.election), {"secretariat", "own", "other", "board"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_role_may_or_may_not(session, make_org, member_of, vnsw, wnu, action, role):
    phase, prepare, act, allowed = ACTIONS[action]
    r = ready_election(session, make_org, member_of, vnsw, members=3, phase=phase)
    if prepare:
        prepare(r)
    actor = actor_for(role, r, wnu)
    if role in allowed:
        act(r, actor)
    elif action == "list the candidates":
        with pytest.raises(NotFound):  # an election the actor may not see is not found at all
            act(r, actor)
    else:
        with pytest.raises(NotPermitted, match="may not"):
            act(r, actor)


def test_another_organisations_editor_cannot_vote_in_its_name(session, make_org, member_of, vnsw):
    r = ready_election(session, make_org, member_of, vnsw, members=2)
    with pytest.raises(NotPermitted):
        ballots.cast_ballot(session, editor(r.members[1]), r.election, r.members[0], r.ids("Ana"))
    ballots.cast_ballot(session, editor(r.members[1]), r.election, r.members[1], r.ids("Ana"))
    assert ballots.turnout(session, r.election) == 1
