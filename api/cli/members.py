"""`registry members`: a network's members in and out as spreadsheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

from api.cli.session import CLI_ACTOR, find_organisation, unit_of_work
from api.i18n import LOCALES, saying_in, template_headers
from registry.vocabularies.models import FALLBACK_LANGUAGE


@click.group(cls=AppGroup)
def members() -> None:
    """Import and export a network's members as spreadsheets."""


@members.command("import")
@click.argument("ref")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--apply", "apply_", is_flag=True, help="Keep the changes (default: a dry run that writes nothing).")
def members_import(ref: str, path: str, apply_: bool) -> None:
    """Import members of network REF from a CSV (UTF-8) or XLSX file; all rows or none."""
    from registry.exchange.member_import import import_members
    from registry.exchange.spreadsheets import read_table

    data = Path(path).read_bytes()
    with unit_of_work() as session:
        network_row = find_organisation(session, ref)
        table = read_table(Path(path).name, data)
        with click.progressbar(length=len(table.rows), label="rows") as bar:
            report = import_members(session, CLI_ACTOR, network_row, table, apply=apply_,
                                    progress=lambda _row: bar.update(1), headers=template_headers())
        for warning in report.warnings:
            click.echo(f"warning: {warning}")
        for row in report.rows:
            if row.outcome == "error":
                click.echo(f"row {row.row} ({row.name or 'no name'}): {'; '.join(row.messages)}")
        counts = ", ".join(f"{n} {k}" for k, n in report.counts().items())
        if report.errors:
            session.rollback()
            raise click.ClickException(f"nothing was imported ({counts})")
        click.echo(f"{'imported' if report.applied else 'dry run, nothing written'}: {counts}")


@members.command("export")
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="A .csv or .xlsx file.")
@click.option("--hxl", is_flag=True, help="Add an HXL hashtag row under the headers (CSV).")
@click.option("--plain", is_flag=True, help="No byte-order mark (CSV); Excel then misreads non-Latin text.")
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Members on this date.")
@click.option("--language", type=click.Choice(LOCALES), default=FALLBACK_LANGUAGE, show_default=True,
              help="The language of the headers and of the names beside the codes.")
def members_export(ref: str, out: str, hxl: bool, plain: bool, on: dt.datetime | None, language: str) -> None:
    """Export network REF's active members in the import template's columns."""
    from registry.exchange.member_export import member_rows, to_csv, to_xlsx

    with unit_of_work() as session:
        rows = member_rows(session, CLI_ACTOR, find_organisation(session, ref), on.date() if on else None,
                           language=language)
    say = saying_in(language)
    data = to_xlsx(rows, say) if out.lower().endswith(".xlsx") else to_csv(rows, hxl=hxl, bom=not plain, say=say)
    Path(out).write_bytes(data)
    click.echo(f"wrote {len(rows)} members to {out}")
