"""The contacts' key ring as an operator keeps it: a file outside the database, created on first
use and read again whenever it changes.

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.organisations import Contact
from registry.sealing import KeyRing, KeysUnavailable


class KeyFile:
    """A key ring kept in a file (mode 0600), as a KeySource for sessions (registry.sealing)."""

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
