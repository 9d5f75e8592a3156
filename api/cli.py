"""The `registry` command: database upgrades, seeds, tokens and network summaries.

Each command opens one session and commits once at the end, like a request does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.app import create_app
from registry import errors, migrate, tokens
from registry.db import make_engine, make_sessionmaker
from registry.organisations import Organisation
from registry.permissions import Actor, Role
from registry.summaries import network_summary

CLI_ACTOR = Actor.system("command line")


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=True)
def main() -> None:
    """Membership registry for networks of sex-worker-led organisations."""


@contextmanager
def unit_of_work() -> Iterator[Session]:
    engine = make_engine(current_app.config["DATABASE_URL"])
    session = make_sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except errors.RegistryError as refused:
        session.rollback()
        raise click.ClickException(refused.message) from None
    finally:
        session.close()
        engine.dispose()


def find_organisation(session: Session, ref: str) -> Organisation:
    """An organisation by id, acronym or exact name (real organisations before samples)."""
    query = select(Organisation).where(or_(Organisation.acronym == ref, Organisation.name == ref))
    if ref.isdigit():
        query = select(Organisation).where(Organisation.id == int(ref))
    found = session.scalars(query.order_by(Organisation.is_sample, Organisation.id)).first()
    if found is None:
        raise click.ClickException(f"no organisation {ref!r}")
    return found


@main.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the newest schema (Alembic)."""
    url = current_app.config["DATABASE_URL"]
    migrate.upgrade(url)
    click.echo(f"database is at the newest schema ({make_url(url).render_as_string()})")


@main.command()
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


@main.group()
def token() -> None:
    """Issue, list and revoke access tokens."""


@token.command("create")
@click.option("--role", type=click.Choice([r.value for r in (Role.SECRETARIAT, Role.EDITOR, Role.BOARD)]),
              required=True)
@click.option("--for", "scope", required=True, metavar="ORG",
              help="Network (secretariat, board) or organisation (editor): id, acronym or name.")
@click.option("--label", required=True, help="Who the token is for, e.g. 'VNSW secretariat laptop'.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
def token_create(role: str, scope: str, label: str, expires_in_days: int | None) -> None:
    """Create a token; the secret is printed once and never stored."""
    expires = None
    if expires_in_days:
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=expires_in_days)
    with unit_of_work() as session:
        row, secret = tokens.issue_token(session, CLI_ACTOR, role, find_organisation(session, scope),
                                         label=label, expires_at=expires)
        session.flush()
        click.echo(f"token {row.id} for {row.actor().label}")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """Tokens with their scope and state (never their secrets)."""
    with unit_of_work() as session:
        now = dt.datetime.now(dt.timezone.utc)
        for row in session.scalars(select(tokens.AccessToken).order_by(tokens.AccessToken.id)):
            state = "revoked" if row.revoked_at else "expired" if not row.usable(now) else "active"
            click.echo(f"{row.id:>4}  {row.hint}…  {state:<8} {row.actor().label}")


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    with unit_of_work() as session:
        row = session.get(tokens.AccessToken, token_id)
        if row is None:
            raise click.ClickException(f"no token {token_id}")
        tokens.revoke_token(session, CLI_ACTOR, row)
        click.echo(f"revoked token {token_id}")


@main.group()
def network() -> None:
    """Look at a network."""


@network.command("summary")
@click.argument("ref")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="As of this date (YYYY-MM-DD); default: today.")
def network_summary_command(ref: str, on: dt.datetime | None) -> None:
    """Members, areas and priority areas of a network, now or on a date."""
    with unit_of_work() as session:
        organisation = find_organisation(session, ref)
        if not organisation.is_network:
            raise click.ClickException(f"{organisation.name} is not a network")
        summary = network_summary(session, organisation, on.date() if on else None)
        when = on.date().isoformat() if on else "today"
        click.echo(f"{organisation.name} ({organisation.acronym or organisation.id}), {when}")
        click.echo(f"  {summary.headline()}")
        if summary.sample_members:
            click.echo(f"  of which SAMPLE (not real) organisations: {summary.sample_members}")
        click.echo(f"  member networks: {summary.member_networks}")
        click.echo(f"  areas: {', '.join(summary.areas) or '-'}")
        click.echo(f"  memberships by status: {summary.statuses or '-'}")
        click.echo("  active members per priority area:")
        for code, count in summary.priority_areas.items():
            click.echo(f"    {count:>4}  {code}")
