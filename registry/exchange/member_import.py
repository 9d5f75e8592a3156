"""Importing a network's member organisations from a secretariat's spreadsheet (CSV or XLSX).

Each row is mapped (English header variants; vocabulary values by code or by label in any
supported language; area names matched ignoring diacritics) and then checked by the same
service functions as any other change. A dry run reports what every row would do and writes
nothing; applying is all-or-nothing: one bad row and nothing is kept.

Every row goes through the ordinary service functions (register_organisation, transition,
update_profile, add_contact), inside a savepoint of its own so that a refused row leaves nothing
for the rows after it. A file may hold thousands of rows: what the checks look up is read once
for all of them and remembered on the session (registry.organisations.known), and what the rows write goes out
at each flush in one statement per table (the ORM's insertmanyvalues; audit entries together).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.access.permissions import Actor, Permission, can, require
from registry.areas.models import AREA_CODE, Area
from registry.areas.place_names import PlaceNames
from registry.db import in_chunks
from registry.errors import NotPermitted, RegistryError, ValidationFailed
from registry.exchange.spreadsheets import COLUMNS, Table, read_table
from registry.memberships import services as memberships
from registry.memberships.models import ENDED_STATUSES, Membership, MembershipStatus
from registry.names import fold
from registry.organisations import known, services as organisations
from registry.organisations.models import Organisation
from registry.vocabularies.models import Vocabulary
from registry.vocabularies.services import terms

# Rows naming organisations the network already has are each written on their own (a savepoint
# and an update), several times the cost of a new one.
MAX_REGISTERED_ROWS = 500


_BY_HEADER = {fold(text): c.field for c in COLUMNS for text in (c.header, c.field, *c.aliases)}
_MULTI = {"populations", "services", "priority_areas", "areas_served", "languages"}
_VOCABULARY = {"populations": Vocabulary.POPULATION, "services": Vocabulary.SERVICE,
               "priority_areas": Vocabulary.PRIORITY_AREA}
_YES, _NO = {"yes", "y", "true", "1", "x", "co"}, {"no", "n", "false", "0", "", "khong"}


@dataclass
class RowResult:
    row: int
    name: str
    outcome: str  # created, updated, unchanged or error
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult]
    warnings: list[str]
    applied: bool

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    def counts(self) -> dict[str, int]:
        found = Counter(r.outcome for r in self.rows)
        return {k: found[k] for k in ("created", "updated", "unchanged", "error")}


def import_file(session: Session, actor: Actor, network: Organisation, filename: str, data: bytes, *,
                apply: bool, headers: Mapping[str, str] | None = None) -> ImportReport:
    """A file as it was uploaded: the caller's permission is checked before the file is read, so
    only a network's secretariat can make the server parse one."""
    require(session, actor, Permission.REGISTER_ORGANISATION, network.id)
    return import_members(session, actor, network, read_table(filename, data), apply=apply, headers=headers)


def import_members(
    session: Session, actor: Actor, network: Organisation, table: Table, *, apply: bool,
    progress: Callable[[int], None] | None = None, headers: Mapping[str, str] | None = None,
) -> ImportReport:
    """Check (and with `apply`, keep) every row; nothing is kept unless every row is clean.
    `progress` is called with the number of each row done. `headers` names the template's
    columns in other languages (folded header -> field), as the API's catalogs translate them."""
    require(session, actor, Permission.REGISTER_ORGANISATION, network.id, lineage=known.lookups(session).lineage)
    fields, warnings = _map_headers(table.headers, headers)
    lookups = _Lookups(session, network)
    rows = [(number, {fields[h]: v for h, v in cells.items() if h in fields}) for number, cells in table.rows]
    registered = _Registered(session, actor, network, {fold(values.get("name", "")) for _, values in rows},
                             {values["id"].strip() for _, values in rows if values.get("id", "").strip()})
    naming_registered = sum(registered.named(values) is not None for _, values in rows)
    if naming_registered > MAX_REGISTERED_ROWS:
        raise ValidationFailed.on("file", f"{naming_registered:,} rows name organisations the network already has; "
                                          f"one file may change at most {MAX_REGISTERED_ROWS:,} of them: import "
                                          "it in parts")
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    outer = session.begin_nested()
    keep = False
    try:
        for number, values in rows:
            result = RowResult(number, values.get("name", ""), "error")
            results.append(result)
            key = values.get("id", "").strip() or fold(result.name)
            if key in seen:
                result.messages.append(f"the same organisation as row {seen[key]}")
            else:
                seen[key] = number
                try:
                    with session.begin_nested():
                        result.outcome = _write_row(session, actor, network, values, lookups, registered)
                except RegistryError as refused:
                    result.messages = [f"{k}: {' '.join(v)}" for k, v in refused.fields.items()] or [refused.message]
            if progress is not None:
                progress(number)
        keep = apply and not any(r.outcome == "error" for r in results)
    finally:
        outer.commit() if keep else outer.rollback()
    return ImportReport(results, warnings, applied=keep)


_REASON = "imported from the network's spreadsheet"


def _write_row(session: Session, actor: Actor, network: Organisation, values: dict[str, str], lookups: _Lookups,
               registered: _Registered) -> str:
    profile, since, email = lookups.convert(values)
    kind = profile.pop("kind", "community_organisation")
    member = registered.named(values)
    if member is None:
        member = organisations.register_organisation(session, actor, network=network, kind=kind, **profile)
        _activate(session, actor, network, member, None, since)
        if email:
            organisations.add_contact(session, actor, member, kind="email", value=email)
        return "created"
    return "updated" if _update_member(session, actor, network, member, profile, since, email) else "unchanged"


def _update_member(session: Session, actor: Actor, network: Organisation, member: Organisation,
                   profile: dict[str, Any], since: dt.date | None, email: str | None) -> bool:
    membership = memberships.get_membership(session, network, member)
    if membership is not None and membership.status in ENDED_STATUSES and not can(
            session, actor, Permission.APPLY_FOR_MEMBERSHIP, member.id, lineage=known.lookups(session).lineage):
        # It left (or was turned away): the network no longer speaks for it, and only the
        # organisation itself brings it back, by applying again.
        raise NotPermitted(f"{member.name}'s membership is {membership.status.value}; the organisation "
                           "applies again itself before a spreadsheet can change it")
    before = member.profile()
    organisations.update_profile(session, actor, member, profile)
    changed = member.profile() != before
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        _activate(session, actor, network, member, membership.status if membership else None, since)
        changed = True
    if email and not organisations.has_contact(session, member, "email", email):  # by blind index
        organisations.add_contact(session, actor, member, kind="email", value=email)
        changed = True
    return changed


def _activate(session: Session, actor: Actor, network: Organisation, member: Organisation,
              status: MembershipStatus | None, since: dt.date | None) -> None:
    for action in _path_to_active(status):
        memberships.transition(session, actor, network, member, action, on=since, reason=_REASON)


def _path_to_active(status: MembershipStatus | None) -> list[str]:
    paths = {None: ["apply", "verify", "admit"], MembershipStatus.APPLIED: ["verify", "admit"],
             MembershipStatus.VERIFIED: ["admit"], MembershipStatus.WITHDRAWN: ["reinstate"],
             MembershipStatus.REJECTED: ["apply", "verify", "admit"]}
    path = paths.get(status)
    if path is None:
        raise ValidationFailed.on("membership", f"the membership is {status and status.value}; "
                                                 "a secretariat decision, not an import, changes that")
    return path


class _Registered:
    """The organisations the file names that the network registered or has as members (any
    state), each with its membership, read at once: by public id (an exported row's), or by
    name, where under one name the first registered. Their memberships, lineages and the names
    in the network are remembered on the session for the service functions that check the rows."""

    def __init__(self, session: Session, actor: Actor, network: Organisation, keys: set[str],
                 public_ids: set[str]) -> None:
        members = select(Membership.member_id).where(Membership.network_id == network.id)
        ours = (Organisation.registered_by_id == network.id) | Organisation.id.in_(members)
        loads = [selectinload(Organisation.terms), selectinload(Organisation.area_links),
                 selectinload(Organisation.contacts)]
        self.members: dict[str, Organisation] = {}
        for chunk in in_chunks(sorted(keys)):
            query = select(Organisation).where(Organisation.name_key.in_(chunk), ours).options(*loads)
            for organisation in session.scalars(query.order_by(Organisation.id)):
                self.members.setdefault(organisation.name_key, organisation)
        self.by_public_id: dict[str, Organisation] = {}
        for chunk in in_chunks(sorted(public_ids)):
            query = select(Organisation).where(Organisation.public_id.in_(chunk), ours).options(*loads)
            self.by_public_id.update((o.public_id, o) for o in session.scalars(query))
        ids = sorted({o.id for o in (*self.members.values(), *self.by_public_id.values())})
        remembered = known.lookups(session)
        for chunk in in_chunks(ids):
            query = (select(Membership).where(Membership.network_id == network.id, Membership.member_id.in_(chunk))
                     .options(selectinload(Membership.events)))
            remembered.memberships.update(((network.id, m.member_id), m) for m in session.scalars(query))
        remembered.lineage.load(ids)
        remembered.load_names([network.id], actor)

    def named(self, values: dict[str, str]) -> Organisation | None:
        """The organisation a row names: by its id when that is one of the network's (whether an
        id names anything elsewhere makes no difference), else by its name."""
        found = self.by_public_id.get(values.get("id", "").strip())
        return found or self.members.get(fold(values.get("name", "")))


def _map_headers(headers: list[str], translated: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    warnings: list[str] = []
    for header in headers:
        target = _BY_HEADER.get(fold(header)) or (translated or {}).get(fold(header))
        if target is None:
            warnings.append(f"column {header!r} is not one the registry knows; it was ignored")
        elif target in fields.values():
            raise ValidationFailed.on("columns", f"two columns mean {target!r}: keep one")
        else:
            fields[header] = target
    if "name" not in fields.values():
        raise ValidationFailed.on("columns", "no Name column (found: " + ", ".join(headers) + ")")
    return fields, warnings


class _Lookups:
    """Cell text → values: codes or labels for vocabularies, codes or names for areas."""

    def __init__(self, session: Session, network: Organisation) -> None:
        self.network = network
        lineage = [network.id, *known.lookups(session).lineage.of(network.id)]
        self.terms: dict[str, dict[str, str]] = {}
        for key, vocabulary in _VOCABULARY.items():
            table: dict[str, str] = {}
            for term in terms(session, vocabulary, network_ids=lineage):
                for text in (term.code, *term.labels.values()):
                    table[fold(text)] = term.code
            self.terms[key] = table
        self.session = session
        self.area_codes = set(session.scalars(select(Area.code).distinct()))
        self._places: PlaceNames | None = None

    @property
    def places(self) -> PlaceNames:
        """Every area by every name it goes by, in any script; made on first use, as a file
        that gives codes only never needs it."""
        if self._places is None:
            self._places = PlaceNames.load(self.session)
        return self._places

    def convert(self, values: dict[str, str]) -> tuple[dict[str, Any], dt.date | None, str | None]:
        problems: dict[str, list[str]] = {}
        profile: dict[str, Any] = {}
        for key, text in values.items():
            if key in ("member_since", "contact_email", "id"):
                continue
            try:
                profile[key] = self._value(key, text)
            except ValueError as wrong:
                problems[key] = [str(wrong)]
        since = None
        if values.get("member_since"):
            try:
                since = dt.date.fromisoformat(values["member_since"][:10])
            except ValueError:
                problems["member_since"] = ["use YYYY-MM-DD"]
        if problems:
            raise ValidationFailed.of("the row", problems)
        if not profile.get("country") and self.network.country:
            profile["country"] = self.network.country
        return {k: v for k, v in profile.items() if v is not None or k == "name"}, since, \
            values.get("contact_email") or None

    def _value(self, key: str, text: str) -> Any:
        if key in _MULTI:
            parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
            return [code for part in parts for code in self._codes(key, part)]
        if key == "public_listing":
            if fold(text) in _YES | _NO:
                return fold(text) in _YES
            raise ValueError(f"{text!r}: write yes or no")
        if key == "drop_in_centres":
            if not text:
                return None
            number = float(text) if re.fullmatch(r"\d+(\.0+)?", text) else None
            if number is None:
                raise ValueError(f"{text!r} is not a whole number")
            return int(number)
        return text or None

    def _codes(self, key: str, part: str) -> list[str]:
        """One cell part → codes; a part that is unknown as a whole may be a comma-separated list."""
        for attempt in ([part], [p.strip() for p in part.split(",") if p.strip()]):
            try:
                return [self._code(key, p) for p in attempt]
            except ValueError as unknown:
                error = unknown
        raise error

    def _code(self, key: str, text: str) -> str:
        if key == "languages":
            return text.lower()
        if key == "areas_served":
            if AREA_CODE.match(text.upper()) and text.upper() in self.area_codes:
                return text.upper()
            return self.places.resolve(text, country=self.network.country)
        code = self.terms[key].get(fold(text))
        if code is None:
            raise ValueError(f"unknown {key.replace('_', ' ')[:-1]} {text!r}")
        return code


