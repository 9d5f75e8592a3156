"""A member organisation's own page, /organisation/: its profile, saying for each field who sees
it; its publication choices, and stopping its public listing at once; applying to a network,
its memberships with their histories, and its own change history.

The organisation is the one the signed-in person speaks for (its editor; for a network, its own
secretariat). Pages read through the directory and the Reader, and write through
registry.organisations.update_profile and registry.memberships.apply, as the JSON API does.
The profile form carries, signed, the version it was read at (the API's ETag) and the values
it showed. If someone else saved since, their changes and the person's are merged field by
field: a field only one side changed needs no choice; the person sees every field the other
side changed, theirs against theirs, and chooses, or starts again. Nothing is overwritten unseen.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (Blueprint, Flask, abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from api import database
from api.auth import current_actor
from api.errors import in_reader_language
from api.extensions import version_tag
from api.i18n import choices, locale_code
from registry.areas import services as areas
from registry.networks import directory
from registry.access import history
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.db import PAGE_MAX
from registry.errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from registry.memberships.models import ENDED_STATUSES, MembershipAction, MembershipStatus
from registry.organisations.models import PROFILE_FIELDS, PUBLISHABLE_FIELDS, TERM_FIELDS
from registry.organisations.rules import storable
from registry.organisations.models import Organisation, SexWorkerLed, Visibility
from registry.access.permissions import Actor, Permission, can, spoken_for
from registry.networks.summaries import public_networks
from registry.access.visibility import NETWORK_ONLY_FIELDS, audience
from registry.vocabularies.models import LANGUAGES

blp = Blueprint("organisation", __name__, url_prefix="/organisation")

HISTORY_PAGE_SIZE = 20
# A list in the form longer than this is refused before the domain reads it.
MAX_CHOSEN = 500
_SALT = "organisation-profile-form"

FIELD_LABELS = {
    "name": _l("Name"), "name_translations": _l("Name in other languages"), "acronym": _l("Acronym"),
    "founding_date": _l("Founded"), "sex_worker_led": _l("Sex-worker-led"),
    "sex_worker_involvement": _l("How sex workers run the organisation"), "populations": _l("Populations"),
    "services": _l("Services"), "priority_areas": _l("Priority areas"), "areas_served": _l("Areas served"),
    "languages": _l("Languages"), "drop_in_centres": _l("Drop-in centres"), "website": _l("Website"),
    "public_listing": _l("Listed publicly"), "published_fields": _l("What the public sees"),
    "publishes_reach": _l("Publish the network's reach"), "networks": _l("The networks it belongs to"),
}
assert set(FIELD_LABELS) == set(PROFILE_FIELDS) | set(PUBLISHABLE_FIELDS)
# Who reads a field, by the widest tier that does (each tier also includes those after it).
AUDIENCES = {
    Visibility.PUBLIC: _l("everyone"),
    Visibility.NETWORK: _l("fellow members and your networks"),
    Visibility.BOARD: _l("your networks' boards and secretariats"),
    Visibility.SECRETARIAT: _l("your networks' secretariats"),
    Visibility.SELF: _l("only you"),
}
SEX_WORKER_LED = {SexWorkerLed.YES: _l("yes"), SexWorkerLed.PARTLY: _l("partly"), SexWorkerLed.NO: _l("no")}
STATUSES = {
    MembershipStatus.APPLIED: _l("applied"), MembershipStatus.VERIFIED: _l("verified"),
    MembershipStatus.ACTIVE: _l("active member"), MembershipStatus.SUSPENDED: _l("suspended"),
    MembershipStatus.LAPSED: _l("lapsed"), MembershipStatus.WITHDRAWN: _l("withdrawn"),
    MembershipStatus.EXPELLED: _l("expelled"), MembershipStatus.REJECTED: _l("rejected"),
}
ACTIONS = {
    MembershipAction.APPLY: _l("applied"), MembershipAction.VERIFY: _l("verified"),
    MembershipAction.ADMIT: _l("admitted"), MembershipAction.REJECT: _l("rejected"),
    MembershipAction.SUSPEND: _l("suspended"), MembershipAction.LAPSE: _l("lapsed"),
    MembershipAction.REINSTATE: _l("reinstated"), MembershipAction.WITHDRAW: _l("withdrew"),
    MembershipAction.EXPEL: _l("expelled"),
}
# The change history's actions, as the audit log names them.
LOGGED = {
    "register_organisation": _l("registered"), "update_profile": _l("profile changed"),
    "set_status": _l("status changed"), "add_contact": _l("contact added"),
    "update_contact": _l("contact changed"), "remove_contact": _l("contact removed"),
    **{f"membership_{action.value}": label for action, label in ACTIONS.items()},
}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


# -- who, and which organisation ----------------------------------------------------------------

def _own() -> tuple[Session, Actor, Organisation]:
    """The organisation the signed-in person speaks for. Nobody signed in: to the sign-in page;
    anyone who speaks for no organisation: a refusal saying so."""
    session, actor = database.session(), current_actor()
    if not actor.signed_in:
        abort(redirect(url_for("signin.sign_in")))
    own = spoken_for(actor)
    if own is None or not can(session, actor, Permission.EDIT_PROFILE, own):
        abort(403, description=_("This page is for a member organisation's own editor. Your sign-in does not "
                                 "speak for an organisation."))
    return session, actor, organisations.get_organisation(session, own)


def _fields(organisation: Organisation) -> list[str]:
    return [f for f in PROFILE_FIELDS if f not in NETWORK_ONLY_FIELDS or organisation.is_network]


def _values(organisation: Organisation) -> dict[str, Any]:
    """The form's fields as they stand, as the API's PATCH would send them."""
    profile = organisation.profile()
    values = {f: profile[f] for f in _fields(organisation)}
    values["sex_worker_led"] = None if values["sex_worker_led"] is None else str(values["sex_worker_led"])
    return values


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _read(organisation: Organisation, values: dict[str, Any], version: str) -> str:
    """What the form carries back: whose, at which version, showing which values."""
    return _signer().dumps({"organisation": organisation.public_id, "version": version, "values": values})


def _unsigned(token: str, organisation: Organisation) -> dict[str, Any] | None:
    """A token this page signed for this organisation, or None (forged, or made for another
    organisation: the person signed in as another one meanwhile)."""
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and data.get("organisation") == organisation.public_id else None


def _own_form(field: str) -> tuple[Session, Actor, Organisation, dict[str, Any]]:
    """`_own`, and what the form sent back in `field`, as this page signed it; a form out of
    date or made for another organisation is answered with the profile as it is now."""
    session, actor, organisation = _own()
    data = _unsigned(request.form.get(field, ""), organisation)
    if data is None:
        abort(make_response(_page(organisation, message=_(
            "This form was out of date or for another organisation, so nothing was saved. Here is the profile "
            "as it is now."), status=409)))
    return session, actor, organisation, data


# -- the page -----------------------------------------------------------------------------------

@blp.get("/")
def page() -> Any:
    _session, _actor, organisation = _own()
    return _page(organisation)


def _page(organisation: Organisation, *, values: dict[str, Any] | None = None, read: str | None = None,
          problems: dict[str, list[str]] | None = None, message: str | None = None,
          apply_message: str | None = None, status: int = 200) -> Any:
    session, actor = database.session(), current_actor()
    language = locale_code()
    values = values if values is not None else _values(organisation)
    read = read or _read(organisation, _values(organisation), version_tag(organisation))
    vocabulary = directory.vocabulary_of(session, organisation)
    terms = {field: [(t.code, t.label(language)) for t in vocabulary[v]] for field, v in TERM_FIELDS.items()}
    named = areas.areas_by_code(session, [c for c in values["areas_served"] if isinstance(c, str)])
    chosen_areas = sorted(((code, named[code].names.get(language) or named[code].name)
                           for code in values["areas_served"] if code in named), key=lambda a: a[1])
    typed_areas = "\n".join(c for c in values["areas_served"] if c not in named)
    own = directory.memberships_of_member(session, actor, organisation)
    tied = {m.network_id for m in own if m.status not in ENDED_STATUSES}
    networks = [n for n in public_networks(session) if n.id != organisation.id and n.id not in tied]
    return render_template(
        "organisation/page.html", organisation=organisation, values=values, read=read,
        problems=problems or {}, message=message, apply_message=apply_message, labels=FIELD_LABELS,
        seen_by={f: AUDIENCES[audience(organisation, f)] for f in FIELD_LABELS}, terms=terms,
        chosen_areas=chosen_areas, typed_areas=typed_areas, sex_worker_led=SEX_WORKER_LED,
        translations=choices(),
        publishable=PUBLISHABLE_FIELDS, memberships=own, statuses=STATUSES, actions=ACTIONS,
        networks=networks), status


# -- saving the profile -------------------------------------------------------------------------

@blp.post("/")
def save() -> Any:
    session, actor, organisation, read = _own_form("read")
    yours, problems = _submitted(organisation, read["values"])
    if problems:
        return _page(organisation, values=yours, read=request.form["read"], problems=problems,
                     message=_("Some answers need correcting; nothing was saved."), status=422)
    return _save(session, actor, organisation, read["version"], read["values"], yours)


def _save(session: Session, actor: Actor, organisation: Organisation, version: str, base: dict[str, Any],
          yours: dict[str, Any]) -> Any:
    """Save what the person changed from `base` (the values read at `version`); if someone else
    saved since and changed any of the same form's fields, show the conflict instead."""
    fields = _fields(organisation)
    current = version_tag(organisation)
    if version != current:
        theirs = _values(organisation)
        changed = [f for f in fields if theirs[f] != base.get(f)]
        if changed:
            return _conflict(organisation, base, theirs, yours, changed, current)
    changes = {f: yours[f] for f in fields if yours[f] != base.get(f)}
    if not changes:
        flash(_("Nothing was changed."))
        return redirect(url_for(".page"))
    try:
        organisations.update_profile(session, actor, organisation, changes)
    except (ValidationFailed, Conflict) as refused:
        message, problems = in_reader_language(refused)
        problems = {field: [_(text) for text in texts] for field, texts in problems.items()}
        if isinstance(refused, ValidationFailed):  # its summary is in English; each field says why in words
            message = _("Some answers need correcting; nothing was saved.")
        return _page(organisation, values=yours, read=_read(organisation, base, version), problems=problems,
                     message=message, status=422 if isinstance(refused, ValidationFailed) else 409)
    flash(_("Your profile is saved."))
    return redirect(url_for(".page"))


def _submitted(organisation: Organisation, base: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's answers as the API's PATCH would send them, and what could not be read."""
    form, problems = request.form, {}
    values: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "acronym": form.get("acronym", "").strip() or None,
        "founding_date": form.get("founding_date", "").strip() or None,
        "sex_worker_led": form.get("sex_worker_led") or None,
        "sex_worker_involvement": form.get("sex_worker_involvement", "").replace("\r\n", "\n").strip(),
        "website": form.get("website", "").strip() or None,
        "public_listing": "public_listing" in form,
        "publishes_reach": "publishes_reach" in form,
        "published_fields": form.getlist("published_fields"),
        "areas_served": form.getlist("areas_served") + [
            line.strip() for line in form.get("new_areas", "").splitlines() if line.strip()],
        "languages": [code for code in re.split(r"[\s,;]+", form.get("languages", "")) if code],
        **{field: form.getlist(field) for field in TERM_FIELDS},
    }
    translations = {code: text for code, text in (base.get("name_translations") or {}).items() if code not in LANGUAGES}
    translations.update((code, text) for code in LANGUAGES if (text := form.get(f"name_{code}", "").strip()))
    values["name_translations"] = dict(sorted(translations.items()))
    centres = form.get("drop_in_centres", "").strip()
    values["drop_in_centres"] = None
    if centres.isascii() and centres.isdigit() and len(centres) <= 6:
        values["drop_in_centres"] = int(centres)
    elif centres:
        problems["drop_in_centres"] = [_("a whole number, such as 2")]
    for field, value in values.items():
        if isinstance(value, list) and len(value) > MAX_CHOSEN:
            problems[field] = [_("at most %(num)s", num=MAX_CHOSEN)]
    return {f: values[f] for f in _fields(organisation)}, problems


# -- conflicts ----------------------------------------------------------------------------------

def _conflict(organisation: Organisation, base: dict[str, Any], theirs: dict[str, Any], yours: dict[str, Any],
              changed: list[str], version: str) -> Any:
    """Someone saved since the form was read: the fields they changed, theirs against the
    person's, to choose from; the person's changes to other fields are kept as they are."""
    mine = {f: yours[f] for f in _fields(organisation) if yours[f] != base.get(f) and f not in changed}
    offered = {f: yours[f] for f in changed}
    also_yours = [f for f in changed if yours[f] != base.get(f) and yours[f] != theirs[f]]
    pending = _signer().dumps({"organisation": organisation.public_id, "version": version, "base": theirs,
                               "mine": mine, "offered": offered, "both": also_yours})
    return _conflict_page(organisation, theirs, offered, also_yours, mine, pending)


def _conflict_page(organisation: Organisation, theirs: dict[str, Any], offered: dict[str, Any], both: list[str],
                   mine: dict[str, Any], pending: str, *, message: str | None = None, status: int = 409) -> Any:
    shown = _Shown(organisation)
    rows = [(f, FIELD_LABELS[f], shown(f, theirs[f]), shown(f, offered[f]), f in both, theirs[f] == offered[f])
            for f in offered]
    kept = [(FIELD_LABELS[f], shown(f, value)) for f, value in mine.items()]
    return render_template("organisation/conflict.html", organisation=organisation, rows=rows, kept=kept,
                           pending=pending, message=message), status


@blp.post("/resolve")
def resolve() -> Any:
    session, actor, organisation, pending = _own_form("pending")
    base, offered = pending["base"], pending["offered"]
    chosen = dict(base, **pending["mine"])
    undecided = []
    for field, value in offered.items():
        choice = request.form.get(f"take_{field}")
        if value == base[field]:
            continue
        if choice == "yours":
            chosen[field] = value
        elif choice != "theirs":
            undecided.append(field)
    if undecided:
        return _conflict_page(organisation, base, offered, pending["both"], pending["mine"], request.form["pending"],
                              message=_("Choose which version to keep for every field."), status=422)
    return _save(session, actor, organisation, pending["version"], base, chosen)


class _Shown:
    """A field's value as a person reads it: labels in their language, areas by name."""

    def __init__(self, organisation: Organisation) -> None:
        session, language = database.session(), locale_code()
        self.language = language
        vocabulary = directory.vocabulary_of(session, organisation)
        self.terms = {field: {t.code: t.label(language) for t in vocabulary[v]} for field, v in TERM_FIELDS.items()}
        self.session = session

    def __call__(self, field: str, value: Any) -> str:
        if value is None or value == [] or value == {} or value == "":
            return "—"
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        if field in self.terms:
            return ", ".join(self.terms[field].get(code, code) for code in value)
        if field == "sex_worker_led":
            return str(SEX_WORKER_LED.get(value, value))
        if field == "areas_served":
            named = areas.areas_by_code(self.session, value)
            return ", ".join(named[c].names.get(self.language) or named[c].name if c in named else c for c in value)
        if field == "published_fields":
            return ", ".join(str(FIELD_LABELS[f]) for f in value if f in FIELD_LABELS)
        if field == "name_translations":
            return ", ".join(f"{code}: {text}" for code, text in value.items())
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


# -- publication --------------------------------------------------------------------------------

@blp.post("/stop-listing")
def stop_listing() -> Response:
    """No version is asked for: ending the public listing only narrows what the public sees,
    and it must work at once, whatever the page it was pressed on showed."""
    session, actor, organisation = _own()
    if organisation.public_listing:
        organisations.update_profile(session, actor, organisation, {"public_listing": False})
    flash(_("Your organisation is no longer listed publicly. Public lists and maps stop showing it now."))
    return redirect(url_for(".page"))


# -- memberships --------------------------------------------------------------------------------

@blp.post("/apply")
def apply() -> Any:
    session, actor, organisation = _own()
    reason = request.form.get("reason", "").replace("\r\n", "\n").strip()
    if not storable(reason, multiline=True):
        return _page(organisation, apply_message=_("The note holds characters that cannot be kept."), status=422)
    try:
        network = directory.find_network(session, actor, request.form.get("network", ""))
        memberships.apply(session, actor, network, organisation, reason=reason)
    except InvalidTransition:
        # The only move an organisation's own application can be refused: one already made.
        return _page(organisation, apply_message=_("Your organisation already has an application or a membership "
                                                   "there."), status=422)
    except (ValidationFailed, NotPermitted, NotFound) as refused:
        message, _fields_refused = in_reader_language(refused)
        return _page(organisation, apply_message=message, status=422)
    flash(_("Your application to %(network)s is sent; its secretariat will review it.", network=network.name))
    return redirect(url_for(".page"))


# -- history ------------------------------------------------------------------------------------

@blp.get("/history")
def change_history() -> Any:
    session, actor, organisation = _own()
    number = request.args.get("page", "1")
    page_number = int(number) if number.isascii() and number.isdigit() and 0 < len(number) <= 6 else 1
    found = history.history_for(session, actor, organisation_id=organisation.id,
                                page=max(1, min(page_number, PAGE_MAX)), page_size=HISTORY_PAGE_SIZE)
    entries = [(entry, LOGGED.get(entry.action, entry.action),
                [str(FIELD_LABELS[key]) for key in entry.changes if key in FIELD_LABELS]) for entry in found.items]
    return render_template("organisation/history.html", organisation=organisation, entries=entries, page=found,
                           pages=max(1, -(-found.total // found.page_size)))
