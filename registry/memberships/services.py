"""Memberships: an organisation belonging to a network, and the lifecycle of that belonging.

applied → verified → active → suspended / lapsed / withdrawn / expelled, with reinstatement;
an application can also be rejected. Every move goes through `transition`, which checks the
lifecycle and the actor, and writes a dated MembershipEvent, so "who were VNSW's members on
2012-12-31?" is answered from the events, not from the current state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, subqueryload

from registry.access import audit
from registry.access.public_ids import new_public_id
from registry.access.permissions import Actor, Permission, can
from registry.memberships import spans
from registry.db import today, utcnow
from registry.errors import N_, InvalidTransition, NotFound, NotPermitted, RegistryError, ValidationFailed
from registry.memberships.models import (
    ENDED_STATUSES, A, LIFECYCLE, REASON_REQUIRED, S, Membership, MembershipAction, MembershipEvent, MembershipStatus
)
from registry.networks import tree as network_tree
from registry.organisations.known import Known, lookups
from registry.organisations.models import Organisation
from registry.organisations.rules import check_name_free
from registry.rows import insert_returning_ids, insert_rows


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
    membership = session.get(Membership, moved[0])  # one begun here is read once it is written
    assert membership is not None  # refusals raise when no `refused` is given
    lookups(session).memberships[network.id, member.id] = membership
    return membership


@dataclass(frozen=True, slots=True)  # (slots: an import asks for three a row)
class Change:
    """One change of state asked of `transitions`, with transition's arguments."""

    member: Organisation
    action: MembershipAction | str
    on: dt.date | None = None
    undated: bool = False
    reason: str = ""


@dataclass(eq=False, slots=True)
class _Begun:
    """A membership `transitions` begins, held as its row's values until they are written together
    (with its id then): an import begins ten thousand, and an ORM object each, added to the
    session, cost more than writing them. Its audit entries name it as they name a row."""

    __tablename__: ClassVar[str] = Membership.__tablename__
    network_id: int
    member_id: int
    status: MembershipStatus
    status_since: dt.date | None = None
    updated_at: dt.datetime | None = None
    id: int | None = None


def transitions(
    session: Session, actor: Actor, network: Organisation, changes: Iterable[Change], *,
    refused: Callable[[int, RegistryError], None] | None = None,
) -> list[int | None]:
    """Changes of state of many memberships of one network, in order, each checked as
    `transition` checks it (a member may change more than once: apply, verify, admit); the id of
    each change's membership is returned. Without `refused` the first refusal raises (the changes
    before it stay made, written whole); with it each refused change is told to it (by index) and
    None stands in its place. The network tree follows once for the lot: member organisations'
    links are settled together, per date, at the end (before, when one of them changes again); a
    member network's at once, as everything below it moves too.

    A membership this call begins is written with the others it begins, as a row, not an object:
    whoever wants the object reads it (`transition` does)."""
    known = lookups(session)
    done: list[Membership | _Begun | None] = []
    waiting: dict[dt.date | None, set[int]] = {}  # member organisations whose links are yet to follow
    dates: dict[Membership | _Begun, list[dt.date | None]] = {}  # of the memberships changed, every event's date
    pending = _Pending()
    try:
        for index, change in enumerate(changes):
            member, action = change.member, MembershipAction(change.action)
            if any(member.id in ids for ids in waiting.values()):
                pending.write(session, known)  # what relinking reads
                _relink(session, waiting)  # its links so far, dated, before it changes again
            if action is A.APPLY and pending.begun and not known.names_read([network.id], actor):
                pending.write(session, known)  # the name check reads the applications so far from SQL
            membership = pending.begun.get(member.id) or get_membership(session, network, member)
            if membership is not None and membership not in dates:
                dates[membership] = [e.effective_on for e in membership.events]  # type: ignore[union-attr]
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
                membership = pending.begun[member.id] = _Begun(network.id, member.id, move.target)
                dates[membership] = []
            membership.status = move.target
            membership.status_since = move.effective_on
            membership.updated_at = utcnow()
            dates[membership].append(move.effective_on)
            pending.event(membership, move.event(actor))
            audit.record(session, actor, f"membership_{action.value}", membership, move.changes(network),
                         organisation_id=member.id)
            if network_tree.moves(move.current, move.target):
                if member.is_network:
                    pending.write(session, known)
                    network_tree.relink(session, [member.id], on=move.effective_on)
                else:
                    waiting.setdefault(move.effective_on, set()).add(member.id)
            known.moved(network, member, move.target)
            done.append(membership)
    finally:  # what was changed is written whole, a refusal raising or not
        pending.write(session, known)
        _relink(session, waiting)
    return [None if membership is None else membership.id for membership in done]


class _Pending:
    """What `transitions` has changed and not yet written: the memberships it begins (by member
    id) and every change's event, as plain values (an import's thirty thousand: values the
    garbage collector need not walk)."""

    def __init__(self) -> None:
        self.begun: dict[int, _Begun] = {}
        self.of: list[Membership | _Begun] = []  # each event's membership
        self.events: list[tuple[Any, ...]] = []  # its values (_Move.event)

    def event(self, membership: Membership | _Begun, values: tuple[Any, ...]) -> None:
        self.of.append(membership)
        self.events.append(values)

    def write(self, session: Session, known: Known) -> None:
        """The memberships begun, then the events, in one statement each, the memberships changed
        flushed, and the spans of those with a dated event derived again; each membership
        changed reads its events again when next asked, and one begun is read from the database
        (get_membership) once it is written. Their audit entries are written with them."""
        if self.begun:
            _insert_begun(session, list(self.begun.values()))
            known.new.difference_update(self.begun)  # each has a membership now, in the database
            self.begun.clear()
        if not self.events:
            audit.write_queued(session)
            return
        session.flush()
        now = utcnow()
        insert_rows(session.connection(), MembershipEvent.__table__, _EVENT_COLUMNS,
                    [(m.id, *values, now) for m, values in zip(self.of, self.events)])
        spans.refresh(session, {m.id for m, values in zip(self.of, self.events) if values[_EFFECTIVE_ON] is not None})
        for membership in {m for m in self.of if type(m) is not _Begun}:
            session.expire(membership, ["events"])
        self.of.clear()
        self.events.clear()
        audit.write_queued(session)


def _insert_begun(session: Session, begun: list[_Begun]) -> None:
    """Write the memberships begun in one statement (registry.rows.insert_returning_ids), and give
    each its id."""
    now = utcnow()
    ids = insert_returning_ids(session.connection(), Membership.__table__, _MEMBERSHIP_COLUMNS, [
        (new_public_id(), b.network_id, b.member_id, b.status, b.status_since, now, b.updated_at, 1) for b in begun])
    for membership, membership_id in zip(begun, ids, strict=True):
        membership.id = membership_id


_MEMBERSHIP_COLUMNS = ("public_id", "network_id", "member_id", "status", "status_since", "created_at", "updated_at",
                       "version")


def _relink(session: Session, waiting: dict[dt.date | None, set[int]]) -> None:
    """The network tree's links of the member organisations that changed, per date, settled."""
    for on, ids in waiting.items():
        network_tree.relink(session, ids, on=on, leaves=True)
    waiting.clear()


# A membership event's columns as _Pending.write writes them: its membership's id, a _Move's
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
        """The event's values, in the order of _EVENT_COLUMNS after its membership's id: plain
        values (an enum's str), a tuple the garbage collector stops walking."""
        return (self.action.value, self.current and self.current.value, self.target.value, self.effective_on,
                actor.label, actor.role.value, self.reason)

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
