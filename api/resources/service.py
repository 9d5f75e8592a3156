"""Service status and the caller's own identity.

/health says only that the process answers (for a supervisor restarting a hung worker);
/ready says whether it can serve (database reachable, schema at the code's migration head,
Redis reachable when configured), for a load balancer. Both are unauthenticated and cheap, so
a failed check is the usual 503 error and nothing more: which check failed, and why, goes to
the log.
"""

from __future__ import annotations

from typing import Any

import logging

from flask import Response, current_app
from flask_babel import gettext as _
from marshmallow import fields

from api import database, shared_store
from api.errors import error_response
from api.headers import answered_now
from api.auth import current_actor
from api.extensions import Blueprint, PublicId, Schema
from registry import migrate
from registry.organisations.models import Organisation
from registry.access.public_ids import public_ids_of

log = logging.getLogger(__name__)

blp = Blueprint("service", __name__, url_prefix="/api/v1", description="Service status and identity")


class StatusSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class MeSchema(Schema):
    role = fields.String(metadata={"description": "secretariat, editor, board or anonymous"})
    label = fields.String()
    network_id = PublicId(allow_none=True)
    organisation_id = PublicId(allow_none=True)


@blp.route("/health")
@answered_now
@blp.access(None)
@blp.response(200, StatusSchema)
def health() -> dict[str, Any]:
    """Whether the process answers (it touches nothing else)"""
    return {"status": "ok"}


@blp.route("/ready")
@answered_now
@blp.access(None)
@blp.response(200, StatusSchema)
@blp.alt_response(503, description="the database does not answer, its schema is not this code's, or Redis does "
                                   "not answer (the reason goes to the log)")
def ready() -> Any:
    """Whether the service can serve: database reachable, schema current, Redis reachable if configured"""
    # A database that does not answer raises here, and is answered 503 as every request is.
    if not migrate.at_head(database.session().connection()):
        return _not_ready("the database schema is not at this code's migration head (run `registry db upgrade`)")
    if shared_store.configured(current_app) and not shared_store.reachable(current_app):
        return _not_ready("Redis does not answer")
    return {"status": "ok"}


def _not_ready(reason: str) -> Response:
    log.warning("not ready: %s", reason)
    return error_response(503, _("the service is not ready; try again shortly"), headers={"Retry-After": "5"})


@blp.route("/me")
@answered_now
@blp.access(None)
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The caller's own identity and role"""
    actor = current_actor()
    named: dict[int | None, str] = {**public_ids_of(database.session(), Organisation,
                                                    (actor.network_id, actor.organisation_id))}
    return {"role": actor.role.value, "label": actor.label, "network_id": named.get(actor.network_id),
            "organisation_id": named.get(actor.organisation_id)}
