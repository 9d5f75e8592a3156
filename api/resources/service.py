"""Service status and the caller's own identity."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from sqlalchemy import text

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, Schema

blp = Blueprint("service", __name__, url_prefix="/api/v1", description="Service status and identity")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok"})


class MeSchema(Schema):
    role = fields.String(metadata={"description": "secretariat, editor, board or anonymous"})
    label = fields.String()
    network_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)


@blp.route("/health")
@blp.access(None)
@blp.response(200, HealthSchema)
def health() -> dict[str, Any]:
    """Whether the service and its database answer"""
    database.session().execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


@blp.route("/me")
@blp.access(None)
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The caller's own identity and role"""
    actor = current_actor()
    return {"role": actor.role.value, "label": actor.label, "network_id": actor.network_id,
            "organisation_id": actor.organisation_id}
