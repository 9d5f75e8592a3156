"""The organisations' tables and what they are made of: kinds, statuses, tiers, the profile field lists."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.access.public_ids import PublicId, PubliclyNamed, new_public_id
from registry.db import Base, Code, Name, str_enum, utcnow
from registry.vocabularies.models import Term, Vocabulary


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
    # Random and made here, so it tells apart the rows of one INSERT: SQLite's RETURNING then
    # hands a flush's new ids back for many rows at once (insertmanyvalues' sentinel).
    public_id: Mapped[str] = mapped_column(PublicId, default=new_public_id, unique=True, index=True,
                                           insert_sentinel=True)
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
    # The public-tier fields the organisation shows the public (PUBLISHABLE_FIELDS' order).
    published_fields: Mapped[list[str]] = mapped_column(default=lambda: list(DEFAULT_PUBLISHED))
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
        # The few networks among a network's many members (coverage's networks_counted).
        Index("ix_organisations_kind", "kind"),
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

    def profile(self, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """Every profile and admin field as plain values: what the audit log compares. Given
        `fields`, only those: a change that touches neither terms nor areas loads neither."""
        wanted = (*PROFILE_FIELDS, *ADMIN_FIELDS) if fields is None else tuple(fields)
        terms = self.terms if any(f in TERM_FIELDS for f in wanted) else []
        areas = [link.area_code for link in self.area_links] if "areas_served" in wanted else []
        return profile_of(lambda f: getattr(self, f), terms, areas, fields=wanted)


class Contact(PubliclyNamed, Base):
    """A contact of an organisation. Its value is kept sealed (registry.access.sealing) and the row has
    no attribute that holds it in the clear: only `open_contacts` opens it, for a permitted read."""

    __tablename__ = "contacts"
    # One contact once per organisation and kind, decided on the blind index (see migration 0007).
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "value_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    sealed_value: Mapped[str] = mapped_column(Text)  # v1:<key id>:<nonce and ciphertext>
    value_index: Mapped[str] = mapped_column(String(64))  # <index key id>:<HMAC>: equality without opening
    label: Mapped[str] = mapped_column(String(100), default="")
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.SECRETARIAT)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")

    def audited(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "visibility": self.visibility}


class SealedContact(Protocol):
    """A Contact, or a row of its columns."""

    id: int
    public_id: str
    organisation_id: int
    kind: ContactKind
    sealed_value: str
    label: str
    visibility: Visibility


@dataclass(frozen=True)
class ContactView:
    """A contact as it leaves the registry: `value` opened for a permitted read, or as its writer
    just gave it, or None (a change that left the value alone opens nothing)."""

    public_id: str
    kind: ContactKind
    value: str | None
    label: str
    visibility: Visibility


# What an organisation's own editor may change (the property-level allow-list).
PROFILE_FIELDS = (
    "name", "name_translations", "acronym", "founding_date", "sex_worker_led",
    "sex_worker_involvement", "populations", "services", "priority_areas", "areas_served",
    "languages", "drop_in_centres", "website", "public_listing", "published_fields", "publishes_reach",
)


# The public-tier fields an organisation chooses, one by one, to show the public once it is
# listed (registry.access.visibility decides with them). The rest of the public tier is always shown:
# id, kind, name (with its translations and acronym), country, status and is_sample identify
# the record; each contact carries its own tier. "networks": the networks it is a member of,
# which also decides whether it shows in their public member lists and maps.
PUBLISHABLE_FIELDS = (
    "founding_date", "sex_worker_led", "populations", "services", "priority_areas", "areas_served",
    "languages", "website", "networks",
)


# What a new listing shows of these until the organisation chooses otherwise: privacy first,
# as "sex-worker-led", populations or places can say who its staff are where sex work is a crime.
DEFAULT_PUBLISHED = ("priority_areas",)
# What only a secretariat (or the system) may change.
ADMIN_FIELDS = ("kind", "country")
# The profile fields that hold vocabulary terms.
TERM_FIELDS = {"priority_areas": Vocabulary.PRIORITY_AREA, "populations": Vocabulary.POPULATION,
               "services": Vocabulary.SERVICE}


def profile_of(value_of: Callable[[str], Any], terms: list[Term], area_codes: list[str], *,
               fields: Iterable[str] = (*PROFILE_FIELDS, *ADMIN_FIELDS)) -> dict[str, Any]:
    """Every profile and admin field (or those of `fields`) as plain values: what the audit log compares."""
    return {f: term_codes(terms, TERM_FIELDS[f]) if f in TERM_FIELDS else sorted(area_codes)
            if f == "areas_served" else value_of(f) for f in fields}


def term_codes(terms: list[Term], vocabulary: Vocabulary) -> list[str]:
    """The codes of one vocabulary's terms, in the vocabulary's order (not the database's)."""
    chosen = sorted((t for t in terms if t.vocabulary is vocabulary), key=lambda t: (t.position, t.code))
    return [t.code for t in chosen]
