"""The contact key file: created once for every process, never silently replaced while contacts
need it."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from registry import organisations
from registry.contact_keys import KeyFile
from registry.sealing import KeysUnavailable, use_keys
from tests.factories import SYSTEM

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
