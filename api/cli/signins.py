"""`registry sessions`: the web sessions people's sign-in codes are exchanged for."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from api.cli.session import unit_of_work
from registry.access import web_sessions


@click.group(cls=AppGroup)
def sessions() -> None:
    """People's web sessions (what a sign-in code is exchanged for)."""


@sessions.command("sweep")
@click.option("--ended-days-ago", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Keep sessions that ended more recently (the console shows when a code last signed in).")
def sessions_sweep(ended_days_ago: int) -> None:
    """Delete sessions that ended (expired, signed out or revoked) that many days ago."""
    with unit_of_work() as session:
        swept = web_sessions.sweep_sessions(session, ended_before=dt.timedelta(days=ended_days_ago))
    click.echo(f"deleted {swept} ended session(s)")
