"""Organisations: find, register, read, update the profile, change the status (delist).

Every organisation leaves the API through registry.access.visibility: the fields shown are those
whose tier the caller reads at, and the `visibility` field says which tier that was.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import fields, pre_dump, validate

from api import database
from api.auth import current_actor
from api.extensions import EXAMPLE_ID, Blueprint, PageQuery, PublicId, Schema, Text, WholeNumber, page_of
from api.references import referenced
from registry.networks import directory
from registry.organisations import services as organisations
from registry.db import Page
from registry.networks.directory import SORTS, DirectoryQuery, Seen
from registry.organisations.models import ADMIN_FIELDS, DEFAULT_PUBLISHED, PROFILE_FIELDS, PUBLISHABLE_FIELDS
from registry.organisations.rules import PARTIAL_DATE_RULE
from registry.organisations.models import (
    CONTACT_TIERS, ContactKind, OrganisationKind, OrganisationStatus, SexWorkerLed, Visibility
)
from registry.access.permissions import Permission
from registry.access.visibility import FIELD_TIERS, PRECISE_AREAS

blp = Blueprint("organisations", __name__, url_prefix="/api/v1",
                description="Member organisations and networks: directory, registration and profiles")

ORGANISATION = "/organisations/<public_id:organisation_id>"
SECRETARIAT = "the secretariat of a network above the organisation (or of the organisation itself)"
EDITORS = "the organisation's own editor, or " + SECRETARIAT


# The tiers a contact may have; the others (network, board) are for profile fields only.
CONTACT_VISIBILITIES = [tier.value for tier in Visibility if tier in CONTACT_TIERS]


def shown_to(field: str, note: str = "") -> dict[str, Any]:
    """Field metadata naming its visibility tier, read from registry.access.visibility's one table."""
    tier = FIELD_TIERS[field]
    audience = "everyone" if tier is Visibility.PUBLIC else f"callers reading at tier '{tier.value}' or above"
    if field in PUBLISHABLE_FIELDS:
        audience = ("everyone when the organisation publishes it (published_fields); otherwise "
                    f"callers reading at tier '{Visibility.NETWORK.value}' or above, and the networks it applies to")
    return {"description": f"Shown to {audience}.{' ' + note if note else ''}"}


# What publishing each choosable field shows the public, for the profile's documentation.
PUBLISHING = {
    "founding_date": "when it was founded",
    "sex_worker_led": "whether it is sex-worker-led: where sex work is a crime, this can say who its staff are",
    "populations": "the populations it serves",
    "services": "the services it offers",
    "priority_areas": "NSWP's priority areas it works on",
    "areas_served": "the provinces it serves (never districts)",
    "languages": "the languages it works in",
    "website": "its website",
    "networks": "the networks it is a member of, and its place in their public member lists and maps",
}
assert set(PUBLISHING) == set(PUBLISHABLE_FIELDS)


class ContactSchema(Schema):
    id = PublicId(attribute="public_id", dump_only=True)
    kind = fields.Enum(ContactKind, by_value=True, required=True)
    value = Text(required=True, blank=False, validate=validate.Length(min=1, max=300))
    label = Text(load_default="", validate=validate.Length(max=100))
    visibility = fields.String(load_default=Visibility.SECRETARIAT.value, validate=validate.OneOf(
        CONTACT_VISIBILITIES), metadata={"description": "public, secretariat (the default) or self: "
                                                        "who may read this contact."})


class MembershipBriefSchema(Schema):
    network_id = PublicId()
    status = fields.String()
    status_since = fields.Date(allow_none=True)


class OrganisationSchema(Schema):
    """An organisation as the caller may see it; fields above the caller's tier are absent."""

    id = PublicId(metadata=shown_to("id", "Its public id: the only id the registry gives."))
    kind = fields.Enum(OrganisationKind, by_value=True, metadata=shown_to("kind"))
    name = fields.String(metadata=shown_to("name"))
    name_translations = fields.Dict(keys=fields.String(), values=fields.String(),
                                    metadata=shown_to("name_translations"))
    acronym = fields.String(allow_none=True, metadata=shown_to("acronym"))
    country = fields.String(allow_none=True, metadata=shown_to("country"))
    status = fields.Enum(OrganisationStatus, by_value=True, metadata=shown_to("status"))
    is_sample = fields.Boolean(metadata=shown_to("is_sample", "Sample organisations are not real."))
    founding_date = fields.String(allow_none=True, metadata=shown_to("founding_date"))
    sex_worker_led = fields.Enum(SexWorkerLed, by_value=True, allow_none=True, metadata=shown_to("sex_worker_led"))
    populations = fields.List(fields.String(), metadata=shown_to("populations"))
    services = fields.List(fields.String(), metadata=shown_to("services"))
    priority_areas = fields.List(fields.String(), metadata=shown_to("priority_areas"))
    areas_served = fields.List(fields.String(), metadata=shown_to(
        "areas_served", f"Below tier '{PRECISE_AREAS.value}' rolled up to provinces (admin-1)."))
    languages = fields.List(fields.String(), metadata=shown_to("languages"))
    website = fields.String(allow_none=True, metadata=shown_to("website"))
    publishes_reach = fields.Boolean(metadata=shown_to(
        "publishes_reach", "A network that publishes its reach has a public reach view of its coverage."))
    networks = fields.List(PublicId(), metadata=shown_to("networks", "Networks it is an active member of."))
    contacts = fields.List(fields.Nested(ContactSchema), metadata=shown_to(
        "contacts", "Only contacts made public; the others through the logged contacts read."))
    sex_worker_involvement = fields.String(metadata=shown_to("sex_worker_involvement"))
    drop_in_centres = fields.Integer(allow_none=True, metadata=shown_to("drop_in_centres"))
    public_listing = fields.Boolean(metadata=shown_to("public_listing"))
    published_fields = fields.List(fields.String(), metadata=shown_to(
        "published_fields", "The fields the public sees besides name, kind, country and status."))
    registered_by_id = PublicId(allow_none=True, metadata=shown_to("registered_by_id"))
    created_at = fields.DateTime(metadata=shown_to("created_at"))
    updated_at = fields.DateTime(metadata=shown_to("updated_at"))
    memberships = fields.List(fields.Nested(MembershipBriefSchema), metadata=shown_to("memberships"))
    visibility = fields.Enum(Visibility, by_value=True, metadata={
        "description": "The tier the caller reads this organisation at."})

    @pre_dump
    def _visible(self, seen: Seen, **_kw: Any) -> dict[str, Any]:
        return seen.profile


class ProfileSchema(Schema):
    """The profile fields an editor may change (registry.organisations.rules.PROFILE_FIELDS)."""

    name = Text(validate=validate.Length(min=1, max=300))
    name_translations = fields.Dict(keys=Text(validate=validate.Length(max=3)),
                                    values=Text(validate=validate.Length(min=1, max=300)))
    acronym = Text(allow_none=True, validate=validate.Length(max=30))
    founding_date = Text(allow_none=True, metadata={
        "description": "YYYY, YYYY-MM or YYYY-MM-DD", "pattern": PARTIAL_DATE_RULE.pattern})
    sex_worker_led = fields.Enum(SexWorkerLed, by_value=True, allow_none=True)
    sex_worker_involvement = Text(multiline=True, validate=validate.Length(max=5000))
    populations = fields.List(Text(validate=validate.Length(max=64)), validate=validate.Length(max=100))
    services = fields.List(Text(validate=validate.Length(max=64)), validate=validate.Length(max=100))
    priority_areas = fields.List(Text(validate=validate.Length(max=64)), validate=validate.Length(max=100))
    areas_served = fields.List(Text(validate=validate.Length(max=64)), validate=validate.Length(max=500), metadata={
        "description": "Area codes (GET /areas lists them) or places as people write them, in any script "
                       "('ខណ្ឌចំការមន', 'tỉnh Bắc Ninh'); stored and answered as codes. An ambiguous name is "
                       "refused with the candidates."})
    languages = fields.List(Text(validate=validate.Length(max=3)), validate=validate.Length(max=50))
    drop_in_centres = WholeNumber(allow_none=True, validate=validate.Range(0, 10_000))
    website = Text(allow_none=True, validate=validate.Length(max=300))
    public_listing = fields.Boolean(metadata={"description": "List the organisation publicly (public fields only)."})
    published_fields = fields.List(
        fields.String(validate=validate.OneOf(PUBLISHABLE_FIELDS)), validate=validate.Length(
            max=len(PUBLISHABLE_FIELDS)), metadata={"description": (
                "The fields the public sees once the organisation is listed, besides its name (with "
                "translations and acronym), kind, country, status and the contacts it made public; "
                "the whole list, replacing the one before. Each is the organisation's own choice: "
                "only its editor (or, for a network, its own secretariat) may add one, a secretariat "
                f"above it may only take one away. A new organisation publishes {', '.join(DEFAULT_PUBLISHED)}. "
                + " ".join(f"{field}: {what}." for field, what in PUBLISHING.items()))})
    publishes_reach = fields.Boolean(metadata={"description": (
        "Networks only: publish the network's reach, the number of its active members (listed "
        "or not) in each province or country, with small counts withheld.")})


class ProfileChangeSchema(ProfileSchema):
    """Profile fields to change; `kind` and `country` are for secretariats only."""

    kind = fields.Enum(OrganisationKind, by_value=True)
    country = Text(allow_none=True, validate=validate.Length(equal=2))


class RegistrationSchema(ProfileChangeSchema):
    network_id = PublicId(required=True, metadata={
        "description": "The network registering the organisation; it joins that network's subtree."})
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    name = Text(required=True, validate=validate.Length(min=1, max=300))


# What Swagger UI's "Try it out" sends as given: clearly sample data, real codes, terms of the seeds.
PROFILE_EXAMPLE = {
    "name": "Sample CBO 07", "name_translations": {"vi": "Nhóm mẫu 07"}, "acronym": "SCBO7",
    "founding_date": "2015-03", "sex_worker_led": "yes",
    "sex_worker_involvement": "Sample: founded and run by sex workers; two of three staff are sex workers.",
    "populations": ["female-sex-workers", "entertainment-workers"], "services": ["drop-in-centre", "outreach"],
    "priority_areas": ["health", "violence"], "areas_served": ["VN-HN", "tỉnh Bắc Ninh"], "languages": ["vi"],
    "drop_in_centres": 1, "website": "https://sample-cbo-07.example.org", "public_listing": True,
    "published_fields": ["priority_areas", "areas_served", "networks"],
}
# Only the organisation itself publishes more than its priority areas (README, "Publishing").
REGISTRATION_EXAMPLE = {"network_id": EXAMPLE_ID, "kind": "community_organisation", "country": "VN",
                        **{k: v for k, v in PROFILE_EXAMPLE.items() if k not in ("public_listing", "published_fields")},
                        "name": "Sample CBO 90", "acronym": "SCBO90", "name_translations": {"vi": "Nhóm mẫu 90"}}
STATUS_EXAMPLE = {"status": "dormant", "reason": "Sample: no activity reported since the last annual meeting."}


class StatusChangeSchema(Schema):
    status = fields.Enum(OrganisationStatus, by_value=True, required=True,
                         metadata={"description": "delisted removes it from lists and unpublishes it."})
    reason = Text(required=True, multiline=True, validate=validate.Length(min=1, max=2000))


class OrganisationQuery(PageQuery):
    q = Text(validate=validate.Length(max=200), metadata={
        "description": "Words of the name, acronym or a translation; accents are ignored."})
    priority_area = Text(validate=validate.Length(max=64))
    population = Text(validate=validate.Length(max=64))
    service = Text(validate=validate.Length(max=64))
    area = Text(validate=validate.Length(max=64), metadata={
        "description": "An area code; a province also finds organisations serving its districts."})
    country = Text(validate=validate.Length(equal=2))
    status = fields.Enum(OrganisationStatus, by_value=True,
                         metadata={"description": "Default: every status but delisted."})
    kind = fields.Enum(OrganisationKind, by_value=True)
    network_id = PublicId(metadata={"description": "Active members of this network (its public id)."})
    sort = fields.String(load_default="name", validate=validate.OneOf(list(SORTS)))


assert set(ProfileSchema._declared_fields) == set(PROFILE_FIELDS)
assert set(ProfileChangeSchema._declared_fields) == set(PROFILE_FIELDS) | set(ADMIN_FIELDS)


@blp.route("/organisations")
@blp.access(None)
@blp.arguments(OrganisationQuery, location="query")
@blp.response(200, page_of(OrganisationSchema))
def list_organisations(args: dict[str, Any]) -> Page[Seen]:
    """Find organisations"""
    page, page_size = args.pop("page"), args.pop("page_size")
    query = DirectoryQuery(text=args.pop("q", None), **args)
    return directory.search(database.session(), current_actor(), query, page=page, page_size=page_size)


@blp.route("/organisations", methods=["POST"])
@blp.access(Permission.REGISTER_ORGANISATION, "the secretariat of the registering network or of a network above it")
@blp.etag
@blp.arguments(RegistrationSchema, example=REGISTRATION_EXAMPLE)
@blp.response(201, OrganisationSchema)
def register(body: dict[str, Any]) -> tuple[Seen, dict[str, str]]:
    """Register an organisation"""
    session, actor = database.session(), current_actor()
    network_id = body.pop("network_id")
    network = referenced("network_id", lambda: directory.find_network(session, actor, network_id))
    organisation = organisations.register_organisation(session, actor, network=network, **body)
    blp.set_etag(organisation)
    location = url_for(".read", organisation_id=organisation.public_id)
    return directory.show(session, actor, organisation), {"Location": location}


@blp.route(ORGANISATION)
@blp.access(None)
@blp.etag
@blp.response(200, OrganisationSchema)
def read(organisation_id: str) -> Seen:
    """Read an organisation's profile"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    blp.set_etag(organisation)
    return directory.show(session, actor, organisation)


@blp.route(ORGANISATION, methods=["PATCH"])
@blp.access(Permission.EDIT_PROFILE, EDITORS + "; editors change only profile fields")
@blp.etag
@blp.arguments(ProfileChangeSchema, required=False, example={  # every field optional
    key: PROFILE_EXAMPLE[key] for key in ("acronym", "areas_served", "drop_in_centres", "published_fields")})
@blp.response(200, OrganisationSchema)
def update(changes: dict[str, Any], organisation_id: str) -> Seen:
    """Update an organisation's profile"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    blp.check_etag(organisation)
    organisations.update_profile(session, actor, organisation, changes)
    blp.set_etag(organisation)
    return directory.show(session, actor, organisation)


@blp.route(ORGANISATION + "/status", methods=["PUT"])
@blp.access(Permission.ADMINISTER_ORGANISATION, SECRETARIAT)
@blp.etag
@blp.arguments(StatusChangeSchema, example=STATUS_EXAMPLE)
@blp.response(200, OrganisationSchema)
def set_status(body: dict[str, Any], organisation_id: str) -> Seen:
    """Mark an organisation active, dormant or delisted"""
    session, actor = database.session(), current_actor()
    organisation = directory.find_organisation(session, actor, organisation_id)
    blp.check_etag(organisation)
    organisations.set_status(session, actor, organisation, body["status"], reason=body["reason"])
    blp.set_etag(organisation)
    return directory.show(session, actor, organisation)
