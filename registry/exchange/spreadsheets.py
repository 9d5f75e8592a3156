"""Members as a spreadsheet: the template's columns, and reading a CSV or XLSX file into a table of
text cells within fixed limits (size, rows, columns, cells, what a workbook unpacks to), before
any row means anything. Import (member_import.py) and export (member_export.py) share the columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from registry.areas.models import Area
from registry.errors import N_, Said, ValidationFailed
from registry.organisations.rules import storable
from registry.vocabularies.models import Vocabulary


MAX_BYTES = 5 * 1024 * 1024
# Bounds no real file comes near (a network's members are counted in hundreds), checked as the
# file is read so that a dry run of a file at every bound answers well within a request's time.
MAX_ROWS = 10_000  # member rows
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


@dataclass(frozen=True)
class NameColumn:
    """A column an export writes beside a column of codes: each code's label or name in the
    reader's language, so that a person reads "Hà Nội" beside "VN-HN". The import passes over it:
    the codes beside it are what it reads, so an edited name changes nothing."""

    field: str
    header: str
    codes: str  # the field of the column whose codes it names


NAME_COLUMNS = (
    NameColumn("populations_named", N_("Populations (names)"), "populations"),
    NameColumn("services_named", N_("Services (names)"), "services"),
    NameColumn("priority_areas_named", N_("Priority areas (names)"), "priority_areas"),
    NameColumn("areas_served_named", N_("Areas served (names)"), "areas_served"),
)
NAMED = {c.codes: c for c in NAME_COLUMNS}
# The columns whose cells are codes of a vocabulary.
VOCABULARIES = {"populations": Vocabulary.POPULATION, "services": Vocabulary.SERVICE,
                "priority_areas": Vocabulary.PRIORITY_AREA}


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, header -> cell)


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet of an XLSX workbook, or a UTF-8 CSV file, as header -> cell rows.

    Every bound is checked as the rows are read, before any row is looked at: a file past one
    is refused as a whole, saying where."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed.on("file", N_("the file is %(size)s MB; the limit is %(limit)s MB"),
                                  size=f"{len(data) / 1048576:.1f}", limit=MAX_BYTES // 1048576)
    if not data.strip():
        raise ValidationFailed.on("file", N_("the file is empty"))
    grid = _xlsx_grid(data) if filename.lower().endswith(".xlsx") else _csv_grid(data)
    if not grid:
        raise ValidationFailed.on("file", N_("the file has no rows"))
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
            raise ValidationFailed.on("file", N_("the sheet runs past row %(row)s; delete the empty rows below the "
                                                 "members"), row=f"{MAX_ROWS_READ:,}")
        if not any(cell.strip() for cell in row):
            continue
        if not grid:
            row = row[:max(i for i, cell in enumerate(row) if cell.strip()) + 1]
            if len(row) > MAX_COLUMNS:
                raise ValidationFailed.on("file", N_("the first row has more than %(most)s columns; "
                                                     "keep the template's columns"), most=MAX_COLUMNS)
            width = len(row)
        row = row[:width]
        for column, cell in enumerate(row):
            _check_cell(number, column, grid[0][1][column] if grid else "", cell)
        grid.append((number, row))
        hashtags = len(grid) > 1 and grid[1][1][0].strip().startswith("#")
        if len(grid) > 1 + hashtags + MAX_ROWS:
            raise ValidationFailed.on("file", N_("the file has more than %(most)s member rows; import it in parts of "
                                                 "at most %(most)s"), most=f"{MAX_ROWS:,}")
    return grid


def _check_cell(number: int, column: int, header: str, cell: str) -> None:
    # openpyxl (and numpy under it) is imported by an import, not by every command and worker.
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(column + 1)
    where = (Said(N_("row %(row)s, column %(column)s (%(header)s)"), row=number, column=letter, header=header.strip())
             if header.strip() else Said(N_("row %(row)s, column %(column)s"), row=number, column=letter))
    if len(cell) > MAX_CELL:
        raise ValidationFailed.on("file", N_("%(where)s holds %(length)s characters; a cell may hold at most %(most)s"),
                                  where=where, length=f"{len(cell):,}", most=f"{MAX_CELL:,}")
    if not storable(cell, multiline=True):
        raise ValidationFailed.on("file", N_("%(where)s holds a control character or an invalid code point "
                                             "(%(character)s), which no text in the registry may hold"),
                                  where=where, character=_first_unstorable(cell))


def _first_unstorable(cell: str) -> str:
    return next(f"U+{ord(c):04X}" for c in cell if not storable(c, multiline=True))


def _restore(cell: str) -> str:
    """Undo the ' that exports put before a cell a spreadsheet would run as a formula."""
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def _csv_grid(data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationFailed.on("file", N_("the file is UTF-16; save it as 'CSV UTF-8'"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as wrong:
        raise ValidationFailed.on("file", N_("the file is not UTF-8 text (byte %(byte)s); save the spreadsheet as "
                                             "'CSV UTF-8'"), byte=wrong.start) from None
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
                raise ValidationFailed.on("file", N_("row %(row)s holds a cell of more than %(most)s characters"),
                                          row=number, most=f"{MAX_CELL:,}") from None
            raise ValidationFailed.on("file", N_("row %(row)s is not CSV the import can read (%(why)s)"), row=number,
                                      why=str(unreadable)) from None
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
        raise ValidationFailed.on("file", N_("this server cannot read XLSX files safely (OPENPYXL_DEFUSEDXML is "
                                             "off); upload the members as CSV"))
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
                raise ValidationFailed.on("file", N_("the workbook unpacks to more than %(size)s MB or "
                                                     "%(parts)s parts; save the members sheet alone, or as CSV"),
                                          size=MAX_UNPACKED // 1048576, parts=MAX_PARTS)
            tags = 0
            for part in parts:
                with archive.open(part) as unpacked:
                    while chunk := unpacked.read(1 << 20):
                        tags += chunk.count(b"<")
                if tags > MAX_TAGS:
                    raise ValidationFailed.on("file", N_("the workbook holds more than %(most)s XML tags, which "
                                                         "takes too long to read; save the members sheet alone, "
                                                         "import it in parts, or save it as CSV"),
                                              most=f"{MAX_TAGS:,}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
            OSError):
        # Not a zip, a part compressed in a way zipfile cannot read, or encrypted.
        raise ValidationFailed.on("file", N_("the file is not an XLSX workbook")) from None


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
            raise ValidationFailed.on("file", N_("the workbook declares XML entities or a document type, which "
                                                 "the import does not read; save it again from a spreadsheet "
                                                 "program")) from None
        if broken := next((cause for cause in causes if isinstance(cause, ParseError)), None):
            raise ValidationFailed.on("file", N_("the workbook's XML is broken (%(why)s); save it again from a "
                                                 "spreadsheet program"), why=str(broken)) from None
        raise ValidationFailed.on("file", N_("the file is not an XLSX workbook the import can read")) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
