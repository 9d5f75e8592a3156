"""Organisations: community organisations and the networks they form, and their profiles.

Registration, profile updates, contacts and status go through the functions here; each checks
the actor's permission, validates every value before touching the row (so a refusal writes
nothing) and records the change in the audit log.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from registry import audit
from registry.db import Base, Code, Name, str_enum, utcnow
from registry.errors import NotFound, NotPermitted, ValidationFailed
from registry.organisation_rules import (
    ADMIN_FIELDS,
    PROFILE_FIELDS,
    check_name_free,
    storable,
    validate_profile,
)
from registry.permissions import Actor, Permission, Role, ancestor_network_ids, can, require
from registry.vocabularies import Term, Vocabulary


class OrganisationKind(enum.StrEnum):
    COMMUNITY_ORGANISATION = "community_organisation"
    NATIONAL_NETWORK = "national_network"
    REGIONAL_NETWORK = "regional_network"
    GLOBAL_NETWORK = "global_network"


NETWORK_KINDS = frozenset(
    {OrganisationKind.NATIONAL_NETWORK, OrganisationKind.REGIONAL_NETWORK, OrganisationKind.GLOBAL_NETWORK}
)


class SexWorkerLed(enum.StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class OrganisationStatus(enum.StrEnum):
    ACTIVE = "active"
    DORMANT = "dormant"  # exists, but has not been heard from
    DELISTED = "delisted"  # removed from the registry's lists by a secretariat; kept for history


class Visibility(enum.StrEnum):
    """Who may read a value: each tier includes the ones after it (SELF sees everything)."""

    PUBLIC = "public"
    NETWORK = "network"
    BOARD = "board"
    SECRETARIAT = "secretariat"
    SELF = "self"


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    MESSENGER = "messenger"
    POSTAL = "postal"
    OTHER = "other"


# Contacts reach only the organisation itself and its networks' secretariats, unless the
# organisation chose to publish one.
CONTACT_TIERS = frozenset({Visibility.PUBLIC, Visibility.SECRETARIAT, Visibility.SELF})


class OrganisationTerm(Base):
    __tablename__ = "organisation_terms"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), primary_key=True, index=True)


class OrganisationArea(Base):
    __tablename__ = "organisation_areas"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(Code, primary_key=True, index=True)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    name: Mapped[str] = mapped_column(Name)
    name_key: Mapped[str] = mapped_column(Name, index=True)  # fold(name): duplicate checks
    name_translations: Mapped[dict[str, str]] = mapped_column(default=dict)
    acronym: Mapped[str | None] = mapped_column(String(30))
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded names: free-text search
    country: Mapped[str | None] = mapped_column(String(2))
    founding_date: Mapped[str | None] = mapped_column(String(10))  # YYYY, YYYY-MM or YYYY-MM-DD
    sex_worker_led: Mapped[SexWorkerLed | None] = mapped_column(str_enum(SexWorkerLed))
    sex_worker_involvement: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(default=list)
    drop_in_centres: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(300))
    public_listing: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OrganisationStatus] = mapped_column(
        str_enum(OrganisationStatus), default=OrganisationStatus.ACTIVE
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    terms: Mapped[list[Term]] = relationship(secondary="organisation_terms", order_by=Term.position)
    area_links: Mapped[list[OrganisationArea]] = relationship(
        cascade="all, delete-orphan", order_by=OrganisationArea.area_code
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="Contact.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The directory's list by country, in name order (a page stops after its rows), and
        # its count (status and listing answered from the index). See migration 0004.
        Index("ix_organisations_country_name", "country", "name_key", "id"),
        Index("ix_organisations_country_listing", "country", "status", "public_listing"),
    )

    @property
    def is_network(self) -> bool:
        return self.kind in NETWORK_KINDS

    @property
    def listed_publicly(self) -> bool:
        """What anonymous readers may see: opted in to the public listing, and active."""
        return self.public_listing and self.status is OrganisationStatus.ACTIVE

    # Term and area lists are sets; they are always given in one canonical order (vocabulary
    # position, area code) computed here, not by database collation, which differs per engine.
    def codes(self, vocabulary: Vocabulary) -> list[str]:
        chosen = sorted((t for t in self.terms if t.vocabulary is vocabulary), key=lambda t: (t.position, t.code))
        return [t.code for t in chosen]

    @property
    def priority_areas(self) -> list[str]:
        return self.codes(Vocabulary.PRIORITY_AREA)

    @property
    def populations(self) -> list[str]:
        return self.codes(Vocabulary.POPULATION)

    @property
    def services(self) -> list[str]:
        return self.codes(Vocabulary.SERVICE)

    @property
    def areas_served(self) -> list[str]:
        return sorted(link.area_code for link in self.area_links)

    def profile(self) -> dict[str, Any]:
        """Every profile and admin field as plain values: what the audit log compares."""
        return {f: getattr(self, f) for f in (*PROFILE_FIELDS, *ADMIN_FIELDS)}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    value: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(100), default="")
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.SECRETARIAT)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    def audit_view(self) -> dict[str, Any]:
        # A self-only contact stays out of the log, which secretariats can read.
        value = "(hidden: self only)" if self.visibility is Visibility.SELF else self.value
        return {"kind": self.kind, "value": value, "label": self.label, "visibility": self.visibility}


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} not found")
    return organisation


def register_organisation(
    session: Session,
    actor: Actor,
    *,
    network: Organisation | None,
    kind: OrganisationKind | str,
    name: str,
    is_sample: bool = False,
    **profile: Any,
) -> Organisation:
    """Register an organisation, on behalf of `network` (None: a top-level network, system only)."""
    if network is None:
        if actor.role is not Role.SYSTEM:
            raise NotPermitted("only the registry's operators register top-level networks")
        lineage: set[int] = set()
    else:
        require(session, actor, Permission.REGISTER_ORGANISATION, network.id)
        if not network.is_network:
            raise ValidationFailed.on("network", f"{network.name} is not a network")
        lineage = {network.id} | ancestor_network_ids(session, network.id)
    values = validate_profile(session, None, {"kind": kind, "name": name, **profile}, lineage,
                              fields=(*PROFILE_FIELDS, *ADMIN_FIELDS), creating=True)
    if network is not None:
        check_name_free(session, values["name"], [network.id], exclude_id=None)
    organisation = Organisation(
        registered_by_id=network.id if network else None, is_sample=is_sample, name="", name_key="",
        name_translations={}, languages=[], sex_worker_involvement="", public_listing=False,
        status=OrganisationStatus.ACTIVE,
    )
    _apply(organisation, values)
    session.add(organisation)
    session.flush()
    audit.record(session, actor, "register_organisation", organisation,
                 audit.diff({}, organisation.profile()), organisation_id=organisation.id)
    return organisation


def update_profile(
    session: Session, actor: Actor, organisation: Organisation, changes: Mapping[str, Any]
) -> Organisation:
    """Change profile fields. Editors may touch only PROFILE_FIELDS; secretariats also ADMIN_FIELDS."""
    require(session, actor, Permission.EDIT_PROFILE, organisation.id)
    admin = can(session, actor, Permission.ADMINISTER_ORGANISATION, organisation.id)
    allowed = (*PROFILE_FIELDS, *ADMIN_FIELDS) if admin else PROFILE_FIELDS
    forbidden = sorted(set(changes) - set(allowed))
    if forbidden:
        known = set(PROFILE_FIELDS) | set(ADMIN_FIELDS)
        fields = {f: ["not a field an organisation's editor may change" if f in known
                      else "unknown field"] for f in forbidden}
        raise ValidationFailed(f"cannot change: {', '.join(forbidden)}", fields=fields)
    lineage = {organisation.id} if organisation.is_network else set()
    lineage |= ancestor_network_ids(session, organisation.id)
    values = validate_profile(session, organisation, dict(changes), lineage, fields=allowed)
    if "name" in values and values["name"] != organisation.name:
        check_name_free(session, values["name"], sorted(ancestor_network_ids(session, organisation.id)),
                        exclude_id=organisation.id)
    before = organisation.profile()
    _apply(organisation, values)
    changed = audit.diff(before, organisation.profile())
    if changed:
        organisation.updated_at = utcnow()
        audit.record(session, actor, "update_profile", organisation, changed,
                     organisation_id=organisation.id)
    return organisation


def set_status(
    session: Session, actor: Actor, organisation: Organisation, status: OrganisationStatus, *, reason: str
) -> Organisation:
    """Mark an organisation active, dormant or delisted (secretariat only); delisting also unpublishes."""
    require(session, actor, Permission.ADMINISTER_ORGANISATION, organisation.id)
    status = OrganisationStatus(status)
    if not reason.strip():
        raise ValidationFailed.on("reason", "say why the status changes")
    if status is organisation.status:
        return organisation
    changes: audit.Changes = {"status": [organisation.status, status], "reason": [None, reason]}
    organisation.status = status
    if status is OrganisationStatus.DELISTED and organisation.public_listing:
        organisation.public_listing = False
        changes["public_listing"] = [True, False]
    organisation.updated_at = utcnow()
    audit.record(session, actor, "set_status", organisation, changes, organisation_id=organisation.id)
    return organisation


def add_contact(
    session: Session,
    actor: Actor,
    organisation: Organisation,
    *,
    kind: ContactKind | str,
    value: str,
    label: str = "",
    visibility: Visibility | str = Visibility.SECRETARIAT,
) -> Contact:
    """Add a contact; it reaches only the organisation and its secretariats unless made public."""
    require(session, actor, Permission.EDIT_PROFILE, organisation.id)
    contact = Contact(organisation=organisation, **_contact_values(kind, value, label, visibility))
    session.add(contact)
    organisation.updated_at = utcnow()
    audit.record(session, actor, "add_contact", contact, audit.diff({}, contact.audit_view()),
                 organisation_id=organisation.id)
    return contact


def update_contact(
    session: Session, actor: Actor, contact: Contact, changes: Mapping[str, Any]
) -> Contact:
    require(session, actor, Permission.EDIT_PROFILE, contact.organisation_id)
    unknown = sorted(set(changes) - {"kind", "value", "label", "visibility"})
    if unknown:
        raise ValidationFailed(f"unknown contact field(s): {', '.join(unknown)}",
                               fields={f: ["unknown field"] for f in unknown})
    current = {"kind": contact.kind, "value": contact.value, "label": contact.label,
               "visibility": contact.visibility}
    values = _contact_values(**{**current, **changes})
    before = contact.audit_view()
    for key, value in values.items():
        setattr(contact, key, value)
    changed = audit.diff(before, contact.audit_view())
    if changed:
        contact.organisation.updated_at = utcnow()
        audit.record(session, actor, "update_contact", contact, changed,
                     organisation_id=contact.organisation_id)
    return contact


def remove_contact(session: Session, actor: Actor, contact: Contact) -> None:
    require(session, actor, Permission.EDIT_PROFILE, contact.organisation_id)
    audit.record(session, actor, "remove_contact", contact, audit.diff(contact.audit_view(), {}),
                 organisation_id=contact.organisation_id)
    contact.organisation.updated_at = utcnow()
    session.delete(contact)
    session.flush()


def _contact_values(kind: Any, value: str, label: str, visibility: Any) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    try:
        kind = ContactKind(kind)
    except ValueError:
        problems["kind"] = [f"one of: {', '.join(k.value for k in ContactKind)}"]
    try:
        visibility = Visibility(visibility)
        if visibility not in CONTACT_TIERS:
            raise ValueError
    except ValueError:
        problems["visibility"] = ["contacts are public, secretariat or self only"]
    value = (value or "").strip()
    if not value or len(value) > 300:
        problems["value"] = ["give a value of 1 to 300 characters"]
    elif not storable(value):
        problems["value"] = ["contains control characters or invalid code points"]
    if len(label or "") > 100:
        problems["label"] = ["at most 100 characters"]
    elif not storable(label or ""):
        problems["label"] = ["contains control characters or invalid code points"]
    if problems:
        raise ValidationFailed.of("the contact", problems)
    return {"kind": kind, "value": value, "label": (label or "").strip(), "visibility": visibility}


def _apply(organisation: Organisation, values: Mapping[str, Any]) -> None:
    """Write validated values onto the row (terms and areas arrive as resolved objects)."""
    from registry.names import fold

    term_fields = {"priority_areas": Vocabulary.PRIORITY_AREA, "populations": Vocabulary.POPULATION,
                   "services": Vocabulary.SERVICE}
    for key, value in values.items():
        if key in term_fields:
            vocabulary = term_fields[key]
            kept = [t for t in organisation.terms if t.vocabulary is not vocabulary]
            organisation.terms = kept + list(value)
        elif key == "areas_served":
            existing = {link.area_code: link for link in organisation.area_links}
            organisation.area_links = [existing.get(c) or OrganisationArea(area_code=c) for c in value]
        else:
            setattr(organisation, key, value)
    organisation.name_key = fold(organisation.name)
    parts = [organisation.name, organisation.acronym or "", *organisation.name_translations.values()]
    organisation.search_text = " | ".join(fold(p) for p in parts if p)
