"""Nominations: a member organisation puts a candidate forward, another may second them, and
a candidate may withdraw until voting opens.

Only an organisation that is an active member of the network nominates or seconds, and only
through its own editor. A candidate is a name or pseudonym with a statement; someone who has
already served the body's limit of consecutive terms cannot stand (persons are matched by
fold(name)). Where seats are reserved, a nomination names the constituency it stands for.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, can, require
from registry.db import today
from registry.elections.models import Election, ElectionPhase, Nomination
from registry.elections.phases import get_election
from registry.errors import N_, Conflict, NotFound, NotPermitted, ValidationFailed
from registry.governance.models import OPEN_SEATS
from registry.governance.services import check_person_name, consecutive_terms
from registry.memberships.models import MembershipStatus
from registry.memberships.services import get_membership, get_network
from registry.names import fold
from registry.organisations.models import Organisation

WITHDRAWAL_PHASES = (ElectionPhase.NOMINATIONS_OPEN, ElectionPhase.NOMINATIONS_CLOSED)


def nominate(
    session: Session,
    actor: Actor,
    election: Election,
    organisation: Organisation,
    *,
    name: str,
    statement: str = "",
    constituency: str | None = None,
) -> Nomination:
    """`organisation` puts forward a candidate known as `name`."""
    require(session, actor, Permission.NOMINATE, organisation.id)
    _check_open(election)
    _check_active_member(session, election, organisation)
    name = check_person_name("name", name)
    statement = (statement or "").strip()
    if len(statement) > 5000:
        raise ValidationFailed.on("statement", N_("at most 5000 characters"))
    groups = election.seat_groups
    if constituency is not None:
        constituency = " ".join(constituency.split())
        if constituency == OPEN_SEATS or constituency not in groups:
            reserved = sorted(g for g in groups if g != OPEN_SEATS)
            if reserved:
                raise ValidationFailed.on("constituency", N_("one of %(reserved)s, or none for the open seats"),
                                          reserved=str(reserved))
            raise ValidationFailed.on("constituency", N_("no seats in this election are reserved"))
    elif OPEN_SEATS not in groups:
        raise ValidationFailed.on("constituency", N_("every seat is reserved: stand for one of %(groups)s"),
                                  groups=str(sorted(groups)))
    key = fold(name)
    if any(n.standing and n.name_key == key for n in election.nominations):
        raise Conflict(N_("%(name)s is already standing in %(title)s"), params={"name": name, "title": election.title})
    body = election.body
    if body.term_limit is not None:
        served = consecutive_terms(session, body, name, before=election.term_starts or today())
        if served >= body.term_limit:
            raise ValidationFailed.on("name", N_("%(name)s has served %(served)s consecutive terms on %(body)s, the "
                                                   "most allowed; they may stand again after a break"),
                                      name=name, served=served, body=body.name)
    nomination = Nomination(election=election, name=name, name_key=key, statement=statement,
                            constituency=constituency, nominated_by_id=organisation.id, nominated_on=today())
    session.add(nomination)
    audit.record(session, actor, "nominate", nomination,
                 {"election_id": [None, election.id], "name": [None, name],
                  "constituency": [None, constituency]},
                 organisation_id=organisation.id)
    session.flush()  # the caller is given the nomination with its id
    return nomination


def second_nomination(
    session: Session, actor: Actor, nomination: Nomination, organisation: Organisation
) -> Nomination:
    """`organisation` seconds a candidate another member nominated."""
    require(session, actor, Permission.NOMINATE, organisation.id)
    election = nomination.election
    _check_open(election)
    _check_active_member(session, election, organisation)
    if not nomination.standing:
        raise Conflict(N_("%(name)s has withdrawn"), params={"name": nomination.name})
    if organisation.id == nomination.nominated_by_id:
        raise ValidationFailed.on("organisation", N_("a nomination is seconded by another organisation"))
    if nomination.seconded_by_id is not None:
        raise Conflict(N_("%(name)s's nomination is already seconded"), params={"name": nomination.name})
    nomination.seconded_by_id = organisation.id
    audit.record(session, actor, "second_nomination", nomination,
                 {"seconded_by_id": [None, organisation.id]}, organisation_id=organisation.id)
    return nomination


def withdraw_nomination(
    session: Session, actor: Actor, nomination: Nomination, *, on: dt.date | None = None, reason: str = ""
) -> Nomination:
    """A candidate withdraws, through the organisation that nominated them or the secretariat."""
    election = nomination.election
    if not (can(session, actor, Permission.NOMINATE, nomination.nominated_by_id)
            or can(session, actor, Permission.MANAGE_ELECTIONS, election.network_id)):
        raise NotPermitted(N_("%(actor)s may not withdraw %(name)s's nomination"),
                           params={"actor": actor.label, "name": nomination.name})
    if election.phase not in WITHDRAWAL_PHASES:
        raise Conflict(N_("a candidate may withdraw only before voting opens (%(phase)s)"),
                       params={"phase": election.phase.value})
    if not nomination.standing:
        raise Conflict(N_("%(name)s has already withdrawn"), params={"name": nomination.name})
    on = on or today()
    if on > today() or on < nomination.nominated_on:
        raise ValidationFailed.on("on", N_("between the nomination and today"))
    nomination.withdrawn_on = on
    audit.record(session, actor, "withdraw_nomination", nomination,
                 {"withdrawn_on": [None, on], "reason": [None, reason.strip() or None]},
                 organisation_id=nomination.nominated_by_id)
    return nomination


def nominations_of(session: Session, actor: Actor, election: Election, *, standing_only: bool = True) -> list[Nomination]:
    """The candidates, as the ballot paper lists them (by folded name)."""
    election = get_election(session, actor, election.id)
    found = [n for n in election.nominations if n.standing or not standing_only]
    return sorted(found, key=lambda n: (n.name_key, n.id))


def get_nomination(session: Session, actor: Actor, nomination_id: int) -> Nomination:
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound(N_("no such nomination"))
    get_election(session, actor, nomination.election_id)  # NotFound unless the actor may see it
    return nomination


def _check_open(election: Election) -> None:
    if election.phase is not ElectionPhase.NOMINATIONS_OPEN:
        raise Conflict(N_("nominations for %(title)s are not open (%(phase)s)"),
                       params={"title": election.title, "phase": election.phase.value})


def _check_active_member(session: Session, election: Election, organisation: Organisation) -> None:
    network = get_network(session, election.network_id)
    membership = get_membership(session, network, organisation)
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        raise NotPermitted(N_("%(organisation)s is not an active member of %(network)s"),
                           params={"organisation": organisation.name, "network": network.name})
