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

import re
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, default_exceptions

from api.i18n import say
from geo.errors import GeoError
from registry import errors as domain
from registry.db import unavailable
from registry.errors import REFUSED_FIELDS
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


# marshmallow's refusals (English, naming no next step), each as a pattern of its words and what
# the reader is told instead: what to send.
_FIELD_WORDS: tuple[tuple[str, Any], ...] = (
    (r"Missing data for required field\.", _l("required: send a value for it")),
    (r"Unknown field\.", _l("not a field this takes: leave it out, or check its spelling")),
    (r"Field may not be null\.", _l("may not be null: send a value, or leave the field out")),
    (r"Invalid input type\.", _l("send a JSON object")),
    (r"Not a valid string\.", _l("send text, in quotes")),
    (r"Not a valid integer\.", _l("send a whole number")),
    (r"Not a valid number\.", _l("send a number")),
    (r"Not a valid boolean\.", _l("send true or false")),
    (r"Not a valid date\.", _l("send a date as YYYY-MM-DD")),
    (r"Not a valid (aware )?datetime\.", _l("send a date and time as YYYY-MM-DDTHH:MM:SSZ")),
    (r"Not a valid list\.", _l("send a list, in [ ]")),
    (r"Not a valid mapping type\.", _l("send an object, in { }")),
    (r"Not a valid file\.", _l("send a file")),
    (r"String does not match expected pattern\.", _l("not in the expected form: see the description of this field")),
    (r"Must be one of: (?P<choices>.*)\.", _l("send one of: %(choices)s")),
    (r"Must be greater than or equal to (?P<least>\S+) and less than or equal to (?P<most>\S+)\.",
     _l("send a number from %(least)s to %(most)s")),
    (r"Must be greater than or equal to (?P<least>\S+)\.", _l("send a number of at least %(least)s")),
    (r"Must be less than or equal to (?P<most>\S+)\.", _l("send a number of at most %(most)s")),
    (r"Length must be between (?P<least>\d+) and (?P<most>\d+)\.",
     _l("send from %(least)s to %(most)s characters or items")),
    (r"Shorter than minimum length (?P<least>\d+)\.", _l("send at least %(least)s characters or items")),
    (r"Longer than maximum length (?P<most>\d+)\.", _l("send at most %(most)s characters or items")),
    (r"Length must be (?P<equal>\d+)\.", _l("send exactly %(equal)s characters or items")),
    (r"contains control characters or invalid code points", _l("remove the control characters or invalid code points")),
    (r"must not be blank", _l("must not be blank: write something")),
    (r"not a public id", _l("not a public id: send the 12-character id of a row you read")),
    (r"a date between 2000 and 2100", _l("send a date between 2000 and 2100")),
)
_FIELD_MESSAGES = tuple((re.compile(f"^{pattern}$"), instead) for pattern, instead in _FIELD_WORDS)


def field_message(message: str) -> str:
    """A field's refusal as marshmallow words it, said as what to send, in the reader's language;
    a message it does not know as it is."""
    for pattern, instead in _FIELD_MESSAGES:
        if found := pattern.match(message):
            return instead % found.groupdict() if found.groupdict() else str(instead)
    return message


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
        message, fields = in_reader_language(exc)
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
            message = _("the request was refused: %(reasons)s", reasons=_one_by_one(fields))
        for key, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
            headers[key] = value
        return error_response(exc.code or 500, message, fields=fields, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return error_response(500, str(HTTP_MESSAGES[500]), error="internal_error")


def in_reader_language(exc: domain.RegistryError) -> tuple[str, dict[str, list[str]]]:
    """The refusal's message (and its fields') from the catalog: a message id the registry
    marked with N_ is translated, its parameters filled in after (said too where they are Said);
    any other message is said as the registry wrote it."""
    fields = {key: [say(message) for message in messages] for key, messages in exc.fields.items()}
    if exc.field is not None:
        text = say(exc.said)
        return f"{exc.field}: {text}", {**fields, exc.field: [text]}
    if exc.template == REFUSED_FIELDS:  # the reasons again, each said in the reader's language
        return _(REFUSED_FIELDS, what=say(exc.params["what"]), reasons=_one_by_one(fields)), fields
    return say(exc.said), fields


def _one_by_one(fields: dict[str, list[str]]) -> str:
    """Each field's every message on its own, "name: ...; name: ...; country: ...", never run together."""
    return "; ".join(f"{key}: {message}" for key, messages in sorted(fields.items()) for message in messages)


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
            flat.setdefault(prefix or "_schema", []).extend(field_message(v) for v in value)
        else:
            flat.setdefault(prefix or "_schema", []).append(field_message(str(value)))

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
