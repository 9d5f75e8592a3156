"""One database session per request, committed once when the request succeeds.

A view never commits: if anything fails, the whole request is rolled back, so a refused
request leaves nothing half-written. Each session carries the contact key ring (read from the
key file, registry/access/contact_keys.py), which the domain seals and opens contacts with, and the
folder of private ballot keys (registry/elections/ballot_keys.py). An integrity error at commit becomes a 409, a database
that cannot serve at that moment a 503. A request that writes (any but GET, HEAD and OPTIONS,
and a read that is logged) opens a transaction for writing (registry.db.for_writing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.errors import CONFLICT_MESSAGE, STALE_MESSAGE, error_response, unavailable_response
from registry.access.contact_keys import KeyFile
from registry.db import for_writing, make_engine, make_sessionmaker, run_committed, unavailable
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.access.sealing import use_keys

_KEY = "registry.sessionmaker"
_WRITING_KEY = "registry.sessionmaker.writing"
_KEYS_KEY = "registry.access.contact_keys"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask, sessions: Callable[[], Session] | None = None) -> None:
    """`sessions` makes each request's session (tests bind it to their own transaction);
    by default, sessions on an engine for DATABASE_URL."""
    writing_sessions = sessions
    if sessions is None:
        engine = make_engine(app.config["DATABASE_URL"], lock_timeout=app.config["DATABASE_LOCK_TIMEOUT"])
        app.extensions["registry.engine"] = engine
        sessions, writing_sessions = make_sessionmaker(engine), make_sessionmaker(for_writing(engine))
    app.extensions[_KEY] = sessions
    app.extensions[_WRITING_KEY] = writing_sessions
    app.extensions[_KEYS_KEY] = KeyFile(app.config["CONTACT_KEYS_FILE"])
    app.after_request(_commit)
    app.teardown_request(_close)


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (tests and short-lived apps)."""
    if (engine := app.extensions.get("registry.engine")) is not None:
        engine.dispose()


def after_fork(app: Flask) -> None:
    """In a forked worker: forget the pooled connections the parent made, without closing
    them under the parent (SQLAlchemy's rule for os.fork)."""
    if (engine := app.extensions.get("registry.engine")) is not None:
        engine.dispose(close=False)


def session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        writes = request.method not in _SAFE_METHODS or getattr(
            current_app.view_functions.get(request.endpoint or ""), "logged_read", False)
        factory: Callable[[], Session] = current_app.extensions[_WRITING_KEY if writes else _KEY]
        g.db_session = use_ballot_keys(use_keys(factory(), contact_keys(current_app)),
                                       BallotKeyFolder(current_app.config["ELECTION_KEYS_DIR"]))
    return g.db_session


def contact_keys(app: Flask) -> KeyFile:
    """The app's contact key file: one per process, read again when it changes."""
    return app.extensions[_KEYS_KEY]


def logged_read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET view that writes down who read what (contacts): its request writes."""
    view.logged_read = True  # type: ignore[attr-defined]
    return view


def _commit(response: Response) -> Response:
    db: Session | None = g.get("db_session")
    if db is None:
        return response
    if response.status_code >= 400:
        db.rollback()
        return response
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return error_response(409, CONFLICT_MESSAGE, error="conflict")
    except StaleDataError:
        db.rollback()
        return error_response(412, STALE_MESSAGE, error="precondition_failed")
    except SQLAlchemyError as failed:
        if not unavailable(failed):
            raise
        db.rollback()
        return unavailable_response(failed)
    return response


def _close(_exc: BaseException | None) -> None:
    # After the one commit (_commit): what the domain asked to follow it (registry.db.after_commit)
    # runs here, with the app's own engine (none when the caller supplies the sessions).
    db: Session | None = g.pop("db_session", None)
    if db is not None:
        run_committed(db, current_app.extensions.get("registry.engine"))
        db.rollback()
        db.close()
