"""A network's members as spreadsheets: the import template, importing a CSV or XLSX file
(a dry run by default; applying keeps every row or none), and the CSV and XLSX exports, which
every caller may ask for and which registry.exchange.member_export narrows to what the caller may see.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.errors import ErrorSchema
from api.extensions import Blueprint, Schema
from api.i18n import locale_code, say, say_message, template_headers
from registry.networks import directory
from registry.errors import N_, Said, ValidationFailed
from registry.exchange.member_export import allowed_values, member_rows, template_csv, template_xlsx, to_csv, to_xlsx
from registry.exchange.spreadsheets import MAX_BYTES, MAX_CELL, MAX_COLUMNS, MAX_ROWS, MAX_TAGS
from registry.exchange.member_import import MAX_REGISTERED_ROWS, ImportReport, import_file
from registry.access.permissions import Permission

blp = Blueprint("spreadsheets", __name__, url_prefix="/api/v1",
                description="Members as spreadsheets: template, import (dry run first) and exports")

NETWORK = "/networks/<public_id:network_id>"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORTERS = "the secretariat of the network or of a network above it"


def _file_response(media_type: str, description: str) -> dict[str, Any]:
    schema = {"type": "string"} if media_type == CSV else {"type": "string", "format": "binary"}
    return {"responses": {"200": {"description": description, "content": {media_type: {"schema": schema}}}}}


def _download(data: bytes, media_type: str, filename: str) -> Response:
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class UploadSchema(Schema):
    file = Upload(required=True, metadata={
        "description": f"A CSV (UTF-8) or XLSX file in the template's columns, at most "
                       f"{MAX_BYTES // 1048576} MB; the file name's ending (.csv, .xlsx) says which. A file "
                       f"is refused as a whole (422, naming the row and column) past {MAX_ROWS:,} member rows, "
                       f"{MAX_COLUMNS} columns, {MAX_CELL:,} characters in a cell or a control character in "
                       f"one, or {MAX_REGISTERED_ROWS:,} rows naming organisations the network already has; "
                       f"a workbook also past {MAX_TAGS:,} XML tags, or if it declares XML entities."})


class TemplateQuery(Schema):
    network = fields.String(load_default=None, validate=validate.Length(max=32), metadata={
        "description": "A network's public id: the sheet of allowed values then lists its own vocabulary "
                       "terms and the areas of its country, with their codes and names."})


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=True, metadata={
        "description": "true (the default): report what every row would do and write nothing. "
                       "false: keep every row, or none if any row has an error (422)."})


class RowResultSchema(Schema):
    row = fields.Integer(metadata={"description": "The spreadsheet's row number."})
    name = fields.String()
    outcome = fields.String(metadata={"description": "created, updated, unchanged or error."})
    messages = fields.List(fields.String(), metadata={
        "description": "Why the row has an error, in the reader's language, naming the sheet's column headers."})


class ImportReportSchema(Schema):
    applied = fields.Boolean(metadata={"description": "Whether the rows were kept."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    warnings = fields.List(fields.String(), metadata={"description": "Columns that were ignored."})
    rows = fields.List(fields.Nested(RowResultSchema))


class CsvQuery(Schema):
    bom = fields.Boolean(load_default=True, metadata={
        "description": "Start with a byte-order mark, so that Excel reads the file as UTF-8 "
                       "(false: plain UTF-8, for other tools)."})


class ExportQuery(CsvQuery):
    hxl = fields.Boolean(load_default=False, metadata={
        "description": "Add a row of HXL hashtags (hxlstandard.org) under the headers."})


@blp.route("/member-template.csv")
@blp.access(None, "anyone")
@blp.arguments(CsvQuery, location="query")
@blp.doc(**_file_response(CSV, "The import template: headers, then a row of help starting with #."))
def template_as_csv(args: dict[str, Any]) -> Response:
    """Download the import template as CSV"""
    return _download(template_csv(say=gettext, bom=args["bom"]), CSV, "member-template.csv")


@blp.route("/member-template.xlsx")
@blp.access(None, "anyone")
@blp.arguments(TemplateQuery, location="query")
@blp.doc(**_file_response(XLSX, "The import template as a workbook, with a sheet explaining each column and "
                                "a sheet of the values to pick from (codes with their names in the reader's "
                                "language)."))
def template_as_xlsx(args: dict[str, Any]) -> Response:
    """Download the import template as XLSX"""
    session = database.session()
    network = directory.find_network(session, current_actor(), args["network"]) if args["network"] else None
    allowed = allowed_values(session, network, locale_code(), gettext)
    return _download(template_xlsx(say=gettext, allowed=allowed), XLSX, "member-template.xlsx")


@blp.route(NETWORK + "/members/import", methods=["POST"])
@blp.access(Permission.REGISTER_ORGANISATION, IMPORTERS)
@blp.arguments(ImportQuery, location="query")
@blp.arguments(UploadSchema, location="files")
@blp.response(200, ImportReportSchema, description="What every row did (dry run) or did (applied).")
@blp.alt_response(413, schema=ErrorSchema, description="The upload is larger than the limit (payload_too_large).")
def import_spreadsheet(args: dict[str, Any], upload: dict[str, Any], network_id: str) -> dict[str, Any]:
    """Import a network's members from a spreadsheet"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    file = upload["file"]
    report = import_file(session, actor, network, file.filename or "", file.read(MAX_BYTES + 1),
                         apply=not args["dry_run"], headers=template_headers())
    if not args["dry_run"] and not report.applied:
        raise ValidationFailed.of(Said(N_("the import (%(errors)s of %(rows)s rows have errors; nothing was kept)"),
                                       errors=len(report.errors), rows=len(report.rows)),
                                  {f"row {r.row}": [p.said(say_message) for p in r.problems] for r in report.errors})
    return _report(report)


def _report(report: ImportReport) -> dict[str, Any]:
    return {"applied": report.applied, "counts": report.counts(), "warnings": [say(w) for w in report.warnings],
            "rows": [{"row": r.row, "name": r.name, "outcome": r.outcome,
                      "messages": [p.said(say_message) for p in r.problems]} for r in report.rows]}


@blp.route(NETWORK + "/members.csv")
@blp.access(None, "anyone; members and columns are narrowed to what the caller may see, and contact "
                  "emails go only to those who may read contacts (each such read is logged)")
@database.logged_read
@blp.arguments(ExportQuery, location="query")
@blp.doc(**_file_response(CSV, "The network's active members, in the import template's columns."))
def export_csv(args: dict[str, Any], network_id: str) -> Response:
    """Export a network's members as CSV"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    rows = member_rows(session, actor, network, language=locale_code())
    return _download(to_csv(rows, hxl=args["hxl"], bom=args["bom"], say=gettext), CSV,
                     f"network-{network.public_id}-members.csv")


@blp.route(NETWORK + "/members.xlsx")
@blp.access(None, "anyone; members and columns are narrowed to what the caller may see, and contact "
                  "emails go only to those who may read contacts (each such read is logged)")
@database.logged_read
@blp.doc(**_file_response(XLSX, "The network's active members, in the import template's columns."))
def export_xlsx(network_id: str) -> Response:
    """Export a network's members as XLSX"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    rows = member_rows(session, actor, network, language=locale_code())
    return _download(to_xlsx(rows, gettext), XLSX, f"network-{network.public_id}-members.xlsx")
