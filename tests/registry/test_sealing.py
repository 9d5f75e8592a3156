"""Contacts sealed at rest: what a reader of the database (a seized server, a leaked backup)
finds, what a permitted read opens, and what happens when a value or a key is not what it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.organisations import services as organisations
from registry.access.contact_reads import read_contacts
from registry.organisations.models import Contact, Organisation
from registry.access.sealing import (
    KeyRing, KeysUnavailable, SealBroken, contact_indexes, normalised, open_contact, ring_of, seal_contact, use_keys
)
from registry.access.profiles import profile_view
from registry.access.visibility import reader_for
from tests.factories import SYSTEM, editor, secretariat


@pytest.fixture
def two(session, vnsw, make_org, member_of):
    first = make_org(vnsw, name="First group", public_listing=True)
    second = make_org(vnsw, name="Second group", public_listing=True)
    for member in (first, second):
        member_of(vnsw, member)
    return first, second


def stored_row(session: Session, contact: Contact):
    session.flush()
    return session.execute(select(Contact.sealed_value, Contact.value_index).where(Contact.id == contact.id)).one()


def test_a_value_is_stored_sealed_in_a_self_describing_form(session, two):
    first, _ = two
    ring = ring_of(session)
    contact = organisations.add_contact(session, SYSTEM, first, kind="phone", value="+84 24 3999 1234")
    sealed, index = stored_row(session, contact)
    version, key_id, body = sealed.split(":")
    assert (version, key_id) == ("v1", ring.current) and "3999" not in sealed and len(body) > 30
    assert index.startswith(ring.current_index + ":") and "3999" not in index
    again = organisations.add_contact(session, SYSTEM, two[1], kind="phone", value="+84 24 3999 1234")
    other_sealed, other_index = stored_row(session, again)
    # The same number in two organisations: nothing in the database says it is the same.
    assert other_sealed != sealed and other_index != index


def test_a_permitted_read_opens_what_was_sealed(session, two):
    first, _ = two
    organisations.add_contact(session, SYSTEM, first, kind="postal", value="12 Ngõ Huế, back door", visibility="self")
    assert [c.value for c in read_contacts(session, editor(first), first)] == ["12 Ngõ Huế, back door"]


def test_a_value_moved_to_another_organisation_does_not_open(session, two, vnsw):
    first, second = two
    secret = organisations.add_contact(session, SYSTEM, first, kind="email", value="desk@example.org")
    decoy = organisations.add_contact(session, SYSTEM, second, kind="email", value="other@example.org")
    session.flush()
    session.execute(update(Contact).where(Contact.id == decoy.id).values(sealed_value=secret.sealed_value))
    session.expire_all()
    with pytest.raises(SealBroken, match=f"contact {decoy.id} of organisation {second.id} does not open"):
        read_contacts(session, secretariat(vnsw), second)


def test_a_self_only_value_switched_to_public_in_the_database_does_not_open(session, two):
    first, _ = two
    own = organisations.add_contact(session, SYSTEM, first, kind="postal", value="the back door", visibility="self")
    session.flush()
    session.execute(update(Contact).where(Contact.id == own.id).values(visibility="public"))
    session.expire_all()
    with pytest.raises(SealBroken, match="altered, or moved"):
        profile_view(session, reader_for(session, SYSTEM), first)


def test_a_wrong_or_missing_key_is_a_clear_error(session, two, vnsw):
    first, _ = two
    organisations.add_contact(session, SYSTEM, first, kind="email", value="desk@example.org")
    use_keys(session, KeyRing.generate())
    with pytest.raises(KeysUnavailable, match="sealed with key [0-9a-f]{8}, which the key ring does not hold"):
        read_contacts(session, secretariat(vnsw), first)
    without = Session(bind=session.connection())
    found = without.get(Organisation, first.id)
    with pytest.raises(KeysUnavailable, match="no contact key ring"):
        read_contacts(without, secretariat(vnsw), found)
    with pytest.raises(KeysUnavailable, match="no contact key ring"):
        organisations.add_contact(without, SYSTEM, found, kind="email", value="new@example.org")


def test_a_contact_made_public_is_resealed_for_its_new_tier_and_opens_in_the_profile(session, two):
    first, _ = two
    contact = organisations.add_contact(session, SYSTEM, first, kind="email", value="desk@example.org")
    before = contact.sealed_value
    organisations.update_contact(session, SYSTEM, contact, {"visibility": "public"})
    assert contact.sealed_value != before
    shown = profile_view(session, reader_for(session, SYSTEM), first)["contacts"]
    assert [c.value for c in shown] == ["desk@example.org"]


def test_changing_a_value_to_a_contact_the_organisation_has_is_refused(session, two):
    from registry.errors import Conflict

    first, _ = two
    organisations.add_contact(session, SYSTEM, first, kind="email", value="desk@example.org")
    other = organisations.add_contact(session, SYSTEM, first, kind="email", value="office@example.org")
    with pytest.raises(Conflict, match="already has this email"):
        organisations.update_contact(session, SYSTEM, other, {"value": "DESK@example.org"})
    unchanged = organisations.update_contact(session, SYSTEM, other, {"value": "office@example.org"})
    assert unchanged is other


@pytest.mark.parametrize(("kind", "a", "b"), [("email", "Desk@Example.org", " desk@example.ORG"),
                                              ("phone", "+84 (24) 3999-1234", "+84 24 3999 1234"),
                                              ("postal", "12  Ngõ Huế", "12 ngõ huế")])
def test_equal_contacts_have_equal_indexes_and_nothing_else_does(kind, a, b):
    ring = KeyRing.generate()
    assert normalised(kind, a) == normalised(kind, b)
    assert contact_indexes(ring, 1, kind, a) == contact_indexes(ring, 1, kind, b)
    assert contact_indexes(ring, 1, kind, a) != contact_indexes(ring, 2, kind, a)
    assert contact_indexes(ring, 1, kind, a) != contact_indexes(ring, 1, "other", a)
    assert contact_indexes(ring, 1, kind, a) != contact_indexes(KeyRing.generate(), 1, kind, a)


def test_each_sealing_takes_a_fresh_nonce_and_opens_only_in_its_place():
    ring = KeyRing.generate()
    one, two = (seal_contact(ring, 7, "email", "secretariat", "desk@example.org") for _ in range(2))
    assert one.value != two.value and one.index == two.index
    assert open_contact(ring, 7, "secretariat", one.value, contact_id=1) == "desk@example.org"
    for organisation_id, tier in ((8, "secretariat"), (7, "public")):
        with pytest.raises(SealBroken):
            open_contact(ring, organisation_id, tier, one.value, contact_id=1)
    tampered = one.value[:-4] + ("AAAA" if not one.value.endswith("AAAA") else "BBBB")
    with pytest.raises(SealBroken):
        open_contact(ring, 7, "secretariat", tampered, contact_id=1)


def test_a_key_ring_round_trips_through_its_file_form_and_refuses_garbage():
    ring = KeyRing.generate().with_new_key().with_new_key(index=True)
    again = KeyRing.from_json(ring.to_json(), source="test")
    assert again == ring
    with pytest.raises(KeysUnavailable, match="is not a contact key ring"):
        KeyRing.from_json('{"format": 1, "sealing": {}}', source="the file")
