"""A network in Popolo's open format (popoloproject.com), narrowed by registry.exchange.popolo to what
the caller may see."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, Schema
from registry.exchange.popolo import network_popolo

blp = Blueprint("popolo", __name__, url_prefix="/api/v1",
                description="Networks as Popolo JSON: organizations, memberships, posts and vote events")

NETWORK = "/networks/<public_id:network_id>"


class PopoloQuery(Schema):
    on = fields.Date(metadata={"description": "Members as of this date (default: today)."})


class PopoloSchema(Schema):
    organizations = fields.List(fields.Dict(), metadata={
        "description": "The network, its active members (fields as the caller may see them) and, "
                       "for those who may read its governance, its governing bodies."})
    persons = fields.List(fields.Dict(), metadata={"description": "Officeholders, by name or pseudonym."})
    posts = fields.List(fields.Dict(), metadata={"description": "The seats of the governing bodies."})
    memberships = fields.List(fields.Dict(), metadata={
        "description": "Organisations' memberships of the network (start dates for readers of the "
                       "network's internal view) and officeholders' terms on seats (posts)."})
    vote_events = fields.List(fields.Dict(), metadata={
        "description": "Certified elections: one vote event per seat group, with first-preference counts."})


@blp.route(NETWORK + "/popolo.json")
@blp.access(None, "anyone who may see the network; members and fields are narrowed to what the caller "
                  "may see, and bodies, officeholders and results go only to those who may read the "
                  "network's governance (its members, board and secretariat)")
@blp.arguments(PopoloQuery, location="query")
@blp.response(200, PopoloSchema)
def popolo(args: dict[str, Any], network_id: str) -> dict[str, Any]:
    """A network as Popolo JSON"""
    return network_popolo(database.session(), current_actor(), network_id, args.get("on"))
