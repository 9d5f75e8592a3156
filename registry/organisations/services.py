"""Organisations: community organisations and the networks they form, and their profiles.

Registration, profile updates, contacts and status go through the functions here; each checks
the actor's permission, validates every value before touching the row (so a refusal writes
nothing) and records the change in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from registry.access import audit, sealing
from registry.access.permissions import Actor, Permission, can, require
from registry.db import in_chunks, today, utcnow
from registry.errors import N_, Conflict, NotFound, NotPermitted, RegistryError, Said, ValidationFailed
from registry.names import fold
from registry.networks import tree as network_tree
from registry.organisations.known import lookups
from registry.organisations.models import (
    ADMIN_FIELDS, DEFAULT_PUBLISHED, PROFILE_FIELDS, TERM_FIELDS, Contact, ContactKind, ContactView, Organisation,
    OrganisationArea, OrganisationKind, OrganisationStatus, OrganisationTerm, Visibility, profile_of
)
from registry.organisations.rules import (
    check_name_free, contact_changes, contact_value, contact_values, name_taken, new_columns, search_keys,
    validate_profile
)
from registry.rows import defaults, insert_returning_ids, insert_rows
from registry.vocabularies.models import Term


def written(contact: Contact, value: str | None) -> ContactView:
    """What a change returns of a contact: the value only as the caller gave it."""
    return ContactView(contact.public_id, contact.kind, None if value is None else contact_value(value), contact.label,
                       contact.visibility)


def has_contact(session: Session, organisation: Organisation, kind: ContactKind | str, value: str) -> bool:
    """Whether the organisation already has this contact (equal as registry.access.sealing.normalised
    decides), told by blind indexes: nothing is opened."""
    indexes = sealing.contact_indexes(sealing.ring_of(session), organisation.id, ContactKind(kind), value)
    return any(c.kind == kind and c.value_index in indexes for c in organisation.contacts)


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("organisation %(organisation_id)s not found"), params={"organisation_id": organisation_id})
    return organisation


def find_by_reference(session: Session, ref: str) -> Organisation | None:
    """An organisation by public id, integer key, acronym or exact name, for the registry's
    operators, who see every row (real organisations before samples)."""
    query = select(Organisation).where(or_(Organisation.public_id == ref, Organisation.acronym == ref,
                                           Organisation.name == ref))
    if ref.isdigit():
        query = select(Organisation).where(Organisation.id == int(ref))
    return session.scalars(query.order_by(Organisation.is_sample, Organisation.id)).first()


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
    registered = register_organisations(session, actor, network=network, is_sample=is_sample,
                                        profiles=[{"kind": kind, "name": name, **profile}])
    return registered[0]  # type: ignore[return-value]  # refusals raise when no `refused` is given


# A registration's refusal, for a caller that registers many and hears of each (index, error).
Refused = Callable[[int, RegistryError], None]


def register_organisations(
    session: Session,
    actor: Actor,
    *,
    network: Organisation | None,
    profiles: Sequence[Mapping[str, Any]],
    is_sample: bool = False,
    refused: Refused | None = None,
) -> list[Organisation | None]:
    """Register many organisations on behalf of one network (each profile holds its kind and
    name): every one is checked, then they are written together (one flush, their links in the
    network tree in one statement). Without `refused` the first refusal raises and nothing is
    written; with it each refused profile is told to it (by index), left out, and None stands in
    its place. Two profiles of one name in the network: the second is refused."""
    known = lookups(session)
    made: list[Organisation | None] = []
    names: dict[str, str] = {}  # the folded names the profiles before took in the network
    checked: list[tuple[int, dict[str, Any], list[Term], list[str]]] = []
    for index, profile in enumerate(profiles):
        try:
            values = _check_registration(session, actor, network, dict(profile))
            if network is not None and fold(values["name"]) in names:
                raise name_taken(names[fold(values["name"])])
        except RegistryError as error:
            if refused is None:
                raise
            refused(index, error)
            made.append(None)
            continue
        columns, terms, area_codes = new_columns(values, network, is_sample)
        names[columns["name_key"]] = columns["name"]
        checked.append((index, columns, terms, area_codes))
        made.append(None)
    if not checked:
        return made
    for (index, _, _, _), organisation in zip(checked, _insert(session, checked), strict=True):
        made[index] = organisation
        # It has none yet: contacts added next (an import's) look here for duplicates, not in SQL.
        set_committed_value(organisation, "contacts", [])
    new = [o for o in made if o is not None]
    network_tree.link_new(session, [(o.id, o.registered_by_id) for o in new], on=today())
    for organisation, (_, _, terms, area_codes) in zip(new, checked, strict=True):
        known.registered(organisation, actor)
        profile = profile_of(lambda f: getattr(organisation, f), terms, area_codes)  # noqa: B023
        audit.record(session, actor, "register_organisation", organisation, audit.diff({}, profile),
                     organisation_id=organisation.id)
    return made


def _insert(session: Session, checked: list[tuple[int, dict[str, Any], list[Term], list[str]]]) -> list[Organisation]:
    """New organisations in one statement each for them, their terms and their areas, written as
    rows (registry.rows); the caller is given them persistent, read back by their ids. Their
    terms and areas are not loaded as objects: the caller has them already (an import's ten
    thousand organisations would each hold two more collections and an object per area, all of
    it walked by the garbage collector, for nothing that reads them); whoever asks for them
    reads them."""
    connection = session.connection()
    fill = _DEFAULTS
    ids = insert_returning_ids(connection, _TABLE, _COLUMNS, [
        tuple([columns[name] if name in columns else fill[name]() for name in _COLUMNS])
        for _, columns, _, _ in checked])
    insert_rows(connection, OrganisationTerm.__table__, ("organisation_id", "term_id"),
                [(new_id, t.id) for new_id, (_, _, terms, _) in zip(ids, checked) for t in terms])
    insert_rows(connection, OrganisationArea.__table__, ("organisation_id", "area_code"),
                [(new_id, c) for new_id, (_, _, _, codes) in zip(ids, checked) for c in codes])
    read: dict[int, Organisation] = {}
    for chunk in in_chunks(ids):
        read.update((o.id, o) for o in session.scalars(select(Organisation).where(Organisation.id.in_(chunk))))
    return [read[new_id] for new_id in ids]


_TABLE = Organisation.__table__
_COLUMNS = tuple(column.name for column in _TABLE.c if column.name != "id")
_DEFAULTS = defaults(_TABLE, _COLUMNS)


def _check_registration(
    session: Session, actor: Actor, network: Organisation | None, values: dict[str, Any]
) -> dict[str, Any]:
    known = lookups(session)
    if network is None:
        # Registering under no network: a top-level one, the operators' alone.
        if not can(session, actor, Permission.REGISTER_ORGANISATION, None):
            raise NotPermitted(N_("only the registry's operators register top-level networks"))
        lineage: set[int] = set()
    else:
        require(session, actor, Permission.REGISTER_ORGANISATION, network.id, lineage=known.lineage)
        if not network.is_network:
            raise ValidationFailed.on("network", N_("%(network)s is not a network"), network=network.name)
        lineage = {network.id} | known.lineage.of(network.id)
    values = validate_profile(session, None, values, lineage, fields=(*PROFILE_FIELDS, *ADMIN_FIELDS),
                              creating=True)
    if not can(session, actor, Permission.PUBLISH_FIELDS, None):
        _check_not_widened(values, DEFAULT_PUBLISHED, publishes_reach=False)
    if network is not None:
        check_name_free(session, actor, values["name"], [network.id], exclude_id=None)
    return values


def update_profile(
    session: Session, actor: Actor, organisation: Organisation, changes: Mapping[str, Any]
) -> Organisation:
    """Change profile fields. Editors may touch only PROFILE_FIELDS; secretariats also ADMIN_FIELDS."""
    known = lookups(session)
    require(session, actor, Permission.EDIT_PROFILE, organisation.id, lineage=known.lineage)
    admin = can(session, actor, Permission.ADMINISTER_ORGANISATION, organisation.id, lineage=known.lineage)
    allowed = (*PROFILE_FIELDS, *ADMIN_FIELDS) if admin else PROFILE_FIELDS
    forbidden = sorted(set(changes) - set(allowed))
    if forbidden:
        named = set(PROFILE_FIELDS) | set(ADMIN_FIELDS)
        fields = {f: [Said(N_("not a field an organisation's editor may change") if f in named
                           else N_("unknown field"))] for f in forbidden}
        raise ValidationFailed(N_("cannot change: %(fields)s"), fields=fields, params={"fields": ", ".join(forbidden)})
    lineage = {organisation.id} if organisation.is_network else set()
    lineage |= known.lineage.of(organisation.id)
    values = validate_profile(session, organisation, dict(changes), lineage, fields=allowed)
    if not can(session, actor, Permission.PUBLISH_FIELDS, organisation.id, lineage=known.lineage):
        _check_not_widened(values, organisation.published_fields, publishes_reach=organisation.publishes_reach)
    if "name" in values and values["name"] != organisation.name:
        # Every network it is tied to, applications included: names in a network are told apart
        # among its applicants too (Known.named then keeps to those the actor may see).
        check_name_free(session, actor, values["name"], sorted(known.structure.of(organisation.id)),
                        exclude_id=organisation.id)
        known.renamed()
    before = organisation.profile(values)
    _apply(organisation, values)
    changed = audit.diff(before, organisation.profile(values))
    if changed:
        organisation.updated_at = utcnow()
        audit.record(session, actor, "update_profile", organisation, changed,
                     organisation_id=organisation.id)
    return organisation


def _check_not_widened(values: Mapping[str, Any], published: Iterable[str], *, publishes_reach: bool) -> None:
    """Only the organisation itself shows the public more of its profile (or, a network, its
    reach); a secretariat above it (or registering it) may only show less."""
    added = sorted(set(values.get("published_fields", ())) - set(published))
    if added:
        raise ValidationFailed.on("published_fields", N_("only the organisation itself may publish more: "
                                                         "%(fields)s is not published now"), fields=", ".join(added))
    if values.get("publishes_reach") and not publishes_reach:
        raise ValidationFailed.on("publishes_reach", N_("only the network itself may choose to publish its reach"))


def set_status(
    session: Session, actor: Actor, organisation: Organisation, status: OrganisationStatus, *, reason: str
) -> Organisation:
    """Mark an organisation active, dormant or delisted (secretariat only); delisting also unpublishes."""
    require(session, actor, Permission.ADMINISTER_ORGANISATION, organisation.id)
    status = OrganisationStatus(status)
    if not reason.strip():
        raise ValidationFailed.on("reason", N_("say why the status changes"))
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
    """Add a contact; it reaches only the organisation and its secretariats unless made public.
    Its value is sealed; the organisation has each contact once."""
    added = add_contacts(session, actor, [(organisation, {"kind": kind, "value": value, "label": label,
                                                          "visibility": visibility})])
    return added[0]  # type: ignore[return-value]  # refusals raise when no `refused` is given


def add_contacts(
    session: Session, actor: Actor, contacts: Sequence[tuple[Organisation, Mapping[str, Any]]], *,
    refused: Refused | None = None,
) -> list[Contact | None]:
    """Add many contacts, (organisation, add_contact's keywords) each, checked one by one and
    written together. Without `refused` the first refusal raises; with it each refused contact
    is told to it (by index) and None stands in its place."""
    known = lookups(session)
    ring = sealing.ring_of(session)
    added: list[Contact | None] = []
    for index, (organisation, given) in enumerate(contacts):
        try:
            require(session, actor, Permission.EDIT_PROFILE, organisation.id, lineage=known.lineage)
            values = contact_values(given["kind"], given["value"], given.get("label", ""),
                                    given.get("visibility", Visibility.SECRETARIAT))
            if has_contact(session, organisation, values["kind"], values["value"]):
                raise _duplicate(values["kind"])
        except RegistryError as error:
            if refused is None:
                raise
            refused(index, error)
            added.append(None)
            continue
        sealed = sealing.seal_contact(ring, organisation.id, values["kind"], values["visibility"], values.pop("value"))
        contact = Contact(organisation=organisation, sealed_value=sealed.value, value_index=sealed.index, **values)
        session.add(contact)
        organisation.updated_at = utcnow()
        audit.record(session, actor, "add_contact", contact, contact_changes(None, values, value_changed=True),
                     organisation_id=organisation.id)
        added.append(contact)
    session.flush()  # the caller is given the contacts with their ids
    return added


def update_contact(
    session: Session, actor: Actor, contact: Contact, changes: Mapping[str, Any]
) -> Contact:
    """Change a contact's kind, value, label or tier. A new value is sealed; a new kind or tier
    reseals the value without it leaving registry.access.sealing."""
    require(session, actor, Permission.EDIT_PROFILE, contact.organisation_id)
    unknown = sorted(set(changes) - {"kind", "value", "label", "visibility"})
    if unknown:
        raise ValidationFailed(N_("unknown contact field(s): %(fields)s"), params={"fields": ", ".join(unknown)},
                               fields={f: [Said(N_("unknown field"))] for f in unknown})
    values = contact_values(**{**contact.audited(), "value": None, **changes})
    value, ring = values.pop("value"), sealing.ring_of(session)
    place = {"organisation_id": contact.organisation_id, "visibility": contact.visibility, "contact_id": contact.id}
    value_changed = value is not None and not sealing.is_value(ring, contact.sealed_value, value=value, **place)
    before = contact.audited()
    if value_changed or values["kind"] != contact.kind or values["visibility"] != contact.visibility:
        if value_changed:
            sealed = sealing.seal_contact(ring, contact.organisation_id, values["kind"], values["visibility"], value)
        else:
            sealed = sealing.reseal_contact(ring, contact.sealed_value, kind=values["kind"],
                                            new_visibility=values["visibility"], **place)
        if any(other is not contact and other.kind == values["kind"] and other.value_index in sealed.indexes
               for other in contact.organisation.contacts):
            raise _duplicate(values["kind"])
        contact.sealed_value, contact.value_index = sealed.value, sealed.index
    for key, new in values.items():
        if getattr(contact, key) != new:
            setattr(contact, key, new)
    changed = contact_changes(before, contact.audited(), value_changed=value_changed)
    if changed:
        contact.organisation.updated_at = utcnow()
        audit.record(session, actor, "update_contact", contact, changed,
                     organisation_id=contact.organisation_id)
    return contact


def remove_contact(session: Session, actor: Actor, contact: Contact) -> None:
    require(session, actor, Permission.EDIT_PROFILE, contact.organisation_id)
    audit.record(session, actor, "remove_contact", contact, contact_changes(contact.audited(), None,
                                                                            value_changed=True),
                 organisation_id=contact.organisation_id)
    contact.organisation.updated_at = utcnow()
    contact.organisation.contacts.remove(contact)
    session.delete(contact)
    session.flush()


def _duplicate(kind: ContactKind) -> Conflict:
    return Conflict(N_("the organisation already has this %(kind)s contact"), params={"kind": kind.value},
                    fields={"value": [Said(N_("already one of the organisation's %(kind)s contacts"),
                                           kind=kind.value)]})


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
