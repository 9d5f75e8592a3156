"""Contacts sealed at rest: a value sealed in its place opens only there, equal contacts have
equal blind indexes, and a key ring survives its file form."""

from __future__ import annotations

import pytest

from registry.sealing import KeyRing, KeysUnavailable, SealBroken, contact_indexes, normalised, open_contact, seal_contact


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
