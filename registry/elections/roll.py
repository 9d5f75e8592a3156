"""The roll: the member organisations entitled to one ballot each in an election.

It is worked out from the memberships on the roll's cut-off date (members_as_of) and frozen
when voting opens; a membership that changes afterwards does not change the roll.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Permission, require
from registry.elections.models import Election, ElectionPhase, RollEntry
from registry.errors import N_, Said
from registry.memberships.services import members_as_of
from registry.organisations.models import Organisation, SexWorkerLed


@dataclass(frozen=True)
class RollCheck:
    """An organisation's answer to "may we vote?". Before voting opens the answer is provisional."""

    on_roll: bool
    frozen: bool
    reason: str  # Said: the skin says it in the reader's language


def entitled(session: Session, election: Election) -> list[Organisation]:
    """Who the roll holds, or would hold if it froze now: the network's active members on the
    cut-off date, only the sex-worker-led ones when the election is restricted to them."""
    members = members_as_of(session, election.network_id, election.roll_cutoff)
    if election.sex_worker_led_only:
        members = [m for m in members if m.sex_worker_led is SexWorkerLed.YES]
    return members


def freeze_roll(session: Session, election: Election) -> int:
    """Write the roll (called once, as voting opens); returns its size."""
    members = entitled(session, election)
    session.add_all(RollEntry(election_id=election.id, organisation_id=m.id) for m in members)
    session.flush()
    return len(members)


def roll_size(session: Session, election: Election) -> int:
    return session.scalar(select(func.count()).select_from(RollEntry)
                          .where(RollEntry.election_id == election.id)) or 0


def check_roll(session: Session, actor: Actor, election: Election, organisation: Organisation) -> RollCheck:
    """Whether `organisation` is on the roll (any organisation may ask about itself)."""
    require(session, actor, Permission.CHECK_ROLL, organisation.id)
    if is_frozen(election):
        listed = session.get(RollEntry, (election.id, organisation.id)) is not None
        return RollCheck(listed, True, Said(N_("on the roll") if listed else N_("not on the roll")))
    cutoff = election.roll_cutoff.isoformat()
    if organisation in entitled(session, election):
        return RollCheck(True, False, Said(N_("on the roll if still an active member on %(date)s"), date=cutoff))
    if organisation in members_as_of(session, election.network_id, election.roll_cutoff):
        return RollCheck(False, False, Said(N_("only sex-worker-led organisations are on this roll")))
    return RollCheck(False, False, Said(N_("not an active member on the cut-off date %(date)s"), date=cutoff))


def is_frozen(election: Election) -> bool:
    return any(change.to_phase is ElectionPhase.VOTING_OPEN for change in election.phase_changes)


def roll_of(session: Session, actor: Actor, election: Election) -> list[Organisation]:
    """The roll, for the secretariat running the election: as frozen when voting opened or,
    before that, who it would hold if it froze now (to check it while members can still fix it)."""
    require(session, actor, Permission.MANAGE_ELECTIONS, election.network_id)
    if not is_frozen(election):
        return sorted(entitled(session, election), key=lambda o: (o.name_key, o.id))
    return list(session.scalars(
        select(Organisation).join(RollEntry, RollEntry.organisation_id == Organisation.id)
        .where(RollEntry.election_id == election.id).order_by(Organisation.name_key, Organisation.id)
    ))


def dates_ok(election: Election, voting_opens: dt.date) -> str | None:
    """Why the roll cannot freeze on `voting_opens`, if it cannot."""
    if election.roll_cutoff > voting_opens:
        return f"the roll's cut-off date {election.roll_cutoff.isoformat()} has not come yet"
    return None
