"""Elections: the phases, the roll and nominations. `ready_election` is shared with the other
test_elections_* modules, which cover ballots, counts, roles and ballot secrecy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.orm import Session

from registry.access import audit
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.db import today
from registry.elections import nominations, phases, roll
from registry.elections.models import Election, ElectionPhase, Nomination, RollEntry
from registry.errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from registry.organisations.models import Organisation
from tests.factories import SYSTEM, board, editor, secretariat

P = ElectionPhase
DAY = dt.timedelta(days=1)


@dataclass
class Ready:
    """A network, its body, members and an election brought to a phase, with its candidates."""

    session: Session
    network: Organisation
    body: governance.GoverningBody
    election: Election
    members: list[Organisation]
    candidates: dict[str, Nomination] = field(default_factory=dict)

    def ids(self, *names: str) -> list[int | str]:
        """The candidates as ballots and counts name them: public ids (integer keys in format 1)."""
        return [self.candidates[n].id if self.election.ballot_format == 1 else self.candidates[n].public_id
                for n in names]

    def move(self, *to: ElectionPhase, **kw: Any) -> None:
        for phase in to:
            phases.transition(self.session, secretariat(self.network), self.election, phase, **kw)


def ready_election(
    session: Session,
    make_org: Callable[..., Organisation],
    member_of: Callable[..., Any],
    network: Organisation,
    *,
    members: int = 4,
    candidates: Sequence[str] = ("Ana", "Binh", "Chau"),
    constituencies: dict[str, str] | None = None,
    seats: int = 2,
    method: str = "scottish_stv",
    phase: ElectionPhase = P.VOTING_OPEN,
    body: governance.GoverningBody | None = None,
    body_kw: dict[str, Any] | None = None,
    **election_kw: Any,
) -> Ready:
    """Members (sex-worker-led, admitted today) nominate the candidates in turn; the election
    then moves to `phase` (at most voting open) through the secretariat."""
    session_members = [make_org(network, sex_worker_led="yes") for _ in range(members)]
    for member in session_members:
        member_of(network, member)
    sec = secretariat(network)
    if body is None:
        body = governance.define_body(session, sec, network, kind="board", name=f"Board {network.id}",
                                      seats=seats, term_months=24, **(body_kw or {}))
    election_kw.setdefault("roll_cutoff", today())
    election = phases.create_election(session, sec, body, title=f"{body.name} election", method=method,
                                      **election_kw)
    ready = Ready(session, network, body, election, session_members)
    order = [P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED, P.VOTING_OPEN]
    if phase is P.DRAFT:
        return ready
    ready.move(P.NOMINATIONS_OPEN)
    for i, name in enumerate(candidates):
        member = session_members[i % len(session_members)]
        ready.candidates[name] = nominations.nominate(
            session, editor(member), election, member, name=name, statement=f"{name} will serve",
            constituency=(constituencies or {}).get(name),
        )
    ready.move(*order[1:order.index(phase) + 1])
    return ready


@pytest.fixture
def ready(session, make_org, member_of, vnsw) -> Callable[..., Ready]:
    return lambda **kw: ready_election(session, make_org, member_of, vnsw, **kw)


# --- phases ------------------------------------------------------------------------------------


def test_every_phase_change_is_dated_recorded_and_audited(session, ready, vnsw):
    r = ready(phase=P.DRAFT)
    assert (r.election.phase, r.election.seats, r.election.seat_groups) == (P.DRAFT, 2, {"open": 2})
    r.move(P.NOMINATIONS_OPEN)
    nominations.nominate(session, editor(r.members[0]), r.election, r.members[0], name="Ana")
    r.move(P.NOMINATIONS_CLOSED, P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED)
    assert [(c.from_phase, c.to_phase) for c in r.election.phase_changes] == [
        (None, P.DRAFT), (P.DRAFT, P.NOMINATIONS_OPEN), (P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED),
        (P.NOMINATIONS_CLOSED, P.VOTING_OPEN), (P.VOTING_OPEN, P.VOTING_CLOSED),
        (P.VOTING_CLOSED, P.TALLIED), (P.TALLIED, P.CERTIFIED),
    ]
    assert {c.effective_on for c in r.election.phase_changes} == {today()}
    assert {c.actor for c in r.election.phase_changes} == {"secretariat of TVN"}
    logged = [e.action for e in audit.history(session, organisation_id=vnsw.id) if e.object_type == "elections"]
    assert logged[::-1] == ["create_election", "election_nominations_open", "election_nominations_closed",
                            "election_voting_open", "election_voting_closed", "election_tallied",
                            "election_certified"]


ILLEGAL = {
    start: sorted(set(ElectionPhase) - phases.LIFECYCLE[start] - {start}) + [start]
    for start in ElectionPhase
}


@pytest.mark.parametrize("start", list(ElectionPhase))
def test_illegal_phase_moves_are_refused(session, ready, start):
    r = ready(phase=P.DRAFT)
    path = [P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED, P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED]
    if start is P.CANCELLED:
        phases.cancel(session, secretariat(r.network), r.election, reason="called off")
    for phase in path[:path.index(start) + 1] if start in path else []:
        if phase is P.NOMINATIONS_CLOSED:
            nominations.nominate(session, editor(r.members[0]), r.election, r.members[0], name="Ana")
        r.move(phase)
    for to in ILLEGAL[start]:
        with pytest.raises(InvalidTransition, match=f"from {start.value} to {to.value}"):
            r.move(to, reason="trying")
    assert r.election.phase is start


@pytest.mark.parametrize("start", [P.DRAFT, P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED, P.VOTING_OPEN,
                                   P.VOTING_CLOSED, P.TALLIED])
def test_an_election_is_cancelled_from_any_phase_before_certified_with_a_reason(session, ready, start):
    r = ready(phase=min(start, P.VOTING_OPEN, key=list(ElectionPhase).index))
    for phase in (P.VOTING_CLOSED, P.TALLIED):
        if list(ElectionPhase).index(phase) <= list(ElectionPhase).index(start):
            r.move(phase)
    with pytest.raises(ValidationFailed, match="reason"):
        phases.cancel(session, secretariat(r.network), r.election, reason=" ")
    phases.cancel(session, secretariat(r.network), r.election, reason="the AGM was postponed")
    assert r.election.phase is P.CANCELLED
    assert r.election.phase_changes[-1].reason == "the AGM was postponed"


def test_a_phase_change_is_dated_today_or_earlier_and_never_before_the_last(session, ready):
    r = ready(phase=P.DRAFT, on=today() - 10 * DAY)
    with pytest.raises(ValidationFailed, match="future"):
        r.move(P.NOMINATIONS_OPEN, on=today() + DAY)
    with pytest.raises(ValidationFailed, match="earlier than the last"):
        r.move(P.NOMINATIONS_OPEN, on=today() - 11 * DAY)
    r.move(P.NOMINATIONS_OPEN, on=today() - 5 * DAY)
    assert (r.election.phase_since, r.election.phase_changes[-1].effective_on) == (today() - 5 * DAY,) * 2


def test_a_bad_election_is_refused(session, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=4,
                                  term_months=24, term_classes=2)
    with pytest.raises(ValidationFailed) as refused:
        phases.create_election(session, SYSTEM, body, title=" ", method="first_past_the_post",
                               roll_cutoff="2026-01-01", term_class=3, quorum_percent=101,
                               term_starts="soon")
    assert set(refused.value.fields) == {"title", "method", "roll_cutoff", "term_class",
                                         "quorum_percent", "term_starts"}


def test_one_election_at_a_time_for_the_same_seats(session, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=4,
                                  term_months=24, term_classes=2)
    first = phases.create_election(session, SYSTEM, body, title="Class 1", method="scottish_stv",
                                   roll_cutoff=today(), term_class=1)
    assert (first.seats, first.seat_groups) == (2, {"open": 2})
    with pytest.raises(Conflict, match="already under way"):
        phases.create_election(session, SYSTEM, body, title="All", method="scottish_stv", roll_cutoff=today())
    phases.create_election(session, SYSTEM, body, title="Class 2", method="scottish_stv",
                           roll_cutoff=today(), term_class=2)
    phases.cancel(session, SYSTEM, first, reason="mistake")
    phases.create_election(session, SYSTEM, body, title="Class 1 again", method="scottish_stv",
                           roll_cutoff=today(), term_class=1)


def test_voting_opens_only_after_the_cutoff_with_candidates_and_voters(session, ready, make_org, vnsw):
    r = ready(phase=P.NOMINATIONS_CLOSED, candidates=())
    with pytest.raises(InvalidTransition, match="nobody is standing"):
        r.move(P.VOTING_OPEN)
    empty = make_org(name="Network without members", kind="national_network")
    body = governance.define_body(session, SYSTEM, empty, kind="board", name="Board", seats=1)
    later = phases.create_election(session, SYSTEM, body, title="Later", method="block_plurality",
                                   roll_cutoff=today() + DAY)
    phases.open_nominations(session, SYSTEM, later)
    phases.close_nominations(session, SYSTEM, later)
    later.nominations.append(Nomination(name="Ana", name_key="ana", nominated_by_id=empty.id,
                                        nominated_on=today()))
    with pytest.raises(InvalidTransition, match="cut-off date"):
        phases.open_voting(session, SYSTEM, later)
    later.roll_cutoff = today()
    with pytest.raises(InvalidTransition, match="no organisation is entitled"):
        phases.open_voting(session, SYSTEM, later)


def test_elections_are_found_by_those_who_may_see_them(session, ready, wnu):
    r = ready(phase=P.DRAFT)
    assert phases.get_election(session, secretariat(r.network), r.election.id) is r.election
    for outsider in (board(r.network), editor(r.members[0]), secretariat(wnu)):
        with pytest.raises(NotFound):
            phases.get_election(session, outsider, r.election.id)
    assert phases.elections_of(session, board(r.network), r.network) == []
    r.move(P.NOMINATIONS_OPEN)
    assert phases.elections_of(session, board(r.network), r.network) == [r.election]
    assert phases.get_election(session, editor(r.members[1]), r.election.id) is r.election


# --- the roll ----------------------------------------------------------------------------------


def test_the_roll_holds_the_members_active_on_the_cutoff_and_then_stays_put(session, make_org, vnsw):
    long_ago, cutoff = today() - 60 * DAY, today() - 30 * DAY
    early, late, suspended_after, suspended_before = (make_org(vnsw, sex_worker_led="yes") for _ in range(4))
    for org, since in ((early, long_ago), (late, today() - 10 * DAY), (suspended_after, long_ago),
                       (suspended_before, long_ago)):
        for action in ("apply", "verify", "admit"):
            memberships.transition(session, SYSTEM, vnsw, org, action, on=since)
    memberships.suspend(session, SYSTEM, vnsw, suspended_after, on=today() - 5 * DAY, reason="dues")
    memberships.suspend(session, SYSTEM, vnsw, suspended_before, on=today() - 40 * DAY, reason="dues")
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=1)
    election = phases.create_election(session, SYSTEM, body, title="E", method="block_plurality",
                                      roll_cutoff=cutoff)
    phases.open_nominations(session, SYSTEM, election)
    nominations.nominate(session, editor(early), election, early, name="Ana")
    phases.close_nominations(session, SYSTEM, election)
    expected = sorted([early, suspended_after], key=lambda o: (o.name_key, o.id))
    assert roll.roll_of(session, secretariat(vnsw), election) == expected  # provisional
    phases.open_voting(session, SYSTEM, election)
    assert roll.roll_of(session, secretariat(vnsw), election) == expected
    memberships.withdraw(session, SYSTEM, vnsw, early)
    assert len(roll.roll_of(session, secretariat(vnsw), election)) == 2
    assert roll.roll_size(session, election) == 2


def test_a_roll_restricted_to_sex_worker_led_organisations(session, make_org, member_of, vnsw):
    led, partly, unknown = (make_org(vnsw, sex_worker_led=v) for v in ("yes", "partly", None))
    for org in (led, partly, unknown):
        member_of(vnsw, org)
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=1)
    election = phases.create_election(session, SYSTEM, body, title="E", method="block_plurality",
                                      roll_cutoff=today(), sex_worker_led_only=True)
    assert roll.check_roll(session, editor(partly), election, partly) == roll.RollCheck(
        False, False, "only sex-worker-led organisations are on this roll")
    assert roll.check_roll(session, editor(led), election, led).on_roll
    phases.open_nominations(session, SYSTEM, election)
    nominations.nominate(session, editor(partly), election, partly, name="Ana")  # any member nominates
    phases.close_nominations(session, SYSTEM, election)
    phases.open_voting(session, SYSTEM, election)
    assert roll.roll_of(session, SYSTEM, election) == [led]


def test_an_organisation_checks_whether_it_is_on_the_roll(session, ready, make_org, vnsw):
    r = ready(phase=P.NOMINATIONS_CLOSED)
    outsider = make_org(vnsw)  # registered by VNSW, never admitted
    member = r.members[0]
    assert roll.check_roll(session, editor(member), r.election, member) == roll.RollCheck(
        True, False, f"on the roll if still an active member on {today().isoformat()}")
    assert roll.check_roll(session, editor(outsider), r.election, outsider) == roll.RollCheck(
        False, False, f"not an active member on the cut-off date {today().isoformat()}")
    r.move(P.VOTING_OPEN)
    assert roll.check_roll(session, editor(member), r.election, member) == roll.RollCheck(True, True, "on the roll")
    assert roll.check_roll(session, secretariat(vnsw), r.election, outsider) == roll.RollCheck(
        False, True, "not on the roll")
    assert session.get(RollEntry, (r.election.id, outsider.id)) is None


# --- nominations -------------------------------------------------------------------------------


def test_a_member_nominates_and_another_member_seconds(session, ready):
    r = ready(phase=P.NOMINATIONS_OPEN, candidates=())
    first, second = r.members[:2]
    nomination = nominations.nominate(session, editor(first), r.election, first, name="  Lê  Thị Hoa ",
                                      statement="Ten years of outreach in Hải Phòng.")
    assert (nomination.name, nomination.name_key, nomination.nominated_by_id) == ("Lê Thị Hoa", "le thi hoa", first.id)
    with pytest.raises(ValidationFailed, match="another organisation"):
        nominations.second_nomination(session, editor(first), nomination, first)
    nominations.second_nomination(session, editor(second), nomination, second)
    assert nomination.seconded_by_id == second.id
    with pytest.raises(Conflict, match="already seconded"):
        nominations.second_nomination(session, editor(r.members[2]), nomination, r.members[2])
    with pytest.raises(Conflict, match="already standing"):
        nominations.nominate(session, editor(second), r.election, second, name="LE THI HOA")
    assert nominations.nominations_of(session, editor(r.members[3]), r.election) == [nomination]


def test_only_active_members_nominate_or_second(session, ready, make_org, vnsw):
    r = ready(phase=P.NOMINATIONS_OPEN, candidates=("Ana",))
    suspended, applicant = r.members[1], make_org(vnsw)
    memberships.suspend(session, SYSTEM, vnsw, suspended, reason="dues unpaid")
    memberships.apply(session, SYSTEM, vnsw, applicant)
    for org in (suspended, applicant):
        with pytest.raises(NotPermitted, match="not an active member"):
            nominations.nominate(session, editor(org), r.election, org, name="Binh")
        with pytest.raises(NotPermitted, match="not an active member"):
            nominations.second_nomination(session, editor(org), r.candidates["Ana"], org)


def test_nominations_are_taken_only_while_open(session, ready):
    r = ready(phase=P.NOMINATIONS_CLOSED)
    with pytest.raises(Conflict, match="not open"):
        nominations.nominate(session, editor(r.members[0]), r.election, r.members[0], name="Dung")
    with pytest.raises(Conflict, match="not open"):
        nominations.second_nomination(session, editor(r.members[3]), r.candidates["Ana"], r.members[3])


@pytest.mark.parametrize("name", ["hoa@example.org", "Hoa 0912 345 678", "Hoa +84 91 234", "https://hoa.example",
                                  "", "x" * 201])
def test_a_candidate_is_a_name_or_pseudonym_and_nothing_else(session, ready, name):
    r = ready(phase=P.NOMINATIONS_OPEN, candidates=())
    with pytest.raises(ValidationFailed, match="name"):
        nominations.nominate(session, editor(r.members[0]), r.election, r.members[0], name=name)


def test_someone_who_served_the_most_consecutive_terms_cannot_stand(session, make_org, member_of, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=3,
                                  term_months=24, term_limit=2)
    for start, end in ((dt.date(2020, 1, 1), dt.date(2021, 12, 31)), (dt.date(2022, 1, 1), dt.date(2023, 12, 31))):
        governance.record_officeholder(session, SYSTEM, body, name="Lê Thị Hoa", starts_on=start, ends_on=end)
    governance.record_officeholder(session, SYSTEM, body, name="Mai", starts_on=dt.date(2022, 1, 1),
                                   ends_on=dt.date(2023, 12, 31))

    def election(term_starts: dt.date) -> Ready:
        return ready_election(session, make_org, member_of, vnsw, body=body, phase=P.NOMINATIONS_OPEN,
                              candidates=(), term_starts=term_starts)

    soon = election(dt.date(2024, 1, 1))
    member = soon.members[0]
    with pytest.raises(ValidationFailed, match="served 2 consecutive terms"):
        nominations.nominate(session, editor(member), soon.election, member, name="LE THI HOA")
    nominations.nominate(session, editor(member), soon.election, member, name="Mai")  # one term so far
    phases.cancel(session, SYSTEM, soon.election, reason="rerun after a break")
    # Off the board for a whole term (2024-01-01 to 2025-12-31): she may stand again.
    after_a_break = election(dt.date(2026, 1, 1))
    nominations.nominate(session, editor(member), after_a_break.election, member, name="Lê Thị Hoa")


def test_reserved_seats_take_nominations_for_their_constituency(session, ready):
    r = ready(phase=P.NOMINATIONS_OPEN, candidates=(), seats=3, body_kw={"reserved_seats": {"North": 1}})
    assert r.election.seat_groups == {"North": 1, "open": 2}
    member = r.members[0]
    north = nominations.nominate(session, editor(member), r.election, member, name="Hanh", constituency="North")
    open_seat = nominations.nominate(session, editor(member), r.election, member, name="Mai")
    assert (north.constituency, open_seat.constituency) == ("North", None)
    for wrong in ("South", "open"):
        with pytest.raises(ValidationFailed, match="constituency"):
            nominations.nominate(session, editor(member), r.election, member, name="Lan", constituency=wrong)


def test_when_every_seat_is_reserved_a_nomination_names_its_constituency(session, ready):
    r = ready(phase=P.NOMINATIONS_OPEN, candidates=(), seats=2,
              body_kw={"reserved_seats": {"North": 1, "South": 1}})
    with pytest.raises(ValidationFailed, match="every seat is reserved"):
        nominations.nominate(session, editor(r.members[0]), r.election, r.members[0], name="Lan")


def test_a_candidate_withdraws_until_voting_opens(session, ready, vnsw):
    r = ready(phase=P.NOMINATIONS_CLOSED, candidates=("Ana", "Binh", "Chau"))
    ana, binh = r.candidates["Ana"], r.candidates["Binh"]
    nominations.withdraw_nomination(session, editor(r.members[0]), ana, reason="moved abroad")
    with pytest.raises(Conflict, match="already withdrawn"):
        nominations.withdraw_nomination(session, secretariat(vnsw), ana)
    assert nominations.nominations_of(session, secretariat(vnsw), r.election) == [binh, r.candidates["Chau"]]
    assert nominations.nominations_of(session, secretariat(vnsw), r.election, standing_only=False)[0] is ana
    r.move(P.VOTING_OPEN)
    with pytest.raises(Conflict, match="before voting opens"):
        nominations.withdraw_nomination(session, secretariat(vnsw), binh)
