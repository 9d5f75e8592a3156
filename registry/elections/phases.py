"""An election's life: draft → nominations open → nominations closed → voting open → voting
closed → tallied → certified, or cancelled from any phase before certified; voting closed short
of its quorum may open again (extended) until it is counted.

`transition` is the one way between phases. It checks the actor and the lifecycle, does what
the new phase needs (freeze the roll and make the ballot key, fix the sealed ballots, open
and count them, seat the winners), and writes a dated ElectionPhaseChange and an audit
entry. The named helpers below only call it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, can, require
from registry.db import after_commit, today
from registry.elections import ballots, roll
from registry.elections.ballot_keys import ballot_keys, destroy_once_committed
from registry.elections.ballots import discard_sealed_ballots, open_sealed_ballots, sealed_root
from registry.elections.counting import count_election, quorum_met
from registry.elections.methods import Method
from registry.elections.models import (
    UNDECIDED_PHASES, Election, ElectionPhase, ElectionPhaseChange, one_writer_at_a_time
)
from registry.elections.publication import close_ballot_list
from registry.elections.results import PublishedResult, published_result
from registry.elections.roll import roll_size
from registry.elections.seating import seat_winners
from registry.errors import N_, Conflict, InvalidTransition, NotFound, Said, ValidationFailed
from registry.governance.models import OPEN_SEATS, GoverningBody
from registry.memberships.services import get_network
from registry.organisations.models import Organisation

P = ElectionPhase
NEXT: dict[ElectionPhase, ElectionPhase] = {
    P.DRAFT: P.NOMINATIONS_OPEN,
    P.NOMINATIONS_OPEN: P.NOMINATIONS_CLOSED,
    P.NOMINATIONS_CLOSED: P.VOTING_OPEN,
    P.VOTING_OPEN: P.VOTING_CLOSED,
    P.VOTING_CLOSED: P.TALLIED,
    P.TALLIED: P.CERTIFIED,
}
# phase -> the phases it may move to
LIFECYCLE: dict[ElectionPhase, frozenset[ElectionPhase]] = {
    phase: frozenset({NEXT[phase], P.CANCELLED} if phase in UNDECIDED_PHASES else set())
    for phase in ElectionPhase
}
# Voting closed short of its quorum may open again (turnout.extend_voting): the sealed ballots
# and their key are still there until the count, which is the point of no return.
LIFECYCLE[P.VOTING_CLOSED] |= {P.VOTING_OPEN}


def create_election(
    session: Session,
    actor: Actor,
    body: GoverningBody,
    *,
    title: str,
    method: Method | str,
    roll_cutoff: dt.date,
    term_class: int | None = None,
    quorum_percent: int = 0,
    sex_worker_led_only: bool = False,
    term_starts: dt.date | None = None,
    on: dt.date | None = None,
) -> Election:
    """A draft election for the seats of `body` in `term_class` (None: every seat)."""
    require(session, actor, Permission.MANAGE_ELECTIONS, body.network_id)
    problems: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title or len(title) > 300:
        problems["title"] = [Said(N_("give a title of 1 to 300 characters"))]
    try:
        method = Method(method)
    except ValueError:
        problems["method"] = [Said(N_("one of: %(values)s"), values=", ".join(m.value for m in Method))]
    if not isinstance(roll_cutoff, dt.date):
        problems["roll_cutoff"] = [Said(N_("a date"))]
    if term_class is not None and (isinstance(term_class, bool) or term_class not in range(1, body.term_classes + 1)):
        problems["term_class"] = [Said(N_("a class from 1 to %(classes)s, or none for every seat"),
                                        classes=body.term_classes)]
    if isinstance(quorum_percent, bool) or not isinstance(quorum_percent, int) or not 0 <= quorum_percent <= 100:
        problems["quorum_percent"] = [Said(N_("a whole percentage of the roll from 0 to 100"))]
    if term_starts is not None and not isinstance(term_starts, dt.date):
        problems["term_starts"] = [Said(N_("a date, or none for the day of certification"))]
    if problems:
        raise ValidationFailed.of(N_("the election"), problems)
    seat_groups: dict[str, int] = {}
    for seat in body.seat_plan:
        if term_class in (None, seat.term_class):
            group = seat.constituency or OPEN_SEATS
            seat_groups[group] = seat_groups.get(group, 0) + 1
    if not seat_groups:
        raise ValidationFailed.on("term_class", N_("%(body)s has no seat in class %(class)s"), body=body.name,
                                  **{"class": term_class})
    for other in session.scalars(select(Election).where(Election.body_id == body.id,
                                                        Election.phase.in_(UNDECIDED_PHASES))):
        if None in (other.term_class, term_class) or other.term_class == term_class:
            raise Conflict(N_("%(title)s is already under way for these seats of %(body)s"),
                           params={"title": other.title, "body": body.name})
    on = _check_date(on, None)
    election = Election(
        body=body, title=title, method=method, seats=sum(seat_groups.values()), term_class=term_class,
        seat_groups=seat_groups, quorum_percent=quorum_percent, sex_worker_led_only=bool(sex_worker_led_only),
        roll_cutoff=roll_cutoff, term_starts=term_starts, phase=P.DRAFT, phase_since=on,
    )
    election.phase_changes.append(_change(actor, None, P.DRAFT, on, ""))
    session.add(election)
    audit.record(session, actor, "create_election", election,
                 {"title": [None, title], "body_id": [None, body.id], "method": [None, method],
                  "seats": [None, election.seats], "seat_groups": [None, seat_groups],
                  "term_class": [None, term_class], "quorum_percent": [None, quorum_percent],
                  "sex_worker_led_only": [None, election.sex_worker_led_only],
                  "roll_cutoff": [None, roll_cutoff], "term_starts": [None, term_starts]},
                 organisation_id=body.network_id)
    session.flush()  # the caller is given the election with its id
    return election


def transition(
    session: Session,
    actor: Actor,
    election: Election,
    to: ElectionPhase | str,
    *,
    on: dt.date | None = None,
    reason: str = "",
) -> Election:
    """The one way an election changes phase. `on` (default today) dates the change. Nobody
    gives a seed for the count's lots: it is the ballot list's root (see counting.py)."""
    try:
        to = ElectionPhase(to)
    except ValueError:
        raise ValidationFailed.on("phase", N_("one of: %(values)s"),
                                  values=", ".join(p.value for p in ElectionPhase)) from None
    require(session, actor, Permission.MANAGE_ELECTIONS, election.network_id)
    with one_writer_at_a_time(session):
        session.flush()
        # FOR UPDATE: a phase change waits for ballots being cast, and they wait for it.
        session.refresh(election, with_for_update=True)
        current = election.phase
        if to not in LIFECYCLE[current]:
            raise InvalidTransition(N_("%(title)s cannot go from %(from)s to %(to)s"),
                                    params={"title": election.title, "from": current.value, "to": to.value})
        on = _check_date(on, election.phase_since)
        reason = (reason or "").strip()
        if to is P.CANCELLED and not reason:
            raise ValidationFailed.on("reason", N_("say why the election is cancelled"))
        if len(reason) > 2000:
            raise ValidationFailed.on("reason", N_("at most 2000 characters"))
        changes: dict[str, list[Any]] = {"phase": [current, to], "effective_on": [None, on]}
        if to is P.VOTING_OPEN and current is P.VOTING_CLOSED:
            _check_quorum_missed(session, election, reason)
            changes["sealed_root"] = [election.sealed_root, None]
            election.sealed_root = None  # fixed again when voting closes
        elif to is P.VOTING_OPEN:
            changes["roll"] = [None, _open_voting(session, election, on)]
            election.ballot_public_key = ballot_keys(session).create(election.id)
            changes["ballot_public_key"] = [None, election.ballot_public_key]
        elif to is P.VOTING_CLOSED:
            election.sealed_root = sealed_root(session, election)
            changes["sealed_root"] = [None, election.sealed_root]
        elif to is P.CANCELLED and current in (P.VOTING_OPEN, P.VOTING_CLOSED):
            # Nobody will count them: the boxes go unopened, and the key that could open them.
            changes["ballots_discarded"] = [None, discard_sealed_ballots(session, election)]
            if election.ballot_public_key is not None:
                destroy_once_committed(session, election.id)
            # The deleted boxes leave dead copies that only a scrub outside any transaction
            # removes, once the change stands.
            after_commit(session, ballots.scrub_sealed_ballots)
        elif to is P.TALLIED:
            if election.ballot_public_key is not None:  # None: closed before ballots were sealed
                changes["ballots"] = [None, open_sealed_ballots(session, election,
                                                                ballot_keys(session).opener(election.id))]
                destroy_once_committed(session, election.id)
                after_commit(session, ballots.scrub_sealed_ballots)  # the opened boxes' dead rows
            changes["ballot_list_root"] = [None, close_ballot_list(session, election)]
            election.result = count_election(session, election)
            changes["seed"] = [None, election.result["seed"]]
            changes["seed_from"] = [None, election.result["seed_from"]]
        elif to is P.CERTIFIED:
            changes["officeholders"] = [None, _certify(session, actor, election, on)]
        election.phase, election.phase_since = to, on
        election.phase_changes.append(_change(actor, current, to, on, reason))
        audit.record(session, actor, f"election_{to.value}", election, changes,
                     organisation_id=election.network_id)
    return election


def open_nominations(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.NOMINATIONS_OPEN, on=on)


def close_nominations(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.NOMINATIONS_CLOSED, on=on)


def open_voting(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.VOTING_OPEN, on=on)


def close_voting(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.VOTING_CLOSED, on=on)


def count_votes(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.TALLIED, on=on)


def certify(session: Session, actor: Actor, election: Election, *, on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.CERTIFIED, on=on)


def cancel(session: Session, actor: Actor, election: Election, *, reason: str,
           on: dt.date | None = None) -> Election:
    return transition(session, actor, election, P.CANCELLED, on=on, reason=reason)


def get_election(session: Session, actor: Actor, election_id: int) -> Election:
    """An election the actor may see (a draft only by those who manage it)."""
    election = session.get(Election, election_id)
    if election is None or not _visible(session, actor, election):
        raise NotFound(N_("no such election"))
    return election


def elections_of(session: Session, actor: Actor, network: Organisation) -> list[Election]:
    """A network's elections the actor may see, newest first."""
    network = get_network(session, network.id)
    require(session, actor, Permission.READ_GOVERNANCE, network.id)
    found = session.scalars(select(Election).join(GoverningBody, Election.body_id == GoverningBody.id)
                            .where(GoverningBody.network_id == network.id).order_by(Election.id.desc()))
    return [e for e in found if _visible(session, actor, e)]


def latest_certified_result(session: Session, actor: Actor, network: Organisation) -> PublishedResult | None:
    """The most recently certified election of the network, as the board reads it."""
    for election in elections_of(session, actor, network):  # newest first
        if election.phase is P.CERTIFIED and election.result is not None:
            return published_result(session, actor, election)
    return None


def _visible(session: Session, actor: Actor, election: Election) -> bool:
    if can(session, actor, Permission.MANAGE_ELECTIONS, election.network_id):
        return True
    return election.phase is not P.DRAFT and can(session, actor, Permission.READ_GOVERNANCE, election.network_id)


def _open_voting(session: Session, election: Election, on: dt.date) -> int:
    if roll.dates_ok(election, on):
        raise InvalidTransition(N_("voting cannot open yet: the roll's cut-off date %(date)s has not come yet"),
                                params={"date": election.roll_cutoff.isoformat()})
    if not any(n.standing for n in election.nominations):
        raise InvalidTransition(N_("voting cannot open: nobody is standing in %(title)s"),
                                params={"title": election.title})
    size = roll.freeze_roll(session, election)
    if not size:
        raise InvalidTransition(N_("voting cannot open: no organisation is entitled to vote in %(title)s"),
                                params={"title": election.title})
    return size


def _check_quorum_missed(session: Session, election: Election, reason: str) -> None:
    roll, voted = roll_size(session, election), ballots.turnout(session, election)
    if quorum_met(election, roll, voted):
        raise InvalidTransition(N_("voting in %(title)s closed with its quorum met (%(voted)s of %(roll)s): "
                                   "count it; it opens again only when the quorum was missed"),
                                params={"title": election.title, "voted": voted, "roll": roll})
    if not reason:
        raise ValidationFailed.on("reason", N_("say why voting opens again"))


def _certify(session: Session, actor: Actor, election: Election, on: dt.date) -> int:
    result = election.result or {}
    if not result.get("quorum_met"):
        raise InvalidTransition(
            N_("%(title)s cannot be certified: turnout %(turnout)s of %(roll)s is below the quorum of "
               "%(quorum)s%%; cancel it (its ballots are counted, so voting can no longer be extended)"),
            params={"title": election.title, "turnout": result.get("turnout"), "roll": result.get("roll"),
                    "quorum": election.quorum_percent})
    return len(seat_winners(session, actor, election, election.term_starts or on))


def _check_date(on: dt.date | None, since: dt.date | None) -> dt.date:
    on = on or today()
    if on > today():
        raise ValidationFailed.on("on", N_("a phase cannot start in the future"))
    if since is not None and on < since:
        raise ValidationFailed.on("on", N_("earlier than the last phase change (%(date)s)"), date=since.isoformat())
    return on


def _change(actor: Actor, current: ElectionPhase | None, to: ElectionPhase, on: dt.date,
            reason: str) -> ElectionPhaseChange:
    return ElectionPhaseChange(from_phase=current, to_phase=to, effective_on=on, actor=actor.label,
                               actor_role=actor.role.value, reason=reason)
