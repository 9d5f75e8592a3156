"""Running a network's elections on screens, /networks/<network>/elections/: the secretariat's
list and its form for a new election, each election's page with its phase moves (each confirmed
on a page of its own), extending voting when the quorum is missed, and the live turnout the
secretariat and the board watch while voting is open.

Only those who read the network's internal view come here: its secretariats (which also run
the elections) and its board (which reads them). Reads go through the same directory and
services as the JSON API; every change goes through registry.elections.phases.transition or
turnout.extend_voting. A form carries the election's version, as the API's If-Match does: a
form read before someone else changed the election is answered with the election as it is now,
and nothing is done. How any organisation voted is never on these pages: only whether it has.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from werkzeug.wrappers import Response

from api import database
from api.auth import current_actor
from registry.access.permissions import Permission, can
from registry.elections import nominations, phases, turnout
from registry.elections.methods import REGISTERED
from registry.elections.models import Election, ElectionPhase
from registry.elections.results import PublishedResult, published_result
from registry.db import PAGE_SIZE_MAX, today
from registry.errors import RegistryError, ValidationFailed
from registry.governance import directory as governance_directory
from registry.governance.models import OPEN_SEATS, GoverningBody
from registry.networks import directory

blp = Blueprint("election_office", __name__, url_prefix="/networks/<public_id:network_id>/elections")

P = ElectionPhase
PHASES = {P.DRAFT: _l("draft"), P.NOMINATIONS_OPEN: _l("nominations open"),
          P.NOMINATIONS_CLOSED: _l("nominations closed"), P.VOTING_OPEN: _l("voting open"),
          P.VOTING_CLOSED: _l("voting closed"), P.TALLIED: _l("counted"), P.CERTIFIED: _l("certified"),
          P.CANCELLED: _l("cancelled")}
# The buttons of each move the secretariat may make, in the order the page offers them.
MOVES = {P.NOMINATIONS_OPEN: _l("Open nominations"), P.NOMINATIONS_CLOSED: _l("Close nominations"),
         P.VOTING_OPEN: _l("Open voting"), P.VOTING_CLOSED: _l("Close voting"),
         P.TALLIED: _l("Count the ballots"), P.CERTIFIED: _l("Certify the result"),
         P.CANCELLED: _l("Cancel the election")}
# What each move does, said on its confirmation page.
CONSEQUENCES = {
    P.NOMINATIONS_OPEN: _l("Member organisations can then nominate and second candidates."),
    P.NOMINATIONS_CLOSED: _l("No more candidates can be nominated."),
    P.VOTING_OPEN: _l("The roll is frozen as it stands and member organisations on it can vote."),
    P.VOTING_CLOSED: _l("No more ballots can be cast."),
    P.TALLIED: _l("The ballots are opened and counted, and the key that sealed them is destroyed: voting cannot "
                  "be extended after this."),
    P.CERTIFIED: _l("The elected candidates take their seats and the result is published to the members."),
    P.CANCELLED: _l("The election ends here; ballots not yet counted are destroyed unopened."),
}
SEAT_GROUP_OPEN = _l("open seats")
NEW_FIELDS = ("body", "title", "method", "term_class", "quorum_percent", "roll_cutoff", "term_starts")


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


@blp.url_value_preprocessor
def _network_named(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the sign-in is read (auth's before_request): only keep the id here.
    g.network_named = (values or {}).pop("network_id", "")


@blp.before_request
def _network() -> None:
    """Whoever has not signed in signs in first; the network must be one the person may know of
    (404 otherwise, as everywhere); only its secretariats and its board go further."""
    actor, session = current_actor(), database.session()
    if not actor.signed_in:
        abort(redirect(url_for("signin.sign_in")))
    network = directory.find_network(session, actor, g.network_named)
    if not can(session, actor, Permission.READ_INTERNAL, network.id):
        abort(_refusal(_("These pages are for the network's secretariat and its board. Your sign-in does not "
                         "open them.")))
    g.network = network
    g.manages = can(session, actor, Permission.MANAGE_ELECTIONS, network.id)


@blp.url_defaults
def _same_network(_endpoint: str, values: dict[str, Any]) -> None:
    if "network_id" not in values and "network" in g:
        values["network_id"] = g.network.public_id


@blp.app_context_processor
def _words() -> dict[str, Any]:
    return {"election_phases": PHASES}


# -- the list and the new election ----------------------------------------------------------------

@blp.get("/")
def elections() -> Response:
    found = phases.elections_of(database.session(), current_actor(), g.network)
    return _page("elections/list.html", 200, found=found)


@blp.route("/new", methods=["GET", "POST"])
def new_election() -> Response:
    _managers_only()
    session, actor, network = database.session(), current_actor(), g.network
    bodies = governance_directory.network_bodies(session, actor, network.public_id, page=1,
                                                 page_size=PAGE_SIZE_MAX).items
    form = {key: request.form.get(key, "").strip() for key in NEW_FIELDS}
    form["sex_worker_led_only"] = "sex_worker_led_only" in request.form
    if request.method == "GET":
        form.update(method=REGISTERED[0].name, quorum_percent="0", roll_cutoff=today().isoformat())
        return _new_page(bodies, form, {}, 200)
    problems: dict[str, list[str]] = {}
    chosen = _read_new(form, bodies, problems)
    if not problems:
        try:
            election = phases.create_election(session, actor, **chosen)
        except RegistryError as refused:
            return _new_page(bodies, form, _field_problems(refused, problems), _status(refused), refused)
        flash(_("The election %(title)s is created as a draft.", title=election.title))
        return redirect(url_for(".election", election_id=election.public_id))
    return _new_page(bodies, form, problems, 422)


def _read_new(form: dict[str, Any], bodies: list[GoverningBody], problems: dict[str, list[str]]) -> dict[str, Any]:
    """The form's answers as create_election takes them; what cannot be read goes in `problems`."""
    body = next((b for b in bodies if b.public_id == form["body"]), None)
    if body is None:
        problems["body"] = [_("Choose the governing body the election is for.")]
    if not form["title"] or len(form["title"]) > 300:
        problems["title"] = [_("Give a title of 1 to 300 characters.")]
    if form["method"] not in {m.name for m in REGISTERED}:
        problems["method"] = [_("Choose a counting method from the list.")]
    term_class = None
    if form["term_class"]:
        term_class = _whole(form["term_class"], 1, body.term_classes if body else 100)
        if term_class is None:
            problems["term_class"] = [_("Choose a class of seats from the list, or every seat.")]
    quorum = _whole(form["quorum_percent"] or "0", 0, 100)
    if quorum is None:
        problems["quorum_percent"] = [_("A whole percentage of the roll from 0 to 100.")]
    roll_cutoff = _day(form["roll_cutoff"], "roll_cutoff", problems, required=True)
    term_starts = _day(form["term_starts"], "term_starts", problems, required=False)
    return {"body": body, "title": form["title"], "method": form["method"], "term_class": term_class,
            "quorum_percent": quorum, "roll_cutoff": roll_cutoff, "term_starts": term_starts,
            "sex_worker_led_only": form["sex_worker_led_only"]}


def _new_page(bodies: list[GoverningBody], form: dict[str, Any], problems: dict[str, list[str]], status: int,
              refused: RegistryError | None = None) -> Response:
    message = None
    if problems:
        message = _("Some answers need correcting; nothing was saved.")
    elif refused is not None:
        message = _(refused.template, **refused.params)
    # A refusal of something the form does not ask for is said beside the message.
    others = [text for field, texts in problems.items() if field not in NEW_FIELDS for text in texts]
    return _page("elections/new.html", status, form=form, problems=problems, message=message, others=others,
                 bodies=[(b, _seat_groups(b)) for b in bodies],
                 methods=[(m.name, _(m.label)) for m in REGISTERED],
                 classes=range(1, max((b.term_classes for b in bodies), default=1) + 1))


def _seat_groups(body: GoverningBody) -> list[tuple[str, int]]:
    groups: dict[str, int] = {}
    for seat in body.seat_plan:
        groups[seat.constituency or OPEN_SEATS] = groups.get(seat.constituency or OPEN_SEATS, 0) + 1
    return _named_groups(groups)


def _named_groups(groups: dict[str, int]) -> list[tuple[str, int]]:
    """Seat groups as a person reads them: the open seats by that name, reserved ones by constituency."""
    return [(str(SEAT_GROUP_OPEN) if group == OPEN_SEATS else group, seats) for group, seats in sorted(
        groups.items(), key=lambda g: (g[0] == OPEN_SEATS, g[0]))]


# -- one election ---------------------------------------------------------------------------------

@blp.get("/<public_id:election_id>/")
def election(election_id: str) -> Response:
    return _election_page(_find(election_id), 200)


def _election_page(election: Election, status: int, *, message: str | None = None) -> Response:
    session, actor = database.session(), current_actor()
    live = None
    if election.phase in (P.VOTING_OPEN, P.VOTING_CLOSED, P.TALLIED, P.CERTIFIED):
        live = turnout.live_turnout(session, actor, election)
    moves = []
    if g.manages:
        moves = [(to, label) for to, label in MOVES.items()
                 if to in phases.LIFECYCLE[election.phase] and not (to is P.CERTIFIED and live and not live.quorum_met)]
    options = {option.value for option in live.options} if live and g.manages else set()
    return _page("elections/election.html", status, election=election, message=message, live=live, moves=moves,
                 options=options, method_label=_method_label(election), groups=_named_groups(election.seat_groups),
                 candidates=nominations.nominations_of(session, actor, election),
                 result=_result(election),
                 result_path=url_for("ballots.result", network_id=election.network.public_id,
                                     election_id=election.public_id))


def _result(election: Election) -> PublishedResult | None:
    """The count as the reader may read it: the secretariat from the count on, the board once certified."""
    if election.result is None or election.phase not in (P.TALLIED, P.CERTIFIED) or (
            election.phase is P.TALLIED and not g.manages):
        return None  # a count cancelled before certification elected nobody
    return published_result(database.session(), current_actor(), election)


@blp.route("/<public_id:election_id>/phase/<phase>", methods=["GET", "POST"])
def move(election_id: str, phase: str) -> Response:
    _managers_only()
    session, actor = database.session(), current_actor()
    election = _find(election_id)
    try:
        to = P(phase)
    except ValueError:
        abort(404)
    if to not in MOVES:
        abort(404)
    form = _versioned_form(election, reason=request.form.get("reason", "").strip(),
                           on=request.form.get("on") or today().isoformat())
    if request.method == "POST":
        if form["version"] != str(election.version):
            return _stale(election)
        problems: dict[str, list[str]] = {}
        on = _day(form["on"], "on", problems, required=True)
        if to is P.CANCELLED and not form["reason"]:
            problems["reason"] = [_("Say why the election is cancelled.")]
        if problems:
            return _move_page(election, to, form, problems, 422)
        try:
            phases.transition(session, actor, election, to, on=on, reason=form["reason"])
        except RegistryError as refused:
            return _move_page(election, to, form, _field_problems(refused, {}), _status(refused),
                              _(refused.template, **refused.params))
        flash(_("%(move)s: done for %(title)s.", move=MOVES[to], title=election.title))
        return redirect(url_for(".election", election_id=election.public_id))
    if to not in phases.LIFECYCLE[election.phase]:
        return _election_page(election, 409, message=_("That step is not possible in this phase."))
    return _move_page(election, to, form, {}, 200)


def _move_page(election: Election, to: ElectionPhase, form: dict[str, str], problems: dict[str, list[str]],
               status: int, message: str | None = None) -> Response:
    if problems and message is None:
        message = _("Some answers need correcting; nothing was done.")
    return _page("elections/move.html", status, election=election, to=to, label=MOVES[to],
                 consequence=CONSEQUENCES[to], form=form, problems=problems, message=message)


@blp.route("/<public_id:election_id>/extension", methods=["GET", "POST"])
def extend(election_id: str) -> Response:
    _managers_only()
    session, actor = database.session(), current_actor()
    election = _find(election_id)
    form = _versioned_form(election, reason=request.form.get("reason", "").strip(),
                           until=request.form.get("until", ""))
    if request.method == "POST":
        if form["version"] != str(election.version):
            return _stale(election)
        problems: dict[str, list[str]] = {}
        until = _day(form["until"], "until", problems, required=True)
        if until is not None and until <= today():
            problems["until"] = [_("A date after today.")]
        if not form["reason"]:
            problems["reason"] = [_("Say why voting is extended.")]
        if problems:
            return _extend_page(election, form, problems, 422)
        try:
            turnout.extend_voting(session, actor, election, until=until, reason=form["reason"])
        except RegistryError as refused:
            return _extend_page(election, form, _field_problems(refused, {}), _status(refused),
                                _(refused.template, **refused.params))
        flash(_("Voting in %(title)s stays open until %(date)s.", title=election.title, date=format_date(until)))
        return redirect(url_for(".election", election_id=election.public_id))
    return _extend_page(election, form, {}, 200)


def _extend_page(election: Election, form: dict[str, str], problems: dict[str, list[str]], status: int,
                 message: str | None = None) -> Response:
    if problems and message is None:
        message = _("Some answers need correcting; nothing was done.")
    return _page("elections/extend.html", status, election=election, form=form, problems=problems, message=message)


# -- shared by the screens ------------------------------------------------------------------------

def _refusal(message: str) -> Response:
    return make_response(render_template("error.html", status=403, title=_("not allowed"), error="forbidden",
                                         message=message), 403)


def _managers_only() -> None:
    if not g.manages:
        abort(_refusal(_("Only the network's secretariat runs its elections; the board reads them.")))


def _find(election_id: str) -> Election:
    return governance_directory.find_election(database.session(), current_actor(), g.network.public_id, election_id)


def _versioned_form(election: Election, **fields: str) -> dict[str, str]:
    return {"version": request.form.get("version", str(election.version)), **fields}


def _stale(election: Election) -> Response:
    """Someone moved or extended the election since this form was read: nothing is done, and
    the person reads the election as it is now."""
    return _page("elections/stale.html", 409, election=election)


def _field_problems(refused: RegistryError, problems: dict[str, list[str]]) -> dict[str, list[str]]:
    """A domain refusal's reasons, field by field, in the reader's language where the catalog has them."""
    for field, texts in refused.fields.items():
        problems.setdefault(field, []).extend(_(text) for text in texts)
    if refused.field is not None:
        problems[refused.field] = [_(refused.template, **refused.params)]
    return problems


def _status(refused: RegistryError) -> int:
    return 422 if isinstance(refused, ValidationFailed) else 409


def _whole(text: str, low: int, high: int) -> int | None:
    if text.isascii() and text.isdigit() and len(text) <= 4 and low <= int(text) <= high:
        return int(text)
    return None


def _day(text: str, field: str, problems: dict[str, list[str]], *, required: bool) -> dt.date | None:
    if not text:
        if required:
            problems[field] = [_("Give a date.")]
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[field] = [_("Write the date as YYYY-MM-DD.")]
        return None


def _method_label(election: Election) -> str:
    return next((_(m.label) for m in REGISTERED if m.name == election.method), str(election.method))


def _page(template: str, status: int, /, **context: Any) -> Response:
    return make_response(render_template(template, network=g.get("network"), manages=g.get("manages", False),
                                         **context), status)
