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
rows and remembered on the session (registry.known).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry import known, memberships, organisations
from registry.areas import AREA_CODE, Area
from registry.db import in_chunks
from registry.errors import N_, NotPermitted, RegistryError, ValidationFailed
from registry.memberships import ENDED_STATUSES, Membership, MembershipStatus
from registry.names import fold
from registry.organisation_rules import storable
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, can, require
from registry.place_names import PlaceNames
from registry.vocabularies import Vocabulary, terms

MAX_BYTES = 5 * 1024 * 1024
# Bounds no real file comes near (a network's members are counted in hundreds), checked as the
# file is read so that a dry run of a file at every bound answers well within a request's time.
MAX_ROWS = 10_000  # member rows
# Rows naming organisations the network already has are each updated on their own (their
# profiles compared and changed one by one), several times the cost of a new one.
MAX_REGISTERED_ROWS = 500
MAX_ROWS_READ = 5 * MAX_ROWS  # rows read, empty ones included
MAX_COLUMNS = 64
MAX_CELL = 10_000  # characters; the longest text the registry stores is 5,000
MAX_UNPACKED = 64 * 1024 * 1024  # bytes a workbook unpacks to
MAX_PARTS = 1_000  # files in a workbook's zip
MAX_TAGS = 500_000  # XML tags in a workbook (the full template's 17 columns take 104 a row)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    help: str
    aliases: tuple[str, ...] = ()


# The template, in order. Multi-valued cells separate values with ";" (or a line break).
COLUMNS = (
    Column("name", N_("Name"), N_("The organisation's name (required)."), ("organisation", "organization",
           "organisation name", "organization name", "cbo", "cbo name")),
    Column("acronym", N_("Acronym"), N_("Short name, if any."), ("short name", "abbreviation")),
    Column("kind", N_("Kind"), N_("community_organisation (default), national_network, regional_network "
           "or global_network."), ("type", "organisation type")),
    Column("country", N_("Country"), N_("ISO 3166-1 code, e.g. VN (default: the network's country)."),
           ("country code",)),
    Column("founding_date", N_("Founded"), N_("YYYY, YYYY-MM or YYYY-MM-DD."), ("founding date", "founded in",
           "year founded", "established")),
    Column("sex_worker_led", N_("Sex-worker-led"), N_("yes, partly or no."), ("sex worker led", "sw led")),
    Column("sex_worker_involvement", N_("How sex workers are involved"), N_("Free text."),
           ("sex worker involvement", "involvement")),
    Column("populations", N_("Populations"), N_("Codes or labels, separated by ;."),
           ("populations served", "population", "who do you work with")),
    Column("services", N_("Services"), N_("Codes or labels, separated by ;."), ("service",)),
    Column("priority_areas", N_("Priority areas"), N_("NSWP priority areas: codes or labels, separated by ;."),
           ("nswp priority areas", "priority area")),
    Column("areas_served", N_("Areas served"), N_("Area codes or names (e.g. VN-HN or Hà Nội), separated by ;."),
           ("areas", "area", "provinces", "province", "province city", "location", "khan", "district")),
    Column("languages", N_("Languages"), N_("ISO 639 codes, separated by ;."), ("language",)),
    Column("drop_in_centres", N_("Drop-in centres"), N_("A whole number."), ("drop in centres", "dics",
           "number of drop in centres", "drop in centers")),
    Column("website", N_("Website"), "https://…", ("web", "url", "web site")),
    Column("public_listing", N_("Public listing"), N_("yes to list the organisation publicly (default no)."),
           ("public", "list publicly")),
    Column("member_since", N_("Member since"), N_("YYYY-MM-DD, the date the membership became active "
           "(default: today)."), ("joined", "date joined", "membership date", "admitted")),
    Column("contact_email", N_("Contact email"), N_("Seen only by the organisation and its secretariat."),
           ("email", "e mail", "contact")),
    Column("id", N_("Registry id"), N_("Empty for a new organisation. An export fills it in, so that its row "
           "still finds the organisation when the name was changed; one this network does not have is "
           "passed over (the row is matched by name, or registers a new organisation)."),
           ("public id", "registry")),
)
_TEMPLATE_HEADERS = {c.field: c.header for c in COLUMNS}
_BY_HEADER = {fold(text): c.field for c in COLUMNS for text in (c.header, c.field, *c.aliases)}
_MULTI = {"populations", "services", "priority_areas", "areas_served", "languages"}
_VOCABULARY = {"populations": Vocabulary.POPULATION, "services": Vocabulary.SERVICE,
               "priority_areas": Vocabulary.PRIORITY_AREA}
_YES, _NO = {"yes", "y", "true", "1", "x", "co"}, {"no", "n", "false", "0", "", "khong"}


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, header -> cell)


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


@dataclass
class RowResult:
    row: int
    name: str
    outcome: str  # created, updated, unchanged or error
    problems: list[Problem] = field(default_factory=list)

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


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet of an XLSX workbook, or a UTF-8 CSV file, as header -> cell rows.

    Every bound is checked as the rows are read, before any row is looked at: a file past one
    is refused as a whole, saying where."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed.on("file", f"the file is {len(data) / 1048576:.1f} MB; the limit is "
                                          f"{MAX_BYTES // 1048576} MB")
    if not data.strip():
        raise ValidationFailed.on("file", "the file is empty")
    grid = _xlsx_grid(data) if filename.lower().endswith(".xlsx") else _csv_grid(data)
    if not grid:
        raise ValidationFailed.on("file", "the file has no rows")
    (_, header), *body = grid
    if body and body[0][1] and body[0][1][0].strip().startswith("#"):
        body = body[1:]  # an HXL hashtag row, as in our own exports
    headers = [h.strip() for h in header]
    return Table(headers, [(n, {h: _restore(r[i]) if i < len(r) else "" for i, h in enumerate(headers)})
                           for n, r in body])


def _grid(rows: Iterable[list[str]]) -> list[tuple[int, list[str]]]:
    """The rows that hold anything, each with its number in the spreadsheet, cut to the header's
    columns; refused at the first row past a bound (`rows` is read no further)."""
    grid: list[tuple[int, list[str]]] = []
    width = MAX_COLUMNS
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS_READ:
            raise ValidationFailed.on("file", f"the sheet runs past row {MAX_ROWS_READ:,}; delete the empty "
                                              "rows below the members")
        if not any(cell.strip() for cell in row):
            continue
        if not grid:
            row = row[:max(i for i, cell in enumerate(row) if cell.strip()) + 1]
            if len(row) > MAX_COLUMNS:
                raise ValidationFailed.on("file", f"the first row has more than {MAX_COLUMNS} columns; "
                                                  "keep the template's columns")
            width = len(row)
        row = row[:width]
        for column, cell in enumerate(row):
            _check_cell(number, column, grid[0][1][column] if grid else "", cell)
        grid.append((number, row))
        hashtags = len(grid) > 1 and grid[1][1][0].strip().startswith("#")
        if len(grid) > 1 + hashtags + MAX_ROWS:
            raise ValidationFailed.on("file", f"the file has more than {MAX_ROWS:,} member rows; import it in "
                                              f"parts of at most {MAX_ROWS:,}")
    return grid


def _check_cell(number: int, column: int, header: str, cell: str) -> None:
    # openpyxl (and numpy under it) is imported by an import, not by every command and worker.
    from openpyxl.utils import get_column_letter

    where = f"row {number}, column {get_column_letter(column + 1)}" + (f" ({header.strip()})" if header.strip() else "")
    if len(cell) > MAX_CELL:
        raise ValidationFailed.on("file", f"{where} holds {len(cell):,} characters; a cell may hold at "
                                          f"most {MAX_CELL:,}")
    if not storable(cell, multiline=True):
        raise ValidationFailed.on("file", f"{where} holds a control character or an invalid code point "
                                          f"({_first_unstorable(cell)}), which no text in the registry may hold")


def _first_unstorable(cell: str) -> str:
    return next(f"U+{ord(c):04X}" for c in cell if not storable(c, multiline=True))


def _restore(cell: str) -> str:
    """Undo the ' that exports put before a cell a spreadsheet would run as a formula."""
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


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
        raise ValidationFailed.on("file", f"{naming_registered:,} rows name organisations the network already has; "
                                          f"one file may change at most {MAX_REGISTERED_ROWS:,} of them: import "
                                          "it in parts")
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    todo: list[_Row] = []
    for number, values in rows:
        result = RowResult(number, values.get("name", ""), "error")
        results.append(result)
        key = values.get("id", "").strip() or fold(result.name)
        if key in seen:
            result.problems.append(Problem(None, N_("the same organisation as row %(row)s"), {"row": seen[key]}))
            continue
        seen[key] = number
        try:
            profile, since, email = lookups.convert(values)
        except _Unreadable as unreadable:
            result.problems = [columns.problem(f, m, p) for f, (m, p) in unreadable.problems.items()]
            continue
        except RegistryError as refused:
            result.problems = columns.problems(refused)
            continue
        profile.setdefault("kind", "community_organisation")
        todo.append(_Row(result, profile, since, email, registered.named(values), columns))
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


@dataclass(eq=False)
class _Row:
    """A row on its way through the services: what it asks for, and the organisation it names
    (None: one it registers)."""

    result: RowResult
    profile: dict[str, Any]
    since: dt.date | None
    email: str | None
    member: Organisation | None
    columns: _SheetColumns  # how the sheet names the fields a refusal names
    path: list[str] = field(default_factory=list)  # the membership's moves to active

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
        if organisation is not None:
            row.member, row.path = organisation, _path_to_active(None)
            row.result.outcome = "created"
    for row in rows:
        if not row.registers:
            try:
                _update_member(session, actor, network, row)
            except RegistryError as refused:
                row.refuse(refused)
    moving = [(row, action) for row in rows if not row.refused for action in row.path]
    memberships.transitions(session, actor, network, [
        memberships.Change(row.member, action, on=row.since, reason=_REASON) for row, action in moving  # type: ignore[arg-type]
    ], refused=lambda index, refused: moving[index][0].refuse(refused))
    adding = [row for row in rows if row.email and not row.refused and (
        row.registers or not organisations.has_contact(session, row.member, "email", row.email))]  # type: ignore[arg-type]
    organisations.add_contacts(session, actor, [(row.member, {"kind": "email", "value": row.email})  # type: ignore[misc]
                                                for row in adding],
                               refused=lambda index, refused: adding[index].refuse(refused))
    for row in adding:
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
        raise NotPermitted(f"{member.name}'s membership is {membership.status.value}; the organisation "
                           "applies again itself before a spreadsheet can change it")
    before = member.profile()
    profile = {k: v for k, v in row.profile.items() if k != "kind"}
    organisations.update_profile(session, actor, member, profile)
    changed = member.profile() != before
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        row.path = _path_to_active(membership.status if membership else None)
        changed = True
    row.result.outcome = "updated" if changed else "unchanged"


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
        problems: dict[str, tuple[str, dict[str, object]]] = {}
        profile: dict[str, Any] = {}
        for key, text in values.items():
            if key in ("member_since", "contact_email", "id"):
                continue
            try:
                profile[key] = self._value(key, text)
            except _Unreadable as unreadable:
                problems.update((key, said) for said in unreadable.problems.values())
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
        return {k: v for k, v in profile.items() if v is not None or k == "name"}, since, \
            values.get("contact_email") or None

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


def _csv_grid(data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationFailed.on("file", "the file is UTF-16; save it as 'CSV UTF-8'")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        raise ValidationFailed.on("file", f"the file is not UTF-8 text (byte {wrong.start}); "
                                          "save the spreadsheet as 'CSV UTF-8'") from None
    return _grid(_csv_rows(csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(text))))


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The csv module finds what it cannot read (a cell past its own bound of 128 kB, which is
    process-wide and left as it is) as it reads each row."""
    number = 0
    while True:
        number += 1
        try:
            row = next(reader, None)
        except csv.Error as unreadable:
            if "field larger than field limit" in str(unreadable):
                raise ValidationFailed.on("file", f"row {number} holds a cell of more than {MAX_CELL:,} "
                                                  "characters") from None
            raise ValidationFailed.on("file", f"row {number} is not CSV the import can read ({unreadable})") from None
        if row is None:
            return
        yield row


def _delimiter(text: str) -> str:
    """The header line's delimiter (comma, semicolon or tab); quoting is as spreadsheets write
    it. The sniffer reads one line only: its regular expressions take quadratic time."""
    try:
        return csv.Sniffer().sniff(text[:1024].partition("\n")[0], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _xlsx_grid(data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    if not openpyxl.DEFUSEDXML:
        # Without defusedxml openpyxl would expand the entities a workbook declares.
        raise ValidationFailed.on("file", "this server cannot read XLSX files safely (OPENPYXL_DEFUSEDXML is "
                                          "off); upload the members as CSV")
    _check_unpacked(data)
    with warnings.catch_warnings():
        # openpyxl warns about what it finds in the file (a date out of range, no styles): the
        # file's business, not the server's log.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        with _unreadable_workbook():
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            with _unreadable_workbook():
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # the size the sheet claims is not believed: rows are read as they come
                rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
            return _grid(_read_rows(rows))
        finally:
            workbook.close()


def _read_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    """openpyxl parses each row as it is asked for it, so a broken part is found here."""
    while True:
        with _unreadable_workbook():
            row = next(rows, None)
        if row is None:
            return
        yield [_cell(v) for v in row]


def _check_unpacked(data: bytes) -> None:
    """A workbook is a zip of XML parts: refuse one that unpacks to more than openpyxl reads in
    reasonable time (its parser costs a few microseconds per tag) before it reads any."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED:
                raise ValidationFailed.on("file", f"the workbook unpacks to more than {MAX_UNPACKED // 1048576} MB "
                                                  f"or {MAX_PARTS} parts; save the members sheet alone, or as CSV")
            tags = 0
            for part in parts:
                with archive.open(part) as unpacked:
                    while chunk := unpacked.read(1 << 20):
                        tags += chunk.count(b"<")
                if tags > MAX_TAGS:
                    raise ValidationFailed.on("file", f"the workbook holds more than {MAX_TAGS:,} XML tags, which "
                                                      "takes too long to read; save the members sheet alone, "
                                                      "import it in parts, or save it as CSV")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
            OSError):
        # Not a zip, a part compressed in a way zipfile cannot read, or encrypted.
        raise ValidationFailed.on("file", "the file is not an XLSX workbook") from None


@contextmanager
def _unreadable_workbook() -> Iterator[None]:
    """What openpyxl raises on a file it cannot read, as the import's refusal."""
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        yield
    except (DefusedXmlException, ParseError, zipfile.BadZipFile, InvalidFileException, LookupError, OSError,
            EOFError, ValueError, TypeError, ArithmeticError) as unreadable:
        # A part missing or of the wrong kind, or a value openpyxl cannot convert (a cell "1e999"
        # marked as a date, a row numbered "r"); openpyxl wraps some in a ValueError of its own.
        causes = [unreadable]
        while causes[-1].__cause__ is not None and len(causes) < 10:
            causes.append(causes[-1].__cause__)
        if any(isinstance(cause, DefusedXmlException) for cause in causes):
            message = ("the workbook declares XML entities or a document type, which the import does not "
                       "read; save it again from a spreadsheet program")
        elif broken := next((cause for cause in causes if isinstance(cause, ParseError)), None):
            message = f"the workbook's XML is broken ({broken}); save it again from a spreadsheet program"
        else:
            message = "the file is not an XLSX workbook the import can read"
        raise ValidationFailed.on("file", message) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
