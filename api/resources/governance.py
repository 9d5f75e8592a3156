"""Governing bodies: a network's boards and coordinating committees, their seats, who sits on
them now or on a date, and every term recorded.

The network's secretariat defines bodies and records officeholders; its board, its
secretariats and its member organisations read them (Permission.READ_GOVERNANCE).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import EXAMPLE_ID, Blueprint, PageQuery, PlausibleDate, PublicId, Schema, Text, WholeNumber, page_of
from api.references import referenced
from registry.networks import directory
from registry.governance import services as governance, directory as governance_directory
from registry.db import Page, page_of_list, today
from registry.governance.models import BodyKind, GoverningBody, Officeholder
from registry.organisations.rules import PARTIAL_DATE_RULE
from registry.access.permissions import Permission

blp = Blueprint("governance", __name__, url_prefix="/api/v1",
                description="Networks' boards and coordinating committees: seats and officeholders")

NETWORK = "/networks/<public_id:network_id>"
BODY = NETWORK + "/bodies/<public_id:body_id>"
OFFICEHOLDER = BODY + "/officeholders/<public_id:officeholder_id>"
MANAGERS = "the secretariat of the network or of a network above it"
READERS = ("the network's board, its secretariat (or one above it) and its admitted member organisations "
           "(an applicant reads none of it)")


class SeatSchema(Schema):
    number = fields.Integer()
    term_class = fields.Integer(metadata={"description": "Seats of one class are elected together."})
    constituency = fields.String(allow_none=True, metadata={"description": "None: an open seat."})


class BodySchema(Schema):
    id = PublicId(attribute="public_id", dump_only=True)
    network_id = PublicId(dump_only=True, attribute="network")
    kind = fields.Enum(BodyKind, by_value=True, required=True)
    name = Text(required=True, validate=validate.Length(min=1, max=300))
    seats = WholeNumber(required=True, validate=validate.Range(1, 100))
    term_months = WholeNumber(allow_none=True, load_default=None,
                              validate=validate.Range(1, 240), metadata={"description": "None: open-ended."})
    term_classes = WholeNumber(load_default=1, validate=validate.Range(1, 100), metadata={
        "description": "More than 1: staggered terms, the seats split into this many classes."})
    term_limit = WholeNumber(allow_none=True, load_default=None, validate=validate.Range(1, 20),
                             metadata={"description": "Most consecutive terms one person may serve."})
    established = Text(allow_none=True, load_default=None, metadata={
        "description": "YYYY, YYYY-MM or YYYY-MM-DD", "pattern": PARTIAL_DATE_RULE.pattern})
    notes = Text(load_default="", multiline=True, validate=validate.Length(max=2000))
    seat_plan = fields.List(fields.Nested(SeatSchema), dump_only=True)


class BodyDefinitionSchema(BodySchema):
    reserved_seats = fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=100)),
        values=WholeNumber(validate=validate.Range(1, 100)),
        load_default=dict, load_only=True,
        metadata={"description": "Seats reserved per constituency; they take the lowest numbers."})


class OfficeholderSchema(Schema):
    id = PublicId(attribute="public_id", dump_only=True)
    seat = fields.Integer(dump_only=True, attribute="seat.number")
    name = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata={"description": "A name or pseudonym only: never a way to reach the person."})
    nominated_by_id = PublicId(attribute="nominated_by", allow_none=True, dump_only=True)
    starts_on = PlausibleDate(required=True)
    ends_on = PlausibleDate(allow_none=True, load_default=None,
                            metadata={"description": "The last day in office; None: open-ended."})
    election_id = PublicId(attribute="election", allow_none=True, dump_only=True)
    left_reason = fields.String(dump_only=True)


class OfficeholderRecordSchema(OfficeholderSchema):
    seat_number = WholeNumber(allow_none=True, load_default=None, load_only=True,
                              validate=validate.Range(1, 100),
                              metadata={"description": "Default: the lowest seat vacant for the whole term."})
    nominated_by = PublicId(allow_none=True, load_default=None, load_only=True,
                            metadata={"description": "The public id of the organisation that nominated them."})


class EndOfTermSchema(Schema):
    last_day = PlausibleDate(required=True, metadata={
        "description": "The last day in office: earlier than planned (resignation, replacement), "
                       "or the end of an open-ended term."})
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=2000), metadata={
        "description": "Why the term ends, in words fit for the network's members to read."})


class SeatChangeSchema(Schema):
    term_class = WholeNumber(validate=validate.Range(1, 100))
    constituency = Text(validate=validate.Length(min=1, max=100),
                        metadata={"description": "Reserve the seat for this constituency."})
    open_seat = fields.Boolean(load_default=False, metadata={"description": "Make the seat open again."})


class SeatHoldingSchema(Schema):
    seat = fields.Nested(SeatSchema)
    holder = fields.Nested(OfficeholderSchema, allow_none=True, metadata={"description": "None: vacant."})


class CompositionSchema(Schema):
    body_id = PublicId()
    on = fields.Date()
    seats = fields.List(fields.Nested(SeatHoldingSchema))


class CompositionQuery(Schema):
    on = PlausibleDate(metadata={"description": "As of this date (default: today)."})


@blp.route(NETWORK + "/bodies")
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(BodySchema))
def list_bodies(args: dict[str, Any], network_id: str) -> Page[GoverningBody]:
    """List a network's governing bodies"""
    return governance_directory.network_bodies(database.session(), current_actor(), network_id, **args)


@blp.route(NETWORK + "/bodies", methods=["POST"])
@blp.access(Permission.MANAGE_GOVERNANCE, MANAGERS)
@blp.arguments(BodyDefinitionSchema, example={
    "kind": "board", "name": "Sample board", "seats": 5, "term_months": 24, "term_classes": 1, "term_limit": 2,
    "established": "2014", "notes": "Sample: elected at the general assembly.",
    "reserved_seats": {"Transgender sex workers": 1}})
@blp.response(201, BodySchema)
def define_body(body: dict[str, Any], network_id: str) -> tuple[GoverningBody, dict[str, str]]:
    """Define a board or coordinating committee and its seats"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    defined = governance.define_body(session, actor, network, **body)
    return defined, {"Location": url_for(".read_body", network_id=network.public_id, body_id=defined.public_id)}


@blp.route(BODY)
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.etag
@blp.response(200, BodySchema)
def read_body(network_id: str, body_id: str) -> GoverningBody:
    """Read a governing body and its seat plan"""
    # A body has no version counter: its ETag is a hash of what is shown.
    return governance_directory.find_body(database.session(), current_actor(), network_id, body_id)


@blp.route(BODY + "/seats/<int(max=2147483647):number>", methods=["PATCH"])
@blp.access(Permission.MANAGE_GOVERNANCE, MANAGERS + ", while no election for the body is under way")
@blp.etag
@blp.arguments(SeatChangeSchema, required=False,  # every field optional
               example={"term_class": 1, "constituency": "Male sex workers"})
@blp.response(200, BodySchema)
def configure_seat(change: dict[str, Any], network_id: str, body_id: str, number: int) -> GoverningBody:
    """Move a seat to another term class, reserve it for a constituency, or open it again"""
    session, actor = database.session(), current_actor()
    body = governance_directory.find_body(session, actor, network_id, body_id)
    blp.check_etag(body, BodySchema)
    governance.configure_seat(session, actor, body, number, **change)
    return body


@blp.route(BODY + "/composition")
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.arguments(CompositionQuery, location="query")
@blp.response(200, CompositionSchema)
def read_composition(args: dict[str, Any], network_id: str, body_id: str) -> dict[str, Any]:
    """Who held each seat, today or on a date"""
    session, actor = database.session(), current_actor()
    body = governance_directory.find_body(session, actor, network_id, body_id)
    on = args.get("on") or today()
    return {"body_id": body.public_id, "on": on, "seats": governance.composition(session, actor, body, on)}


@blp.route(BODY + "/officeholders")
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(OfficeholderSchema))
def list_officeholders(args: dict[str, Any], network_id: str, body_id: str) -> Page[Officeholder]:
    """List every term recorded on a body, earliest first"""
    session, actor = database.session(), current_actor()
    body = governance_directory.find_body(session, actor, network_id, body_id)
    return page_of_list(governance.officeholders_of(session, actor, body), **args)


@blp.route(BODY + "/officeholders", methods=["POST"])
@blp.access(Permission.MANAGE_GOVERNANCE, MANAGERS)
@blp.arguments(OfficeholderRecordSchema, example={
    "name": "Sample Chair (pseudonym)", "starts_on": "2024-07-01", "ends_on": "2026-06-30", "seat_number": 2,
    "nominated_by": EXAMPLE_ID})
@blp.response(201, OfficeholderSchema)
def record_officeholder(record: dict[str, Any], network_id: str, body_id: str) -> Officeholder:
    """Record who held a seat, past or present"""
    session, actor = database.session(), current_actor()
    body = governance_directory.find_body(session, actor, network_id, body_id)
    nominated_by = record.pop("nominated_by")
    if nominated_by is not None:
        record["nominated_by"] = referenced("nominated_by",
                                            lambda: directory.find_organisation(session, actor, nominated_by))
    holder = governance.record_officeholder(session, actor, body, **record)
    return holder


def _term_etag(holder: Officeholder) -> dict[str, Any]:
    return {"officeholder": holder.public_id, "ends_on": holder.ends_on and holder.ends_on.isoformat(),
            "left_reason": holder.left_reason}


@blp.route(OFFICEHOLDER)
@blp.access(Permission.READ_GOVERNANCE, READERS)
@blp.etag
@blp.response(200, OfficeholderSchema)
def read_officeholder(network_id: str, body_id: str, officeholder_id: str) -> Officeholder:
    """Read one term on a body"""
    session, actor = database.session(), current_actor()
    holder = governance_directory.find_officeholder(session, actor, network_id, body_id, officeholder_id)
    blp.set_etag(_term_etag(holder))
    return holder


@blp.route(OFFICEHOLDER, methods=["PATCH"])
@blp.access(Permission.MANAGE_GOVERNANCE, MANAGERS)
@blp.etag
@blp.arguments(EndOfTermSchema, example={
    "last_day": "2025-12-31", "reason": "Sample: stepped down to lead the network's outreach team."})
@blp.response(200, OfficeholderSchema)
def end_term(body: dict[str, Any], network_id: str, body_id: str, officeholder_id: str) -> Officeholder:
    """End a term early, or close an open-ended one"""
    session, actor = database.session(), current_actor()
    holder = governance_directory.find_officeholder(session, actor, network_id, body_id, officeholder_id)
    blp.check_etag(_term_etag(holder))
    governance.end_term(session, actor, holder, last_day=body["last_day"], reason=body["reason"])
    blp.set_etag(_term_etag(holder))
    return holder
