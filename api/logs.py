"""The logs as JSON lines: one line per request (its id, method, route template, status,
duration, the caller's role) and every other record with the id of the request it belongs to.

What a line never holds: a token, a sign-in code, a contact, a ballot, a request body, a query
string or a concrete path (the route template stands for it: `/api/v1/organisations/<public_id:organisation_id>`),
since whoever reads the logs is not always who may read the registry. The request id comes back
in the X-Request-Id header, so a member reporting a problem can quote it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-Id"
# A proxy's own id (Caddy, nginx) is kept only when a proxy is trusted and the id looks like one.
_PROXY_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
log = logging.getLogger("registry.requests")


class RequestIdFilter(logging.Filter):
    """Stamps each record made while a request runs with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


def formatter() -> logging.Formatter:
    return JsonFormatter(FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z")


def config_dict(level: str = "INFO") -> dict[str, Any]:
    """logging's dictConfig for a server process: JSON lines on stderr for the app's records and
    gunicorn's own (gunicorn.conf.py passes it as logconfig_dict). gunicorn's access log stays
    off: its lines hold the query string, and the app's request line says what it should."""
    json_lines = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                  "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "api.logs.formatter"}},
        "filters": {"request_id": {"()": "api.logs.RequestIdFilter"}},
        "handlers": {"json": json_lines},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            # Alembic tells of its plugins at INFO each time /ready first reads the migrations.
            "alembic": {"level": "WARNING"},
        },
    }


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    offered = request.headers.get(HEADER, "")
    trusted = current_app.config["PROXY_HOPS"] > 0
    g.request_id = offered if trusted and _PROXY_ID.match(offered) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[HEADER] = request_id
    actor = g.get("actor")
    started = g.get("request_started")
    log.info("request", extra={
        "request_id": request_id,
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        "role": actor.role.value if actor is not None else None,
    })
    return response
