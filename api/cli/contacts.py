"""`registry contacts`: the keys that seal contacts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from api import database
from api.cli.session import CLI_ACTOR, unit_of_work
from registry.access import contact_keys


@click.group(cls=AppGroup)
def contacts() -> None:
    """The keys that seal contacts: which are in use, rotate, drop an old one."""


@contacts.command("keys")
def contacts_keys() -> None:
    """Every key in the key file or named by a stored contact, with how many values use it."""
    key_file = database.contact_keys(current_app)
    with unit_of_work(reads_only=True) as session:
        uses = contact_keys.keys_in_use(session, key_file.ring(session))
    click.echo(f"key file: {key_file.path}")
    for use in uses:
        state = "current" if use.current else "old" if use.in_ring else "MISSING from the key file"
        click.echo(f"  {use.purpose:<8} {use.key_id}  {state:<26} {use.values} contact value(s)")
    if any(not use.in_ring and use.values for use in uses):
        raise click.ClickException("some contacts use a key the key file does not hold: they cannot be "
                                   "opened until that key is restored")


@contacts.command("rotate-key")
@click.option("--index-key", is_flag=True, help="Also make a new key for the blind index, and recompute it.")
def contacts_rotate_key(index_key: bool) -> None:
    """Make a new current key and reseal every contact under it, in one transaction.

    The old key stays in the key file, so every contact still opens whatever happens; once this
    has committed, remove it with `registry contacts drop-key KEY_ID`."""
    key_file = database.contact_keys(current_app)
    with unit_of_work() as session:
        rotation = contact_keys.rotate(session, CLI_ACTOR, key_file, index_key=index_key)
    click.echo(f"resealed {rotation.resealed} contact value(s) under key {rotation.key_id}")
    if rotation.index_key_id:
        click.echo(f"recomputed their blind index under key {rotation.index_key_id}")
    for key_id in rotation.retired:
        click.echo(f"key {key_id} is no longer used: registry contacts drop-key {key_id}")


@contacts.command("drop-key")
@click.argument("key_id")
def contacts_drop_key(key_id: str) -> None:
    """Remove an old key from the key file; refused while any contact value uses it."""
    key_file = database.contact_keys(current_app)
    with unit_of_work(reads_only=True) as session:
        contact_keys.drop_key(session, key_file, key_id)
    click.echo(f"dropped key {key_id} from {key_file.path}")
