"""The contact key file and its rotation: created once for every process, never silently
replaced while contacts need it, and rotated so that the old key can then be dropped."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from sqlalchemy import select

from registry.access import contact_keys
from registry.organisations import services as organisations
from registry.access.models import AuditEntry
from registry.access.contact_keys import KeyFile
from registry.access.contact_reads import read_contacts
from registry.errors import Conflict, NotFound
from registry.organisations.models import Contact
from registry.access.sealing import KeysUnavailable, key_id_of, use_keys
from tests.factories import SYSTEM, secretariat

VALUES = ("desk@example.org", "+84 24 3999 1234", "the back door")


@pytest.fixture
def key_file(session, tmp_path):
    """A key file of the test's own, so that rotating it leaves the run's keys alone."""
    keys = KeyFile(tmp_path / "instance" / "contact-keys.json")
    use_keys(session, keys)
    return keys


@pytest.fixture
def cbo(session, key_file, vnsw, make_org, member_of):
    group = make_org(vnsw, name="Rotating group")
    member_of(vnsw, group)
    for kind, value in zip(("email", "phone", "postal"), VALUES, strict=True):
        organisations.add_contact(session, SYSTEM, group, kind=kind, value=value, visibility="secretariat")
    session.flush()
    return group


def stored_keys(session):
    return {(key_id_of(sealed), key_id_of(index))
            for sealed, index in session.execute(select(Contact.sealed_value, Contact.value_index))}


def test_the_key_file_is_made_on_first_use_readable_by_its_owner_only(session, key_file):
    assert not key_file.path.exists()
    ring = key_file.ring(session)
    assert stat.S_IMODE(os.stat(key_file.path).st_mode) == 0o600
    assert KeyFile(key_file.path).ring(session) == ring  # another process reads the same keys


def test_processes_creating_the_key_file_at_once_agree_on_one_ring(tmp_path):
    path = tmp_path / "contact-keys.json"
    rings, start = [], threading.Barrier(8)

    def create():
        start.wait()
        rings.append(KeyFile(path).load_or_create())

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(rings) == 8 and all(ring == rings[0] for ring in rings)
    assert [p.name for p in tmp_path.iterdir()] == ["contact-keys.json"]  # no scratch file left


def test_a_lost_key_file_is_not_replaced_while_contacts_need_it(session, key_file, cbo):
    key_file.path.unlink()
    fresh = KeyFile(key_file.path)
    with pytest.raises(KeysUnavailable, match="restore the key file from its backup"):
        fresh.ring(session)
    assert not key_file.path.exists()


def test_rotation_reseals_every_value_and_the_old_key_can_then_be_dropped(session, key_file, cbo, vnsw):
    old = key_file.ring(session)
    before = {c.id: c.sealed_value for c in cbo.contacts}
    rotation = contact_keys.rotate(session, SYSTEM, key_file)
    ring = KeyFile(key_file.path).ring(session)  # what every other process now reads
    assert rotation.key_id == ring.current != old.current and rotation.resealed == len(VALUES)
    assert rotation.retired == [old.current]
    assert stored_keys(session) == {(ring.current, old.current_index)}
    session.expire_all()
    assert all(c.sealed_value != before[c.id] for c in cbo.contacts)
    logged = session.scalars(select(AuditEntry).where(AuditEntry.action == "rotate_contact_key")).one()
    assert logged.changes["key"] == [old.current, ring.current]

    contact_keys.drop_key(session, key_file, old.current)
    assert old.current not in KeyFile(key_file.path).ring(session).keys
    assert sorted(c.value for c in read_contacts(session, secretariat(vnsw), cbo)) == sorted(VALUES)


def test_rotating_the_index_key_recomputes_every_index_and_matches_still_work(session, key_file, cbo):
    old = key_file.ring(session)
    rotation = contact_keys.rotate(session, SYSTEM, key_file, index_key=True)
    assert rotation.index_key_id not in (None, old.current_index)
    assert stored_keys(session) == {(rotation.key_id, rotation.index_key_id)}
    assert set(rotation.retired) == {old.current, old.current_index}
    session.expire_all()
    assert organisations.has_contact(session, cbo, "email", "DESK@example.org")
    with pytest.raises(Conflict):
        organisations.add_contact(session, SYSTEM, cbo, kind="phone", value="+84 (24) 3999-1234")


def test_a_key_still_in_use_or_current_is_not_dropped(session, key_file, cbo):
    old = key_file.ring(session)
    with pytest.raises(Conflict, match="current key"):
        contact_keys.drop_key(session, key_file, old.current)
    ring = old.with_new_key()
    key_file.save(ring)  # a new key, before anything was resealed under it
    with pytest.raises(Conflict, match="3 contact value"):
        contact_keys.drop_key(session, key_file, old.current)
    with pytest.raises(NotFound):
        contact_keys.drop_key(session, key_file, "00000000")
    uses = {(u.key_id, u.purpose): (u.current, u.in_ring, u.values) for u in contact_keys.keys_in_use(session, ring)}
    assert uses == {(ring.current, "sealing"): (True, True, 0), (old.current, "sealing"): (False, True, 3),
                    (old.current_index, "index"): (True, True, 3)}
