"""A network's elections as its member organisations and readers see them, /elections/: the
candidates and, while nominations are open, nominating, seconding and withdrawing; the ballot,
confirmed before it is cast, its receipt shown once, and the voter's check against the
published election; and the result with every round of the count.

Pages read through governance's directory (the Reader decides who sees which election) and
write through registry.elections.nominations and ballots, as the JSON API does. The ballot
form works without script (a number per rank, or a checkbox per choice); its content travels
from the confirmation to the cast signed, so what is cast is what was shown. Nothing here
stores or logs a receipt or a ballot's content. The secretariat's own election pages
(creating, moving phases, turnout) are not here.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, make_response, redirect, render_template, request, \
    url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from api import database
from api.auth import current_actor
from api.errors import in_reader_language
from api.web import rounds
from api.web.rounds import group_label
from registry.access.permissions import Actor, Permission, can, spoken_for
from registry.elections import ballots, nominations, publication
from registry.elections.counting import counting_order
from registry.elections.methods import BallotKind, counting_method
from registry.elections.models import Election, ElectionPhase, Nomination
from registry.elections.results import published_result
from registry.elections.roll import check_roll
from registry.errors import Conflict, NotFound, NotPermitted, RegistryError, ValidationFailed
from registry.governance import directory as governance
from registry.governance.models import OPEN_SEATS
from registry.memberships.models import MembershipStatus
from registry.networks import directory
from registry.organisations import services as organisations
from registry.organisations.models import Organisation

blp = Blueprint("ballots", __name__, url_prefix="/elections")

ELECTION = "/<public_id:network_id>/<public_id:election_id>"
_SALT = "ballot-confirmation"
RECEIPT = re.compile(r"^[0-9a-f]{32}$")
P = ElectionPhase
PHASES = {
    P.DRAFT: _l("draft"), P.NOMINATIONS_OPEN: _l("nominations are open"),
    P.NOMINATIONS_CLOSED: _l("nominations are closed"), P.VOTING_OPEN: _l("voting is open"),
    P.VOTING_CLOSED: _l("voting is closed"), P.TALLIED: _l("counted, awaiting certification"),
    P.CERTIFIED: _l("result certified"), P.CANCELLED: _l("cancelled"),
}
# The voter's check says what is wrong in English (registry/elections/publication.py).
CHECK_PROBLEMS = {
    publication.NOT_LISTED: _l("Your ballot is not in the published list."),
    publication.OTHER_CONTENT: _l("Your ballot is listed with a content other than the one you cast."),
    publication.ROOT_DIFFERS: _l("The published list does not give its published root: it was changed."),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)


# -- who, and which election --------------------------------------------------------------------

def _signed_in() -> Actor:
    actor = current_actor()
    if not actor.signed_in:
        abort(redirect(url_for("signin.sign_in")))
    return actor


def _election(network_id: str, election_id: str) -> Election:
    """The election, as the signed-in person may see it (NotFound otherwise: a 404 page)."""
    actor = _signed_in()
    return governance.find_election(database.session(), actor, network_id, election_id)


def _own(permission: Permission) -> Organisation | None:
    """The organisation the signed-in person speaks for, if it may act so (nominate, vote)."""
    session, actor = database.session(), current_actor()
    own = spoken_for(actor)
    if own is None or not can(session, actor, permission, own):
        return None
    return organisations.get_organisation(session, own)


def _voter() -> Organisation:
    organisation = _own(Permission.CAST_BALLOT)
    if organisation is None:
        abort(403, description=_("The ballot is for a member organisation's own editor: your sign-in does not "
                                 "vote for an organisation."))
    return organisation


def _groups(election: Election, standing: list[Nomination]) -> list[tuple[str, int, list[Nomination]]]:
    """Each seat group (in counting order), its seats and the candidates who may be chosen there."""
    return [(group, election.seat_groups[group],
             [n for n in standing if group == OPEN_SEATS or n.constituency == group])
            for group in counting_order(election.seat_groups)]


def _ranked(election: Election) -> bool:
    return counting_method(election.method).ballot_kind is BallotKind.RANKED


# -- the organisation's elections ---------------------------------------------------------------

@blp.get("/")
def index() -> Any:
    """The elections of the networks the signed-in organisation belongs to (or runs)."""
    session, actor = database.session(), _signed_in()
    own = spoken_for(actor)
    if own is None:
        abort(403, description=_("This page is for a member organisation's own editor. Your sign-in does not "
                                 "speak for an organisation."))
    organisation = organisations.get_organisation(session, own)
    networks = [organisation] if organisation.is_network else []
    networks += [m.network for m in directory.memberships_of_member(session, actor, organisation)
                 if m.status is MembershipStatus.ACTIVE]
    found = [(network, governance.network_elections(session, actor, network.public_id, page=1, page_size=100).items)
             for network in networks]
    return render_template("ballots/index.html", organisation=organisation, networks=found, phases=PHASES)


# -- one election: candidates and nominations ---------------------------------------------------

@blp.get(ELECTION + "/")
def election_page(network_id: str, election_id: str) -> Any:
    return _election_page(_election(network_id, election_id))


def _election_page(election: Election, *, problems: dict[str, list[str]] | None = None, message: str | None = None,
                   values: dict[str, str] | None = None, status: int = 200) -> Any:
    session, actor = database.session(), current_actor()
    standing = nominations.nominations_of(session, actor, election)
    nominator = _own(Permission.NOMINATE)
    voter = _own(Permission.CAST_BALLOT)
    on_roll = None
    if voter is not None and election.phase is P.VOTING_OPEN:
        on_roll = check_roll(session, actor, election, voter).on_roll
    reserved = sorted(g for g in election.seat_groups if g != OPEN_SEATS)
    return render_template(
        "ballots/election.html", election=election, network=election.network, phase=PHASES[election.phase],
        method=_(counting_method(election.method).label), groups=[(group_label(g), n) for g, n, _c in
                                                                  _groups(election, standing)],
        standing=standing, nominator=nominator, voter=voter, on_roll=on_roll, reserved=reserved,
        withdrawable=election.phase in nominations.WITHDRAWAL_PHASES, result_shown=_result_readable(election),
        runs_it=can(session, actor, Permission.READ_INTERNAL, election.network_id),
        problems=problems or {}, message=message, values=values or {}, P=P), status


def _result_readable(election: Election) -> bool:
    """Whether the reader may open the result now (published_result's rules decide)."""
    if election.result is None:
        return False
    try:
        published_result(database.session(), current_actor(), election)
    except (NotPermitted, Conflict):
        return False
    return True


@blp.post(ELECTION + "/nominations")
def nominate(network_id: str, election_id: str) -> Any:
    election = _election(network_id, election_id)
    organisation = _own(Permission.NOMINATE)
    form = request.form
    values = {"name": form.get("name", "").strip(), "statement": form.get("statement", "").replace("\r\n", "\n"),
              "constituency": form.get("constituency", "")}
    if organisation is None:
        return _election_page(election, message=_("Only a member organisation's own editor nominates."),
                              values=values, status=403)
    try:
        nominations.nominate(database.session(), current_actor(), election, organisation, name=values["name"],
                             statement=values["statement"], constituency=values["constituency"] or None)
    except RegistryError as refused:
        return _refused_on_page(election, refused, values)
    flash(_("%(name)s is nominated.", name=values["name"]))
    return redirect(url_for(".election_page", network_id=network_id, election_id=election_id))


@blp.post(ELECTION + "/nominations/<public_id:nomination_id>/seconding")
def second(network_id: str, election_id: str, nomination_id: str) -> Any:
    session, actor = database.session(), _signed_in()
    nomination = governance.find_nomination(session, actor, network_id, election_id, nomination_id)
    organisation = _own(Permission.NOMINATE)
    if organisation is None:
        return _election_page(nomination.election, message=_("Only a member organisation's own editor seconds."),
                              status=403)
    try:
        nominations.second_nomination(session, actor, nomination, organisation)
    except RegistryError as refused:
        return _refused_on_page(nomination.election, refused)
    flash(_("You seconded %(name)s's nomination.", name=nomination.name))
    return redirect(url_for(".election_page", network_id=network_id, election_id=election_id))


@blp.post(ELECTION + "/nominations/<public_id:nomination_id>/withdrawal")
def withdraw(network_id: str, election_id: str, nomination_id: str) -> Any:
    session, actor = database.session(), _signed_in()
    nomination = governance.find_nomination(session, actor, network_id, election_id, nomination_id)
    try:
        nominations.withdraw_nomination(session, actor, nomination,
                                        reason=request.form.get("reason", "").replace("\r\n", "\n"))
    except RegistryError as refused:
        return _refused_on_page(nomination.election, refused)
    flash(_("%(name)s's nomination is withdrawn.", name=nomination.name))
    return redirect(url_for(".election_page", network_id=network_id, election_id=election_id))


def _refused_on_page(election: Election, refused: RegistryError, values: dict[str, str] | None = None) -> Any:
    message, fields = in_reader_language(refused)
    problems = {field: [_(text) for text in texts] for field, texts in fields.items()}
    if isinstance(refused, ValidationFailed):
        message = _("Some answers need correcting; nothing was saved.")
    status = 422 if isinstance(refused, ValidationFailed) else 403 if isinstance(refused, NotPermitted) else 409
    return _election_page(election, problems=problems, message=message, values=values, status=status)


# -- the ballot ---------------------------------------------------------------------------------

@blp.get(ELECTION + "/ballot")
def ballot(network_id: str, election_id: str) -> Any:
    election = _election(network_id, election_id)
    return _ballot_form(election, _voter())


@blp.post(ELECTION + "/ballot")
def review(network_id: str, election_id: str) -> Any:
    """The ballot's second step: the choices read back, to cast or change; or the form again
    with what needs correcting."""
    election = _election(network_id, election_id)
    organisation = _voter()
    standing = nominations.nominations_of(database.session(), current_actor(), election)
    groups = _groups(election, standing)
    if "back" in request.form:
        chosen = _unsigned(request.form.get("ballot", ""), election, organisation)
        return _ballot_form(election, organisation, filled=_filled(election, groups, chosen or {}))
    if request.form.get("intent") == "abstain":
        choices: dict[str, list[str]] = {group: [] for group, _seats, _candidates in groups}
    else:
        choices, problems = _read_ballot(election, groups)
        if problems:
            return _ballot_form(election, organisation, filled=dict(request.form), problems=problems,
                                message=_("The ballot needs correcting; nothing was cast."), status=422)
    return _confirmation(election, organisation, groups, choices)


@blp.post(ELECTION + "/ballot/cast")
def cast(network_id: str, election_id: str) -> Any:
    session, actor = database.session(), current_actor()
    election = _election(network_id, election_id)
    organisation = _voter()
    groups = _groups(election, nominations.nominations_of(session, actor, election))
    choices = _unsigned(request.form.get("ballot", ""), election, organisation)
    if choices is None:
        return _ballot_form(election, organisation, message=_(
            "This ballot was out of date or for another organisation, so nothing was cast. Fill it in again."),
            status=409)
    receipt = request.form.get("receipt", "").strip().lower()
    if receipt and not RECEIPT.match(receipt):
        return _confirmation(election, organisation, groups, choices, status=422, message=_(
            "A receipt is 32 characters, the digits 0-9 and the letters a-f."))
    try:
        cast_receipt = ballots.cast_ballot(session, actor, election, organisation, choices, receipt=receipt or None)
    except ValidationFailed as refused:
        message = (_("That is not the receipt of your organisation's current ballot.")
                   if refused.template == ballots.WRONG_RECEIPT else in_reader_language(refused)[0])
        return _confirmation(election, organisation, groups, choices, status=422, message=message)
    except Conflict as refused:
        message = (_("Your organisation has already voted. To replace its ballot, give the receipt of the ballot "
                     "it cast last.") if refused.template == ballots.ALREADY_VOTED
                   else in_reader_language(refused)[0])
        return _confirmation(election, organisation, groups, choices, status=409, message=message)
    response = make_response(render_template(
        "ballots/receipt.html", election=election, network=election.network, organisation=organisation,
        receipt=cast_receipt, read_back=_read_back(groups, choices), replaced=bool(receipt)), 201)
    # The one copy of the receipt: nothing between the voter and the registry may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _unsigned(token: str, election: Election, organisation: Organisation) -> dict[str, list[str]] | None:
    """The choices this page signed for this organisation in this election, or None."""
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or (data.get("organisation"), data.get("election")) != (
            organisation.public_id, election.public_id):
        return None
    return data.get("choices")


def _read_ballot(election: Election, groups: list[tuple[str, int, list[Nomination]]]
                 ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The form's choices per seat group (nominations' public ids, in order of preference), and
    what needs correcting, per group ("group-<i>") or for the whole ballot ("ballot")."""
    form, problems, choices = request.form, {}, {}
    for i, (group, seats, candidates) in enumerate(groups):
        said: list[str] = []
        if _ranked(election):
            ranks: dict[int, list[Nomination]] = {}
            for candidate in candidates:
                given = form.get(f"rank-{i}-{candidate.public_id}", "").strip()
                if not given:
                    continue
                if not (given.isascii() and given.isdigit() and len(given) <= 4):
                    said.append(_("%(name)s: “%(rank)s” is not a rank; give a whole number such as 1.",
                                  name=candidate.name, rank=given[:20]))
                    continue
                ranks.setdefault(int(given), []).append(candidate)
            for rank, named in sorted(ranks.items()):
                if len(named) > 1:
                    said.append(_("Rank %(rank)s is given to more than one candidate: %(names)s. Give each "
                                  "candidate a different rank.", rank=rank, names=", ".join(n.name for n in named)))
            if ranks and not said:
                if (missing := next((r for r in range(1, len(ranks) + 1) if r not in ranks), None)) is not None:
                    said.append(_("Ranks run 1, 2, 3 and so on without a gap: no candidate has rank %(rank)s.",
                                  rank=missing))
            choices[group] = [ranks[r][0].public_id for r in sorted(ranks)]
        else:
            offered = {c.public_id for c in candidates}
            chosen = [pid for pid in form.getlist(f"choose-{i}") if pid in offered]
            if len(chosen) > seats:
                said.append(ngettext("Choose at most %(num)s candidate.", "Choose at most %(num)s candidates.",
                                     seats))
            choices[group] = chosen
        if said:
            problems[f"group-{i}"] = said
    if not problems and not any(choices.values()):
        problems["ballot"] = [_("Choose at least one candidate, or abstain with the abstain button.")]
    return choices, problems


def _filled(election: Election, groups: list[tuple[str, int, list[Nomination]]],
            choices: dict[str, list[str]]) -> dict[str, str]:
    """The form's fields as a browser would send back `choices`."""
    filled: dict[str, str] = {}
    for i, (group, _seats, _candidates) in enumerate(groups):
        for rank, pid in enumerate(choices.get(group, []), start=1):
            filled[f"rank-{i}-{pid}" if _ranked(election) else f"choose-{i}-{pid}"] = str(rank)
    return filled


def _ballot_form(election: Election, organisation: Organisation, *, filled: dict[str, str] | None = None,
                 problems: dict[str, list[str]] | None = None, message: str | None = None,
                 status: int = 200) -> Any:
    session, actor = database.session(), current_actor()
    groups = _groups(election, nominations.nominations_of(session, actor, election))
    filled = filled or {}
    if request.method == "POST" and "back" not in request.form:  # checkboxes come back as lists
        filled.update({f"choose-{i}-{pid}": "on" for i in range(len(groups))
                       for pid in request.form.getlist(f"choose-{i}")})
    roll = check_roll(session, actor, election, organisation) if election.phase is P.VOTING_OPEN else None
    return render_template(
        "ballots/ballot.html", election=election, network=election.network, organisation=organisation,
        groups=[(group_label(g), seats, candidates) for g, seats, candidates in groups], ranked=_ranked(election),
        filled=filled, problems=problems or {}, message=message, open=election.phase is P.VOTING_OPEN,
        on_roll=roll is not None and roll.on_roll), status


def _read_back(groups: list[tuple[str, int, list[Nomination]]],
               choices: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    names = {n.public_id: n.name for _g, _s, candidates in groups for n in candidates}
    return [(group_label(group), [names.get(pid, "?") for pid in choices.get(group, [])])
            for group, _seats, _candidates in groups]


def _confirmation(election: Election, organisation: Organisation, groups: list[tuple[str, int, list[Nomination]]],
                  choices: dict[str, list[str]], *, status: int = 200, message: str | None = None) -> Any:
    signed = _signer().dumps({"organisation": organisation.public_id, "election": election.public_id,
                              "choices": choices})
    return render_template(
        "ballots/confirm.html", election=election, network=election.network, organisation=organisation,
        read_back=_read_back(groups, choices), abstains=not any(choices.values()), ballot=signed,
        ranked=_ranked(election), message=message), status


# -- the voter's check --------------------------------------------------------------------------

@blp.route(ELECTION + "/check", methods=["GET", "POST"])
def check(network_id: str, election_id: str) -> Any:
    """Receipt and content in, the published list searched; by POST only, so that no address
    (nor any log of addresses) ever holds a receipt."""
    session, actor = database.session(), current_actor()
    election = _election(network_id, election_id)
    if request.method == "GET":
        return render_template("ballots/check.html", election=election, network=election.network, outcome=None,
                               values={})
    values = {"receipt": request.form.get("receipt", "").strip().lower(),
              "content": request.form.get("content", "").strip()}
    try:
        published = publication.published_election(session, actor, election)
    except Conflict:
        return render_template("ballots/check.html", election=election, network=election.network, values=values,
                               outcome=[_("The ballots of this election are not published yet: check once the "
                                          "result is.")]), 409
    problems = publication.check_ballot(published, values["receipt"], values["content"])
    outcome = [str(CHECK_PROBLEMS.get(p, p)) for p in problems]
    return render_template("ballots/check.html", election=election, network=election.network, values=values,
                           outcome=outcome, root=published["ballot_list"]["root"]), 200 if not outcome else 422


# -- the result ---------------------------------------------------------------------------------

@blp.get(ELECTION + "/result")
def result(network_id: str, election_id: str) -> Any:
    session, actor = database.session(), current_actor()
    try:
        election = governance.find_election(session, actor, network_id, election_id)
        published = published_result(session, actor, election)
    except (NotFound, NotPermitted):
        if not actor.signed_in:  # perhaps the person may read it once signed in
            return redirect(url_for("signin.sign_in"))
        raise
    return render_template("ballots/result.html", election=election, network=election.network, result=published,
                           counts=[rounds.shown(c, published.candidates) for c in published.counts], phases=PHASES,
                           method_label=_(published.method_label),
                           method_explanation=_(published.method_explanation),
                           seats_for=group_label)


@blp.get(ELECTION + "/published.json")
def download(network_id: str, election_id: str) -> Response:
    """The published election as a file to keep and recount (`registry election verify`)."""
    session, actor = database.session(), current_actor()
    election = _election(network_id, election_id)
    response = current_app.json.response(publication.published_election(session, actor, election))
    response.headers["Content-Disposition"] = f'attachment; filename="election-{election.public_id}.json"'
    return response
