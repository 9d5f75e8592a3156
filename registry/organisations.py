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

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from registry import audit
from registry.batch import Batch
from registry.db import Base, Code, Name, str_enum, utcnow
from registry.errors import NotFound, NotPermitted, ValidationFailed
from registry.known import Known
from registry.organisation_rules import (
    ADMIN_FIELDS,
    PROFILE_FIELDS,
    TERM_FIELDS,
    check_name_free,
    contact_audit_view,
    contact_values,
    new_columns,
    profile_of,
    search_keys,
    term_codes,
    validate_profile,
)
from registry.permissions import Actor, Permission, Role, can, require
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
    # A network's choice to publish its reach: how many of its members, listed or not, work in
    # each province (small counts withheld). Never set for a community organisation.
    publishes_reach: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
        return term_codes(self.terms, vocabulary)

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
        return profile_of(lambda f: getattr(self, f), self.terms, [link.area_code for link in self.area_links])


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
        return contact_audit_view(self.kind, self.value, self.label, self.visibility)


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
    values = _check_registration(session, actor, network, {"kind": kind, "name": name, **profile}, Known(session))
    columns, terms, area_codes = new_columns(values, network, is_sample)
    organisation = Organisation(**columns)
    organisation.terms = terms
    organisation.area_links = [OrganisationArea(area_code=c) for c in area_codes]
    session.add(organisation)
    session.flush()
    audit.record(session, actor, "register_organisation", organisation,
                 audit.diff({}, organisation.profile()), organisation_id=organisation.id)
    return organisation


def register_in_batch(
    batch: Batch, known: Known, *, network: Organisation, kind: OrganisationKind | str, name: str,
    is_sample: bool = False, **profile: Any,
) -> int:
    """register_organisation for an import: checked alike, written with the batch; its
    provisional id."""
    values = _check_registration(batch.session, batch.actor, network, {"kind": kind, "name": name, **profile},
                                 known)
    columns, terms, area_codes = new_columns(values, network, is_sample)
    organisation_id = batch.insert(Organisation, **columns)
    for term in terms:
        batch.add(OrganisationTerm, organisation_id=organisation_id, term_id=term.id)
    for code in area_codes:
        batch.add(OrganisationArea, organisation_id=organisation_id, area_code=code)
    known.assume(organisation_id, columns["name"], registered_by=network.id)
    batch.record("register_organisation", Organisation, organisation_id,
                 audit.diff({}, profile_of(columns.get, terms, area_codes)), organisation_id=organisation_id)
    return organisation_id


def _check_registration(
    session: Session, actor: Actor, network: Organisation | None, values: dict[str, Any], known: Known
) -> dict[str, Any]:
    if network is None:
        if actor.role is not Role.SYSTEM:
            raise NotPermitted("only the registry's operators register top-level networks")
        lineage: set[int] = set()
    else:
        require(session, actor, Permission.REGISTER_ORGANISATION, network.id, lineage=known.lineage)
        if not network.is_network:
            raise ValidationFailed.on("network", f"{network.name} is not a network")
        lineage = {network.id} | known.lineage.of(network.id)
    values = validate_profile(session, None, values, lineage, fields=(*PROFILE_FIELDS, *ADMIN_FIELDS),
                              creating=True, known=known)
    if network is not None:
        check_name_free(session, values["name"], [network.id], exclude_id=None, known=known)
    return values


def update_profile(
    session: Session, actor: Actor, organisation: Organisation, changes: Mapping[str, Any], *,
    known: Known | None = None,
) -> Organisation:
    """Change profile fields. Editors may touch only PROFILE_FIELDS; secretariats also ADMIN_FIELDS."""
    known = known or Known(session)
    require(session, actor, Permission.EDIT_PROFILE, organisation.id, lineage=known.lineage)
    admin = can(session, actor, Permission.ADMINISTER_ORGANISATION, organisation.id, lineage=known.lineage)
    allowed = (*PROFILE_FIELDS, *ADMIN_FIELDS) if admin else PROFILE_FIELDS
    forbidden = sorted(set(changes) - set(allowed))
    if forbidden:
        known = set(PROFILE_FIELDS) | set(ADMIN_FIELDS)
        fields = {f: ["not a field an organisation's editor may change" if f in known
                      else "unknown field"] for f in forbidden}
        raise ValidationFailed(f"cannot change: {', '.join(forbidden)}", fields=fields)
    lineage = {organisation.id} if organisation.is_network else set()
    lineage |= known.lineage.of(organisation.id)
    values = validate_profile(session, organisation, dict(changes), lineage, fields=allowed, known=known)
    if "name" in values and values["name"] != organisation.name:
        check_name_free(session, values["name"], sorted(known.lineage.of(organisation.id)),
                        exclude_id=organisation.id, known=known)
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
    known: Known | None = None,
) -> Contact:
    """Add a contact; it reaches only the organisation and its secretariats unless made public."""
    require(session, actor, Permission.EDIT_PROFILE, organisation.id, lineage=known.lineage if known else None)
    contact = Contact(organisation=organisation, **contact_values(kind, value, label, visibility))
    session.add(contact)
    organisation.updated_at = utcnow()
    audit.record(session, actor, "add_contact", contact, audit.diff({}, contact.audit_view()),
                 organisation_id=organisation.id)
    return contact


def add_contact_in_batch(
    batch: Batch, known: Known, organisation_id: int, *, kind: ContactKind | str, value: str, label: str = "",
    visibility: Visibility | str = Visibility.SECRETARIAT,
) -> int:
    """add_contact for an organisation of the same batch, not yet written; its provisional id."""
    require(batch.session, batch.actor, Permission.EDIT_PROFILE, organisation_id, lineage=known.lineage)
    values = contact_values(kind, value, label, visibility)
    contact_id = batch.insert(Contact, organisation_id=organisation_id, **values)
    organisation = batch.row(organisation_id)
    # Written one at a time, the organisation would be written again for this, counting a version.
    organisation.update(updated_at=utcnow(), version=organisation.get("version", 1) + 1)
    batch.record("add_contact", Contact, contact_id, audit.diff({}, contact_audit_view(**values)),
                 organisation_id=organisation_id)
    return contact_id


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
    values = contact_values(**{**current, **changes})
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


def _apply(organisation: Organisation, values: Mapping[str, Any]) -> None:
    """Write validated values onto the row (terms and areas arrive as resolved objects). A value
    that is already there is left alone, so that an unchanged row gives its flush nothing to do
    (a re-imported spreadsheet is mostly unchanged rows)."""
    for key, value in values.items():
        if key in TERM_FIELDS:
            vocabulary = TERM_FIELDS[key]
            kept = [t for t in organisation.terms if t.vocabulary is not vocabulary]
            if set(organisation.terms) != set(kept) | set(value):
                organisation.terms = kept + list(value)
        elif key == "areas_served":
            existing = {link.area_code: link for link in organisation.area_links}
            if set(existing) != set(value):
                organisation.area_links = [existing.get(c) or OrganisationArea(area_code=c) for c in value]
        elif getattr(organisation, key) != value:
            setattr(organisation, key, value)
    for key, value in search_keys(organisation.name, organisation.acronym, organisation.name_translations).items():
        if getattr(organisation, key) != value:
            setattr(organisation, key, value)
