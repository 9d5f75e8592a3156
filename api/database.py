"""One database session per request, committed once when the request succeeds.

A view never commits: if anything fails, the whole request is rolled back, so a refused
request leaves nothing half-written. An integrity error at commit becomes a 409.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.errors import STALE_MESSAGE, error_response
from registry.db import make_engine, make_sessionmaker

_KEY = "registry.sessionmaker"


def init_app(app: Flask, sessions: Callable[[], Session] | None = None) -> None:
    """`sessions` makes each request's session (tests bind it to their own transaction);
    by default, sessions on an engine for DATABASE_URL."""
    if sessions is None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["registry.engine"] = engine
        sessions = make_sessionmaker(engine)
    app.extensions[_KEY] = sessions
    app.after_request(_commit)
    app.teardown_request(_close)


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (tests and short-lived apps)."""
    engine = app.extensions.get("registry.engine")
    if engine is not None:
        engine.dispose()


def session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        factory: Callable[[], Session] = current_app.extensions[_KEY]
        g.db_session = factory()
    return g.db_session


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
        return error_response(409, "the change conflicts with existing data", error="conflict")
    except StaleDataError:
        db.rollback()
        return error_response(412, STALE_MESSAGE, error="precondition_failed")
    return response


def _close(_exc: BaseException | None) -> None:
    db: Session | None = g.pop("db_session", None)
    if db is not None:
        db.rollback()
        db.close()
