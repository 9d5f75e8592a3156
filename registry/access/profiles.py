"""An organisation's profile as a reader sees it: the fields the Reader lets it see (visibility.py
decides which), read for a whole page at once.

Every serialisation of an organisation goes through `profile_view` (or `profile_views`, for a
list): the organisation's own columns, and what each profile shows besides them (its terms, its
areas rolled up to provinces below PRECISE_AREAS, its published contacts, its memberships of the
networks the reader may see), read in one query each for the whole page, as plain rows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import Row, String, bindparam, select, type_coerce, union_all
from sqlalchemy.orm import Session

from registry.access.public_ids import public_ids_of
from registry.access.sealing import open_contacts
from registry.access.visibility import (
    COARSEST_PUBLIC_LEVEL, FIELD_TIERS, FIELDS_SHOWN, PRECISE_AREAS, Reader, at_least, visible_contacts
)
from registry.areas.models import Area
from registry.db import one_of
from registry.memberships.models import Membership, MembershipStatus
from registry.organisations.models import (
    TERM_FIELDS, Contact, ContactView, Organisation, OrganisationArea, OrganisationStatus, OrganisationTerm, Visibility
)
from registry.vocabularies.models import Term, Vocabulary


def profile_view(session: Session, reader: Reader, organisation: Organisation) -> dict[str, Any]:
    """The fields of `organisation` this reader may see, as plain values (tier included)."""
    return profile_views(session, reader, [organisation])[0]


# The columns every profile is decided on (Reader.sight), whatever it then shows.
_DECIDED_ON = ("id", "public_id", "kind", "public_listing", "status", "published_fields", "registered_by_id")
_COLUMNS = frozenset(Organisation.__table__.columns.keys())


def profile_columns(reader: Reader) -> list[Any]:
    """The columns of Organisation a list's page reads for `profile_views`, as a plain row each
    (no ORM object, no identity map): those its tiers are decided on and those of the fields this
    reader may see of some organisation; the public's rows leave out what only fellows, boards and
    secretariats read."""
    shown = (f for f in FIELDS_SHOWN[reader.widest] if f in _COLUMNS)
    return [getattr(Organisation, name) for name in dict.fromkeys((*_DECIDED_ON, *shown))]


def profile_views(session: Session, reader: Reader, organisations: Sequence[Any]) -> list[dict[str, Any]]:
    """`profile_view` of each organisation: an Organisation, or a row of the columns
    `profile_columns` chose. The reader decides once per organisation which fields it sees
    (Reader.sight). A list's page reads what its profiles show besides the organisations' own
    columns (terms, areas and their roll-ups, contacts, memberships and their networks' public
    ids) in one query each for the whole page, as plain rows, and only what some profile on the
    page shows: no query and no ORM object per organisation."""
    ids = sorted({o.id for o in organisations})
    memberships = None
    if reader.asks and ids:
        # A reader that asks which tier it reads each organisation at asks it of the page's
        # organisations and of the networks of their memberships together, in one query.
        memberships = session.execute(_MEMBERSHIPS, {"ids": ids}).all()
        reader.remember([*ids, *(m.network_id for m in memberships)])
    sights = [reader.sight(o) for o in organisations]
    if None in sights:
        raise ValueError("profile_view called for an organisation the reader may not see")
    seen = cast("list[tuple[Visibility, tuple[str, ...]]]", sights)
    page = _Page.read(session, reader, organisations, seen, memberships)
    return [_view(organisation, tier, fields, page) for organisation, (tier, fields) in zip(organisations, seen)]


@dataclass
class _Page:
    """Per organisation id: the codes of each of its vocabularies' terms, its area codes, their
    roll-ups for those read below PRECISE_AREAS, its published contacts (opened: anyone may read
    them) and its memberships of networks the reader may see (areas, contacts and memberships in
    the order a profile gives them); the public ids of those networks and of the registering
    organisations shown."""

    terms: dict[tuple[int, str], list[str]]  # by organisation id and vocabulary (its stored value)
    areas: dict[int, list[str]]
    coarse: dict[str, set[str]]
    contacts: dict[int, list[ContactView]]
    memberships: dict[int, list[Row[Any]]]
    public_ids: dict[int, str]

    @classmethod
    def read(cls, session: Session, reader: Reader, organisations: Sequence[Any],
             sights: list[tuple[Visibility, tuple[str, ...]]], memberships_read: list[Row[Any]] | None) -> _Page:
        """`memberships_read`: the page's memberships (_MEMBERSHIPS), if already read."""
        # Field -> the organisations that show it, gathered once for each set of fields shown
        # (a page has a few: one per tier and choice of published fields), not field by field
        # for each organisation.
        alike: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for organisation, (_, fields) in zip(organisations, sights):
            alike[fields].append(organisation.id)
        showing: dict[str, list[int]] = defaultdict(list)
        for fields, organisation_ids in alike.items():
            for field in fields:
                showing[field] += organisation_ids

        def ids(*fields: str) -> dict[str, Any]:
            return {"ids": sorted({oid for field in fields for oid in showing.get(field, ())})}

        terms: dict[tuple[int, str], list[str]] = defaultdict(list)
        if shown_terms := [field for field in TERM_FIELDS if field in showing]:
            # Only the vocabularies some profile shows (the public's often shows one), in
            # term_codes' order (position, then code), for every organisation at once.
            chosen, wanted = _TERMS, ids(*shown_terms)
            shown_by = {field: ids(field)["ids"] for field in shown_terms}
            if any(showing_it != wanted["ids"] for showing_it in shown_by.values()):
                # Organisations that show different vocabularies (a public page: most publish
                # their priority areas alone, a few their populations and services too): each
                # vocabulary's terms of the organisations that show it, not every shown
                # vocabulary's terms of them all, most of which no profile on the page shows.
                chosen, wanted = _TERMS_EACH, {TERM_FIELDS[field].value: shown_by.get(field, [])
                                               for field in TERM_FIELDS}
            elif len(shown_terms) < len(TERM_FIELDS):
                chosen, wanted["vocabularies"] = _TERMS_OF, sorted(TERM_FIELDS[field] for field in shown_terms)
            for oid, vocabulary, _, code in sorted(session.execute(chosen, wanted).all(), key=_BY_POSITION):
                terms[oid, vocabulary].append(code)
        areas: dict[int, list[str]] = defaultdict(list)
        coarse: dict[str, set[str]] = {}
        if (wanted := ids("areas_served"))["ids"]:
            for oid, code in sorted(session.execute(_AREAS, wanted).all(), key=_BY_CODE):
                areas[oid].append(code)
            coarse = _rollups(session, {code for o, (tier, fields) in zip(organisations, sights)
                                        if "areas_served" in fields and not at_least(tier, PRECISE_AREAS)
                                        for code in areas[o.id]})
        contacts: dict[int, list[ContactView]] = defaultdict(list)
        if (wanted := ids("contacts"))["ids"]:
            published = session.execute(_CONTACTS, wanted).all()
            for row, contact in zip(published, open_contacts(session, published), strict=True):
                contacts[row.organisation_id].append(contact)
        memberships: dict[int, list[Row[Any]]] = defaultdict(list)
        if memberships_read is None and (wanted := ids("networks", "memberships"))["ids"]:
            memberships_read = session.execute(_MEMBERSHIPS, wanted).all()
        # Each membership comes with its network's public id and what the Reader decides its
        # tier on; only those of networks the reader may see are shown.
        networks: dict[int, _Network] = {}
        for m in memberships_read or ():
            network = networks.get(m.network_id)
            if network is None:
                network = networks[m.network_id] = _Network(m.network_id, m.public_id, m.public_listing,
                                                            m.network_status)
            if reader.tier(network) is not None:
                memberships[m.member_id].append(m)
        public_ids = {oid: network.public_id for oid, network in networks.items()}
        registrars = {o.registered_by_id for o, (_, fields) in zip(organisations, sights)
                      if "registered_by_id" in fields and o.registered_by_id is not None} - public_ids.keys()
        public_ids.update(public_ids_of(session, Organisation, registrars))
        return cls(terms, areas, coarse, contacts, memberships, public_ids)


class _Network(NamedTuple):
    """A membership's network, as much of it as the Reader decides its tier on."""

    id: int
    public_id: str
    public_listing: bool
    status: OrganisationStatus


# _Page's queries, built once: each takes the organisations' ids. On the tables' columns, not the
# models' attributes: the ORM has no object to load from them, and its path cost each query more
# than SQLite took to answer it. Their rows are put in order here (a term by its position, then
# code; an area by its code), as Python orders text.
_BY_POSITION, _BY_CODE = itemgetter(2, 3), itemgetter(1)
_terms, _chosen = Term.__table__.c, OrganisationTerm.__table__.c
# The vocabulary as it is stored: a page's hundreds of terms are grouped by it, not made enums one by one.
_TERM_ROWS = (select(_chosen.organisation_id, type_coerce(_terms.vocabulary, String), _terms.position, _terms.code)
              .join_from(OrganisationTerm.__table__, Term.__table__, _terms.id == _chosen.term_id))
_TERMS = _TERM_ROWS.where(one_of(_chosen.organisation_id, "ids"))
_TERMS_OF = _TERMS.where(_terms.vocabulary.in_(bindparam("vocabularies", expanding=True)))
# One vocabulary's terms of the organisations named by its own parameter (an empty list for a
# vocabulary no profile shows), for every vocabulary, in one statement.
_TERMS_EACH = union_all(*(_TERM_ROWS.where(one_of(_chosen.organisation_id, vocabulary.value),
                                           _terms.vocabulary == vocabulary)
                          for vocabulary in TERM_FIELDS.values()))
_served = OrganisationArea.__table__.c
_AREAS = select(_served.organisation_id, _served.area_code).where(one_of(_served.organisation_id, "ids"))
# Only published contacts are read (and opened) for a profile; the others through the logged read.
_contacts = Contact.__table__.c
_CONTACTS = (select(_contacts.organisation_id, _contacts.id, _contacts.public_id, _contacts.kind,
                    _contacts.sealed_value, _contacts.label, _contacts.visibility)
             .where(one_of(_contacts.organisation_id, "ids"), _contacts.visibility == Visibility.PUBLIC)
             .order_by(_contacts.id))
_network, _membership = Organisation.__table__.alias("network"), Membership.__table__.c
_MEMBERSHIPS = (select(_membership.member_id, _membership.network_id, _membership.status, _membership.status_since,
                       _network.c.public_id, _network.c.public_listing, _network.c.status.label("network_status"))
                .join_from(Membership.__table__, _network, _network.c.id == _membership.network_id)
                .where(one_of(_membership.member_id, "ids")).order_by(_membership.member_id, _membership.network_id))


def _view(organisation: Any, tier: Visibility, fields: tuple[str, ...], page: _Page) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for field, made in _making(fields):
        shown[field] = getattr(organisation, field) if made is None else made(organisation, tier, page)
    shown["visibility"] = tier
    return shown


@functools.lru_cache(maxsize=4096)
def _making(fields: tuple[str, ...]) -> tuple[tuple[str, Callable[[Any, Visibility, _Page], Any] | None], ...]:
    """How each of these fields is made (None: the column's value), worked out once for each set
    of fields a reader sees (visibility._fields makes a few), not for each organisation."""
    return tuple((field, _MADE.get(field)) for field in fields)


def _areas_served(organisation: Any, tier: Visibility, page: _Page) -> list[str]:
    codes = page.areas.get(organisation.id, ())
    if at_least(tier, PRECISE_AREAS):
        return list(codes)
    return sorted(set().union(*(page.coarse.get(c, ()) for c in codes)))


def _terms_of(vocabulary: Vocabulary) -> Callable[[Any, Visibility, _Page], list[str]]:
    stored = vocabulary.value
    return lambda organisation, _tier, page: list(page.terms.get((organisation.id, stored), ()))


# How each field that is not a column of its own is made (the others are the column's value).
_MADE: dict[str, Callable[[Any, Visibility, _Page], Any]] = {
    # The public id: integer keys would count the organisations not shown.
    "id": lambda organisation, _tier, _page: organisation.public_id,
    **{field: _terms_of(vocabulary) for field, vocabulary in TERM_FIELDS.items()},
    "areas_served": _areas_served,
    "registered_by_id": lambda organisation, _tier, page: (
        None if organisation.registered_by_id is None else page.public_ids[organisation.registered_by_id]),
    "networks": lambda organisation, _tier, page: [
        page.public_ids[m.network_id] for m in page.memberships.get(organisation.id, ())
        if m.status is MembershipStatus.ACTIVE],
    "memberships": lambda organisation, _tier, page: [
        {"network_id": page.public_ids[m.network_id], "status": m.status.value, "status_since": m.status_since}
        for m in page.memberships.get(organisation.id, ())],
    "contacts": lambda organisation, tier, page: visible_contacts(
        tier, page.contacts.get(organisation.id, ()), including_private=False),
}
assert set(_MADE) <= set(FIELD_TIERS) and not (set(FIELD_TIERS) - set(_MADE)) - _COLUMNS, "every field is made"


def _rollups(session: Session, codes: set[str]) -> dict[str, set[str]]:
    """Each code's roll-up (see coarse_areas), for many codes with one query per level climbed."""
    found: dict[str, set[str]] = {code: set() for code in codes}
    pending = {code: {code} for code in codes}  # code to place -> the codes it stands in for
    for _ in range(6):  # administrative hierarchies are a few levels deep
        if not pending:
            break
        entries: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for code, level, parent in session.execute(_AREA_LEVELS, {"codes": sorted(pending)}):
            entries[code].append((level, parent))
        climbing: dict[str, set[str]] = defaultdict(set)
        for code, origins in pending.items():
            known = entries.get(code)
            if not known:
                continue
            if all(level <= COARSEST_PUBLIC_LEVEL for level, _ in known):
                for origin in origins:
                    found[origin].add(code)
            else:
                for _, parent in known:
                    if parent:
                        climbing[parent] |= origins
        pending = climbing
    return found


_areas = Area.__table__.c
_AREA_LEVELS = select(_areas.code, _areas.level, _areas.parent_code).where(
    _areas.code.in_(bindparam("codes", expanding=True)))
