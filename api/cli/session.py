"""One session per command, committed once at its end as a request's is, and how a command
names an organisation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from sqlalchemy.orm import Session

from api import database
from registry import errors
from registry.access import public_ids
from registry.access.permissions import Actor
from registry.access.public_ids import Row
from registry.access.sealing import ContactKeysError, use_keys
from registry.db import for_writing, make_engine, make_sessionmaker, run_committed
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.organisations import services as organisations
from registry.organisations.models import Organisation


CLI_ACTOR = Actor.system("command line")


@contextmanager
def unit_of_work(*, reads_only: bool = False) -> Iterator[Session]:
    """One transaction for the command, committed at its end; one that may write takes SQLite's
    write lock as it begins (registry.db.for_writing), as the server's writing requests do."""
    config = current_app.config
    engine = make_engine(config["DATABASE_URL"], lock_timeout=config["DATABASE_LOCK_TIMEOUT"])
    session = use_ballot_keys(use_keys(make_sessionmaker(engine if reads_only else for_writing(engine))(),
                                       database.contact_keys(current_app)),
                              BallotKeyFolder(config["ELECTION_KEYS_DIR"]))
    try:
        yield session
        session.commit()
        run_committed(session, engine)
    except (errors.RegistryError, ContactKeysError) as refused:
        session.rollback()
        raise click.ClickException(getattr(refused, "message", str(refused))) from None
    finally:
        session.close()
        engine.dispose()


def find_row(session: Session, model: type[Row], ref: str, what: str) -> Row:
    """A body, an election or a token by its public id, or by the number it had before public ids."""
    found = public_ids.by_reference(session, model, ref)
    if found is None:
        raise click.ClickException(f"no {what} {ref!r}")
    return found


def find_organisation(session: Session, ref: str) -> Organisation:
    """An organisation by id, acronym or exact name (real organisations before samples)."""
    found = organisations.find_by_reference(session, ref)
    if found is None:
        raise click.ClickException(f"no organisation {ref!r}")
    return found
