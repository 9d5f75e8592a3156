"""The commands an operator runs on a deployment: `registry backup`, `registry restore` and
`registry doctor`. They read the app's settings as every command does; the work is in
registry.backups and api.doctor.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from api import database, doctor as checks
from registry import backups
from registry.errors import RegistryError
from registry.access.sealing import ContactKeysError

PASSPHRASE_ENV = "REGISTRY_BACKUP_PASSPHRASE"
passphrase_file = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Read the passphrase from this file's first line (else ${PASSPHRASE_ENV}, else asked for).")


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (replaced whole once the backup is complete).")
@passphrase_file
@with_appcontext
def backup(out: Path, passphrase_file: Path | None) -> None:
    """Back up the database while the registry runs, sealed with a passphrase."""
    try:
        made = backups.back_up(current_app.config["DATABASE_URL"], out, _passphrase(passphrase_file, confirm=True))
    except RegistryError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"backed up the {made.engine} database (schema {made.revision}) to {made.path} ({made.bytes:,} bytes)")
    keys = database.contact_keys(current_app).path
    click.echo(f"contacts in it are sealed with the keys in {keys}: back that file up too, apart from the backup "
               "and its passphrase; without it no contact can be read after a restore")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace what the database holds (it must be empty otherwise).")
@passphrase_file
@with_appcontext
def restore(source: Path, force: bool, passphrase_file: Path | None) -> None:
    """Restore a backup into an empty database, then upgrade its schema."""
    keys = database.contact_keys(current_app)
    try:
        made = backups.restore(current_app.config["DATABASE_URL"], source, _passphrase(passphrase_file, confirm=False),
                               force=force, keys=keys.load_or_create)
    except RegistryError as refused:
        raise click.ClickException(refused.message) from None
    except ContactKeysError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"restored the backup of {made.created_at} (schema {made.revision}); the database is at the newest "
               "schema")
    if keys.read() is None:
        click.echo(f"no contact key file at {keys.path}: put the key file's backup there before serving, or no "
                   "contact can be read", err=True)


@click.command("doctor")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="The number of worker processes the server runs (default: gunicorn.conf.py's).")
@with_appcontext
def doctor(workers: int | None) -> None:
    """Check this deployment's settings and say what is unsafe (exit status 1 if anything is)."""
    found = checks.examine(current_app.config, workers=workers)
    for finding in found:
        click.echo(f"{finding.level.upper():<7} {finding.message}")
    if not found:
        click.echo("ok: nothing unsafe found in the settings")
    if any(f.level == checks.UNSAFE for f in found):
        raise SystemExit(1)
