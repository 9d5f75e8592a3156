"""Turnout while voting is open, for those who run the election and the board: how many of
the roll have voted against the quorum, and which organisations have not (never how anyone
voted), and the one way to give the rest more time: extending voting, dated and audited.

A quorum missed offers two ways on (QuorumOption): extend voting, while it is open or after it
closed short (voting then opens again, as a dated phase change), or cancel. Once the ballots
are counted (opened, and their key destroyed) only cancelling is left; certification stays
refused below the quorum (registry/elections/phases.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, require
from registry.db import today
from registry.elections.ballots import turnout
from registry.elections.counting import quorum_met
from registry.elections.models import Election, ElectionPhase, RollEntry, Voter, one_writer_at_a_time
from registry.elections.phases import transition
from registry.elections.roll import roll_size
from registry.errors import N_, Conflict, InvalidTransition, ValidationFailed
from registry.organisations.models import Organisation

P = ElectionPhase


class QuorumOption(enum.StrEnum):
    EXTEND_VOTING = "extend_voting"
    CANCEL = "cancel"


def quorum_options(election: Election, met: bool) -> tuple[QuorumOption, ...]:
    """What the secretariat may do about a quorum missed, in the election's phase."""
    if met or election.phase not in (P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED):
        return ()
    if election.phase is P.TALLIED:
        return (QuorumOption.CANCEL,)
    return (QuorumOption.EXTEND_VOTING, QuorumOption.CANCEL)


@dataclass(frozen=True)
class LiveTurnout:
    roll: int
    voted: int  # abstentions included
    quorum_percent: int
    quorum_met: bool
    short_by: int  # more ballots needed to reach the quorum (0 once met)
    voting_closes_on: dt.date | None
    not_voted: list[Organisation]  # in name order
    options: tuple[QuorumOption, ...]  # what may be done about a quorum missed; () once met


def live_turnout(session: Session, actor: Actor, election: Election) -> LiveTurnout:
    """Turnout so far and who has not voted, once the roll is frozen (voting open or after)."""
    require(session, actor, Permission.READ_INTERNAL, election.network_id)
    if election.phase not in (P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED):
        raise Conflict(N_("%(title)s has no turnout: voting has not opened (%(phase)s)"),
                       params={"title": election.title, "phase": election.phase.value})
    roll, voted = roll_size(session, election), turnout(session, election)
    needed = -(-election.quorum_percent * roll // 100)  # the fewest ballots that meet the quorum
    not_voted = list(session.scalars(
        select(Organisation).join(RollEntry, RollEntry.organisation_id == Organisation.id)
        .outerjoin(Voter, and_(Voter.election_id == RollEntry.election_id,
                               Voter.organisation_id == RollEntry.organisation_id))
        .where(RollEntry.election_id == election.id, Voter.organisation_id.is_(None))
        .order_by(Organisation.name_key, Organisation.id)))
    met = quorum_met(election, roll, voted)
    return LiveTurnout(roll=roll, voted=voted, quorum_percent=election.quorum_percent, quorum_met=met,
                       short_by=max(0, needed - voted), voting_closes_on=election.voting_closes_on,
                       not_voted=not_voted, options=quorum_options(election, met))


def extend_voting(session: Session, actor: Actor, election: Election, *, until: dt.date, reason: str) -> Election:
    """Keep voting open until `until` (later than today and than any close announced before),
    while it is open, or open it again if it closed short of its quorum and is not yet counted;
    audited with the reason."""
    require(session, actor, Permission.MANAGE_ELECTIONS, election.network_id)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 2000:
        raise ValidationFailed.on("reason", N_("say why voting is extended (at most 2000 characters)"))
    if not isinstance(until, dt.date) or until <= today():
        raise ValidationFailed.on("until", N_("a date after today"))
    if election.phase is P.VOTING_CLOSED:  # refused there unless the quorum was missed
        transition(session, actor, election, P.VOTING_OPEN, reason=reason)
    with one_writer_at_a_time(session):
        session.flush()
        session.refresh(election, with_for_update=True)  # as a phase change: casts wait, and it waits for them
        if election.phase is not P.VOTING_OPEN:
            raise InvalidTransition(N_("voting in %(title)s can be extended only while it is open, or closed short "
                                       "of its quorum and not yet counted (%(phase)s)"),
                                    params={"title": election.title, "phase": election.phase.value})
        before = election.voting_closes_on
        if before is not None and until <= before:
            raise ValidationFailed.on("until", N_("later than the close already announced (%(date)s)"),
                                      date=before.isoformat())
        election.voting_closes_on = until
        audit.record(session, actor, "election_voting_extended", election,
                     {"voting_closes_on": [before, until], "reason": [None, reason]},
                     organisation_id=election.network_id)
    return election
