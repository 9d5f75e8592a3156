"""Reading an organisation's contacts, and the log of every such read.

Contacts can put people in danger where sex work is criminalised, so they reach only the
organisation itself and the secretariats above it, and each read is written down: who, when,
which organisation, which contacts. Public contacts shown in the profile are not logged.
Contacts are kept sealed (registry.access.sealing); a read here is one of the two places that opens
them, the profile's published contacts (registry.access.visibility) the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.access.models import ContactRead
from registry.access.permissions import Actor, Lineage, Permission, can, require
from registry.access.public_ids import by_public_id
from registry.access.sealing import open_contacts
from registry.access.visibility import reader_for, visible_contacts
from registry.db import Page, in_chunks, page_of_query
from registry.errors import N_, NotFound
from registry.networks.directory import find_organisation
from registry.organisations.models import Contact, ContactView, Organisation, Visibility


def read_contacts(session: Session, actor: Actor, organisation: Organisation) -> list[ContactView]:
    """Every contact the caller may see, opened, and logged as a read."""
    return read_contacts_of(session, actor, [organisation])[organisation.id]


def read_contacts_of(session: Session, actor: Actor, organisations: Sequence[Organisation], *,
                     lineage: Lineage | None = None) -> dict[int, list[ContactView]]:
    """`read_contacts` of many organisations (an export's rows), by organisation id: each checked
    and logged as one read of its own, the contacts read in one query and the log written in one
    statement. `lineage`: the networks above them, already read for the lot."""
    for organisation in organisations:
        require(session, actor, Permission.READ_CONTACTS, organisation.id, lineage=lineage)
    reader = reader_for(session, actor)
    reader.remember(o.id for o in organisations)
    stored: dict[int, list[Contact]] = {o.id: [] for o in organisations}
    for chunk in in_chunks(sorted(stored)):
        for contact in session.scalars(select(Contact).where(Contact.organisation_id.in_(chunk)).order_by(Contact.id)):
            stored[contact.organisation_id].append(contact)
    found = {o.id: open_contacts(session, visible_contacts(reader.tier(o), stored[o.id], including_private=True))
             for o in organisations}
    if found:  # the log in one statement: nobody asks for its rows' ids
        session.execute(insert(ContactRead), [
            {"actor": actor.label, "actor_role": actor.role.value, "token_id": actor.token_id,
             "organisation_id": oid, "contact_ids": [c.public_id for c in contacts]}
            for oid, contacts in found.items()])
    return found


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
        raise NotFound(N_("no such contact"))
    return contact
