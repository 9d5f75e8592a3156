"""Access tokens through the API: a secretariat issues, lists and revokes the tokens of its
subtree (the CLI does the same for the registry's operators). A secret is shown once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from marshmallow import ValidationError, fields, pre_dump, validate

from api import database
from api.auth import current_actor
from api.extensions import EXAMPLE_ID, Blueprint, PageQuery, PublicId, Schema, Text, page_of
from api.references import named_as_sent, referenced
from registry.networks import directory
from registry.access import tokens
from registry.db import Page
from registry.access.models import TOKEN_ROLES
from registry.access.permissions import Permission

blp = Blueprint("tokens", __name__, url_prefix="/api/v1", description="Access tokens")

TOKEN = "/tokens/<public_id:token_id>"
ISSUERS = ("the secretariat of the token's network or organisation, or of a network it is a member of "
           "(not one it has only applied to)")
ROLES = [r.value for r in TOKEN_ROLES]


def _plausible(moment: dt.datetime) -> None:
    # Bounded before any comparison: a year-9999 time in a negative offset overflows in UTC.
    if not 2000 <= moment.year <= 2100:
        raise ValidationError("a date between 2000 and 2100")


# The same bound as a pattern, for the description: RFC 3339 times from 2000 to 2100, to the microsecond.
PLAUSIBLE_TIME = (r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                  r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")


class TokenSchema(Schema):
    id = PublicId()
    role = fields.String(metadata={"description": "secretariat, editor or board"})
    network_id = PublicId(allow_none=True)
    organisation_id = PublicId(allow_none=True)
    label = fields.String()
    hint = fields.String(metadata={"description": "The secret's first characters, to tell tokens apart."})
    created_at = fields.DateTime()
    created_by = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _named(self, token: tokens.AccessToken | dict[str, Any], **_kw: Any) -> dict[str, Any]:
        return token if isinstance(token, dict) else shown(token)


def shown(token: tokens.AccessToken) -> dict[str, Any]:
    """The token's fields, it, its network and its organisation named by their public ids."""
    named = {"id": token, "network_id": token.network, "organisation_id": token.organisation}
    return {name: getattr(token, name) for name in TokenSchema().fields if name not in named} | {
        name: None if row is None else row.public_id for name, row in named.items()}


class IssuedTokenSchema(TokenSchema):
    secret = fields.String(metadata={"description": "The bearer secret. Shown only this once."})


class TokenRequestSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    scope_id = PublicId(required=True, metadata={
        "description": "The public id of the network (secretariat, board) or organisation (editor) the "
                       "token acts for."})
    label = Text(required=True, validate=validate.Length(min=1, max=200),
                 metadata={"description": "Who holds it, e.g. 'VNSW secretariat laptop'."})
    expires_at = fields.AwareDateTime(default_timezone=dt.timezone.utc, validate=_plausible, metadata={
        "description": "Optional; UTC when no zone is given.", "pattern": PLAUSIBLE_TIME})


@blp.route("/tokens")
@blp.access(Permission.ISSUE_TOKENS, ISSUERS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(TokenSchema))
def list_tokens(args: dict[str, Any]) -> Page[tokens.AccessToken]:
    """List the tokens you manage"""
    return tokens.tokens_for(database.session(), current_actor(), **args)


@blp.route("/tokens", methods=["POST"])
@blp.access(Permission.ISSUE_TOKENS, ISSUERS)
@blp.etag
@blp.arguments(TokenRequestSchema, example={"role": "editor", "scope_id": EXAMPLE_ID,
                                             "label": "Sample CBO 07 office laptop"})
@blp.response(201, IssuedTokenSchema)
def issue(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Issue a token"""
    session, actor = database.session(), current_actor()
    scope = referenced("scope_id", lambda: directory.find_organisation(session, actor, body["scope_id"]))
    with named_as_sent(scope="scope_id"):
        token, secret = tokens.issue_token(session, actor, body["role"], scope, label=body["label"],
                                           expires_at=body.get("expires_at"))
    blp.set_etag(token)
    return shown(token) | {"secret": secret}, {"Location": url_for(".read", token_id=token.public_id),
                                               "Cache-Control": "no-store"}


@blp.route(TOKEN)
@blp.access(Permission.ISSUE_TOKENS, ISSUERS)
@blp.etag
@blp.response(200, TokenSchema)
def read(token_id: str) -> tokens.AccessToken:
    """Read a token (never its secret)"""
    token = tokens.find_token(database.session(), current_actor(), token_id)
    blp.set_etag(token)
    return token


@blp.route(TOKEN, methods=["DELETE"])
@blp.access(Permission.ISSUE_TOKENS, ISSUERS)
@blp.etag
@blp.response(204)
def revoke(token_id: str) -> None:
    """Revoke a token"""
    session, actor = database.session(), current_actor()
    token = tokens.find_token(session, actor, token_id)
    blp.check_etag(token)
    tokens.revoke_token(session, actor, token)
