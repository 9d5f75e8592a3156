"""The one error shape. Every 4xx and 5xx leaves the API as:

    {"status": 422, "error": "validation_failed", "message": "...", "fields": {"name": ["..."]}}

Domain errors, HTTP errors (including flask-smorest's 422 from marshmallow), integrity errors
(409), stale writes (412: another request changed the row since it was read) and a database
that cannot serve at the moment (503, with Retry-After) all pass through `error_response`;
ErrorSchema documents the shape in the OpenAPI description. Any other database error is a
bug, and a 500 like every other.

Outside the API (/api/...), a browser gets the same shape as an HTML page: it asked for the
dashboard, not for JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, default_exceptions

from geo.errors import GeoError
from registry import errors as domain
from registry.db import unavailable
from registry.access.sealing import ContactKeysError

CONFLICT_MESSAGE = _l("the change conflicts with existing data")
STALE_MESSAGE = _l("someone else changed this since you read it; read it again and retry")
RETRY_AFTER_SECONDS = 5

_DOMAIN_STATUS: dict[type[domain.RegistryError], tuple[int, str]] = {
    domain.NotFound: (404, "not_found"),
    domain.NotPermitted: (403, "forbidden"),
    domain.Conflict: (409, "conflict"),
    domain.InvalidTransition: (409, "invalid_transition"),
    domain.ValidationFailed: (422, "validation_failed"),
}


class ErrorSchema(Schema):
    """The one shape of every error the API answers with."""

    status = fields.Integer(required=True, metadata={"example": 422})
    error = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True, metadata={"example": "the profile was refused (name: ...)"})
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "A message per offending field (422 and some 409s)."})


# The `error` words as a person reads them, for the error page's heading.
TITLES = {
    "bad_request": _l("bad request"), "unauthorized": _l("sign-in needed"), "forbidden": _l("not allowed"),
    "not_found": _l("not found"), "method_not_allowed": _l("method not allowed"), "conflict": _l("conflict"),
    "invalid_transition": _l("not possible now"), "validation_failed": _l("refused"), "refused": _l("refused"),
    "precondition_failed": _l("changed meanwhile"), "payload_too_large": _l("too large"),
    "uri_too_long": _l("address too long"), "unsupported_media_type": _l("unsupported file type"),
    "precondition_required": _l("version needed"), "too_many_requests": _l("too many requests"),
    "request_header_fields_too_large": _l("headers too large"), "service_unavailable": _l("unavailable"),
    "internal_error": _l("server error"), "error": _l("error"),
}

# What a refusal says when the code that raised it gave no message of its own (werkzeug's
# English descriptions), by status.
HTTP_MESSAGES = {
    400: _l("the server could not understand this request"),
    401: _l("sign in to do this"),
    403: _l("you may not do this"),
    404: _l("nothing was found at this address"),
    405: _l("this address does not accept this method"),
    409: _l("the change conflicts with existing data"),
    412: _l("someone changed this since you read it: GET it again for its new ETag and send that in If-Match"),
    413: _l("what was sent is too large"),
    414: _l("the address is too long"),
    415: _l("this kind of file or content is not accepted"),
    422: _l("the request was refused"),
    428: _l("send If-Match with the ETag from your last GET of this resource"),
    429: _l("too many requests; wait a moment and try again"),
    431: _l("the request's headers are too large"),
    500: _l("something went wrong on the server; it has been logged"),
    503: _l("the service cannot answer at the moment; try again shortly"),
}


# Only flask-smorest's ETag checks answer these; their English words name no next step.
_ETAG_STATUSES = (412, 428)


def error_response(
    status: int, message: str, *, error: str | None = None, fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"status": status, "error": error or error_code(status), "message": str(message)}
    if fields:
        body["fields"] = fields
    if _wants_page():
        title = TITLES.get(body["error"]) or body["error"].replace("_", " ")
        response = make_response(render_template("error.html", title=title, **body), status)
    else:
        response = jsonify(body)
        response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def unavailable_response(cause: BaseException) -> Response:
    """503 with Retry-After, for a database that cannot serve now; the cause is logged for the
    operator, by its first line only: the full error would log the statement's parameters
    (contacts, names)."""
    orig = getattr(cause, "orig", None) or cause
    current_app.logger.warning("database unavailable: %s: %s", type(orig).__name__,
                               (str(orig).strip().splitlines() or [""])[0])
    return error_response(503, _("the database cannot serve this request at the moment; try again shortly"),
                          error="service_unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def register(app: Flask) -> None:
    @app.errorhandler(domain.RegistryError)
    def _domain(exc: domain.RegistryError) -> Response:
        status, code = next(
            (v for cls, v in _DOMAIN_STATUS.items() if isinstance(exc, cls)), (400, "bad_request")
        )
        actor = g.get("actor")
        if isinstance(exc, domain.NotPermitted) and (actor is None or not actor.signed_in):
            # Nobody signed in: the answer is "authenticate", not "you may not".
            return error_response(401, _("sign in with an access token to do this"), error="unauthorized",
                                  headers={"WWW-Authenticate": 'Bearer realm="registry"'})
        message, fields = _in_reader_language(exc)
        return error_response(status, message, error=code, fields=fields or None)

    @app.errorhandler(GeoError)
    def _geo(exc: GeoError) -> Response:
        # A map or coverage request that must not be answered (e.g. a public district map).
        return error_response(422, "; ".join(exc.reasons), error="refused", fields={"_schema": exc.reasons})

    @app.errorhandler(ContactKeysError)
    def _contact_keys(exc: ContactKeysError) -> Response:
        # The installation's fault (a key file lost, a value altered in the database), never the
        # caller's: the operator reads why in the log (no contact's value is in the message).
        app.logger.error("contacts cannot be sealed or opened: %s", exc)
        return error_response(500, _("contacts cannot be sealed or opened on this server; its operator "
                                     "has been told"), error="internal_error")

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Response:
        return error_response(412, STALE_MESSAGE, error="precondition_failed")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Response:
        return error_response(409, CONFLICT_MESSAGE, error="conflict")

    @app.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError) -> Response:
        if unavailable(exc):
            return unavailable_response(exc)
        return _unexpected(exc)

    @app.errorhandler(CSRFError)
    def _forged(exc: CSRFError) -> Response:
        return error_response(400, _("this form was sent without its security code or from another "
                                     "site, so nothing was done; reload the page and try again"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        headers = dict(header for header in exc.get_headers() if header[0] == "Retry-After")
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        fields = _marshmallow_fields(getattr(exc, "data", None))
        message = exc.description or exc.name
        if exc.code in HTTP_MESSAGES and (message == getattr(default_exceptions.get(exc.code), "description", None)
                                          or exc.code in _ETAG_STATUSES):
            # werkzeug's own words, or flask-smorest's about ETags: say what to do next, in the
            # reader's language.
            message = str(HTTP_MESSAGES[exc.code])
        if fields:
            message = _("the request was refused: %(reasons)s", reasons="; ".join(
                f"{k}: {' '.join(v)}" for k, v in sorted(fields.items())))
        for key, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
            headers[key] = value
        return error_response(exc.code or 500, message, fields=fields, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return error_response(500, str(HTTP_MESSAGES[500]), error="internal_error")


def _in_reader_language(exc: domain.RegistryError) -> tuple[str, dict[str, list[str]]]:
    """The refusal's message (and its field's) from the catalog: a message id the registry
    marked with N_ is translated, its parameters filled in after; any other message is
    said as the registry wrote it."""
    text = _(exc.template, **exc.params)
    if exc.field is None:
        return text, exc.fields
    return f"{exc.field}: {text}", {**exc.fields, exc.field: [text]}


def _wants_page() -> bool:
    """A browser asking for a page, not a client of the JSON API."""
    return (not request.path.startswith("/api/")
            and request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html")


def _marshmallow_fields(data: Any) -> dict[str, list[str]] | None:
    """flask-smorest puts {"messages": {"json": {"field": [...]}}} on its 422s: flatten it."""
    if not isinstance(data, dict) or "messages" not in data:
        return None
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    for location_messages in data["messages"].values():
        walk("", location_messages)
    return flat


def error_code(status: int) -> str:
    """The `error` word for a status: the one vocabulary, gunicorn's own refusals included
    (api/worker.py)."""
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
            413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
            422: "validation_failed", 428: "precondition_required", 429: "too_many_requests",
            431: "request_header_fields_too_large",
            503: "service_unavailable"}.get(status, "error" if status < 500 else "internal_error")
