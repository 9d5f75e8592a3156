"""The application factory: settings, hosts, headers, database, authentication, errors,
resources and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, render_template
from sqlalchemy.orm import Session

from api import auth, csrf, dashboard, database, docs, errors, headers, hosts, i18n, logs
from api.json_body import JSONProvider
from api.extensions import Api
from api.resources import (
    areas,
    contacts,
    coverage,
    elections,
    governance,
    history,
    networks,
    organisations,
    popolo,
    service,
    spreadsheets,
    tokens,
    vocabularies,
)
from api.settings import from_environment, instance_secret_key
from api.web import ballots, codes, console, elections as election_pages, organisation, signin

RESOURCES = (service, organisations, contacts, networks, coverage, vocabularies, areas, history, tokens, spreadsheets,
             governance, elections, popolo)


def create_app(overrides: dict[str, Any] | None = None, *, sessions: Callable[[], Session] | None = None) -> Flask:
    """The application; `sessions` makes each request's database session (default: an engine
    on DATABASE_URL), so tests can bind requests to their own transaction."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(from_environment(app.instance_path))
    app.config.update(
        API_TITLE="Sex worker networks membership registry",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        **docs.settings(),
        **csrf.settings(),
    )
    app.config.update(overrides or {})
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or instance_secret_key(app.instance_path)
    app.json = JSONProvider(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    hosts.init_app(app)  # first: a forged host is refused before anything else runs
    logs.init_app(app)  # before the rest: every answer is logged, with the status it ends with
    headers.init_app(app)  # before the database's commit: its after_request runs last, on every answer
    csrf.init_app(app, exempt=[resource.blp for resource in RESOURCES])  # before a token is checked
    i18n.init_app(app)  # before anything that answers in words
    database.init_app(app, sessions)
    auth.init_app(app)
    errors.register(app)
    docs.init_app(app)
    api = Api(app)
    for resource in RESOURCES:
        api.register_blueprint(resource.blp)

    dashboard.init_app(app)
    organisation.init_app(app)
    ballots.init_app(app)
    signin.init_app(app)
    codes.init_app(app)
    console.init_app(app)
    election_pages.init_app(app)

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    return app
