"""Finding a network's governing bodies, elections and nominations for the API, each scoped to
the network in the address and named, as it is, by its public id, and narrowed to what the caller
may see (the services decide). A hidden, missing or malformed id is not found, all alike.

A network the caller may not know of is not found, exactly as one that does not exist; one it
sees but whose governance it may not read is refused whatever body or election it names."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Permission, require
from registry.access.public_ids import by_public_id
from registry.db import Page, page_of_list
from registry.elections.models import Election, Nomination
from registry.elections.nominations import get_nomination
from registry.elections.phases import elections_of, get_election
from registry.errors import N_, NotFound
from registry.governance.models import GoverningBody, Officeholder
from registry.governance.services import bodies_of
from registry.networks.directory import find_network


def network_bodies(session: Session, actor: Actor, network_id: str, *, page: int,
                   page_size: int) -> Page[GoverningBody]:
    """The network's boards and committees, for those who read its governance."""
    network = find_network(session, actor, network_id)
    require(session, actor, Permission.READ_GOVERNANCE, network.id)
    return page_of_list(bodies_of(session, network.id), page, page_size)


def find_body(session: Session, actor: Actor, network_id: str, body_id: str) -> GoverningBody:
    """One of the network's bodies, for those who read its governance."""
    network = find_network(session, actor, network_id)
    require(session, actor, Permission.READ_GOVERNANCE, network.id)
    body = by_public_id(session, GoverningBody, body_id)
    if body is None or body.network_id != network.id:
        raise NotFound(N_("no such governing body"))
    return body


def find_officeholder(session: Session, actor: Actor, network_id: str, body_id: str,
                      officeholder_id: str) -> Officeholder:
    """One term recorded on one of the network's bodies, for those who read its governance."""
    body = find_body(session, actor, network_id, body_id)
    holder = by_public_id(session, Officeholder, officeholder_id)
    if holder is None or holder.body_id != body.id:
        raise NotFound(N_("no such officeholder"))
    return holder


def network_elections(session: Session, actor: Actor, network_id: str, *, page: int,
                      page_size: int) -> Page[Election]:
    """The network's elections the caller may see, newest first."""
    return page_of_list(elections_of(session, actor, find_network(session, actor, network_id)), page, page_size)


def find_election(session: Session, actor: Actor, network_id: str, election_id: str) -> Election:
    """One of the network's elections, if the caller may see it (a draft only its managers)."""
    network = find_network(session, actor, network_id)
    found = by_public_id(session, Election, election_id)
    if found is None or found.network_id != network.id:
        raise NotFound(N_("no such election"))
    return get_election(session, actor, found.id)


def find_nomination(session: Session, actor: Actor, network_id: str, election_id: str,
                    nomination_id: str) -> Nomination:
    """One nomination in one of the network's elections the caller may see."""
    election = find_election(session, actor, network_id, election_id)
    found = by_public_id(session, Nomination, nomination_id)
    if found is None or found.election_id != election.id:
        raise NotFound(N_("no such nomination"))
    return get_nomination(session, actor, found.id)
