"""Finding a network's governing bodies, elections and nominations for the API, each scoped to
the network in the address (named by its public id) and narrowed to what the caller may see (the services decide).

A network the caller may not know of is not found, exactly as one that does not exist; one it
sees but whose governance it may not read is refused whatever body or election it names."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Permission, require
from registry.db import Page, page_of_list
from registry.elections.models import Election, Nomination
from registry.elections.nominations import get_nomination
from registry.elections.phases import elections_of, get_election
from registry.errors import NotFound
from registry.governance.models import GoverningBody, Officeholder
from registry.governance.services import bodies_of
from registry.networks.directory import find_network


def network_bodies(session: Session, actor: Actor, network_id: str, *, page: int,
                   page_size: int) -> Page[GoverningBody]:
    """The network's boards and committees, for those who read its governance."""
    network = find_network(session, actor, network_id)
    require(session, actor, Permission.READ_GOVERNANCE, network.id)
    return page_of_list(bodies_of(session, network.id), page, page_size)


def find_body(session: Session, actor: Actor, network_id: str, body_id: int) -> GoverningBody:
    """One of the network's bodies, for those who read its governance."""
    network = find_network(session, actor, network_id)
    require(session, actor, Permission.READ_GOVERNANCE, network.id)
    body = session.get(GoverningBody, body_id)
    if body is None or body.network_id != network.id:
        raise NotFound(f"governing body {body_id} not found")
    return body


def find_officeholder(session: Session, actor: Actor, network_id: str, body_id: int,
                      officeholder_id: int) -> Officeholder:
    """One term recorded on one of the network's bodies, for those who read its governance."""
    body = find_body(session, actor, network_id, body_id)
    holder = session.get(Officeholder, officeholder_id)
    if holder is None or holder.body_id != body.id:
        raise NotFound(f"officeholder {officeholder_id} not found")
    return holder


def network_elections(session: Session, actor: Actor, network_id: str, *, page: int,
                      page_size: int) -> Page[Election]:
    """The network's elections the caller may see, newest first."""
    return page_of_list(elections_of(session, actor, find_network(session, actor, network_id)), page, page_size)


def find_election(session: Session, actor: Actor, network_id: str, election_id: int) -> Election:
    """One of the network's elections, if the caller may see it (a draft only its managers)."""
    network = find_network(session, actor, network_id)
    election = get_election(session, actor, election_id)
    if election.network_id != network.id:
        raise NotFound(f"election {election_id} not found")
    return election


def find_nomination(session: Session, actor: Actor, network_id: str, election_id: int,
                    nomination_id: int) -> Nomination:
    """One nomination in one of the network's elections the caller may see."""
    election = find_election(session, actor, network_id, election_id)
    nomination = get_nomination(session, actor, nomination_id)
    if nomination.election_id != election.id:
        raise NotFound(f"nomination {nomination_id} not found")
    return nomination
