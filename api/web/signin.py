"""Signing in, for people: a sign-in code is exchanged for a web session, and every page knows
who signed in from that session (`g.actor`, read by api.auth.current_actor).

The session's cookie (`registry_session`) holds the session's own random secret, never the code:
HttpOnly, SameSite=Strict (every journey into the app starts on one of its own pages, and a
sign-in link from a QR code opens the sign-in form, which posts from this site), Secure over HTTPS
(request.is_secure, which honours the configured proxy). Failed sign-ins, and session secrets
nobody was given, count against the address's limit (api.auth); a valid code is never refused
for others' failures. The JSON API reads bearer tokens only, never this cookie.

After signing in, a person lands where their role works: a secretariat on /console/, an
organisation's editor on /organisation/, a board member on their network's board page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database
from api.auth import COOKIE, WINDOW_SECONDS, TooManyFailures, count_failure, current_actor, identify
from registry.access import web_sessions
from registry.organisations.models import Organisation
from registry.access.permissions import Actor, Role, spoken_for
from registry.access.public_ids import public_ids_of

blp = Blueprint("signin", __name__)
# Endpoints that never need to know who is asking: the stylesheet and Leaflet's files.
_WITHOUT_SESSION = frozenset({"static", "dashboard.vendor"})
TOO_MANY = _l("Too many failed sign-ins from your address; wait a minute and try again.")
ROLE_NAMES = {Role.SECRETARIAT: _l("secretariat"), Role.EDITOR: _l("editor"), Role.BOARD: _l("board member")}
SESSION_ENDED = _l("Your sign-in has ended: it expired, you signed out, or the sign-in code was revoked. "
                   "Please sign in again.")
ENDED = {"out": _l("You have signed out."),
         "everywhere": _l("You have signed out on every device that used your sign-in code.")}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
    app.before_request(_session_actor)
    app.after_request(_forget_ended_session)


@blp.app_context_processor
def _signed_in() -> dict[str, Any]:
    signed_in = g.get("web_session") is not None
    # "Our organisation" is offered only to someone who has one to keep (an editor, a secretariat).
    return {"signed_in": signed_in, "has_own_page": signed_in and spoken_for(current_actor()) is not None}


def _session_actor() -> Response | None:
    """`g.actor` from the session cookie, for every page (not the JSON API, nor a request that
    came with a bearer token)."""
    secret = request.cookies.get(COOKIE)
    if (not secret or request.endpoint in _WITHOUT_SESSION or request.path.startswith("/api/")
            or current_actor().signed_in):
        return None
    db = database.session()
    row = web_sessions.find_session(db, secret)
    if row is not None:
        g.actor, g.web_session = row.token.actor(), row
        return None
    g.forget_session = True
    try:
        if not web_sessions.known_session(db, secret):
            count_failure()  # a secret nobody was given is a guess, like an unknown code
    except TooManyFailures:
        return _sign_in_page(TOO_MANY, 429)
    if request.endpoint in ("signin.sign_in", "signin.old_sign_in"):
        g.session_ended = True
        return None  # on its way to sign in again
    return _sign_in_page(str(SESSION_ENDED), 401)


def _forget_ended_session(response: Response) -> Response:
    if g.get("forget_session"):
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | WerkzeugResponse:
    if request.method == "GET":
        message = ENDED.get(request.args.get("ended", "")) or (SESSION_ENDED if g.get("session_ended") else None)
        return _sign_in_page(message, 200)
    try:
        actor = identify((request.form.get("code") or "").strip())
    except TooManyFailures:
        return _sign_in_page(TOO_MANY, 429)
    if actor is None:
        return _sign_in_page(_("That sign-in code is unknown, expired or revoked."), 401)
    db = database.session()
    if (earlier := g.get("web_session")) is not None:
        web_sessions.end_session(db, earlier)  # one browser, one sign-in
    row, secret = web_sessions.start_session(db, actor)
    response = redirect(_landing(actor))
    response.set_cookie(COOKIE, secret, max_age=int(web_sessions.LIFETIME.total_seconds()), httponly=True,
                        samesite="Strict", secure=request.is_secure, path="/")
    g.pop("forget_session", None)
    return response


@blp.route("/dashboard/sign-in", methods=["GET", "POST"])
def old_sign_in() -> WerkzeugResponse:
    """Where people signed in before: a form posted here is posted on (307) to the sign-in page."""
    return redirect(url_for("signin.sign_in"), 307 if request.method == "POST" else 302)


@blp.post("/sign-out")
def sign_out() -> WerkzeugResponse:
    if (row := g.get("web_session")) is not None:
        web_sessions.end_session(database.session(), row)
    return _signed_out("out")


@blp.post("/sign-out/everywhere")
def sign_out_everywhere() -> WerkzeugResponse:
    if (row := g.get("web_session")) is not None:
        web_sessions.end_sessions_of(database.session(), current_actor(), row.token)
    return _signed_out("everywhere")


def _signed_out(how: str) -> WerkzeugResponse:
    g.forget_session = True
    return redirect(url_for("signin.sign_in", ended=how))


# Where each role works: the console and the organisation's page are their own modules.
_LANDINGS = {Role.SECRETARIAT: "console.queue", Role.EDITOR: "organisation.page"}


def _landing(actor: Actor) -> str:
    landing = _LANDINGS.get(actor.role)  # where a role works, not what it may do: can() decides that
    if landing:
        return url_for(landing)
    network = public_ids_of(database.session(), Organisation, [actor.network_id])
    return url_for("dashboard.board", network_id=network[actor.network_id])  # type: ignore[index]


def _sign_in_page(message: Any, status: int) -> Response:
    headers = {"Retry-After": str(WINDOW_SECONDS)} if status == 429 else {}
    row = g.get("web_session")
    signed_in_as = None if row is None else {
        "role": ROLE_NAMES[row.token.role], "organisation": row.token.scope.name, "label": row.token.label,
        "until": format_datetime(row.expires_at, "short")}
    return make_response(render_template("signin/sign_in.html", message=message, error=status >= 400,
                                         web_session=signed_in_as), status, headers)
