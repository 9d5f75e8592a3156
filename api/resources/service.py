"""Service status and the caller's own identity.

/health says only that the process answers (for a supervisor restarting a hung worker);
/ready says whether it can serve (database reachable, schema at the code's migration head,
Redis reachable when configured), for a load balancer. Both are unauthenticated and cheap, so
they say "ok" or "unavailable" and nothing more: which check failed, and why, goes to the log.
"""

from __future__ import annotations

from typing import Any

import logging

from flask import current_app
from marshmallow import fields
from sqlalchemy.exc import SQLAlchemyError

from api import database, shared_store
from api.auth import current_actor
from api.extensions import Blueprint, Schema
from registry import migrate

log = logging.getLogger(__name__)

blp = Blueprint("service", __name__, url_prefix="/api/v1", description="Service status and identity")


class StatusSchema(Schema):
    status = fields.String(metadata={"description": "ok, or unavailable (with 503)", "example": "ok"})


class MeSchema(Schema):
    role = fields.String(metadata={"description": "secretariat, editor, board or anonymous"})
    label = fields.String()
    network_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)


@blp.route("/health")
@blp.access(None)
@blp.response(200, StatusSchema)
def health() -> dict[str, Any]:
    """Whether the process answers (it touches nothing else)"""
    return {"status": "ok"}


@blp.route("/ready")
@blp.access(None)
@blp.response(200, StatusSchema)
@blp.alt_response(503, schema=StatusSchema, description="a database, schema or Redis check failed")
def ready() -> Any:
    """Whether the service can serve: database reachable, schema current, Redis reachable if configured"""
    failed = _failed_check()
    if failed:
        log.warning("not ready: %s", failed)
        return {"status": "unavailable"}, 503, {"Retry-After": "5"}
    return {"status": "ok"}


def _failed_check() -> str | None:
    try:
        if not migrate.at_head(database.session().connection()):
            return "the database schema is not at this code's migration head (run `registry db upgrade`)"
    except SQLAlchemyError as unreachable:
        return f"the database does not answer ({type(unreachable).__name__})"
    if shared_store.configured(current_app) and not shared_store.reachable(current_app):
        return "Redis does not answer"
    return None


@blp.route("/me")
@blp.access(None)
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The caller's own identity and role"""
    actor = current_actor()
    return {"role": actor.role.value, "label": actor.label, "network_id": actor.network_id,
            "organisation_id": actor.organisation_id}
