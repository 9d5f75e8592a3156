"""Sign-in codes, for the secretariat (/console/codes): issue a code to a member organisation
(its editor) or a board member (a seat or pseudonym, no real name needed), print it once with a
QR code, list the codes issued, and revoke one, which ends its sessions at once.

The code is shown once, in the answer to the form that issued it; only its hash is stored. The
QR code carries the sign-in address with the code in the fragment (/sign-in#code=...): a browser
never sends a fragment to the server, so the code reaches no access log, proxy log or Referer;
the sign-in page's script moves it into the form, which the person posts. A query string would
be logged by every server and proxy on the way. Everything goes through registry.access.tokens, which
lets a secretariat issue and revoke codes only within its active subtree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from flask import Blueprint, Flask, Response, abort, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, gettext as _, lazy_gettext as _l
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database
from api.auth import current_actor
from api.web.signin import ROLE_NAMES
from registry.networks import directory
from registry.access import tokens
from registry.access import web_sessions
from registry.db import utcnow
from registry.errors import RegistryError
from registry.access.permissions import Permission, Role, can

blp = Blueprint("codes", __name__, url_prefix="/console/codes")
PAGE_SIZE = 50
ROLES = (Role.EDITOR, Role.BOARD)
# How long a code lasts; a person signs in again with the same code until it expires.
EXPIRIES = (("365", _l("one year")), ("90", _l("90 days")), ("30", _l("30 days")), ("", _l("never")))


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


def _secretariat() -> WerkzeugResponse | None:
    """Sign in first; then only a secretariat manages codes."""
    actor = current_actor()
    if not actor.signed_in:
        return redirect(url_for("signin.sign_in"))
    if actor.network_id is None or not can(database.session(), actor, Permission.ISSUE_TOKENS, actor.network_id):
        abort(403)
    return None


@blp.get("/")
def codes() -> Response | WerkzeugResponse:
    return _secretariat() or _list_page({}, None, 200)


@blp.post("/")
def issue() -> Response | WerkzeugResponse:
    if (refused := _secretariat()) is not None:
        return refused
    db, actor = database.session(), current_actor()
    form = {key: (request.form.get(key) or "").strip() for key in ("role", "holder", "label", "expires")}
    if form["role"] not in ROLES or form["expires"] not in {value for value, _label in EXPIRIES}:
        return _list_page(form, _("Choose who the code is for, their role and how long it lasts."), 422)
    try:
        holder = directory.find_organisation(db, actor, form["holder"])
        expires = utcnow() + dt.timedelta(days=int(form["expires"])) if form["expires"] else None
        code, secret = tokens.issue_token(db, actor, form["role"], holder, label=form["label"], expires_at=expires)
    except RegistryError as refused:
        return _list_page(form, _(refused.template, **refused.params), 422)
    address = url_for("signin.sign_in", _external=True) + "#code=" + secret
    return make_response(render_template(
        "codes/issued.html", code=_shown(code, {}), secret=secret, sign_in_url=url_for("signin.sign_in", _external=True),
        qr=_qr(address)))


@blp.get("/<public_id:code_id>/revoke")
def confirm_revoke(code_id: str) -> Response | WerkzeugResponse:
    if (refused := _secretariat()) is not None:
        return refused
    code = tokens.find_token(database.session(), current_actor(), code_id)
    return make_response(render_template("codes/revoke.html", code=_shown(code, {})))


@blp.post("/<public_id:code_id>/revoke")
def revoke(code_id: str) -> Response | WerkzeugResponse:
    if (refused := _secretariat()) is not None:
        return refused
    db = database.session()
    tokens.revoke_token(db, current_actor(), tokens.find_token(db, current_actor(), code_id))
    return redirect(url_for("codes.codes", revoked=code_id))


def _list_page(form: dict[str, str], message: str | None, status: int) -> Response:
    db, actor = database.session(), current_actor()
    try:
        page = min(max(int(request.args.get("page", "1")), 1), 10_000)
    except ValueError:
        page = 1
    listed = tokens.tokens_for(db, actor, page=page, page_size=PAGE_SIZE)
    last = web_sessions.last_sign_ins(db, [code.id for code in listed.items])
    revoked = request.args.get("revoked") if status == 200 else None
    return make_response(render_template(
        "codes/codes.html", codes=[_shown(code, last) for code in listed.items], listed=listed, form=form,
        message=message, revoked=revoked, roles=[(role.value, ROLE_NAMES[role]) for role in ROLES],
        holders=tokens.code_holders(db, actor), expiries=EXPIRIES), status)


def _shown(code: tokens.AccessToken, last: dict[int, dt.datetime]) -> dict[str, Any]:
    """A code as a page shows it: never its secret (nor its hash)."""
    now = utcnow()
    state = (_("revoked") if code.revoked_at else _("expired") if not code.usable(now) else _("active"))
    return {"public_id": code.public_id, "label": code.label, "role": ROLE_NAMES[code.role],
            "holder": code.scope.name, "created": format_date(code.created_at, "medium"),
            "last_used": format_datetime(last[code.id], "short") if code.id in last else _("never"),
            "expires": format_date(code.expires_at, "medium") if code.expires_at else _("never"),
            "state": state, "usable": code.usable(now)}


def _qr(address: str) -> Markup:
    """The QR code as inline SVG: no style attribute and no script, so the pages' CSP holds."""
    svg = segno.make(address, error="m").svg_inline(
        scale=4, omitsize=True, svgclass="qr", title=_("QR code: the sign-in address with this code"))
    return Markup(svg)  # segno's own markup, which escapes the title it is given
