"""`registry network summary` and `registry map`: look at a network, draw its coverage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from api.cli.session import find_organisation, unit_of_work
from api.coverage import area_tally
from registry.networks.summaries import network_summary


@click.group(cls=AppGroup)
def network() -> None:
    """Look at a network."""


@network.command("summary")
@click.argument("ref")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="As of this date (YYYY-MM-DD); default: today.")
def network_summary_command(ref: str, on: dt.datetime | None) -> None:
    """Members, areas and priority areas of a network, now or on a date."""
    with unit_of_work(reads_only=True) as session:
        organisation = find_organisation(session, ref)
        if not organisation.is_network:
            raise click.ClickException(f"{organisation.name} is not a network")
        summary = network_summary(session, organisation, on.date() if on else None)
        when = on.date().isoformat() if on else "today"
        click.echo(f"{organisation.name} ({organisation.acronym or organisation.public_id}), {when}")
        click.echo(f"  {summary.headline(area_tally(session, organisation, on.date() if on else None))}")
        if summary.sample_members:
            click.echo(f"  of which SAMPLE (not real) organisations: {summary.sample_members}")
        click.echo(f"  member networks: {summary.member_networks}")
        click.echo(f"  areas: {', '.join(summary.areas) or '-'}")
        click.echo(f"  memberships by status: {summary.statuses or '-'}")
        click.echo("  active members per priority area:")
        for code, count in summary.priority_areas.items():
            click.echo(f"    {count:>4}  {code}")


@click.command("map")
@with_appcontext
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The HTML file to write; Leaflet is copied beside it into vendor/.")
@click.option("--level", type=click.IntRange(0, 2), default=None,
              help="0 countries, 1 provinces (the default), 2 districts.")
@click.option("--set", "set_key", default=None, help="A boundary set key (default: the one valid on the date).")
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Default: today.")
@click.option("--compare", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Also draw this earlier date, as a layer to switch to (growth since then).")
@click.option("--public", is_flag=True, help="The public map: only listed organisations, no names, province level at most.")
@click.option("--reach", is_flag=True,
              help="The public reach map of a network that publishes it: every member, today, small counts withheld.")
@click.option("--priority-area", default=None)
@click.option("--population", default=None)
@click.option("--service", default=None)
def map_command(ref: str, out: str, level: int | None, set_key: str | None, on: dt.datetime | None,
                compare: dt.datetime | None, public: bool, reach: bool, priority_area: str | None,
                population: str | None, service: str | None) -> None:
    """Render a network's coverage map to an HTML file that works offline."""
    from api.coverage import MapRequest, configured_tiles, network_map_html
    from geo.coverage import View
    from geo.errors import GeoError
    from geo.offline import install_assets, required_assets

    if public and reach:
        raise click.UsageError("choose --public (listed organisations) or --reach, not both")
    view = View.REACH if reach else View.LISTED if public else View.INTERNAL
    request = MapRequest(level=level, set_key=set_key, on=on.date() if on else None,
                         compare_on=compare.date() if compare else None, view=view,
                         threshold=current_app.config["PUBLIC_COUNT_THRESHOLD"],
                         priority_area=priority_area, population=population, service=service)
    with unit_of_work(reads_only=True) as session:
        network_row = find_organisation(session, ref)
        try:
            html = network_map_html(session, network_row, request, static_prefix="vendor/",
                                    tiles=configured_tiles(current_app.config))
        except GeoError as refused:
            raise click.ClickException("; ".join(refused.reasons)) from None
    target = Path(out)
    target.write_text(html, encoding="utf-8")
    install_assets(target.parent / "vendor", required_assets(html, "vendor/"))
    click.echo(f"wrote {target} ({len(html.encode()) // 1024} KB)")
