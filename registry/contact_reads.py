"""Reading an organisation's contacts, and the log of every such read.

Contacts can put people in danger where sex work is criminalised, so they reach only the
organisation itself and the secretariats above it, and each read is written down: who, when,
which organisation, which contacts. Public contacts shown in the profile are not logged.
Contacts are kept sealed (registry.sealing); a read here is one of the two places that opens
them, the profile's published contacts (registry.visibility) the other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.db import Base, Code, JSONDocument, Page, page_of_query, utcnow
from registry.directory import find_organisation
from registry.errors import NotFound
from registry.organisations import Contact, ContactView, Organisation, Visibility, open_contacts
from registry.permissions import Actor, Permission, can, require
from registry.public_ids import PubliclyNamed, by_public_id
from registry.visibility import reader_for, visible_contacts


class ContactRead(PubliclyNamed, Base):
    __tablename__ = "contact_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(Code)
    token_id: Mapped[int | None]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_ids: Mapped[list[str]] = mapped_column(JSONDocument, default=list)  # public ids


def read_contacts(session: Session, actor: Actor, organisation: Organisation) -> list[ContactView]:
    """Every contact the caller may see, opened, and logged as a read."""
    require(session, actor, Permission.READ_CONTACTS, organisation.id)
    tier = reader_for(session, actor).tier(organisation)
    contacts = open_contacts(session, visible_contacts(tier, organisation.contacts, including_private=True))
    session.add(ContactRead(actor=actor.label, actor_role=actor.role.value, token_id=actor.token_id,
                            organisation_id=organisation.id, contact_ids=[c.public_id for c in contacts]))
    session.flush()
    return contacts


def reads_of(session: Session, actor: Actor, organisation: Organisation, *, page: int,
             page_size: int) -> Page[ContactRead]:
    """Who read the organisation's contacts, newest first: for the organisation and its secretariats."""
    require(session, actor, Permission.READ_CONTACTS, organisation.id)
    query = select(ContactRead).where(ContactRead.organisation_id == organisation.id) \
        .order_by(ContactRead.id.desc())
    return page_of_query(session, query, page, page_size)


def find_contact(session: Session, actor: Actor, organisation_id: str, contact_id: str) -> Contact:
    """One contact of a visible organisation, named by its public id, to change or remove (its
    value stays sealed); NotFound unless the caller may read it, the same for a malformed id."""
    organisation = find_organisation(session, actor, organisation_id)
    contact = by_public_id(session, Contact, contact_id)
    if contact is None or contact.organisation_id != organisation.id or (
        contact.visibility is not Visibility.PUBLIC
        and not can(session, actor, Permission.READ_CONTACTS, organisation.id)
    ):
        raise NotFound("no such contact")
    return contact
