"""`registry db upgrade` and `registry seed`: the schema and the seed data."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import make_url

from api import database
from api.cli.session import CLI_ACTOR, unit_of_work
from registry import migrate
from registry.access.sealing import ContactKeysError


@click.group(cls=AppGroup)
def db() -> None:
    """Create or upgrade the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the newest schema (Alembic)."""
    url = current_app.config["DATABASE_URL"]
    keys = database.contact_keys(current_app)
    try:
        migrate.upgrade(url, keys=keys.load_or_create)  # asked for only if there are contacts to seal
    except ContactKeysError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"database is at the newest schema ({make_url(url).render_as_string()})")
    if keys.path.exists():
        click.echo(f"contacts are sealed with the keys in {keys.path}: back that file up, apart from the "
                   "database; without it no contact can be read")


@click.command()
@with_appcontext
@click.option("--sample/--no-sample", default=True, show_default=True,
              help="Also load the clearly labelled sample network.")
def seed(sample: bool) -> None:
    """Load boundary sets, vocabularies, the seed organisations and the sample network."""
    from seeds.load import load_all

    bars: dict[str, object] = {}

    def progress(step: str, done: int, total: int) -> None:
        bar = bars.get(step)
        if bar is None:
            bar = bars[step] = click.progressbar(length=total, label=f"{step:<16}", show_pos=True)
            bar.__enter__()  # type: ignore[attr-defined]
        bar.update(1)  # type: ignore[attr-defined]
        if done == total:
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]

    with unit_of_work() as session:
        report = load_all(session, CLI_ACTOR, sample=sample, progress=progress)
    for line in report.lines():
        click.echo(line)
