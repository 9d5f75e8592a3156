"""Memberships: an organisation belonging to a network, and the lifecycle of that belonging.

applied → verified → active → suspended / lapsed / withdrawn / expelled, with reinstatement;
an application can also be rejected. Every move goes through `transition`, which checks the
lifecycle and the actor, and writes a dated MembershipEvent, so "who were VNSW's members on
2012-12-31?" is answered from the events, not from the current state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, contains_eager, make_transient_to_detached, subqueryload
from sqlalchemy.orm.attributes import instance_state

from registry.access import audit
from registry.access.public_ids import new_public_id
from registry.access.permissions import Actor, Permission, can
from registry.memberships import spans
from registry.db import insert_rows, today, utcnow
from registry.errors import N_, InvalidTransition, NotFound, NotPermitted, RegistryError, ValidationFailed
from registry.memberships.models import (
    ENDED_STATUSES, A, LIFECYCLE, REASON_REQUIRED, S, Membership, MembershipAction, MembershipEvent, MembershipStatus
)
from registry.networks import tree as network_tree
from registry.organisations.known import Known, lookups
from registry.organisations.models import Organisation
from registry.organisations.rules import check_name_free


def get_membership(session: Session, network: Organisation, member: Organisation) -> Membership | None:
    known = lookups(session)
    remembered = known.memberships
    found = remembered.get((network.id, member.id))
    if found is None and member.id not in known.new:  # one registered since has none but those remembered
        found = session.scalar(
            select(Membership).where(Membership.network_id == network.id, Membership.member_id == member.id))
        if found is not None:
            remembered[network.id, member.id] = found
    return found


def transition(
    session: Session,
    actor: Actor,
    network: Organisation,
    member: Organisation,
    action: MembershipAction | str,
    *,
    on: dt.date | None = None,
    undated: bool = False,
    reason: str = "",
) -> Membership:
    """The one way a membership changes state. `on` defaults to today; `undated` records that
    the date is not documented (seed facts), and such a change counts only for "now"."""
    moved = transitions(session, actor, network, [Change(member, action, on=on, undated=undated, reason=reason)])
    return moved[0]  # type: ignore[return-value]  # refusals raise when no `refused` is given


@dataclass(frozen=True, slots=True)  # (slots: an import asks for three a row)
class Change:
    """One change of state asked of `transitions`, with transition's arguments."""

    member: Organisation
    action: MembershipAction | str
    on: dt.date | None = None
    undated: bool = False
    reason: str = ""


def transitions(
    session: Session, actor: Actor, network: Organisation, changes: Sequence[Change], *,
    refused: Callable[[int, RegistryError], None] | None = None,
) -> list[Membership | None]:
    """Changes of state of many memberships of one network, in order, each checked as
    `transition` checks it (a member may change more than once: apply, verify, admit). Without
    `refused` the first refusal raises (the changes before it stay made, written whole); with it
    each refused change is told to it (by index) and None stands in its place. The network tree
    follows once for the lot: member organisations' links are settled together, per date, at
    the end (before, when one of them changes again); a member network's at once, as everything
    below it moves too."""
    known = lookups(session)
    done: list[Membership | None] = []
    waiting: dict[dt.date | None, set[int]] = {}  # member organisations whose links are yet to follow
    dates: dict[Membership, list[dt.date | None]] = {}  # of the memberships changed, every event's date
    events: list[tuple[Membership, tuple[Any, ...]]] = []  # each membership and its event's values (_EVENT)
    made: list[Membership] = []  # the memberships this call begins, written together with the events
    try:
        for index, change in enumerate(changes):
            member, action = change.member, MembershipAction(change.action)
            if any(member.id in ids for ids in waiting.values()):
                _relink(session, waiting)  # its links so far, dated, before it changes again
            membership = get_membership(session, network, member)
            if membership is not None and membership not in dates:
                dates[membership] = [e.effective_on for e in membership.events]
            try:
                move = _check(actor, known, network, member.id, member.name, action,
                              membership.status if membership else None, dates[membership] if membership else [],
                              on=change.on, undated=change.undated, reason=change.reason)
            except RegistryError as error:
                if refused is None:
                    raise
                refused(index, error)
                done.append(None)
                continue
            if membership is None:
                membership = Membership(network_id=network.id, member_id=member.id, status=move.target)
                session.add(membership)
                made.append(membership)
                known.memberships[network.id, member.id] = membership
                dates[membership] = []
            membership.status = move.target
            membership.status_since = move.effective_on
            membership.updated_at = utcnow()
            dates[membership].append(move.effective_on)
            events.append((membership, move.event(actor)))
            audit.record(session, actor, f"membership_{action.value}", membership, move.changes(network),
                         organisation_id=member.id)
            if network_tree.moves(move.current, move.target):
                if member.is_network:
                    _write_events(session, made, events)
                    network_tree.relink(session, [member.id], on=move.effective_on)
                else:
                    waiting.setdefault(move.effective_on, set()).add(member.id)
            known.moved(network, member, move.target)
            done.append(membership)
    finally:  # what was changed is written whole, a refusal raising or not
        _write_events(session, made, events)
        _relink(session, waiting)
    return done


def _write_events(session: Session, made: list[Membership], events: list[tuple[Membership, tuple[Any, ...]]]) -> None:
    """The new memberships, then their events, in one statement each, and the spans of those with
    a dated event derived again; each membership reads its events again when next asked. A
    membership begun here that nothing has flushed yet is written by an INSERT ... RETURNING its
    id (_insert_new): the unit of work's bookkeeping for thousands of them (an import's) cost
    more than writing them. The events go as rows of plain values (insert_rows): an import writes
    30,000. Their audit entries are written with them."""
    new = [m for m in made if instance_state(m).pending]
    made.clear()
    if new:
        _insert_new(session, new)
    if not events:
        audit.write_queued(session)
        return
    session.flush()
    now = utcnow()
    insert_rows(session.connection(), MembershipEvent.__table__, _EVENT_COLUMNS,
                [(m.id, *values, now) for m, values in events])
    spans.refresh(session, {m.id for m, values in events if values[_EFFECTIVE_ON] is not None})
    for membership in {m for m, _ in events}:
        session.expire(membership, ["events"])
    events.clear()
    audit.write_queued(session)


def _insert_new(session: Session, new: list[Membership]) -> None:
    """Write memberships begun here and not yet flushed by one INSERT ... RETURNING their ids,
    then hold them as loaded. No flush may run in between: it would write the audit entries
    queued for them while they are out of the session and have no id yet."""
    with session.no_autoflush:
        now = utcnow()
        rows = []
        for membership in new:
            session.expunge(membership)  # the INSERT below writes it, not the flush before it
            membership.public_id, membership.created_at, membership.version = new_public_id(), now, 1
            rows.append({"public_id": membership.public_id, "network_id": membership.network_id,
                         "member_id": membership.member_id, "status": membership.status,
                         "status_since": membership.status_since, "created_at": now,
                         "updated_at": membership.updated_at, "version": 1})
        table = Membership.__table__
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
        for membership, membership_id in zip(new, ids, strict=True):
            membership.id = membership_id
            make_transient_to_detached(membership)
            session.add(membership)


def _relink(session: Session, waiting: dict[dt.date | None, set[int]]) -> None:
    """The network tree's links of the member organisations that changed, per date, settled."""
    for on, ids in waiting.items():
        network_tree.relink(session, ids, on=on, leaves=True)
    waiting.clear()


# A membership event's columns as _write_events writes them: its membership's id, a _Move's
# event(), and when it was recorded.
_EVENT_COLUMNS = ("membership_id", "action", "from_status", "to_status", "effective_on", "actor", "actor_role",
                  "reason", "recorded_at")
_EFFECTIVE_ON = 3  # in a _Move's event()


@dataclass(frozen=True)
class _Move:
    """A checked move: where it leads, from where, effective when and why."""

    action: MembershipAction
    current: MembershipStatus | None
    target: MembershipStatus
    effective_on: dt.date | None
    reason: str

    def event(self, actor: Actor) -> tuple[Any, ...]:
        """The event's values, in the order of _EVENT_COLUMNS after its membership's id."""
        return (self.action, self.current, self.target, self.effective_on, actor.label, actor.role.value, self.reason)

    def changes(self, network: Organisation) -> audit.Changes:
        return {"status": [self.current, self.target], "effective_on": [None, self.effective_on],
                "network_id": [None, network.id], "reason": [None, self.reason or None]}


def _check(
    actor: Actor, known: Known, network: Organisation, member_id: int, member_name: str, action: MembershipAction,
    current: MembershipStatus | None, dates: list[dt.date | None], *, on: dt.date | None, undated: bool,
    reason: str,
) -> _Move:
    """Everything that may refuse a move, in the order a caller hears of it."""
    _require(actor, known, network, member_id, action, current)
    allowed_from, target = LIFECYCLE[action]
    if current not in allowed_from:
        params = {"action": action.value, "member": member_name, "network": network.name}
        if current is None:
            raise InvalidTransition(N_("cannot %(action)s %(member)s's membership of %(network)s without a membership"),
                                    params=params)
        raise InvalidTransition(N_("cannot %(action)s %(member)s's membership of %(network)s from %(status)s"),
                                params={**params, "status": current.value})
    effective_on = None if undated else (on or today())
    _check_date(dates, effective_on)
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ValidationFailed.on("reason", N_("say why you %(action)s this membership"), action=action.value)
    if len(reason) > 2000:
        raise ValidationFailed.on("reason", N_("at most 2000 characters"))
    if action is A.APPLY:
        _check_can_join(actor, known, network, member_id, member_name)
    return _Move(action, current, target, effective_on, reason)


def _verb(action: MembershipAction) -> Callable[..., Membership]:
    """`apply(session, actor, network, member, on=..., reason=...)` and its siblings: one verb
    per lifecycle action, each the transition of its name."""

    def verb(session: Session, actor: Actor, network: Organisation, member: Organisation, *,
             on: dt.date | None = None, undated: bool = False, reason: str = "") -> Membership:
        return transition(session, actor, network, member, action, on=on, undated=undated, reason=reason)

    verb.__name__ = verb.__qualname__ = action.value
    verb.__doc__ = f"{action.value.capitalize()} the membership of `member` in `network` (see transition)."
    return verb


apply, verify, admit, reject, suspend, lapse, reinstate, withdraw, expel = (_verb(a) for a in MembershipAction)


def status_on(on: dt.date | None) -> Any:
    """SQL: a membership's status on `on` (None or today: its current one): that of its last
    change dated up to then (undated changes count only for now), as Membership.status_on,
    read from the span that holds on that day."""
    if on is None or on >= today():
        return Membership.status
    return spans.status_on(on)


def held_on(on: dt.date | None) -> Any:
    """SQL, a FROM: the memberships as they stood on `on` (None or today: as they stand), a row
    each with its network_id, member_id and its status then (status_on), for choosing a
    network's members on a date from an index by network and status."""
    if on is None or on >= today():
        return Membership.__table__
    return spans.held_on(on)


def active_memberships(session: Session, network_id: int, on: dt.date | None = None) -> list[Membership]:
    """The network's memberships active on `on` (default: now), decided in SQL, each with its
    member and its events loaded (two queries, whatever the number of members)."""
    return list(session.scalars(
        select(Membership).join(Membership.member)
        .where(Membership.network_id == network_id, status_on(on) == MembershipStatus.ACTIVE)
        .options(contains_eager(Membership.member), subqueryload(Membership.events))
        .order_by(Membership.id)))


def members_as_of(
    session: Session,
    network_id: int,
    on: dt.date | None = None,
    *,
    statuses: Iterable[MembershipStatus] = (S.ACTIVE,),
    recursive: bool = False,
) -> list[Organisation]:
    """Organisations whose membership of the network was in `statuses` on `on` (default: now),
    decided in SQL, with their terms and areas loaded: three queries a level of the tree,
    whatever the number of members.

    With `recursive`, member networks' own members count too (NSWP → APNSW → VNSW → CBO),
    each organisation once.
    """
    wanted = sorted(MembershipStatus(s) for s in statuses)
    found: dict[int, Organisation] = {}
    frontier, seen = [network_id], {network_id}
    while frontier:
        query = (select(Organisation).join(Membership, Membership.member_id == Organisation.id)
                 .where(Membership.network_id.in_(frontier), status_on(on).in_(wanted))
                 .options(subqueryload(Organisation.terms), subqueryload(Organisation.area_links))
                 .order_by(Organisation.id))
        next_frontier: list[int] = []
        for member in session.scalars(query).unique():
            if member.id in found:
                continue
            found[member.id] = member
            if recursive and member.is_network and member.id not in seen:
                seen.add(member.id)
                next_frontier.append(member.id)
        frontier = next_frontier
    return sorted(found.values(), key=lambda o: (o.name_key, o.id))


def get_network(session: Session, network_id: int) -> Organisation:
    network = session.get(Organisation, network_id)
    if network is None or not network.is_network:
        raise NotFound(N_("network %(network_id)s not found"), params={"network_id": network_id})
    return network


def _require(actor: Actor, known: Known, network: Organisation, member_id: int, action: MembershipAction,
             current: MembershipStatus | None) -> None:
    """Applying is the organisation's own act (or that of a secretariat it is already under):
    the network it joins administers it once admitted. Reinstating a membership that ended
    brings it back under the network, so it needs that consent as well as the network's
    decision. Withdrawing is the member's act, or that of a secretariat it is under (a pending
    applicant is not: the network rejects it). Every other move is the network's."""
    session, lineage = known.session, known.lineage
    decides = can(session, actor, Permission.MANAGE_MEMBERS, network.id, lineage=lineage)
    if action is A.APPLY or (action is A.REINSTATE and current in ENDED_STATUSES):
        if not can(session, actor, Permission.APPLY_FOR_MEMBERSHIP, member_id, lineage=lineage):
            raise NotPermitted(N_("%(actor)s may not %(action)s for this organisation: only the organisation itself, "
                                  "or the secretariat of a network it is a member of, may"),
                               params={"actor": actor.label, "action": action.value})
        ok = action is A.APPLY or decides
    elif action is A.WITHDRAW:
        ok = can(session, actor, Permission.WITHDRAW_MEMBERSHIP, member_id, lineage=lineage)
    else:
        ok = decides
    if not ok:
        raise NotPermitted(N_("%(actor)s may not %(action)s memberships of %(network)s"),
                           params={"actor": actor.label, "action": action.value, "network": network.name})


def _check_date(dates: list[dt.date | None], effective_on: dt.date | None) -> None:
    if effective_on is None:
        return
    if effective_on > today():
        raise ValidationFailed.on("on", N_("a membership change cannot take effect in the future"))
    dated = [d for d in dates if d]
    if dated and effective_on < max(dated):
        raise ValidationFailed.on("on", N_("earlier than the last recorded change (%(date)s)"), date=max(dated).isoformat())


def _check_can_join(actor: Actor, known: Known, network: Organisation, member_id: int, member_name: str) -> None:
    if not network.is_network:
        raise ValidationFailed.on("network", N_("%(network)s is not a network and has no members"), network=network.name)
    # Pending applications count: two of them could otherwise be admitted into a loop.
    if network.id == member_id or member_id in known.structure.of(network.id):
        raise ValidationFailed.on("network", N_("%(member)s already sits above %(network)s"), member=member_name,
                                  network=network.name)
    check_name_free(known.session, actor, member_name, [network.id], exclude_id=member_id)
