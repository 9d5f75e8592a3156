"""An organisation's contacts, and the log of who read them.

Contacts reach only the organisation itself and the secretariats above it; every read here
is logged (registry.access.contact_reads). Contacts belong to their organisation's version: they
carry its ETag, and changing one needs it in If-Match. A change is not a read: what it returns
holds a value only as the caller gave it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api import database
from api.auth import current_actor
from api.extensions import Blueprint, PageQuery, PublicId, Schema, Text, page_of
from api.resources.organisations import CONTACT_VISIBILITIES, EDITORS, ORGANISATION, ContactSchema
from registry.access import contact_reads
from registry.networks import directory
from registry.organisations import services as organisations
from registry.db import Page
from registry.organisations.models import ContactKind, ContactView
from registry.access.permissions import Permission

blp = Blueprint("contacts", __name__, url_prefix="/api/v1",
                description="Organisations' contacts: read only by the organisation and its secretariats, "
                            "and every read is logged")

CONTACT = ORGANISATION + "/contacts/<public_id:contact_id>"


class ContactChangeSchema(Schema):
    kind = fields.Enum(ContactKind, by_value=True)
    value = Text(blank=False, validate=validate.Length(min=1, max=300))
    label = Text(validate=validate.Length(max=100))
    visibility = fields.String(validate=validate.OneOf(CONTACT_VISIBILITIES))


CONTACT_EXAMPLE = {"kind": "email", "value": "office@sample-cbo-07.example.org", "label": "office",
                   "visibility": "secretariat"}


class WrittenContactSchema(ContactSchema):
    value = fields.String(allow_none=True, metadata={
        "description": "The value as this change set it; null when the change left it alone (a change "
                       "opens no contact: read them through the logged contacts read)."})


class ContactReadSchema(Schema):
    id = PublicId(attribute="public_id")
    at = fields.DateTime()
    actor = fields.String(metadata={"description": "Who read them (the token's label)."})
    actor_role = fields.String()
    contact_ids = fields.List(PublicId(), metadata={
        "description": "The public ids of the contacts that were shown."})


@blp.route(ORGANISATION + "/contacts")
@blp.access(Permission.READ_CONTACTS, EDITORS + "; the read is logged")
@database.logged_read
@blp.etag
@blp.response(200, ContactSchema(many=True))
def list_contacts(organisation_id: str) -> list[ContactView]:
    """Read an organisation's contacts (logged)"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    contacts = contact_reads.read_contacts(session, actor, organisation)
    blp.set_etag(organisation)
    return contacts


@blp.route(ORGANISATION + "/contacts", methods=["POST"])
@blp.access(Permission.EDIT_PROFILE, EDITORS)
@blp.etag
@blp.arguments(ContactSchema, example=CONTACT_EXAMPLE)
@blp.response(201, ContactSchema)
def add_contact(body: dict[str, Any], organisation_id: str) -> ContactView:
    """Add a contact"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    contact = organisations.add_contact(session, actor, organisation, **body)
    blp.set_etag(organisation)
    return organisations.written(contact, body["value"])


@blp.route(CONTACT, methods=["PATCH"])
@blp.access(Permission.EDIT_PROFILE, EDITORS)
@blp.etag
@blp.arguments(ContactChangeSchema, required=False,  # every field optional
               example={"label": "office, weekdays only", "visibility": "self"})
@blp.response(200, WrittenContactSchema)
def update_contact(changes: dict[str, Any], organisation_id: str, contact_id: str) -> ContactView:
    """Change a contact (If-Match: the organisation's ETag)"""
    session, actor = database.session(), current_actor()
    contact = contact_reads.find_contact(session, actor, organisation_id, contact_id)
    blp.check_etag(contact.organisation)
    organisations.update_contact(session, actor, contact, changes)
    blp.set_etag(contact.organisation)
    return organisations.written(contact, changes.get("value"))


@blp.route(CONTACT, methods=["DELETE"])
@blp.access(Permission.EDIT_PROFILE, EDITORS)
@blp.etag
@blp.response(204)
def remove_contact(organisation_id: str, contact_id: str) -> None:
    """Remove a contact (If-Match: the organisation's ETag)"""
    session, actor = database.session(), current_actor()
    contact = contact_reads.find_contact(session, actor, organisation_id, contact_id)
    blp.check_etag(contact.organisation)
    organisations.remove_contact(session, actor, contact)


@blp.route(ORGANISATION + "/contact-reads")
@blp.access(Permission.READ_CONTACTS, EDITORS)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_of(ContactReadSchema))
def list_reads(args: dict[str, Any], organisation_id: str) -> Page[Any]:
    """Who read an organisation's contacts"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    return contact_reads.reads_of(session, actor, organisation, **args)
