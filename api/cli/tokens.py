"""`registry token`: issue, list and revoke access tokens."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from api.cli.session import CLI_ACTOR, find_organisation, find_row, unit_of_work
from registry.access import tokens
from registry.access.models import TOKEN_ROLES, AccessToken


@click.group(cls=AppGroup)
def token() -> None:
    """Issue, list and revoke access tokens."""


@token.command("create")
@click.option("--role", type=click.Choice([r.value for r in TOKEN_ROLES]),
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
        click.echo(f"token {row.public_id} for {row.actor().label}")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """Tokens with their scope and state (never their secrets)."""
    with unit_of_work(reads_only=True) as session:
        now = dt.datetime.now(dt.timezone.utc)
        for row in tokens.every_token(session, CLI_ACTOR):
            state = "revoked" if row.revoked_at else "expired" if not row.usable(now) else "active"
            click.echo(f"{row.public_id}  {row.hint}…  {state:<8} {row.actor().label}")


@token.command("revoke")
@click.argument("token_ref")
def token_revoke(token_ref: str) -> None:
    """Revoke a token by its public id (or the number it had before public ids)."""
    with unit_of_work() as session:
        row = find_row(session, AccessToken, token_ref, "token")
        tokens.revoke_token(session, CLI_ACTOR, row)
        click.echo(f"revoked token {row.public_id}")
