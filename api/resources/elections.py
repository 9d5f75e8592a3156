"""Elections to a network's bodies: the secretariat creates and moves them through their
phases, member organisations nominate, second and vote through their own editors, and the
network reads the candidates, the published ballot hashes and the certified result.

A ballot leaves the API once, in the answer to the organisation that cast it, with its
receipt; nothing else the API answers says how any organisation voted (see
registry/elections/ballots.py). The count opens the sealed ballots; once it (or a cancel) is
committed, the dead rows of the sealed ballots are scrubbed from the database files
(registry.db.after_commit, asked for by registry.elections.phases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import url_for
from flask_babel import gettext, ngettext
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import EXAMPLE_ID, Blueprint, PageQuery, PlausibleDate, PublicId, Schema, Text, WholeNumber, page_of
from api.i18n import say
from api.references import named_as_sent, referenced
from api.resources.governance import MANAGERS, NETWORK, READERS
from registry.networks import directory
from registry.governance import directory as governance_directory
from registry.db import Page, page_of_list, today
from registry.elections import ballots, nominations, phases, publication, roll, turnout
from registry.elections.ballots import CastReceipt
from registry.elections.methods import Method, counting_method
from registry.elections.models import Election, ElectionPhase, Nomination
from registry.elections.results import PublishedResult, format_result, published_result
from registry.elections.roll import RollCheck
from registry.access.permissions import Permission

blp = Blueprint("elections", __name__, url_prefix="/api/v1",
                description="Elections to governing bodies: phases, nominations, ballots and results")

ELECTION = NETWORK + "/elections/<public_id:election_id>"
NOMINATION = ELECTION + "/nominations/<public_id:nomination_id>"
OWN_EDITOR = "the acting organisation's own editor (no secretariat acts in its name)"


class PhaseChangeSchema(Schema):
    from_phase = fields.Enum(ElectionPhase, by_value=True, allow_none=True)
    to_phase = fields.Enum(ElectionPhase, by_value=True)
    effective_on = fields.Date()
    recorded_at = fields.DateTime()
    actor = fields.String()
    reason = fields.String()


class ElectionSchema(Schema):
    id = PublicId(attribute="public_id")
    network_id = PublicId(attribute="network")
    body_id = PublicId(attribute="body")
    title = fields.String()
    method = fields.Enum(Method, by_value=True)
    method_label = fields.Function(lambda e: gettext(counting_method(e.method).label), metadata={
        "description": "The method's name in the reader's language (Accept-Language)."})
    ballot_kind = fields.Function(lambda e: counting_method(e.method).ballot_kind.value, metadata={
        "description": "ranked: preferences in order; choose_up_to: up to as many as there are seats."})
    seats = fields.Integer()
    seat_groups = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "Seats up for election per constituency; 'open' for the unreserved ones."})
    term_class = fields.Integer(allow_none=True, metadata={"description": "None: every seat of the body."})
    quorum_percent = fields.Integer()
    sex_worker_led_only = fields.Boolean()
    roll_cutoff = fields.Date()
    term_starts = fields.Date(allow_none=True, metadata={"description": "None: the day of certification."})
    phase = fields.Enum(ElectionPhase, by_value=True)
    phase_since = fields.Date()
    voting_closes_on = fields.Date(allow_none=True, metadata={
        "description": "When voting is due to close, as announced or extended; None: not announced."})
    created_at = fields.DateTime()
    phase_changes = fields.List(fields.Nested(PhaseChangeSchema))


class ElectionCreationSchema(Schema):
    body_id = PublicId(required=True, metadata={"description": "The governing body's public id."})
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    method = fields.Enum(Method, by_value=True, required=True)
    roll_cutoff = PlausibleDate(required=True, metadata={
        "description": "Organisations that are active members on this date are on the roll."})
    term_class = WholeNumber(allow_none=True, load_default=None, validate=validate.Range(1, 100),
                             metadata={"description": "The class of seats up for election; None: every seat."})
    quorum_percent = WholeNumber(load_default=0, validate=validate.Range(0, 100))
    sex_worker_led_only = fields.Boolean(load_default=False)
    term_starts = PlausibleDate(allow_none=True, load_default=None)


class PhaseMoveSchema(Schema):
    phase = fields.Enum(ElectionPhase, by_value=True, required=True, metadata={
        "description": "The next phase, or cancelled (with a reason) before certification."})
    on = PlausibleDate(metadata={"description": "When it took effect (default: today)."})
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=2000))


class ExtensionSchema(Schema):
    until = PlausibleDate(required=True, metadata={"description": "Voting stays open until this day (after today)."})
    reason = Text(required=True, multiline=True, validate=validate.Length(min=1, max=2000))


class OrganisationNameSchema(Schema):
    id = PublicId(attribute="public_id")
    name = fields.String()


class TurnoutSchema(Schema):
    roll = fields.Integer(metadata={"description": "Organisations on the roll."})
    voted = fields.Integer(metadata={"description": "Organisations that voted, abstentions included."})
    quorum_percent = fields.Integer()
    quorum_met = fields.Boolean()
    short_by = fields.Integer(metadata={"description": "More ballots needed to meet the quorum."})
    voting_closes_on = fields.Date(allow_none=True)
    not_voted = fields.List(fields.Nested(OrganisationNameSchema), metadata={
        "description": "The organisations on the roll that have not voted (never how anyone voted)."})
    options = fields.List(fields.Enum(turnout.QuorumOption, by_value=True), metadata={
        "description": "With the quorum missed, what may be done: extend_voting (PUT .../extension, "
                       "also after voting closed, until the count) or cancel (PUT .../phase); "
                       "empty once the quorum is met. Certification is refused below the quorum."})


class NominationSchema(Schema):
    id = PublicId(attribute="public_id", dump_only=True, metadata={
        "description": "The nomination's public id: what a ballot names the candidate by."})
    election_id = PublicId(attribute="election", dump_only=True)
    organisation_id = PublicId(required=True, load_only=True,
                               metadata={"description": "The nominating organisation's public id."})
    name = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata={"description": "A name or pseudonym only: never a way to reach the person."})
    statement = Text(load_default="", multiline=True, validate=validate.Length(max=5000))
    constituency = Text(allow_none=True, load_default=None, validate=validate.Length(min=1, max=100),
                        metadata={"description": "The reserved seats stood for; None: the open seats."})
    nominated_by_id = PublicId(dump_only=True, attribute="nominated_by")
    seconded_by_id = PublicId(attribute="seconded_by", dump_only=True, allow_none=True)
    nominated_on = fields.Date(dump_only=True)
    withdrawn_on = fields.Date(dump_only=True, allow_none=True)


class NominationQuery(PageQuery):
    withdrawn = fields.Boolean(load_default=False, metadata={"description": "Include withdrawn candidates."})


class SecondingSchema(Schema):
    organisation_id = PublicId(required=True, metadata={"description": "The seconding organisation's public id."})


class WithdrawalSchema(Schema):
    on = PlausibleDate(metadata={"description": "Default: today."})
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=2000))


class RollCheckSchema(Schema):
    on_roll = fields.Boolean()
    frozen = fields.Boolean(metadata={"description": "False: voting has not opened and the answer may change."})
    reason = fields.String()


class RollEntrySchema(Schema):
    id = PublicId(attribute="public_id")
    name = fields.String()


class BallotSchema(Schema):
    organisation_id = PublicId(required=True, metadata={"description": "The voting organisation's public id."})
    choices = fields.Dict(
        required=True, keys=Text(validate=validate.Length(min=1, max=100)),
        values=fields.List(PublicId(), validate=validate.Length(max=200)),
        metadata={"description": "Per seat group ('open', or a constituency): the nominations' public ids in "
                                 "order of preference (STV) or any order (block plurality). Empty: an abstention. "
                                 "The ballot's content, the receipt, the count and the published election name "
                                 "the candidates by the same public ids."})
    receipt = fields.String(validate=validate.Regexp(r"^[0-9a-fA-F]{32}$"), metadata={
        "description": "The receipt of the ballot cast before, to replace it while voting is open."})


class ReceiptSchema(Schema):
    receipt = fields.String(metadata={"description": "Shown this once and never stored: keep it as secret as a "
                                                     "password. It replaces the ballot while voting is open."})
    ballot_hash = fields.String(metadata={"description": "sha256 of '<election's public id>:<receipt>:<content>'; "
                                                         "find it among the published hashes once the ballots are "
                                                         "counted."})
    content = fields.String(metadata={"description": "The ballot as counted (canonical JSON)."})


class BallotHashSchema(Schema):
    ballot_hash = fields.String()


class ElectedSchema(Schema):
    nomination_id = PublicId()
    name = fields.String()
    seats_for = fields.String()


class ResultSchema(Schema):
    election_id = PublicId()
    title = fields.String()
    body = fields.String()
    method = fields.String()
    method_label = fields.Function(lambda r: gettext(r.method_label), metadata={
        "description": "The method's name in the reader's language (Accept-Language)."})
    method_explanation = fields.Function(lambda r: gettext(r.method_explanation), metadata={
        "description": "How the method counts, in a sentence or two, in the reader's language."})
    seats = fields.Integer()
    phase = fields.Enum(ElectionPhase, by_value=True)
    certified_on = fields.Date(allow_none=True)
    roll = fields.Integer(metadata={"description": "Organisations on the roll."})
    turnout = fields.Integer(metadata={"description": "Organisations that voted, abstentions included."})
    quorum_percent = fields.Integer()
    quorum_met = fields.Boolean()
    seed = fields.Function(lambda r: str(r.seed), metadata={
        "description": "The seed of any lot drawn: the ballot list's root, which nobody chooses."})
    seed_from = fields.String(metadata={"description": "How the seed was fixed: ballot_list_root."})
    ballot_list_root = fields.String(allow_none=True, metadata={
        "description": "The root of the hash chain over every counted ballot, fixed by the count."})
    candidates = fields.Dict(keys=fields.String(), values=fields.String(),
                             metadata={"description": "The public id of each candidate who stood -> name: how "
                                                      "`counts` and the published ballots name candidates."})
    counts = fields.List(fields.Dict(), metadata={"description": "Every stage of the count, per seat group."})
    elected = fields.List(fields.Nested(ElectedSchema))
    text = fields.Function(lambda result: format_result(result, gettext, ngettext), metadata={
        "description": "The same, as plain text, in the reader's language (Accept-Language)."})


@blp.route(NETWORK + "/elections")
@blp.access(Permission.READ_GOVERNANCE, READERS + "; drafts only for " + MANAGERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(ElectionSchema))
def list_elections(args: dict[str, Any], network_id: str) -> Page[Election]:
    """List a network's elections, newest first"""
    return governance_directory.network_elections(database.session(), current_actor(), network_id, **args)


@blp.route(NETWORK + "/elections", methods=["POST"])
@blp.access(Permission.MANAGE_ELECTIONS, MANAGERS)
@blp.etag
@blp.arguments(ElectionCreationSchema, example={
    "body_id": EXAMPLE_ID, "title": "Sample board election 2026", "method": "scottish_stv",
    "roll_cutoff": "2026-06-30", "quorum_percent": 50, "sex_worker_led_only": False})
@blp.response(201, ElectionSchema)
def create_election(body: dict[str, Any], network_id: str) -> tuple[Election, dict[str, str]]:
    """Create a draft election for a body's seats"""
    session, actor = database.session(), current_actor()
    directory.find_network(session, actor, network_id)  # the network in the URL: 404 if there is none
    body_id = body.pop("body_id")
    governing_body = referenced("body_id", lambda: governance_directory.find_body(session, actor, network_id, body_id))
    election = phases.create_election(session, actor, governing_body, **body)
    blp.set_etag(election)
    return election, {"Location": url_for(".read_election", network_id=election.network.public_id,
                                          election_id=election.public_id)}


@blp.route(ELECTION)
@blp.access(Permission.READ_GOVERNANCE, READERS + "; drafts only for " + MANAGERS)
@blp.etag
@blp.response(200, ElectionSchema)
def read_election(network_id: str, election_id: str) -> Election:
    """Read an election and its dated phase changes"""
    election = governance_directory.find_election(database.session(), current_actor(), network_id, election_id)
    blp.set_etag(election)
    return election


@blp.route(ELECTION + "/phase", methods=["PUT"])
@blp.access(Permission.MANAGE_ELECTIONS, MANAGERS)
@blp.etag
@blp.arguments(PhaseMoveSchema, example={"phase": "nominations_open",
                                          "reason": "Sample: opened as agreed at the board meeting."})
@blp.response(200, ElectionSchema)
def move_election(move: dict[str, Any], network_id: str, election_id: str) -> Election:
    """Move an election to its next phase, or cancel it"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    blp.check_etag(election)
    phases.transition(session, actor, election, move["phase"], on=move.get("on"), reason=move["reason"])
    blp.set_etag(election)
    return election


@blp.route(ELECTION + "/extension", methods=["PUT"])
@blp.access(Permission.MANAGE_ELECTIONS, MANAGERS + ", while voting is open")
@blp.etag
# A day two weeks after the server started: an extension must end after today.
@blp.arguments(ExtensionSchema, example={"until": (today() + dt.timedelta(days=14)).isoformat(),
                                         "reason": "Sample: members in the provinces asked for more time."})
@blp.response(200, ElectionSchema)
def extend_voting(body: dict[str, Any], network_id: str, election_id: str) -> Election:
    """Extend voting to a later day, while it is open or after it closed short of its quorum (dated and audited)"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    blp.check_etag(election)
    turnout.extend_voting(session, actor, election, until=body["until"], reason=body["reason"])
    blp.set_etag(election)
    return election


@blp.route(ELECTION + "/turnout")
@blp.access(Permission.READ_INTERNAL, MANAGERS + " and the network's board, once voting has opened")
@blp.response(200, TurnoutSchema)
def read_turnout(network_id: str, election_id: str) -> turnout.LiveTurnout:
    """Read the turnout so far against the quorum, and which organisations have not voted"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    return turnout.live_turnout(session, actor, election)


@blp.route(ELECTION + "/nominations")
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.arguments(NominationQuery, location="query")
@blp.response(200, page_of(NominationSchema))
def list_nominations(args: dict[str, Any], network_id: str, election_id: str) -> Page[Nomination]:
    """List the candidates, as the ballot lists them"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    found = nominations.nominations_of(session, actor, election, standing_only=not args["withdrawn"])
    return page_of_list(found, args["page"], args["page_size"])


@blp.route(ELECTION + "/nominations", methods=["POST"])
@blp.access(Permission.NOMINATE, OWN_EDITOR + ", while nominations are open")
@blp.arguments(NominationSchema, example={
    "organisation_id": EXAMPLE_ID, "name": "Sample Candidate Lan (pseudonym)",
    "statement": "Sample: ten years of outreach in Hà Nội; I will bring the provinces' voice to the board."})
@blp.response(201, NominationSchema)
def nominate(body: dict[str, Any], network_id: str, election_id: str) -> Nomination:
    """Nominate a candidate"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    organisation_id = body.pop("organisation_id")
    organisation = referenced("organisation_id", lambda: directory.find_organisation(session, actor, organisation_id))
    nomination = nominations.nominate(session, actor, election, organisation, **body)
    return nomination


@blp.route(NOMINATION + "/seconding", methods=["POST"])
@blp.access(Permission.NOMINATE, OWN_EDITOR + ", for another organisation's candidate")
@blp.arguments(SecondingSchema, example={"organisation_id": EXAMPLE_ID})
@blp.response(200, NominationSchema)
def second(body: dict[str, Any], network_id: str, election_id: str, nomination_id: str) -> Nomination:
    """Second a candidate"""
    session, actor = database.session(), current_actor()
    nomination = governance_directory.find_nomination(session, actor, network_id, election_id, nomination_id)
    organisation = referenced("organisation_id", lambda: directory.find_organisation(session, actor,
                                                                                     body["organisation_id"]))
    with named_as_sent(organisation="organisation_id"):
        return nominations.second_nomination(session, actor, nomination, organisation)


@blp.route(NOMINATION + "/withdrawal", methods=["POST"])
@blp.access(Permission.NOMINATE, "the nominating organisation's own editor, or " + MANAGERS)
# Every field has a default: no body is a withdrawal today.
@blp.arguments(WithdrawalSchema, required=False, example={"reason": "Sample: the candidate stood down."})
@blp.response(200, NominationSchema)
def withdraw(body: dict[str, Any], network_id: str, election_id: str, nomination_id: str) -> Nomination:
    """Withdraw a candidate, before voting opens"""
    session, actor = database.session(), current_actor()
    nomination = governance_directory.find_nomination(session, actor, network_id, election_id, nomination_id)
    return nominations.withdraw_nomination(session, actor, nomination, on=body.get("on"), reason=body["reason"])


@blp.route(ELECTION + "/roll")
@blp.access(Permission.MANAGE_ELECTIONS, MANAGERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(RollEntrySchema), description=(
    "The organisations on the roll, by name: as frozen when voting opened or, before that, who it "
    "would hold if it froze now."))
def read_roll(args: dict[str, Any], network_id: str, election_id: str) -> Page[Any]:
    """List the roll"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    return page_of_list(roll.roll_of(session, actor, election), **args)


@blp.route(ELECTION + "/roll/<public_id:organisation_id>")
@blp.access(Permission.CHECK_ROLL, "the organisation's own editor, or " + MANAGERS)
@blp.response(200, RollCheckSchema)
def check_roll(network_id: str, election_id: str, organisation_id: str) -> RollCheck:
    """Ask whether an organisation is on the roll"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    organisation = directory.find_organisation(session, actor, organisation_id)
    check = roll.check_roll(session, actor, election, organisation)
    return replace(check, reason=say(check.reason))


@blp.route(ELECTION + "/ballots", methods=["POST"])
@blp.access(Permission.CAST_BALLOT, OWN_EDITOR + ", while voting is open and the organisation is on the roll")
@blp.arguments(BallotSchema, example={"organisation_id": EXAMPLE_ID, "choices": {"open": [EXAMPLE_ID]}})
@blp.response(201, ReceiptSchema)
def cast_ballot(body: dict[str, Any], network_id: str, election_id: str) -> tuple[CastReceipt, dict[str, str]]:
    """Cast (or, with the last receipt, replace) an organisation's ballot; the receipt is shown once"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    organisation = referenced("organisation_id", lambda: directory.find_organisation(session, actor,
                                                                                     body["organisation_id"]))
    receipt = ballots.cast_ballot(session, actor, election, organisation, body["choices"],
                                  receipt=body.get("receipt"))
    # Nothing between the caster and the registry may keep the one copy of the receipt.
    return receipt, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@blp.route(ELECTION + "/ballot-hashes")
@blp.access(Permission.READ_GOVERNANCE, READERS + ", once the ballots are counted")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(BallotHashSchema))
def list_ballot_hashes(args: dict[str, Any], network_id: str, election_id: str) -> Page[dict[str, str]]:
    """List the hash of every ballot counted, in hash order, for voters to find their own"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    hashes = [{"ballot_hash": h} for h in ballots.published_ballot_hashes(session, actor, election)]
    return page_of_list(hashes, args["page"], args["page_size"])


class PublishedElectionSchema(Schema):
    format = fields.String(metadata={
        "description": "registry-published-election/2: the election and its candidates named by public ids; "
                       "/1 (elections cast before public ids): by the integer keys their hashes were made with."})
    election = fields.Dict(metadata={"description": "Method, seats per group and quorum."})
    candidates = fields.List(fields.Dict(), metadata={"description": "Every candidate, in ballot-paper order."})
    ballot_list = fields.Dict(metadata={
        "description": "Every counted ballot's hash and content in hash order, how they chain, and the root."})
    result = fields.Dict(metadata={"description": "The result as counted: roll, turnout, seed, every stage."})


@blp.route(ELECTION + "/published")
@blp.access(Permission.READ_GOVERNANCE, READERS + " once certified; " + MANAGERS + " as soon as it is counted")
@blp.response(200, PublishedElectionSchema)
def read_published_election(network_id: str, election_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Download the published election, for `registry election verify` and each voter's check"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    published = publication.published_election(session, actor, election)
    return published, {"Content-Disposition": f'attachment; filename="election-{election.public_id}.json"'}


@blp.route(ELECTION + "/result")
@blp.access(Permission.READ_GOVERNANCE, READERS + " once certified; " + MANAGERS + " as soon as it is counted")
@blp.response(200, ResultSchema)
def read_result(network_id: str, election_id: str) -> PublishedResult:
    """Read an election's result with every stage of the count"""
    session, actor = database.session(), current_actor()
    election = governance_directory.find_election(session, actor, network_id, election_id)
    return published_result(session, actor, election)
