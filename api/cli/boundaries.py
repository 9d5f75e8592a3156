"""`registry boundaries`: import and list boundary sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from api.cli.session import CLI_ACTOR, unit_of_work
from registry.areas import services as areas


@click.group(cls=AppGroup)
def boundaries() -> None:
    """Import and list boundary sets (the areas organisations serve)."""


@boundaries.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "set_key", required=True, help="A short id for the set, e.g. kh-admin2-2014.")
@click.option("--title", required=True)
@click.option("--key-field", required=True, help="The field holding each area's code.")
@click.option("--name-field", required=True)
@click.option("--level", type=click.IntRange(0, 3), required=True, help="0 country, 1 province, 2 district.")
@click.option("--country", default=None, help="ISO 3166-1 alpha-2, when the set covers one country.")
@click.option("--code-prefix", default=None, help='Put before each code, e.g. "KH-" for 1201 → KH-1201.')
@click.option("--parent-field", default=None, help="The field holding the parent area's code.")
@click.option("--valid-from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--valid-to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--attribution", required=True, help="Shown on every map drawn from this set.")
@click.option("--licence", default="", help="e.g. CC BY 4.0")
def boundaries_import(path: str, set_key: str, title: str, key_field: str, name_field: str, level: int,
                      country: str | None, code_prefix: str | None, parent_field: str | None,
                      valid_from: dt.datetime | None, valid_to: dt.datetime | None,
                      attribution: str, licence: str) -> None:
    """Validate a boundary file (GeoJSON, GeoPackage, zipped Shapefile) and store it as a set."""
    spec = {"key": set_key, "title": title, "level": level, "country": country,
            "valid_from": valid_from.date() if valid_from else None,
            "valid_to": valid_to.date() if valid_to else None,
            "attribution": attribution, "licence": licence}
    reader = {"key_field": key_field, "name_field": name_field, "code_prefix": code_prefix,
              "parent_field": parent_field}
    with unit_of_work() as session:
        _import_file(session, Path(path), spec, reader)


@boundaries.command("import-known")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def boundaries_import_known(directory: str) -> None:
    """Import the licensed boundary files found in DIRECTORY (e.g. ../shared/geo), once each.

    These files (geoBoundaries, CC BY / ODbL) are never shipped with the registry; how to read
    each is described in seeds/licensed_boundaries.yaml."""
    from seeds.boundaries import licensed_sets
    from seeds.load import read_yaml

    with unit_of_work() as session:
        for spec, path, reader in licensed_sets(Path(directory), read_yaml("licensed_boundaries.yaml")):
            if areas.boundary_set(session, spec["key"]) is not None:
                click.echo(f"{spec['key']}: already imported")
                continue
            _import_file(session, path, {**spec, "valid_from": None, "valid_to": None}, reader)


def _import_file(session: Session, path: Path, spec: dict[str, Any], reader: dict[str, Any]) -> None:
    """Validate with geo/, then store through the registry; a refusal lists every reason."""
    from geo.boundaries import read_boundary_file
    from geo.errors import BoundaryError
    from seeds.boundaries import area_records

    try:
        read = read_boundary_file(path, level=spec["level"], country=spec["country"],
                                  valid_from=spec["valid_from"], valid_to=spec["valid_to"],
                                  attribution=spec["attribution"], licence=spec["licence"],
                                  set_id=spec["key"], title=spec["title"], **reader)
    except BoundaryError as refused:
        raise click.ClickException(f"{path.name} was refused:\n  " + "\n  ".join(refused.reasons)) from None
    for repair in read.repairs:
        click.echo(f"repaired: {repair}")
    areas.import_boundary_set(session, CLI_ACTOR, areas=area_records(read), **spec)
    click.echo(f"{spec['key']}: imported {len(read.areas)} {read.area_noun}")


@boundaries.command("list")
def boundaries_list() -> None:
    """The boundary sets the registry knows."""
    with unit_of_work(reads_only=True) as session:
        for row in areas.boundary_sets(session):
            span = f"{row.valid_from or '…'} to {row.valid_to or '…'}"
            click.echo(f"{row.key:<28} level {row.level}  {row.country or '--'}  {span:<26} {row.title}")
