"""The directory: finding organisations, networks' members and memberships, always narrowed to
what the caller may see (visibility.py decides; nothing here widens it).

Search is by folded name ("Ha Noi" finds "Hà Nội"), vocabulary terms, area, country, status,
kind and network. A filter on a field matches only organisations whose field the caller sees
(one that did not publish its populations is not found by population), and an area filter
finer than a province only organisations whose exact areas the caller may see, so a search
cannot reveal what public output hides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, false, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from registry.access.permissions import Actor, Permission, ancestor_network_ids, can
from registry.access.profiles import profile_columns, profile_view, profile_views
from registry.access.public_ids import by_public_id, is_public_id
from registry.access.visibility import COARSEST_PUBLIC_LEVEL, Reader, Visibility, at_least, reader_for
from registry.areas.services import area_and_below, area_level
from registry.db import Page, check_page, page_of_query
from registry.errors import N_, NotFound, NotPermitted
from registry.memberships.models import Membership, MembershipStatus
from registry.memberships.services import held_on
from registry.organisations.name_search import name_matches
from registry.organisations.models import (
    TERM_FIELDS, Organisation, OrganisationArea, OrganisationKind, OrganisationStatus, OrganisationTerm
)
from registry.vocabularies.models import Term, Vocabulary
from registry.vocabularies.services import terms

SORTS = {
    "name": (Organisation.name_key, Organisation.id),
    "-name": (Organisation.name_key.desc(), Organisation.id.desc()),
    "country": (Organisation.country, Organisation.name_key, Organisation.id),
    "-country": (Organisation.country.desc(), Organisation.name_key, Organisation.id),
    "id": (Organisation.id,),
    "-id": (Organisation.id.desc(),),
}


@dataclass(frozen=True)
class Seen:
    """An organisation with the fields its reader may see. In a list's page the organisation is
    a plain row of the columns profiles.profile_columns chose (its public_id, name, country,
    is_sample... as attributes), not an ORM object."""

    organisation: Organisation | Row[Any]
    profile: dict[str, Any]


@dataclass(frozen=True)
class SeenMember:
    """A network's member, with its membership's status on the date asked about."""

    network_id: str  # the network's public id
    status: MembershipStatus
    organisation: Seen


@dataclass(frozen=True)
class DirectoryQuery:
    text: str | None = None
    priority_area: str | None = None
    population: str | None = None
    service: str | None = None
    area: str | None = None
    country: str | None = None
    status: OrganisationStatus | None = None
    kind: OrganisationKind | None = None
    network_id: str | None = None  # a public id
    sort: str = "name"


def find_organisation(session: Session, actor: Actor, organisation_id: str) -> Organisation:
    """The organisation named by its public id, if the caller may know it exists; NotFound
    otherwise, the same for a hidden one, a missing one and a malformed id."""
    organisation = by_public_id(session, Organisation, organisation_id)
    if organisation is None or reader_for(session, actor).tier(organisation) is None:
        raise NotFound(N_("no such organisation"))
    return organisation


def find_network(session: Session, actor: Actor, network_id: str) -> Organisation:
    """The network named by its public id, as find_organisation finds an organisation."""
    try:
        organisation = find_organisation(session, actor, network_id)
    except NotFound:
        organisation = None
    if organisation is None or not organisation.is_network:
        raise NotFound(N_("no such network"))
    return organisation


def seen_network(session: Session, actor: Actor, network: Organisation) -> Organisation:
    """A network already loaded, if the caller may know it exists: find_network's answer
    without reading it again."""
    if not network.is_network or reader_for(session, actor).tier(network) is None:
        raise NotFound(N_("no such network"))
    return network


def show(session: Session, actor: Actor, organisation: Organisation) -> Seen:
    return _seen(session, reader_for(session, actor), organisation)


def _seen(session: Session, reader: Reader, organisation: Organisation) -> Seen:
    return Seen(organisation, profile_view(session, reader, organisation))


def _seen_all(session: Session, reader: Reader, organisations: Sequence[Organisation | Row[Any]]) -> list[Seen]:
    return [Seen(o, profile) for o, profile in zip(organisations, profile_views(session, reader, organisations),
                                                   strict=True)]


def search(session: Session, actor: Actor, query: DirectoryQuery, *, page: int, page_size: int) -> Page[Seen]:
    """Organisations matching `query` that the caller may see, one page of them."""
    reader = reader_for(session, actor)
    stmt = _matching(session, reader, select(*profile_columns(reader)), query)
    if query.network_id is not None:
        network = by_public_id(session, Organisation, query.network_id)
        if network is None or reader.tier(network) is None:
            stmt = stmt.where(false())
        else:
            stmt = stmt.where(reader.sees_field("networks"), Organisation.id.in_(select(Membership.member_id).where(
                Membership.network_id == network.id, Membership.status == MembershipStatus.ACTIVE)))
    found = page_of_query(session, stmt.where(reader.may_see(row_by_row=True)).order_by(*SORTS[query.sort]), page,
                          page_size, rows=True, counted=reader.count_seen(stmt))
    return Page(_seen_all(session, reader, found.items), found.total, found.page, found.page_size)


def _matching(session: Session, reader: Reader, stmt: Any, query: DirectoryQuery) -> Any:
    """`stmt` narrowed to the organisations `query`'s words, terms, area, country, status and
    kind match, each field filter only where the reader sees that field."""
    if query.text and (named := name_matches(session, query.text)) is not None:
        stmt = stmt.where(named)
    stmt = stmt.where(Organisation.status == query.status if query.status is not None
                      else Organisation.status != OrganisationStatus.DELISTED)
    if query.country:
        stmt = stmt.where(Organisation.country == query.country.upper())
    if query.kind is not None:
        stmt = stmt.where(Organisation.kind == query.kind)
    for field, code in (("priority_areas", query.priority_area), ("populations", query.population),
                        ("services", query.service)):
        if code:
            stmt = stmt.where(reader.sees_field(field), select(OrganisationTerm.term_id)
                              .join(Term, Term.id == OrganisationTerm.term_id)
                              .where(OrganisationTerm.organisation_id == Organisation.id,
                                     Term.vocabulary == TERM_FIELDS[field], Term.code == code).exists())
    if query.area:
        stmt = stmt.where(reader.sees_field("areas_served"), _serving(session, reader, query.area.strip().upper()))
    return stmt


def _serving(session: Session, reader: Reader, code: str) -> Any:
    level = area_level(session, code)
    if level is None:
        return false()
    serving = Organisation.id.in_(select(OrganisationArea.organisation_id).where(
        OrganisationArea.area_code.in_(sorted(area_and_below(session, code)))))
    if level <= COARSEST_PUBLIC_LEVEL:
        return serving
    return serving & reader.precise_ids()


def network_members(
    session: Session,
    actor: Actor,
    network_id: str,
    *,
    on: dt.date | None,
    statuses: Iterable[MembershipStatus] = (),
    query: DirectoryQuery | None = None,
    page: int,
    page_size: int,
) -> Page[SeenMember]:
    """A network's members on `on` (default today), narrowed and sorted by `query` as search
    narrows the directory (its status, by default, every one but delisted; its network_id is
    this network). Only the network's internal view (its board, its secretariat) sees
    memberships in states other than active; the public sees the members that publish which
    networks they belong to."""
    reader = reader_for(session, actor)
    network = find_network(session, actor, network_id)
    wanted = set(statuses) or {MembershipStatus.ACTIVE}
    if wanted != {MembershipStatus.ACTIVE} and not can(session, actor, Permission.READ_INTERNAL, network.id):
        raise NotPermitted(N_("%(actor)s may see only the active members of %(network)s"),
                           params={"actor": actor.label, "network": network.name})
    # Narrowed, sorted, counted and paged in the query: the memberships as they stood on the
    # date, read by network and status from an index (on a past date, the spans that held then),
    # and a member the public sees only if it publishes which networks it belongs to.
    held = held_on(on)
    chosen_query = (select(held.c.member_id, held.c.status).select_from(held)
                    .join(Organisation, Organisation.id == held.c.member_id)
                    .where(held.c.network_id == network.id, held.c.status.in_(sorted(wanted)),
                           reader.shown("networks")))
    if query is not None:
        chosen_query = _matching(session, reader, chosen_query, query).order_by(*SORTS[query.sort])
    else:
        chosen_query = chosen_query.order_by(Organisation.name_key, held.c.member_id)
    check_page(page, page_size)
    # The page's members and how many there are in all, from one reading of the members: the
    # database decides who the caller sees once per member, not once to count and again to sort.
    # Only a page past the end has no row to carry the total, and counts them again.
    chosen = session.execute(chosen_query.add_columns(func.count().over().label("total"))
                             .limit(page_size).offset((page - 1) * page_size)).all()
    if chosen:
        total = chosen[0].total
    else:
        total = 0 if page == 1 else session.scalar(
            select(func.count()).select_from(chosen_query.order_by(None).subquery())) or 0
    # Then the page's profiles, a row of the columns they show for each of its members.
    rows = {row.id: row for row in session.execute(
        select(*profile_columns(reader)).where(Organisation.id.in_([m.member_id for m in chosen])))} if chosen else {}
    organisations = [rows[m.member_id] for m in chosen]
    return Page([SeenMember(network.public_id, member.status, s)
                 for member, s in zip(chosen, _seen_all(session, reader, organisations), strict=True)],
                total, page, page_size)


_network, _member = aliased(Organisation), aliased(Organisation)


def find_membership(session: Session, actor: Actor, network_id: str, member_id: str) -> Membership:
    """A membership with its history, named by its network's and its member's public ids, for
    the network's internal view and for the member itself (and the secretariats above it);
    NotFound for everyone else."""
    membership = session.scalar(select(Membership).join(Membership.network.of_type(_network)).join(
        Membership.member.of_type(_member)).where(_network.public_id == network_id, _member.public_id == member_id)) \
        if is_public_id(network_id) and is_public_id(member_id) else None
    if membership is not None and (
        can(session, actor, Permission.READ_INTERNAL, membership.network_id)
        or at_least(reader_for(session, actor).tier(membership.member), Visibility.SECRETARIAT)
    ):
        return membership
    raise NotFound(N_("no such membership"))


def memberships_of_member(session: Session, actor: Actor, organisation: Organisation) -> list[Membership]:
    """The organisation's own memberships, with their histories, oldest first: for the
    organisation itself and the secretariats above it (as find_membership), in the networks the
    caller may see; NotFound for everyone else."""
    reader = reader_for(session, actor)
    if not at_least(reader.tier(organisation), Visibility.SECRETARIAT):
        raise NotFound(N_("no such organisation"))
    found = list(session.scalars(select(Membership).where(Membership.member_id == organisation.id)
                                 .options(selectinload(Membership.events), selectinload(Membership.network))
                                 .order_by(Membership.id)))
    reader.remember(m.network_id for m in found)
    return [m for m in found if reader.tier(m.network) is not None]


def vocabulary_of(session: Session, organisation: Organisation) -> dict[Vocabulary, list[Term]]:
    """Every vocabulary's terms the organisation's profile may hold: the core, plus the
    extensions of the networks above it (and its own, for a network), as update_profile checks."""
    lineage = ({organisation.id} if organisation.is_network else set()) | ancestor_network_ids(
        session, organisation.id)
    return {v: terms(session, v, network_ids=sorted(lineage)) for v in Vocabulary}


def vocabulary_for(session: Session, actor: Actor, network_id: str | None) -> dict[Vocabulary, list[Term]]:
    """Every vocabulary's terms: the core, plus the extensions of `network_id` and the networks
    above it (what that network's members may choose from)."""
    lineage: set[int] = set()
    if network_id is not None:
        network = find_network(session, actor, network_id)
        lineage = {network.id} | ancestor_network_ids(session, network.id)
    return {v: terms(session, v, network_ids=sorted(lineage)) for v in Vocabulary}
