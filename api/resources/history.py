"""The change history: who changed what, when, with each field's value before and after.

A secretariat reads its subtree's history, an organisation its own.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, PageQuery, PublicId, Schema, page_of
from api.resources.organisations import ORGANISATION
from registry.networks import directory
from registry.access import history
from registry.db import Page
from registry.access.history import HistoryEntry
from registry.access.permissions import Permission

blp = Blueprint("history", __name__, url_prefix="/api/v1", description="Change history (the audit log)")

READERS = "the organisation's own editor, or the secretariat of a network above it"


class HistoryEntrySchema(Schema):
    id = PublicId()
    at = fields.DateTime()
    actor = fields.String(metadata={"description": "Who: the token (or operator) that made the change."})
    actor_role = fields.String()
    action = fields.String(metadata={"example": "update_profile"})
    object_type = fields.String(metadata={"example": "organisations"})
    object_id = fields.String(allow_none=True, metadata={
        "description": "The public id of what was changed (a boundary set by its key, a vocabulary term as "
                       "vocabulary/code); none for what no longer exists."})
    organisation_id = PublicId(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)), metadata={
        "description": "field: [before, after]"})


class HistoryQuery(PageQuery):
    organisation_id = PublicId()


@blp.route("/history")
@blp.access(Permission.READ_AUDIT, "a secretariat (its subtree) or an organisation's editor (its own)")
@blp.arguments(HistoryQuery, location="query")
@blp.response(200, page_of(HistoryEntrySchema))
def list_history(args: dict[str, Any]) -> Page[HistoryEntry]:
    """Read the change history you may see"""
    session, actor = database.session(), current_actor()
    if (organisation_id := args.pop("organisation_id", None)) is not None:
        args["organisation_id"] = directory.find_organisation(session, actor, organisation_id).id
    return history.history_for(session, actor, **args)


@blp.route(ORGANISATION + "/history")
@blp.access(Permission.READ_AUDIT, READERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(HistoryEntrySchema))
def organisation_history(args: dict[str, Any], organisation_id: str) -> Page[HistoryEntry]:
    """Read an organisation's change history"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    return history.history_for(session, actor, organisation_id=organisation.id, **args)
