"""The contacts' key ring as an operator keeps it: a file outside the database, created on first
use, read again whenever it changes, and rotated here (`registry contacts rotate-key`).

The file is the only copy of the keys. A backup of the database without it opens no contact,
and losing it loses every contact: it is backed up apart from the database. Several processes
use it at once (gunicorn's workers, a command): it is created once (the first writer wins and
every other process reads what it wrote), replaced whole (never seen half-written), and each
process notices a new version by its file status, so after a rotation the running workers seal
with the new key and open values resealed under it without a restart.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.models import AuditEntry
from registry.access.permissions import Actor
from registry.access.sealing import KeyRing, KeysUnavailable, key_id_of, reseal_contact
from registry.errors import Conflict, NotFound
from registry.organisations.models import Contact


class KeyFile:
    """A key ring kept in a file (mode 0600), as a KeySource for sessions (registry.access.sealing)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._loaded: tuple[tuple[int, int, int], KeyRing] | None = None

    def ring(self, session: Session) -> KeyRing:
        """The ring in the file, created on first use; but never while the database holds sealed
        contacts: then the file was lost or misplaced, and a new key would only hide that."""
        found = self.read()
        if found is not None:
            return found
        if session.scalar(select(Contact.id).limit(1)) is not None:
            raise KeysUnavailable(f"the contact key file {self.path} does not exist, but the database holds "
                                  "sealed contacts: restore the key file from its backup (or name it in "
                                  "REGISTRY_CONTACT_KEYS_FILE)")
        return self.load_or_create()

    def read(self) -> KeyRing | None:
        """The ring in the file (None: no file), read again only when the file changed."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        if self._loaded is None or self._loaded[0] != stamp:
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError as failed:
                raise KeysUnavailable(f"the contact key file {self.path} cannot be read: {failed.strerror}") from None
            self._loaded = (stamp, KeyRing.from_json(text, source=f"the contact key file {self.path}"))
        return self._loaded[1]

    def load_or_create(self) -> KeyRing:
        """The ring in the file, or a new one written there if there is no file yet. Two processes
        creating it at once agree: the file appears whole or not at all (a hard link of a
        finished file), and the one that finds it taken reads the other's."""
        found = self.read()
        if found is not None:
            return found
        ring = KeyRing.generate()
        scratch = self._write_scratch(ring)
        try:
            os.link(scratch, self.path)
        except FileExistsError:
            pass
        finally:
            os.unlink(scratch)
        found = self.read()
        assert found is not None
        return found

    def save(self, ring: KeyRing) -> None:
        """Replace the file's ring with `ring`, atomically (call inside `locked`)."""
        scratch = self._write_scratch(ring)
        os.replace(scratch, self.path)
        _sync_directory(self.path.parent)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the key file's lock: one rotation (or key drop) at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write_scratch(self, ring: KeyRing) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, scratch = tempfile.mkstemp(prefix=".contact-keys-", dir=self.path.parent)  # mode 0600
        except OSError as failed:
            raise KeysUnavailable(f"the contact key file {self.path} cannot be written: {failed.strerror}") from None
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(ring.to_json() + "\n")
            out.flush()
            os.fsync(out.fileno())
        return scratch


def _sync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class KeyUse:
    """A key of the ring or of the stored values: what it does, and how many values use it."""

    key_id: str
    purpose: str  # "sealing" or "index"
    current: bool
    in_ring: bool
    values: int


def keys_in_use(session: Session, ring: KeyRing) -> list[KeyUse]:
    """Every key the ring holds or a stored contact names, with how many values use it: a key
    no value uses can leave the ring; a key the ring lacks means contacts that cannot be opened."""
    sealing_use: Counter[str] = Counter()
    index_use: Counter[str] = Counter()
    for sealed, index in session.execute(select(Contact.sealed_value, Contact.value_index)):
        sealing_use[key_id_of(sealed)] += 1
        index_use[key_id_of(index)] += 1
    found = []
    for purpose, keys, current, use in (("sealing", ring.keys, ring.current, sealing_use),
                                        ("index", ring.index_keys, ring.current_index, index_use)):
        for key_id in sorted(set(keys) | set(use), key=lambda k: (k != current, k not in keys, k)):
            found.append(KeyUse(key_id, purpose, key_id == current, key_id in keys, use[key_id]))
    return found


@dataclass(frozen=True)
class Rotation:
    key_id: str  # the new current sealing key
    index_key_id: str | None  # the new current index key, if it rotated too
    resealed: int
    retired: list[str]  # keys no value uses any more: `drop_key` removes them


def rotate(session: Session, actor: Actor, key_file: KeyFile, *, index_key: bool = False) -> Rotation:
    """Put a new current key in the ring (and, with `index_key`, a new index key), then reseal
    every contact under it (and recompute every blind index). The file changes first and keeps
    the old keys, so whatever happens to this transaction, every value still opens; the caller
    commits. The old keys leave the ring with `drop_key` once no value uses them."""
    with key_file.locked():
        old = key_file.ring(session)
        ring = old.with_new_key()
        if index_key:
            ring = ring.with_new_key(index=True)
        key_file.save(ring)
    # Locked: a contact changed meanwhile (made public, say) must not get a value sealed for its
    # old place; such a change waits for this transaction (SQLite: the command holds the write lock).
    rows = session.execute(select(Contact.id, Contact.organisation_id, Contact.kind, Contact.visibility,
                                  Contact.sealed_value).order_by(Contact.id).with_for_update()).all()
    resealed = []
    for row in rows:
        sealed = reseal_contact(ring, row.sealed_value, organisation_id=row.organisation_id,
                                visibility=row.visibility, kind=row.kind, contact_id=row.id)
        resealed.append({"id": row.id, "sealed_value": sealed.value, "value_index": sealed.index})
    if resealed:
        session.execute(update(Contact), resealed)
    changes_made = {"key": [old.current, ring.current]}
    if index_key:
        changes_made["index_key"] = [old.current_index, ring.current_index]
    session.add(AuditEntry(**audit.stored(audit.entry(actor, "rotate_contact_key", "contact_keys", None,
                                                      {**changes_made, "resealed": [None, len(resealed)]},
                                                      organisation_id=None))))
    session.flush()
    retired = [use.key_id for use in keys_in_use(session, ring) if use.in_ring and not use.current and not use.values]
    return Rotation(ring.current, ring.current_index if index_key else None, len(resealed), retired)


def drop_key(session: Session, key_file: KeyFile, key_id: str) -> KeyRing:
    """Remove a key that no stored value uses from the ring (after a rotation)."""
    with key_file.locked():
        ring = key_file.ring(session)
        if key_id not in ring.keys and key_id not in ring.index_keys:
            raise NotFound(f"the key ring has no key {key_id}")
        if key_id in (ring.current, ring.current_index):
            raise Conflict(f"key {key_id} is the current key; rotate first (registry contacts rotate-key)")
        used = sum(use.values for use in keys_in_use(session, ring) if use.key_id == key_id)
        if used:
            raise Conflict(f"{used} contact value(s) still use key {key_id}: rotate again "
                           "(registry contacts rotate-key) before dropping it")
        smaller = ring.without(key_id)
        key_file.save(smaller)
    return smaller
