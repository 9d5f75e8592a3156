"""The `registry` command: database upgrades, seeds, tokens, network summaries and the contact keys.

Each command opens one session and commits once at the end, like a request does; the session
seals and opens contacts with the app's key file, as a request's does (api/cli/session.py). One
module per command group; this one gathers them.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from api import operations
from api.app import create_app
from api.cli import boundaries, contacts, elections, members, networks, schema, signins, tokens


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=True)
def main() -> None:
    """Membership registry for networks of sex-worker-led organisations."""


for command in (operations.backup, operations.restore, operations.doctor,
                schema.db, schema.seed, tokens.token, networks.network, networks.map_command,
                boundaries.boundaries, members.members, contacts.contacts, elections.election, signins.sessions):
    main.add_command(command)
