"""Service status and the caller's own identity."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from sqlalchemy import text

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, PublicId, Schema
from registry.organisations import Organisation
from registry.public_ids import public_ids_of

blp = Blueprint("service", __name__, url_prefix="/api/v1", description="Service status and identity")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok"})


class MeSchema(Schema):
    role = fields.String(metadata={"description": "secretariat, editor, board or anonymous"})
    label = fields.String()
    network_id = PublicId(allow_none=True)
    organisation_id = PublicId(allow_none=True)


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
    named: dict[int | None, str] = {**public_ids_of(database.session(), Organisation,
                                                    (actor.network_id, actor.organisation_id))}
    return {"role": actor.role.value, "label": actor.label, "network_id": named.get(actor.network_id),
            "organisation_id": named.get(actor.organisation_id)}
