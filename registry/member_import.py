"""Importing a network's member organisations from a secretariat's spreadsheet (CSV or XLSX).

Each row is mapped (English header variants; vocabulary values by code or by label in any
supported language; area names matched ignoring diacritics) and then checked by the same
service functions as any other change. A dry run reports what every row would do and writes
nothing; applying is all-or-nothing: one bad row and nothing is kept.

A file may hold thousands of rows, so what the checks look up is read once for all of them
(Known), and new organisations with their memberships, contacts and audit entries are written
together at the end (Batch); a row that changes an organisation already registered is written
as it goes, inside its own savepoint.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sqlalchemy.orm import selectinload

from registry import memberships, organisations
from registry.areas import AREA_CODE, Area
from registry.batch import Batch
from registry.db import in_chunks
from registry.errors import NotPermitted, RegistryError, ValidationFailed
from registry.memberships import ENDED_STATUSES, Membership, MembershipStatus
from registry.names import fold
from registry.known import Known
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, can, require
from registry.vocabularies import Vocabulary, terms

MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    help: str
    aliases: tuple[str, ...] = ()


# The template, in order. Multi-valued cells separate values with ";" (or a line break).
COLUMNS = (
    Column("name", "Name", "The organisation's name (required).", ("organisation", "organization",
           "organisation name", "organization name", "cbo", "cbo name")),
    Column("acronym", "Acronym", "Short name, if any.", ("short name", "abbreviation")),
    Column("kind", "Kind", "community_organisation (default), national_network, regional_network "
           "or global_network.", ("type", "organisation type")),
    Column("country", "Country", "ISO 3166-1 code, e.g. VN (default: the network's country).",
           ("country code",)),
    Column("founding_date", "Founded", "YYYY, YYYY-MM or YYYY-MM-DD.", ("founding date", "founded in",
           "year founded", "established")),
    Column("sex_worker_led", "Sex-worker-led", "yes, partly or no.", ("sex worker led", "sw led")),
    Column("sex_worker_involvement", "How sex workers are involved", "Free text.",
           ("sex worker involvement", "involvement")),
    Column("populations", "Populations", "Codes or labels, separated by ;.",
           ("populations served", "population", "who do you work with")),
    Column("services", "Services", "Codes or labels, separated by ;.", ("service",)),
    Column("priority_areas", "Priority areas", "NSWP priority areas: codes or labels, separated by ;.",
           ("nswp priority areas", "priority area")),
    Column("areas_served", "Areas served", "Area codes or names (e.g. VN-HN or Hà Nội), separated by ;.",
           ("areas", "area", "provinces", "province", "province city", "location", "khan", "district")),
    Column("languages", "Languages", "ISO 639 codes, separated by ;.", ("language",)),
    Column("drop_in_centres", "Drop-in centres", "A whole number.", ("drop in centres", "dics",
           "number of drop in centres", "drop in centers")),
    Column("website", "Website", "https://…", ("web", "url", "web site")),
    Column("public_listing", "Public listing", "yes to list the organisation publicly (default no).",
           ("public", "list publicly")),
    Column("member_since", "Member since", "YYYY-MM-DD, the date the membership became active "
           "(default: today).", ("joined", "date joined", "membership date", "admitted")),
    Column("contact_email", "Contact email", "Seen only by the organisation and its secretariat.",
           ("email", "e mail", "contact")),
)
_BY_HEADER = {fold(text): c.field for c in COLUMNS for text in (c.header, c.field, *c.aliases)}
_MULTI = {"populations", "services", "priority_areas", "areas_served", "languages"}
_VOCABULARY = {"populations": Vocabulary.POPULATION, "services": Vocabulary.SERVICE,
               "priority_areas": Vocabulary.PRIORITY_AREA}
_AFFIXES = re.compile(r"^(tp|thanh pho|tinh|thu do|khan|srok|khett|province of|city of) |"
                      r" (city|province|municipality|capital|khan|district)$")
_YES, _NO = {"yes", "y", "true", "1", "x", "co"}, {"no", "n", "false", "0", "", "khong"}


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, header -> cell)


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


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet of an XLSX workbook, or a UTF-8 CSV file, as header -> cell rows."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed.on("file", f"the file is {len(data) / 1048576:.1f} MB; the limit is "
                                          f"{MAX_BYTES // 1048576} MB")
    if not data.strip():
        raise ValidationFailed.on("file", "the file is empty")
    grid = _xlsx_grid(data) if filename.lower().endswith(".xlsx") else _csv_grid(data)
    grid = [row for row in grid if any(cell.strip() for cell in row)]
    if not grid:
        raise ValidationFailed.on("file", "the file has no rows")
    headers = [h.strip() for h in grid[0]]
    body = list(enumerate(grid[1:], start=2))
    if body and body[0][1] and body[0][1][0].strip().startswith("#"):
        body = body[1:]  # an HXL hashtag row, as in our own exports
    return Table(headers, [(n, {h: _restore(r[i]) if i < len(r) else "" for i, h in enumerate(headers)})
                           for n, r in body])


def _restore(cell: str) -> str:
    """Undo the ' that exports put before a cell a spreadsheet would run as a formula."""
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def import_members(
    session: Session, actor: Actor, network: Organisation, table: Table, *, apply: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check (and with `apply`, keep) every row; nothing is kept unless every row is clean.
    `progress` is called with the number of each row done."""
    batch = Batch(session, actor)
    known = Known(session, batch)
    require(session, actor, Permission.REGISTER_ORGANISATION, network.id, lineage=known.lineage)
    fields, warnings = _map_headers(table.headers)
    lookups = _Lookups(session, network, known)
    rows = [(number, {fields[h]: v for h, v in cells.items() if h in fields}) for number, cells in table.rows]
    registered = _Registered(session, actor, network, {fold(values.get("name", "")) for _, values in rows}, known)
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    outer = session.begin_nested()
    with batch.running():
        for number, values in rows:
            result = RowResult(number, values.get("name", ""), "error")
            results.append(result)
            key = fold(result.name)
            if key in seen:
                result.messages.append(f"the same organisation as row {seen[key]}")
            else:
                seen[key] = number
                mark = batch.mark()
                try:
                    result.outcome = _write_row(session, batch, known, network, values, lookups, registered)
                except RegistryError as refused:
                    batch.discard(mark)
                    result.messages = [f"{k}: {' '.join(v)}" for k, v in refused.fields.items()] or [refused.message]
            if progress is not None:
                progress(number)
        keep = apply and not any(r.outcome == "error" for r in results)
        if keep:
            batch.write()
    outer.commit() if keep else outer.rollback()
    return ImportReport(results, warnings, applied=keep)


_REASON = "imported from the network's spreadsheet"


def _write_row(session: Session, batch: Batch, known: Known, network: Organisation, values: dict[str, str],
               lookups: _Lookups, registered: _Registered) -> str:
    profile, since, email = lookups.convert(values)
    existing = registered.members.get(fold(profile["name"]))
    if existing is None:
        kind = profile.pop("kind", "community_organisation")
        member_id = organisations.register_in_batch(batch, known, network=network, kind=kind, **profile)
        for action in _path_to_active(None):
            memberships.transition_in_batch(batch, known, network, member_id, action, on=since, reason=_REASON)
        if email:
            organisations.add_contact_in_batch(batch, known, member_id, kind="email", value=email)
        return "created"
    savepoint = session.begin_nested()
    try:
        changed = _update_member(session, batch.actor, known, network, existing, profile, since, email,
                                 registered.memberships.get(existing.id))
    except RegistryError:
        savepoint.rollback()
        raise
    savepoint.commit()
    return "updated" if changed else "unchanged"


def _update_member(session: Session, actor: Actor, known: Known, network: Organisation, member: Organisation,
                   profile: dict[str, Any], since: dt.date | None, email: str | None,
                   membership: Membership | None) -> bool:
    profile.pop("kind", None)
    if membership is not None and membership.status in ENDED_STATUSES and not can(
            session, actor, Permission.APPLY_FOR_MEMBERSHIP, member.id, lineage=known.lineage):
        # It left (or was turned away): the network no longer speaks for it, and only the
        # organisation itself brings it back, by applying again.
        raise NotPermitted(f"{member.name}'s membership is {membership.status.value}; the organisation "
                           "applies again itself before a spreadsheet can change it")
    before = member.version
    organisations.update_profile(session, actor, member, profile, known=known)
    session.flush()
    changed = member.version != before
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        for action in _path_to_active(membership.status if membership else None):
            memberships.transition(session, actor, network, member, action, on=since, reason=_REASON, known=known)
        changed = True
    if email and not organisations.has_contact(session, member, "email", email):  # by blind index
        organisations.add_contact(session, actor, member, kind="email", value=email, known=known)
        changed = True
    return changed


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
    state), each with its membership, read at once; under one name, the first registered."""

    def __init__(self, session: Session, actor: Actor, network: Organisation, keys: set[str], known: Known) -> None:
        members = select(Membership.member_id).where(Membership.network_id == network.id)
        ours = (Organisation.registered_by_id == network.id) | Organisation.id.in_(members)
        loads = [selectinload(Organisation.terms), selectinload(Organisation.area_links),
                 selectinload(Organisation.contacts)]
        self.members: dict[str, Organisation] = {}
        for chunk in in_chunks(sorted(keys)):
            query = select(Organisation).where(Organisation.name_key.in_(chunk), ours).options(*loads)
            for organisation in session.scalars(query.order_by(Organisation.id)):
                self.members.setdefault(organisation.name_key, organisation)
        ids = sorted(o.id for o in self.members.values())
        self.memberships: dict[int, Membership] = {}
        for chunk in in_chunks(ids):
            query = (select(Membership).where(Membership.network_id == network.id, Membership.member_id.in_(chunk))
                     .options(selectinload(Membership.events)))
            self.memberships.update((m.member_id, m) for m in session.scalars(query))
        known.lineage.load(ids)
        known.load_names([network.id], actor)


def _map_headers(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    warnings: list[str] = []
    for header in headers:
        target = _BY_HEADER.get(fold(header))
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

    def __init__(self, session: Session, network: Organisation, known: Known) -> None:
        self.network = network
        lineage = [network.id, *known.lineage.of(network.id)]
        self.terms: dict[str, dict[str, str]] = {}
        for key, vocabulary in _VOCABULARY.items():
            table: dict[str, str] = {}
            for term in terms(session, vocabulary, network_ids=lineage):
                for text in (term.code, *term.labels.values()):
                    table[fold(text)] = term.code
            self.terms[key] = table
        self._area_rows = session.execute(select(Area.code, Area.name, Area.names)).all()
        self.area_codes = {code for code, _, _ in self._area_rows}
        self._areas: dict[str, set[str]] | None = None

    @property
    def areas(self) -> dict[str, set[str]]:
        """Folded area codes and names (also without "province", "city", ...) -> codes; made on
        first use, as a file that gives codes only never needs it."""
        if self._areas is None:
            self._areas = {}
            for code, name, names in self._area_rows:
                for text in (code, name, *(names or {}).values()):
                    for variant in {fold(text), _AFFIXES.sub("", fold(text)).strip()}:
                        self._areas.setdefault(variant, set()).add(code)
        return self._areas

    def convert(self, values: dict[str, str]) -> tuple[dict[str, Any], dt.date | None, str | None]:
        problems: dict[str, list[str]] = {}
        profile: dict[str, Any] = {}
        for key, text in values.items():
            if key in ("member_since", "contact_email"):
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
            found = self.areas.get(fold(text)) or self.areas.get(_AFFIXES.sub("", fold(text)).strip())
            if not found:
                raise ValueError(f"no area called {text!r}")
            if len(found) > 1:
                raise ValueError(f"{text!r} could be {', '.join(sorted(found))}: write the code")
            return next(iter(found))
        code = self.terms[key].get(fold(text))
        if code is None:
            raise ValueError(f"unknown {key.replace('_', ' ')[:-1]} {text!r}")
        return code


def _csv_grid(data: bytes) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationFailed.on("file", "the file is UTF-16; save it as 'CSV UTF-8'")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        raise ValidationFailed.on("file", f"the file is not UTF-8 text (byte {wrong.start}); "
                                          "save the spreadsheet as 'CSV UTF-8'") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_grid(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise ValidationFailed.on("file", "the file is not an XLSX workbook") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
