"""The secretariat's console at /console/: the review queue and the membership decisions, registering
an organisation, the member list, the spreadsheet import and exports, and the change history and
contact-access log of the network's members.

Every screen is the secretariat's of the network its sign-in is for. Reads go through the same
directory and Reader as the JSON API, writes through the same service functions; a domain refusal
is shown on the form, in the reader's language, and the request's answer (4xx) rolls back whatever
it began. Forms are written by hand, each with its CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import (Blueprint, Flask, Response, abort, current_app, flash, g, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.wrappers import Response as WerkzeugResponse

from api import database
from api.auth import current_actor
from api.errors import STALE_MESSAGE, in_reader_language
from api.i18n import locale_code, say, say_message, template_headers
from registry.access import contact_reads, history
from registry.networks import directory
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.areas.services import areas_by_code
from registry.db import PAGE_MAX, after_commit
from registry.networks.directory import SORTS, DirectoryQuery
from registry.errors import RegistryError
from registry.exchange.member_export import allowed_values, member_rows, template_xlsx, to_csv, to_xlsx
from registry.exchange.spreadsheets import MAX_BYTES
from registry.exchange.member_import import ImportReport, import_file
from registry.memberships.models import LIFECYCLE, REASON_REQUIRED, MembershipAction, MembershipStatus
from registry.organisations.models import OrganisationKind
from registry.access.permissions import Permission, can
from registry.areas.place_names import list_places
from registry.vocabularies.models import Vocabulary
from registry.vocabularies.services import terms

blp = Blueprint("console", __name__, url_prefix="/console")

A, S = MembershipAction, MembershipStatus
# The decisions the console offers, in the order a member page lists them.
DECISIONS = {A.VERIFY: _l("Verify"), A.ADMIT: _l("Admit"), A.REJECT: _l("Reject"), A.SUSPEND: _l("Suspend"),
             A.REINSTATE: _l("Reinstate"), A.WITHDRAW: _l("Withdraw")}
STATUSES = {S.APPLIED: _l("applied"), S.VERIFIED: _l("verified"), S.ACTIVE: _l("active"),
            S.SUSPENDED: _l("suspended"), S.LAPSED: _l("lapsed"), S.WITHDRAWN: _l("withdrawn"),
            S.EXPELLED: _l("expelled"), S.REJECTED: _l("rejected")}
# What waits for the secretariat: applications to verify or admit, suspended members to reinstate.
QUEUE = (S.APPLIED, S.VERIFIED, S.SUSPENDED)
KINDS = {OrganisationKind.COMMUNITY_ORGANISATION: _l("community organisation"),
         OrganisationKind.NATIONAL_NETWORK: _l("national network")}
SORT_LABELS = {"name": _l("name, A to Z"), "-name": _l("name, Z to A"), "country": _l("country"),
               "-country": _l("country, Z to A")}
assert set(SORT_LABELS) <= set(SORTS)
FILTERS = {"priority_area": (Vocabulary.PRIORITY_AREA, _l("Priority area")),
           "population": (Vocabulary.POPULATION, _l("Population")),
           "service": (Vocabulary.SERVICE, _l("Service"))}
PAGE_SIZE = 25
AREA_INPUTS = 3
# An upload waits this long for its dry run to be applied.
UPLOAD_SECONDS = 3600
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


@blp.before_request
def _secretariat_only() -> Response | WerkzeugResponse | None:
    """Anonymous people sign in first; anyone else but a network's secretariat reads why not."""
    actor = current_actor()
    if not actor.signed_in:
        return redirect(url_for("signin.sign_in"))
    session = database.session()
    if actor.network_id is None or not can(session, actor, Permission.MANAGE_MEMBERS, actor.network_id):
        return _page("error.html", 403, status=403, title=_("not allowed"), error="forbidden", message=_(
            "The console is for a network's secretariat. Your sign-in does not open it."))
    g.network = memberships.get_network(session, actor.network_id)
    return None


@blp.app_context_processor
def _console_words() -> dict[str, Any]:
    return {"membership_statuses": STATUSES}


# -- the review queue and the decisions ------------------------------------------------------------

@blp.get("/")
def queue() -> str:
    session, network = database.session(), g.network
    waiting = directory.network_members(session, current_actor(), network.public_id, on=None, statuses=QUEUE,
                                        page=_page_number(), page_size=PAGE_SIZE)
    return render_template("console/queue.html", network=network, found=waiting)


@blp.get("/members/<public_id:organisation_id>")
def member(organisation_id: str) -> str:
    session, actor, network = database.session(), current_actor(), g.network
    membership = directory.find_membership(session, actor, network.public_id, organisation_id)
    seen = directory.show(session, actor, membership.member)
    return render_template("console/member.html", network=network, membership=membership, seen=seen,
                           profile=_profile_rows(session, seen.profile),
                           decisions=[(a, label) for a, label in DECISIONS.items()
                                      if membership.status in LIFECYCLE[a][0]])


@blp.route("/members/<public_id:organisation_id>/<action>", methods=["GET", "POST"])
def decide(organisation_id: str, action: str) -> Response | WerkzeugResponse:
    session, actor, network = database.session(), current_actor(), g.network
    if action not in DECISIONS:
        abort(404)
    decision = MembershipAction(action)
    membership = directory.find_membership(session, actor, network.public_id, organisation_id)
    form = {"reason": request.form.get("reason", ""), "on": request.form.get("on") or dt.date.today().isoformat(),
            "version": request.form.get("version", str(membership.version))}
    if request.method == "POST":
        try:
            on = _date(form["on"])
            if form["version"] != str(membership.version):
                raise _Refused(str(STALE_MESSAGE), 409)
            memberships.transition(session, actor, network, membership.member, decision, on=on, reason=form["reason"])
        except _Refused as refused:
            return _decision_page(membership, decision, form, refused.message, refused.status)
        except RegistryError as refused:
            return _decision_page(membership, decision, form, _said(refused), 422)
        flash(_("%(decision)s: done for %(organisation)s.", decision=DECISIONS[decision],
                organisation=membership.member.name))
        return redirect(url_for(".member", organisation_id=organisation_id))
    return _decision_page(membership, decision, form, None, 200)


def _decision_page(membership: Any, decision: MembershipAction, form: dict[str, str], message: str | None,
                   status: int) -> Response:
    return _page("console/decide.html", status, network=g.network, membership=membership, action=decision,
                 label=DECISIONS[decision], form=form, message=message, reason_required=decision in REASON_REQUIRED)


# -- registering an organisation -------------------------------------------------------------------

@blp.route("/register", methods=["GET", "POST"])
def register() -> Response | WerkzeugResponse:
    session, actor, network = database.session(), current_actor(), g.network
    form = {key: request.form.get(key, "").strip() for key in ("name", "acronym", "kind", "country", "reason")}
    form["country"] = form["country"] or (network.country or "")
    form["kind"] = form["kind"] or OrganisationKind.COMMUNITY_ORGANISATION.value
    areas = [a.strip() for a in request.form.getlist("area")][:AREA_INPUTS]
    if request.method == "POST":
        profile: dict[str, Any] = {"acronym": form["acronym"] or None, "country": form["country"].upper() or None,
                                   "areas_served": [a for a in areas if a]}
        try:
            if form["kind"] not in KINDS:
                raise _Refused(_("Choose a kind of organisation from the list."), 422)
            organisation = organisations.register_organisation(session, actor, network=network, kind=form["kind"],
                                                               name=form["name"], **profile)
            # A registered organisation enters the queue as the network's applicant.
            memberships.apply(session, actor, network, organisation, reason=form["reason"])
        except _Refused as refused:
            return _register_page(form, areas, refused.message, refused.status)
        except RegistryError as refused:
            return _register_page(form, areas, _said(refused), 422)
        flash(_("%(organisation)s is registered and waits for verification.", organisation=organisation.name))
        return redirect(url_for(".member", organisation_id=organisation.public_id))
    return _register_page(form, areas, None, 200)


def _register_page(form: dict[str, str], areas: list[str], message: str | None, status: int) -> Response:
    network = g.network
    language = locale_code()
    places = list_places(database.session(), country=network.country, level=1, page_size=100).items \
        if network.country else []
    suggestions = sorted({p.area.names.get(language) or p.area.name for p in places})
    return _page("console/register.html", status, network=network, form=form, kinds=KINDS, message=message,
                 areas=areas + [""] * (AREA_INPUTS - len(areas)), suggestions=suggestions)


# -- the member list -------------------------------------------------------------------------------

@blp.get("/members")
def members() -> Response:
    session, actor, network = database.session(), current_actor(), g.network
    args = request.args
    form = {key: args.get(key, "").strip()[:200] for key in ("q", "status", "on", "sort", "area", "country", "kind",
                                                            *FILTERS)}
    form["sort"] = form["sort"] if form["sort"] in SORT_LABELS else "name"
    language = locale_code()
    choices = {key: [(t.code, t.label(language)) for t in terms(session, vocabulary, network_ids=[network.id])]
               for key, (vocabulary, _label) in FILTERS.items()}
    message = None
    found = None
    try:
        on = _date(form["on"]) if form["on"] else None
        status = [S(form["status"])] if form["status"] in STATUSES else []
        kind = OrganisationKind(form["kind"]) if form["kind"] in KINDS else None
        query = DirectoryQuery(text=form["q"] or None, area=form["area"] or None, country=form["country"] or None,
                               kind=kind, sort=form["sort"], **{key: form[key] or None for key in FILTERS})
        found = directory.network_members(session, actor, network.public_id, on=on, statuses=status, query=query,
                                          page=_page_number(), page_size=PAGE_SIZE)
    except _Refused as refused:
        message = refused.message
    except RegistryError as refused:
        message = _said(refused)
    return _page("console/members.html", 422 if message else 200, network=network, form=form, found=found,
                 message=message, choices=choices, filters=FILTERS, kinds=KINDS, sorts=SORT_LABELS,
                 query={k: v for k, v in form.items() if v})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.get("/members.csv")
@database.logged_read
def export_csv() -> Response:
    network = g.network
    rows = member_rows(database.session(), current_actor(), network, language=locale_code())
    return _download(to_csv(rows, say=_), "text/csv", f"network-{network.public_id}-members.csv")


@blp.get("/members.xlsx")
@database.logged_read
def export_xlsx() -> Response:
    network = g.network
    rows = member_rows(database.session(), current_actor(), network, language=locale_code())
    return _download(to_xlsx(rows, _), XLSX,
                     f"network-{network.public_id}-members.xlsx")


@blp.get("/member-template.xlsx")
def import_template() -> Response:
    """The template in the reader's language, its sheet of allowed values listing this network's
    terms and the areas of its country."""
    allowed = allowed_values(database.session(), g.network, locale_code(), _)
    return _download(template_xlsx(say=_, allowed=allowed), XLSX, "member-template.xlsx")


def _download(data: bytes, media_type: str, filename: str) -> Response:
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- the spreadsheet import ------------------------------------------------------------------------

@blp.get("/import")
def import_form() -> Response:
    return _import_page(None, None, None, 200)


@blp.post("/import")
def import_dry_run() -> Response:
    """Check an uploaded file, writing nothing, and keep it server-side for applying: what is
    applied is then exactly the file that was checked."""
    session, actor, network = database.session(), current_actor(), g.network
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(None, None, _("Choose a CSV or XLSX file to upload."), 422)
    data = upload.read(MAX_BYTES + 1)
    try:
        report = import_file(session, actor, network, upload.filename, data, apply=False, headers=template_headers())
    except RegistryError as refused:
        return _import_page(None, None, _said(refused), 422)
    upload_id = _keep_upload(upload.filename, data) if not report.errors else None
    return _import_page(report, upload_id, None, 200, filename=upload.filename)


@blp.post("/import/<upload_id>")
def import_apply(upload_id: str) -> Response | WerkzeugResponse:
    session, actor, network = database.session(), current_actor(), g.network
    kept = _kept_upload(upload_id)
    if kept is None:
        return _import_page(None, None, _("That upload has expired or was applied already; upload the file again."),
                            410)
    filename, data, path = kept
    try:
        report = import_file(session, actor, network, filename, data, apply=True, headers=template_headers())
    except RegistryError as refused:
        return _import_page(None, None, _said(refused), 422)
    if not report.applied:
        # The network's members changed since the dry run: nothing was kept; say which rows.
        return _import_page(report, None, _("Nothing was kept: some rows have errors now."), 409, filename=filename)
    after_commit(session, lambda _engine: _forget_upload(path))
    counts = report.counts()
    flash(_("The import is applied: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            created=counts["created"], updated=counts["updated"], unchanged=counts["unchanged"]))
    return redirect(url_for(".members"))


def _import_page(report: ImportReport | None, upload_id: str | None, message: str | None, status: int,
                 filename: str = "") -> Response:
    rows = [(r, [p.said(say_message) for p in r.problems]) for r in report.rows] if report else []
    return _page("console/import.html", status, network=g.network, report=report, rows=rows, upload_id=upload_id,
                 warnings=[say(warning) for warning in report.warnings] if report else [],
                 message=message, filename=filename, counts=report.counts() if report else None, outcomes=OUTCOMES)


def _uploads() -> Path:
    folder = Path(current_app.instance_path) / "console-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(filename: str, data: bytes) -> str:
    folder = _uploads()
    for old in folder.glob("*.json"):  # forget uploads nobody applied
        if old.stat().st_mtime < time.time() - UPLOAD_SECONDS:
            _forget_upload(old.with_suffix(""))
    upload_id = secrets.token_urlsafe(16)
    path = folder / upload_id
    path.write_bytes(data)
    path.with_suffix(".json").write_text(json.dumps({
        "filename": filename, "sha256": hashlib.sha256(data).hexdigest(), "network_id": g.network.id,
        "actor": current_actor().label}))
    return upload_id


def _kept_upload(upload_id: str) -> tuple[str, bytes, Path] | None:
    """The upload's name and bytes, if it is this secretariat's, unexpired and unaltered."""
    if not _UPLOAD_ID.fullmatch(upload_id):
        return None
    path = _uploads() / upload_id
    try:
        meta = json.loads(path.with_suffix(".json").read_text())
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if (meta.get("network_id") != g.network.id or meta.get("actor") != current_actor().label
            or hashlib.sha256(data).hexdigest() != meta.get("sha256")
            or path.stat().st_mtime < time.time() - UPLOAD_SECONDS):
        return None
    return meta["filename"], data, path


def _forget_upload(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)


# -- history and the contact-access log ------------------------------------------------------------

@blp.get("/history")
def change_history() -> str:
    found = history.history_for(database.session(), current_actor(), page=_page_number(), page_size=PAGE_SIZE)
    return render_template("console/history.html", network=g.network, found=found, actions=HISTORY_ACTIONS,
                           fields=PROFILE_LABELS)


@blp.get("/members/<public_id:organisation_id>/contact-reads")
def contact_log(organisation_id: str) -> str:
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    found = contact_reads.reads_of(session, actor, organisation, page=_page_number(), page_size=PAGE_SIZE)
    return render_template("console/contact_reads.html", network=g.network, organisation=organisation, found=found)


# -- shared by the screens -------------------------------------------------------------------------

class _Refused(Exception):
    """A form's value the console itself refuses before any service sees it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _said(refused: RegistryError) -> str:
    """A domain refusal in the reader's language (a message id is translated, its parameters
    filled in after; an English message is said as written, its fields' reasons included)."""
    return in_reader_language(refused)[0]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _Refused(_("Write the date as YYYY-MM-DD."), 422) from None


def _page_number() -> int:
    number = request.args.get("page", "1")
    return min(int(number), PAGE_MAX) if number.isdigit() and int(number) >= 1 else 1


def _page(template: str, status: int, /, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


PROFILE_LABELS = {"acronym": _l("Acronym"), "kind": _l("Kind"), "country": _l("Country"),
                  "founding_date": _l("Founded"), "areas_served": _l("Areas served"),
                  "priority_areas": _l("Priority areas"), "populations": _l("Populations"),
                  "services": _l("Services"), "website": _l("Website"), "public_listing": _l("Listed publicly")}
_TERM_FIELDS = {"priority_areas": Vocabulary.PRIORITY_AREA, "populations": Vocabulary.POPULATION,
                "services": Vocabulary.SERVICE}


# The history's changes as a person names them; an action not listed here is shown as recorded.
HISTORY_ACTIONS = {"register_organisation": _l("registered"), "update_profile": _l("profile changed"),
                   "set_status": _l("status changed"), "add_contact": _l("contact added"),
                   "update_contact": _l("contact changed"), "remove_contact": _l("contact removed"),
                   "issue_token": _l("sign-in code issued"), "revoke_token": _l("sign-in code revoked"),
                   **{f"membership_{a.value}": label for a, label in DECISIONS.items()},
                   "membership_apply": _l("applied"), "membership_lapse": _l("lapsed"),
                   "membership_expel": _l("expelled")}
OUTCOMES = {"created": _l("to create"), "updated": _l("to update"), "unchanged": _l("unchanged")}


def _profile_rows(session: Any, profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The applicant's profile as label and value, vocabulary labels in the reader's language."""
    language = locale_code()
    rows = []
    for field, label in PROFILE_LABELS.items():
        value = profile.get(field)
        if field == "areas_served" and value:
            named = areas_by_code(session, value)
            value = ", ".join((named[c].names.get(language) or named[c].name) if c in named else c for c in value)
        elif field in _TERM_FIELDS and value:
            labels = {t.code: t.label(language) for t in terms(session, _TERM_FIELDS[field])}
            value = ", ".join(labels.get(code, code) for code in value)
        elif field == "kind" and value is not None:
            value = str(KINDS.get(OrganisationKind(value), value))
        elif field == "public_listing" and value is not None:
            value = _("yes") if value else _("no")
        elif isinstance(value, list):
            value = ", ".join(value)
        if value not in (None, "", []):
            rows.append((str(label), str(value)))
    return rows

