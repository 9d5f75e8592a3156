"""The network tree kept as a table: one row per (network above, organisation below) for as
long as the link held, so "is X in Y's subtree", "who are X's fellows" and "which networks are
above X" are indexed joins rather than walks.

A link holds while the organisation is in the network's active subtree: the network's members
(active, suspended or lapsed: still under its secretariat's care), the members of its member
networks, and the organisations it registered until they end (withdraw, are expelled or rejected
from) a membership of it. An application (applied, verified) links nothing: filing one must not
hand the applicant's contacts and tokens over. `relink` is the one function that keeps the table
current; whatever writes a membership or a registration calls it.

Dates: a link holds from the day the change that made it took effect (`held_from`; None when
undocumented, as for seed facts and links found by the migration) until the day one ended it
(`held_until`); `current` marks the links that hold now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, and_, column, exists, func, literal, or_, select, table, true, union, union_all, update
from sqlalchemy.orm import Session

from registry.db import in_chunks
from registry.networks.models import (
    ENDED_STATUSES, MEMBER_STATUSES, PENDING_STATUSES, MAX_DEPTH, REMEMBERED, NetworkLink
)


# The tables the links are read from, by name: their models import the modules that call relink.
_memberships = table("memberships", column("member_id"), column("network_id"), column("status"))
_organisations = table("organisations", column("id"), column("registered_by_id"))
_links = NetworkLink.__table__


def _edges(*, attached: bool) -> Any:
    """(child, parent) for every organisation directly below a network: in its active subtree
    or, `attached`, tied to it at all (applications too, and every registration)."""
    statuses = (*PENDING_STATUSES, *MEMBER_STATUSES) if attached else MEMBER_STATUSES
    through_membership = select(_memberships.c.member_id.label("child"), _memberships.c.network_id.label("parent")
                                ).where(_memberships.c.status.in_(statuses))
    registered = select(_organisations.c.id, _organisations.c.registered_by_id).where(
        _organisations.c.registered_by_id.is_not(None))
    if not attached:
        ended = _memberships.alias("ended")
        registered = registered.where(~exists().where(
            ended.c.network_id == _organisations.c.registered_by_id, ended.c.member_id == _organisations.c.id,
            ended.c.status.in_(ENDED_STATUSES)))
    return union_all(through_membership, registered).cte("edges")


def walk(starts: Any, *, attached: bool = False) -> Select[Any]:
    """SQL: (descendant_id, ancestor_id, depth) for every network above each organisation of
    `starts` (a subquery of ids), read from the memberships and registrations themselves."""
    edges = _edges(attached=attached)
    path = select(edges.c.child.label("descendant_id"), edges.c.parent.label("ancestor_id"),
                  literal(1).label("depth")).where(edges.c.child.in_(starts)).cte("path", recursive=True)
    path = path.union(select(path.c.descendant_id, edges.c.parent, path.c.depth + 1).where(
        edges.c.child == path.c.ancestor_id, path.c.depth < MAX_DEPTH))
    return (select(path.c.descendant_id, path.c.ancestor_id, func.min(path.c.depth).label("depth"))
            .where(path.c.descendant_id != path.c.ancestor_id)
            .group_by(path.c.descendant_id, path.c.ancestor_id))


def relink(session: Session, organisation_ids: Iterable[int], *, on: dt.date | None,
           leaves: bool = False) -> None:
    """Bring the links of these organisations, and of everything below them, in line with their
    memberships and registrations after a change that took effect `on` (None: undocumented).
    `leaves`: the caller knows none of them is a network, so nothing can hang below them.

    Call it after any write that may move an organisation in the tree: a registration, a
    membership's change of state (the member's id), several at once after a bulk write."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return
    session.info.get(REMEMBERED, {}).clear()
    session.flush()
    for chunk in in_chunks(ids):
        if leaves:
            _settle(session, _under_parents(session, chunk), _links.c.descendant_id.in_(chunk), on)
        else:
            _relink(session, chunk, on)


def moves(current: str | None, target: str) -> bool:
    """Whether a membership going from `current` to `target` may move anything in the tree: an
    application that is filed or verified links nothing and cuts nothing, so an import's
    apply-verify-admit relinks once, at the admission."""
    linking = (*MEMBER_STATUSES, *ENDED_STATUSES)
    return target in linking or current in linking


def link_new(session: Session, registrations: Iterable[tuple[int, int | None]], *, on: dt.date | None) -> None:
    """The links of organisations just registered, (id, network that registered it): under that
    network and every network above it. They have no membership and nothing below them yet, so
    there is nothing to walk: what `relink` would find, read once per registering network and
    written in one statement."""
    registrations = [(organisation_id, by) for organisation_id, by in registrations if by is not None]
    if not registrations:
        return
    session.info.get(REMEMBERED, {}).clear()
    registrars = sorted({by for _, by in registrations})
    above_registrar: dict[int, list[tuple[int, int]]] = {by: [(by, 0)] for by in registrars}
    for chunk in in_chunks(registrars):
        for descendant, ancestor, depth in session.execute(
                select(_links.c.descendant_id, _links.c.ancestor_id, _links.c.depth).where(
                    _links.c.descendant_id.in_(chunk), _links.c.current.is_(True))):
            above_registrar[descendant].append((ancestor, depth))
    session.execute(_links.insert(), [
        {"descendant_id": organisation_id, "ancestor_id": ancestor, "depth": depth + 1, "held_from": on,
         "held_until": None, "current": True}
        for organisation_id, by in registrations for ancestor, depth in above_registrar[by]])


def _relink(session: Session, ids: list[int], on: dt.date | None) -> None:
    edges = _edges(attached=False)
    below_now = select(_links.c.descendant_id).where(_links.c.ancestor_id.in_(ids), _links.c.current.is_(True))
    direct = select(edges.c.child).where(edges.c.parent.in_(ids))
    below_direct = select(_links.c.descendant_id).where(_links.c.ancestor_id.in_(direct),
                                                        _links.c.current.is_(True))
    # Everything whose lineage may have moved: these organisations, what is below them now, and
    # what has just come below them (a bulk write's new members, not linked yet).
    below = set(session.scalars(union(below_now, direct, below_direct)))
    if not below:
        # Nothing hangs below these organisations (a member organisation, almost always): their
        # links are their direct parents' and those parents' links, which are settled already.
        _settle(session, _under_parents(session, ids), _links.c.descendant_id.in_(ids), on)
        return
    for chunk in in_chunks(sorted(set(ids) | below)):
        starts = select(_organisations.c.id).where(_organisations.c.id.in_(chunk))
        _settle(session, {(d, a): depth for d, a, depth in session.execute(walk(starts))},
                _links.c.descendant_id.in_(chunk), on)


def _under_parents(session: Session, ids: list[int]) -> dict[tuple[int, int], int]:
    """{(organisation, network above it): depth} from the organisations' direct parents and the
    links those parents hold now, without walking the tree."""
    ended = _memberships.alias("ended")
    parents = union_all(
        select(_memberships.c.member_id, _memberships.c.network_id).where(
            _memberships.c.member_id.in_(ids), _memberships.c.status.in_(MEMBER_STATUSES)),
        select(_organisations.c.id, _organisations.c.registered_by_id).where(
            _organisations.c.id.in_(ids), _organisations.c.registered_by_id.is_not(None),
            ~exists().where(ended.c.network_id == _organisations.c.registered_by_id,
                            ended.c.member_id == _organisations.c.id, ended.c.status.in_(ENDED_STATUSES))))
    direct = {(child, parent) for child, parent in session.execute(parents)}
    wanted: dict[tuple[int, int], int] = {}
    for child, parent in direct:
        wanted[child, parent] = 1
    parent_ids = sorted({parent for _, parent in direct})
    above_parents: dict[int, list[tuple[int, int]]] = {}
    for chunk in in_chunks(parent_ids):
        for descendant, ancestor, depth in session.execute(
                select(_links.c.descendant_id, _links.c.ancestor_id, _links.c.depth).where(
                    _links.c.descendant_id.in_(chunk), _links.c.current.is_(True))):
            above_parents.setdefault(descendant, []).append((ancestor, depth))
    for child, parent in direct:
        for ancestor, depth in above_parents.get(parent, ()):
            if ancestor != child and wanted.get((child, ancestor), depth + 2) > depth + 1:
                wanted[child, ancestor] = depth + 1
    return wanted


def _settle(session: Session, wanted: dict[tuple[int, int], int], which: Any, on: dt.date | None) -> None:
    """Make the current links of some organisations (held links: those matching `which`) the
    `wanted` ones, {(organisation, network above it): depth}."""
    held = {(d, a): (link_id, depth) for link_id, d, a, depth in session.execute(
        select(_links.c.id, _links.c.descendant_id, _links.c.ancestor_id, _links.c.depth).where(
            which, _links.c.current.is_(True)))}
    ended = [link_id for key, (link_id, _) in held.items() if key not in wanted]
    for chunk in in_chunks(ended):
        session.execute(update(_links).where(_links.c.id.in_(chunk)).values(current=False, held_until=on))
    for key, (link_id, depth) in held.items():
        if key in wanted and wanted[key] != depth:
            session.execute(update(_links).where(_links.c.id == link_id).values(depth=wanted[key]))
    new = [{"descendant_id": d, "ancestor_id": a, "depth": depth, "held_from": on, "held_until": None,
            "current": True} for (d, a), depth in sorted(wanted.items()) if (d, a) not in held]
    if new:
        session.execute(_links.insert(), new)


# Reads: each a SQL condition or query over the links that hold now, for the readers to embed.

def below(network_id: Any) -> Select[Any]:
    """SQL: the ids of every organisation in the network's active subtree, but the network."""
    return select(_links.c.descendant_id).where(_links.c.ancestor_id == network_id, _links.c.current.is_(True))


def above(organisation_id: Any) -> Select[Any]:
    """SQL: the ids of every network whose active subtree holds the organisation."""
    return select(_links.c.ancestor_id).where(_links.c.descendant_id == organisation_id, _links.c.current.is_(True))


def above_each(organisation_ids: list[int]) -> Select[Any]:
    """SQL: (organisation id, network id) for every network above each of these organisations."""
    return select(_links.c.descendant_id, _links.c.ancestor_id).where(
        _links.c.descendant_id.in_(organisation_ids), _links.c.current.is_(True))


def holds(network_id: Any, organisation_id: Any) -> Any:
    """SQL: the organisation is in the network's active subtree now. It asks for a column of the
    index (EXISTS (SELECT * ...) had SQLite read each link's row besides its index entry)."""
    return select(_links.c.descendant_id).where(_links.c.ancestor_id == network_id,
                                                _links.c.descendant_id == organisation_id,
                                                _links.c.current.is_(True)).exists()


def held_on(on: dt.date) -> Any:
    """SQL, on network_links: the link held on `on` (a link of undocumented start counts as
    holding from the beginning)."""
    return and_(or_(_links.c.held_from.is_(None), _links.c.held_from <= on),
                or_(_links.c.current.is_(True), and_(_links.c.held_until.is_not(None), _links.c.held_until > on)))


def ancestor_ids(session: Session, organisation_id: int) -> set[int]:
    return set(session.scalars(above(organisation_id)))


def descendant_ids(session: Session, network_id: int) -> set[int]:
    return set(session.scalars(below(network_id)))


def attached_ancestor_ids(session: Session, organisation_ids: Iterable[int]) -> dict[int, set[int]]:
    """Every network each organisation is tied to, directly or through networks it is tied to,
    applications included: the tree's shape, which a new membership must not turn into a loop."""
    ids = sorted(set(organisation_ids))
    found: dict[int, set[int]] = {i: set() for i in ids}
    for chunk in in_chunks(ids):
        starts = select(_organisations.c.id).where(_organisations.c.id.in_(chunk))
        for descendant_id, ancestor_id, _ in session.execute(walk(starts, attached=True)):
            found[descendant_id].add(ancestor_id)
    return found


def rebuild(session: Session) -> None:
    """Every link worked out again from the memberships and registrations (a bulk load that
    wrote behind the services, or a repair): links that hold now stay as they are."""
    session.info.get(REMEMBERED, {}).clear()
    session.flush()
    everyone = select(_organisations.c.id)
    _settle(session, {(d, a): depth for d, a, depth in session.execute(walk(everyone))}, true(), on=None)
