"""Hostile input, and how a test sees that it wrote nothing.

Spreadsheets an attacker would upload are built here byte by byte: workbooks whose parts are
written with zipfile (an external entity, an entity bomb, broken XML, a huge cell) and CSV
files past each bound. Shared by the registry, API and command-line tests.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.all_models import metadata
from registry.exchange.spreadsheets import MAX_CELL, MAX_COLUMNS, MAX_ROWS, MAX_TAGS, MAX_UNPACKED


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table: equal before and after a refused request means nothing was written."""
    return {table.name: session.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables}

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    '</Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="members" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '</Relationships>')
_SHEET_OPEN = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
_SHEET_CLOSE = '</sheetData></worksheet>'


def workbook(sheet_xml: str, *, sheet_part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """An XLSX file whose one sheet is `sheet_xml`, as it is (however hostile)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as parts:
        parts.writestr("[Content_Types].xml", _CONTENT_TYPES)
        parts.writestr("_rels/.rels", _ROOT_RELS)
        parts.writestr("xl/workbook.xml", _WORKBOOK)
        parts.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        parts.writestr(sheet_part, sheet_xml)
    return out.getvalue()


def sheet(rows: list[list[str]], *, prologue: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    """Sheet XML holding `rows` as inline strings; cell text is inserted raw (entity references
    stay references)."""
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{get_column_letter(c)}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
                                   for c, text in enumerate(cells, start=1)) + "</row>"
        for r, cells in enumerate(rows, start=1))
    return prologue + _SHEET_OPEN + body + _SHEET_CLOSE


def external_entity(target: str = "file:///etc/passwd") -> bytes:
    """XXE: a cell that would hold the contents of `target`."""
    prologue = (f'<?xml version="1.0" encoding="UTF-8"?>'
                f'<!DOCTYPE worksheet [<!ENTITY leak SYSTEM "{target}">]>')
    return workbook(sheet([["Name"], ["&leak;"]], prologue=prologue))


def billion_laughs() -> bytes:
    """An entity that expands to 10^9 "lol"s from a few hundred bytes."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    prologue = f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [{entities}]>'
    return workbook(sheet([["Name"], ["&lol9;"]], prologue=prologue))


def malformed_sheet() -> bytes:
    """A sheet whose XML stops half way through a cell."""
    return workbook(_SHEET_OPEN + '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                    '<row r="2"><c r="A2" t="inlineStr"><is><t>Group')


def huge_cell_workbook(characters: int = 200_000) -> bytes:
    return workbook(sheet([["Name"], ["x" * characters]]))


def workbook_of(rows: list[list[str]]) -> bytes:
    """A well-formed workbook holding `rows` (text escaped as XML needs)."""
    return workbook(sheet([[escape(text) for text in row] for row in rows]))


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def huge_cell_csv(characters: int = 130 * 1024) -> bytes:
    """A cell past the csv module's own field limit (128 kB)."""
    return csv_file("Name,How sex workers are involved", f'Group A,"{"x" * characters}"')


def nul_in_name_csv() -> bytes:
    return csv_file("Name", "Group\x00A")


def many_rows_csv(rows: int) -> bytes:
    return csv_file("Name", *(f"Group {n}" for n in range(rows)))


def rows_past_the_bound_workbook() -> bytes:
    """One member row more than the bound, each row a few bytes once zipped."""
    return workbook(sheet([["Name"]] + [[f"Group {n}"] for n in range(MAX_ROWS + 1)]))


def runaway_sheet() -> bytes:
    """Two rows, the second numbered as the sheet's last: read naively, a million empty rows."""
    return workbook(_SHEET_OPEN + '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                    '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>Group</t></is></c></row>'
                    + _SHEET_CLOSE)


def too_many_tags_workbook() -> bytes:
    """Empty cells by the million: a small zip that would take openpyxl a minute to read."""
    return workbook(_SHEET_OPEN + ("<row>" + "<c/>" * 1000 + "</row>") * (MAX_TAGS // 1000 + 1) + _SHEET_CLOSE)


def zip_bomb() -> bytes:
    """A part that unpacks to more than the bound (zeros compress a thousandfold)."""
    return workbook(sheet([["Name"], ["Group"]]) + " " * (MAX_UNPACKED + 1))


# label -> (file name, the file, words the refusal says); every one is refused as a whole.
HOSTILE_SPREADSHEETS: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "an external entity": ("members.xlsx", external_entity, "XML entities"),
    "a billion laughs": ("members.xlsx", billion_laughs, "XML entities"),
    "malformed sheet XML": ("members.xlsx", malformed_sheet, "XML is broken"),
    "a 200 kB cell in a workbook": ("members.xlsx", huge_cell_workbook,
                                    f"row 2, column A (Name) holds 200,000 characters; a cell may hold at most "
                                    f"{MAX_CELL:,}"),
    "a row past the row bound in a workbook": ("members.xlsx", rows_past_the_bound_workbook,
                                               f"more than {MAX_ROWS:,} member rows"),
    "a sheet that runs to its last row": ("members.xlsx", runaway_sheet, "runs past row"),
    "a workbook of a million empty cells": ("members.xlsx", too_many_tags_workbook, "XML tags"),
    "a zip bomb": ("members.xlsx", zip_bomb, "unpacks to more than"),
    "a 130 kB cell": ("members.csv", huge_cell_csv, f"row 2 holds a cell of more than {MAX_CELL:,} characters"),
    "a 20 kB cell": ("members.csv", lambda: huge_cell_csv(20_000),
                     "row 2, column B (How sex workers are involved) holds 20,000 characters"),
    "a NUL in a name": ("members.csv", nul_in_name_csv, "row 2, column A (Name) holds a control character "
                                                        "or an invalid code point (U+0000)"),
    "a noncharacter in a name": ("members.csv", lambda: csv_file("Name", "Group\ufffeA"),
                                 "row 2, column A (Name) holds a control character or an invalid code point (U+FFFE)"),
    "a row past the row bound": ("members.csv", lambda: many_rows_csv(MAX_ROWS + 1),
                                 f"more than {MAX_ROWS:,} member rows"),
    "too many columns": ("members.csv", lambda: csv_file(",".join(f"Column {n}" for n in range(MAX_COLUMNS + 1)),
                                                         "Group"), f"more than {MAX_COLUMNS} columns"),
}
