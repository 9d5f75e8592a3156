"""Importing a network's member organisations from a secretariat's spreadsheet (CSV or XLSX).

Each row is mapped (English header variants; vocabulary values by code or by label in any
supported language; area names matched ignoring diacritics) and then checked by the same
service functions as any other change. A dry run reports what every row would do and writes
nothing; applying is all-or-nothing: one bad row and nothing is kept.

Every row goes through the ordinary service functions, each called once for all the rows it
concerns (register_organisations, update_profile, transitions, add_contacts): they check the
rows one by one, as they check a single change, and write them together (a bulk INSERT or one
flush per table, the network tree's upkeep once). A refused row is reported and goes no further;
nothing is kept unless every row is clean. What the checks look up is read once for all the
rows and remembered on the session (registry.organisations.known).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.access.permissions import Actor, Permission, can, require
from registry.areas.models import AREA_CODE, Area
from registry.areas.place_names import AmbiguousPlace, PlaceNames, PlaceNotFound
from registry.db import in_chunks
from registry.errors import N_, NotPermitted, RegistryError, Said, ValidationFailed
from registry.exchange.spreadsheets import COLUMNS, NAME_COLUMNS, VOCABULARIES, Table, read_table
from registry.memberships import services as memberships
from registry.memberships.models import ENDED_STATUSES, Membership, MembershipStatus
from registry.names import fold
from registry.organisations import known, services as organisations
from registry.organisations.models import Organisation
from registry.vocabularies.services import terms

# Rows naming organisations the network already has are each updated on their own (their
# profiles compared and changed one by one), several times the cost of a new one.
MAX_REGISTERED_ROWS = 500


_TEMPLATE_HEADERS = {c.field: c.header for c in COLUMNS}
_BY_HEADER = {fold(text): c.field for c in COLUMNS for text in (c.header, c.field, *c.aliases)} | {
    fold(text): c.field for c in NAME_COLUMNS for text in (c.header, c.field)}
# An export's columns of names beside codes: read past, as the codes say the same.
_NAMES = {c.field for c in NAME_COLUMNS}
_MULTI = {"populations", "services", "priority_areas", "areas_served", "languages"}
_YES, _NO = {"yes", "y", "true", "1", "x", "co"}, {"no", "n", "false", "0", "", "khong"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: the column it is in, named by the sheet's own header (or,
    for a column the sheet lacks, by the template's header, a message id), and the message id
    with its parameters, so that a reader hears it in their language (`said`)."""

    column: str | None
    message: str
    params: dict[str, object] = field(default_factory=dict)
    column_in_sheet: bool = True

    def said(self, say: Callable[..., str] = lambda message, **params: message % params if params else message) -> str:
        """The problem in words; `say(message_id, **params)` translates (default: English)."""
        text = say(self.message, **self.params)
        if self.column is None:
            return text
        return f"{self.column if self.column_in_sheet else say(self.column)}: {text}"


@dataclass(slots=True)  # (slots: an import holds one a row, each else with a dict the collector walks)
class RowResult:
    row: int
    name: str
    outcome: str  # created, updated, unchanged or error
    # A clean row has none: one empty tuple shared, not an empty list a row for the collector.
    problems: Sequence[Problem] = ()

    @property
    def messages(self) -> list[str]:
        """Why the row has an error, in English."""
        return [problem.said() for problem in self.problems]


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
    columns = _SheetColumns(fields)
    lookups = _Lookups(session, network)
    rows = [(number, {fields[h]: v for h, v in cells.items() if h in fields}) for number, cells in table.rows]
    registered = _Registered(session, actor, network, {fold(values.get("name", "")) for _, values in rows},
                             {values["id"].strip() for _, values in rows if values.get("id", "").strip()})
    naming_registered = sum(registered.named(values) is not None for _, values in rows)
    if naming_registered > MAX_REGISTERED_ROWS:
        raise ValidationFailed.on("file", N_("%(rows)s rows name organisations the network already has; one file "
                                             "may change at most %(most)s of them: import it in parts"),
                                  rows=f"{naming_registered:,}", most=f"{MAX_REGISTERED_ROWS:,}")
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    todo: list[_Row] = []
    for number, values in rows:
        result = RowResult(number, values.get("name", ""), "error")
        results.append(result)
        key = values.get("id", "").strip() or fold(result.name)
        if key in seen:
            result.problems = [Problem(None, N_("the same organisation as row %(row)s"), {"row": seen[key]})]
            continue
        seen[key] = number
        try:
            profile, since, emails = lookups.convert(values)
        except _Unreadable as unreadable:
            result.problems = [columns.problem(f, m, p) for f, (m, p) in unreadable.problems.items()]
            continue
        except RegistryError as refused:
            result.problems = columns.problems(refused)
            continue
        profile.setdefault("kind", "community_organisation")
        todo.append(_Row(result, profile, since, emails, registered.named(values), columns))
    del rows  # each row's cells, read: the collector need not walk them while the rows are written
    outer = session.begin_nested()
    keep = False
    try:
        _write(session, actor, network, todo)
        keep = apply and not any(r.outcome == "error" for r in results)
    finally:
        outer.commit() if keep else outer.rollback()
    if progress is not None:
        for result in results:
            progress(result.row)
    return ImportReport(results, warnings, applied=keep)


_REASON = "imported from the network's spreadsheet"


@dataclass(eq=False, slots=True)
class _Row:
    """A row on its way through the services: what it asks for, and the organisation it names
    (None: one it registers)."""

    result: RowResult
    profile: dict[str, Any]
    since: dt.date | None
    emails: tuple[str, ...]
    member: Organisation | None
    columns: _SheetColumns  # how the sheet names the fields a refusal names
    path: tuple[str, ...] = ()  # the membership's moves to active
    registers: bool = field(init=False)

    def __post_init__(self) -> None:
        self.registers = self.member is None

    def refuse(self, refused: RegistryError) -> None:
        """The row's first refusal is the one it reports (a refused move refuses those after it)."""
        if self.result.outcome != "error" or not self.result.problems:
            self.result.outcome = "error"
            self.result.problems = self.columns.problems(refused)

    @property
    def refused(self) -> bool:
        return self.result.outcome == "error"


def _write(session: Session, actor: Actor, network: Organisation, rows: list[_Row]) -> None:
    """Every row through the service functions, each service called once for all the rows it
    concerns (their checks row by row, their writes together): registrations, profile updates,
    membership moves, contacts. A refused row is reported and goes no further; the other rows
    go on, so that a dry run reports every row."""
    new = [row for row in rows if row.registers]
    made = organisations.register_organisations(
        session, actor, network=network, profiles=[row.profile for row in new],
        refused=lambda index, refused: new[index].refuse(refused))
    for row, organisation in zip(new, made):
        row.profile = _REGISTERED  # asked for and done: its values need not stay for the collector to walk
        if organisation is not None:
            row.member, row.path = organisation, _path_to_active(None)
            row.result.outcome = "created"
    for row in rows:
        if not row.registers:
            try:
                _update_member(session, actor, network, row)
            except RegistryError as refused:
                row.refuse(refused)
    going = [row for row in rows if not row.refused]
    moving = [row for row in going for _action in row.path]  # the row of each change
    memberships.transitions(session, actor, network, (  # each made as it is asked for, not thirty thousand at once
        memberships.Change(row.member, action, on=row.since, reason=_REASON)  # type: ignore[arg-type]
        for row in going for action in row.path
    ), refused=lambda index, refused: moving[index].refuse(refused))
    adding = [(row, email) for row in rows if not row.refused for email in row.emails
              if row.registers or not organisations.has_contact(session, row.member, "email", email)]  # type: ignore[arg-type]
    organisations.add_contacts(session, actor, [(row.member, {"kind": "email", "value": email})  # type: ignore[misc]
                                                for row, email in adding],
                               refused=lambda index, refused: adding[index][0].refuse(refused))
    for row, _email in adding:
        if not row.refused and not row.registers:
            row.result.outcome = "updated"


def _update_member(session: Session, actor: Actor, network: Organisation, row: _Row) -> None:
    """A row naming an organisation the network has: its profile updated, and the moves that
    make its membership active (if it is not) found."""
    member = row.member
    assert member is not None
    membership = memberships.get_membership(session, network, member)
    if membership is not None and membership.status in ENDED_STATUSES and not can(
            session, actor, Permission.APPLY_FOR_MEMBERSHIP, member.id, lineage=known.lookups(session).lineage):
        # It left (or was turned away): the network no longer speaks for it, and only the
        # organisation itself brings it back, by applying again.
        raise NotPermitted(N_("%(member)s's membership is %(status)s; the organisation applies again itself "
                              "before a spreadsheet can change it"),
                           params={"member": member.name, "status": membership.status.value})
    before = member.profile()
    profile = {k: v for k, v in row.profile.items() if k != "kind"}
    organisations.update_profile(session, actor, member, profile)
    changed = member.profile() != before
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        row.path = _path_to_active(membership.status if membership else None)
        changed = True
    row.result.outcome = "updated" if changed else "unchanged"


_PATHS: dict[MembershipStatus | None, tuple[str, ...]] = {
    None: ("apply", "verify", "admit"), MembershipStatus.APPLIED: ("verify", "admit"),
    MembershipStatus.VERIFIED: ("admit",), MembershipStatus.WITHDRAWN: ("reinstate",),
    MembershipStatus.REJECTED: ("apply", "verify", "admit")}
_REGISTERED: dict[str, Any] = {}  # a registered row's profile, once registration has read it


def _path_to_active(status: MembershipStatus | None) -> tuple[str, ...]:
    path = _PATHS.get(status)
    if path is None:
        raise ValidationFailed.on("membership", N_("the membership is %(status)s; a secretariat decision, not an "
                                                    "import, changes that"), status=str(status and status.value))
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
        remembered.structure.load([network.id])  # what the rows' applications must not loop into
        remembered.load_names([network.id], actor)

    def named(self, values: dict[str, str]) -> Organisation | None:
        """The organisation a row names: by its id when that is one of the network's (whether an
        id names anything elsewhere makes no difference), else by its name."""
        found = self.by_public_id.get(values.get("id", "").strip())
        return found or self.members.get(fold(values.get("name", "")))


class _SheetColumns:
    """Fields named as the person's sheet names them: its own header for a column it has, the
    template's for one it lacks (a country taken from the network's), else the field itself."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.headers = {field: header for header, field in fields.items()}

    def problem(self, field: str | None, message: str, params: dict[str, object] | None = None) -> Problem:
        if field is None:
            return Problem(None, message, dict(params or {}))
        if field in self.headers:
            return Problem(self.headers[field], message, dict(params or {}))
        if field in _TEMPLATE_HEADERS:
            return Problem(_TEMPLATE_HEADERS[field], message, dict(params or {}), column_in_sheet=False)
        return Problem(field, message, dict(params or {}))

    def problems(self, refused: RegistryError) -> list[Problem]:
        if refused.field is not None:
            return [self.problem(refused.field, refused.template, refused.params)]
        if refused.fields:
            return [self.problem(f, message) for f, messages in refused.fields.items() for message in messages]
        return [self.problem(None, refused.template, refused.params)]


def _map_headers(headers: list[str], translated: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    warnings: list[str] = []
    for header in headers:
        target = _BY_HEADER.get(fold(header)) or (translated or {}).get(fold(header))
        if target is None:
            warnings.append(Said(N_("column %(header)r is not one the registry knows; it was ignored: name it "
                                    "as the template does, or leave it out"), header=header))
        elif target in _NAMES:
            continue
        elif target in fields.values():
            raise ValidationFailed.on("columns", N_("two columns mean %(field)r: keep one"), field=target)
        else:
            fields[header] = target
    if "name" not in fields.values():
        raise ValidationFailed.on("columns", N_("no Name column (found: %(headers)s): add one, headed as the "
                                                "template's"), headers=", ".join(headers))
    return fields, warnings


class _Lookups:
    """Cell text → values: codes or labels for vocabularies, codes or names for areas."""

    def __init__(self, session: Session, network: Organisation) -> None:
        self.network = network
        lineage = [network.id, *known.lookups(session).lineage.of(network.id)]
        self.terms: dict[str, dict[str, str]] = {}
        for key, vocabulary in VOCABULARIES.items():
            table: dict[str, str] = {}
            for term in terms(session, vocabulary, network_ids=lineage):
                for text in (term.code, *term.labels.values()):
                    table[fold(text)] = term.code
            self.terms[key] = table
        self.session = session
        self.area_codes = set(session.scalars(select(Area.code).distinct()))
        self._places: PlaceNames | None = None
        self._read: dict[tuple[str, str], list[str]] = {}  # (field, cell text): its codes

    @property
    def places(self) -> PlaceNames:
        """Every area by every name it goes by, in any script; made on first use, as a file
        that gives codes only never needs it."""
        if self._places is None:
            self._places = PlaceNames.load(self.session)
        return self._places

    def convert(self, values: dict[str, str]) -> tuple[dict[str, Any], dt.date | None, tuple[str, ...]]:
        problems: dict[str, tuple[str, dict[str, object]]] = {}
        profile: dict[str, Any] = {}
        for key, text in values.items():
            if key in ("member_since", "contact_email", "id"):
                continue
            try:
                profile[key] = self._once(key, text)
            except _Unreadable as unreadable:
                problems.update((key, said) for said in unreadable.problems.values())
            except (PlaceNotFound, AmbiguousPlace) as wrong:  # the message names the candidates
                problems[key] = (wrong.said.template, wrong.said.params)
            except ValueError as wrong:
                problems[key] = (str(wrong), {})
        since = None
        if values.get("member_since"):
            try:
                since = dt.date.fromisoformat(values["member_since"][:10])
            except ValueError:
                problems["member_since"] = (N_("'%(value)s' is not a date: write YYYY-MM-DD"),
                                            {"value": values["member_since"]})
        if problems:
            raise _Unreadable(problems)
        if not profile.get("country") and self.network.country:
            profile["country"] = self.network.country
        # An export lists every email the reader may see in one cell, "a@x; b@y": each is one contact.
        emails = tuple(dict.fromkeys(e.strip() for e in re.split(r"[;\n]", values.get("contact_email") or "")
                                     if e.strip()))
        return {k: v for k, v in profile.items() if v is not None or k == "name"}, since, emails

    def _once(self, key: str, text: str) -> Any:
        """A cell's value; a list's read once for each text its column holds (a sheet repeats its
        areas, services and priorities row after row), each row given a list of its own. A cell
        that cannot be read raises each time."""
        if key not in _MULTI:
            return self._value(key, text)
        found = self._read.get((key, text))
        if found is None:
            found = self._read[key, text] = self._value(key, text)
        return list(found)

    def _value(self, key: str, text: str) -> Any:
        if key in _MULTI:
            parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
            return [code for part in parts for code in self._codes(key, part)]
        if key == "public_listing":
            if fold(text) in _YES | _NO:
                return fold(text) in _YES
            raise _Unreadable.cell(N_("'%(value)s': write yes or no"), value=text)
        if key == "drop_in_centres":
            if not text:
                return None
            number = float(text) if re.fullmatch(r"\d+(\.0+)?", text) else None
            if number is None:
                raise _Unreadable.cell(N_("'%(value)s' is not a whole number"), value=text)
            return int(number)
        return text or None

    def _codes(self, key: str, part: str) -> list[str]:
        """One cell part → codes; a part that is unknown as a whole may be a comma-separated list."""
        error: ValueError | None = None
        for attempt in ([part], [p.strip() for p in part.split(",") if p.strip()]):
            try:
                return [self._code(key, p) for p in attempt]
            except ValueError as unknown:
                error = error or unknown  # the whole part's, which names what was written
        assert error is not None
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
            raise _Unreadable.cell(_UNKNOWN_TERM[key], value=text)
        return code


_UNKNOWN_TERM = {"populations": N_("'%(value)s' is not a population the registry knows"),
                 "services": N_("'%(value)s' is not a service the registry knows"),
                 "priority_areas": N_("'%(value)s' is not a priority area the registry knows")}


class _Unreadable(ValueError):
    """Cells that say nothing the registry can store: field -> (message id, its parameters)."""

    def __init__(self, problems: dict[str, tuple[str, dict[str, object]]]) -> None:
        super().__init__("; ".join(message % params for message, params in problems.values()))
        self.problems = problems

    @classmethod
    def cell(cls, message: str, **params: object) -> _Unreadable:
        return cls({"": (message, params)})


