"""Networks and their members: applying, the secretariat's decisions, and the member list on a date.

A membership moves only through registry.memberships.transition: apply (POST), then verify,
admit, reject, suspend, lapse, reinstate, withdraw or expel (PATCH with the membership's ETag).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import EXAMPLE_ID, Blueprint, PageQuery, PublicId, Schema, Text, page_of
from api.references import referenced
from api.resources.organisations import OrganisationSchema
from registry.networks import directory
from registry.memberships import services as memberships
from registry.db import Page
from registry.networks.directory import SeenMember
from registry.memberships.models import Membership, MembershipAction, MembershipStatus
from registry.access.permissions import Permission

blp = Blueprint("networks", __name__, url_prefix="/api/v1",
                description="Networks' members and the membership lifecycle")

NETWORK = "/networks/<public_id:network_id>"
MEMBER = NETWORK + "/members/<public_id:organisation_id>"
DECIDERS = "the secretariat of the network or of a network above it"
APPLICANTS = ("the applying organisation itself (its editor; for a network, its own secretariat), or the "
              "secretariat of a network it is already a member of or was registered by")


class MembershipEventSchema(Schema):
    action = fields.Enum(MembershipAction, by_value=True)
    from_status = fields.Enum(MembershipStatus, by_value=True, allow_none=True)
    to_status = fields.Enum(MembershipStatus, by_value=True)
    effective_on = fields.Date(allow_none=True, metadata={"description": "None: the date is not documented."})
    recorded_at = fields.DateTime()
    actor = fields.String()
    reason = fields.String()


class MembershipSchema(Schema):
    id = PublicId(attribute="public_id")
    network_id = PublicId(attribute="network")
    organisation_id = PublicId(attribute="member")
    status = fields.Enum(MembershipStatus, by_value=True)
    status_since = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    events = fields.List(fields.Nested(MembershipEventSchema))


class MemberSchema(Schema):
    network_id = PublicId()
    status = fields.Enum(MembershipStatus, by_value=True, metadata={"description": "On the date asked about."})
    organisation = fields.Nested(OrganisationSchema)


class MemberQuery(PageQuery):
    on = fields.Date(metadata={"description": "As of this date (default: today)."})
    status = fields.List(fields.Enum(MembershipStatus, by_value=True), validate=validate.Length(
        max=len(MembershipStatus)), metadata={
        "description": "Default: active. Other states only for the network's board and secretariat."})


class ApplicationSchema(Schema):
    organisation_id = PublicId(required=True)
    on = fields.Date(metadata={"description": "When it took effect (default: today)."})
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=2000))


class DecisionSchema(Schema):
    action = fields.Enum(MembershipAction, by_value=True, required=True, metadata={
        "description": "verify, admit, reject, suspend, lapse, reinstate, withdraw, expel, or apply again."})
    on = fields.Date(metadata={"description": "When it took effect (default: today)."})
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=2000), metadata={
        "description": "Required to reject, suspend, lapse, reinstate or expel."})


@blp.route(NETWORK + "/members")
@blp.access(None, "anyone; only the network's board and secretariat see states other than active, "
                  "and members are narrowed to those the caller may see")
@blp.arguments(MemberQuery, location="query")
@blp.response(200, page_of(MemberSchema))
def list_members(args: dict[str, Any], network_id: str) -> Page[SeenMember]:
    """List a network's members, now or on a date"""
    return directory.network_members(database.session(), current_actor(), network_id, on=args.get("on"),
                                     statuses=args.get("status") or (), page=args["page"],
                                     page_size=args["page_size"])


@blp.route(NETWORK + "/members", methods=["POST"])
@blp.access(Permission.APPLY_FOR_MEMBERSHIP, APPLICANTS)
@blp.etag
@blp.arguments(ApplicationSchema, example={
    "organisation_id": EXAMPLE_ID, "reason": "Sample: the group asks to join after the regional meeting."})
@blp.response(201, MembershipSchema)
def apply(body: dict[str, Any], network_id: str) -> tuple[Membership, dict[str, str]]:
    """Apply for membership of a network"""
    session, actor = database.session(), current_actor()
    network = directory.find_network(session, actor, network_id)
    member = referenced("organisation_id", lambda: directory.find_organisation(session, actor, body["organisation_id"]))
    membership = memberships.apply(session, actor, network, member, on=body.get("on"), reason=body["reason"])
    blp.set_etag(membership)
    return membership, {"Location": url_for(".read", network_id=network.public_id, organisation_id=member.public_id)}


@blp.route(MEMBER)
@blp.access(Permission.READ_INTERNAL, "the network's board and secretariat, and the member itself")
@blp.etag
@blp.response(200, MembershipSchema)
def read(network_id: str, organisation_id: str) -> Membership:
    """Read a membership and its history"""
    membership = directory.find_membership(database.session(), current_actor(), network_id, organisation_id)
    blp.set_etag(membership)
    return membership


@blp.route(MEMBER, methods=["PATCH"])
@blp.access(Permission.MANAGE_MEMBERS, DECIDERS + "; the member's own editor may only withdraw or apply again; "
                                      "reinstating a membership that was withdrawn or expelled also needs "
                                      "the organisation's consent (" + APPLICANTS + ")")
@blp.etag
@blp.arguments(DecisionSchema, example={
    "action": "suspend", "reason": "Sample: no report or contact for two years; the board decided to suspend."})
@blp.response(200, MembershipSchema)
def decide(body: dict[str, Any], network_id: str, organisation_id: str) -> Membership:
    """Move a membership on: verify, admit, reject, suspend, lapse, reinstate, withdraw, expel"""
    session, actor = database.session(), current_actor()
    membership = directory.find_membership(session, actor, network_id, organisation_id)
    blp.check_etag(membership)
    memberships.transition(session, actor, membership.network, membership.member, body["action"],
                           on=body.get("on"), reason=body["reason"])
    blp.set_etag(membership)
    return membership
