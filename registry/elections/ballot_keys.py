"""The keys that seal ballots while voting is open: one key pair per election, its public half
in the database, its private half in a folder outside it, read once by the count and then
destroyed.

A ballot is sealed at casting with the election's public key (libsodium's sealed box, through
PyNaCl: an ephemeral X25519 key per ballot, XSalsa20-Poly1305), so what the database, its
write-ahead log, its snapshots and backups hold during voting is a box nobody can open without
the private key. The private key is written, readable by its owner only, to the folder the
registry is given (by default the instance folder's `election-keys`, see api/settings.py), never
to the database; the count opens every box, and once the count is committed the key file is
overwritten and removed, so the boxes copied into old backups or WAL stay shut for good.

A session carries the folder it uses (`use_ballot_keys`), set where the session is made (a
request, a command, a test), as it carries the contact keys (registry/access/sealing.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.errors import N_, Conflict

_FOLDER = "registry.elections.ballot_keys"
_PENDING = "registry.elections.ballot_keys.pending"


class BallotKeyFolder:
    """Private ballot keys as files `election-<id>.key`, one per election, mode 0600."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _file(self, election_id: int) -> Path:
        return self.path / f"election-{int(election_id)}.key"

    def create(self, election_id: int) -> str:
        """A fresh key pair for an election whose voting opens: the private key goes to its file
        (replacing one left by an opening that was not committed); returns the public key, hex."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = PrivateKey.generate()
        target, partial = self._file(election_id), self._file(election_id).with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(bytes(private).hex())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
        return bytes(private.public_key).hex()

    def opener(self, election_id: int) -> SealedBox:
        """What opens the election's ballots; refused plainly when the key is not here."""
        try:
            private = PrivateKey(bytes.fromhex(self._file(election_id).read_text(encoding="ascii").strip()))
        except FileNotFoundError:
            # The message reaches API callers: it names no integer key (the file's name is the
            # operator's business).
            raise Conflict(N_("the private ballot key of this election is not in %(path)s: count where the "
                              "key is kept, or cancel the election"), params={"path": str(self.path)}) from None
        return SealedBox(private)

    def destroy(self, election_id: int) -> None:
        """Overwrite the key file and remove it. (A copy-on-write or journalling file system may
        keep the old blocks: keep the folder on storage that is not backed up or snapshotted.)"""
        target = self._file(election_id)
        if not target.exists():
            return
        with open(target, "r+b") as out:
            size = out.seek(0, os.SEEK_END)
            out.seek(0)
            out.write(b"\0" * size)
            out.flush()
            os.fsync(out.fileno())
        target.unlink()


def use_ballot_keys(session: Session, folder: BallotKeyFolder) -> Session:
    """Let `session` open voting (make a key) and count (open the ballots) with `folder`."""
    session.info[_FOLDER] = folder
    return session


def ballot_keys(session: Session) -> BallotKeyFolder:
    folder = session.info.get(_FOLDER)
    if folder is None:
        raise Conflict(N_("no folder for the private ballot keys is set up here, so voting cannot open "
                          "and ballots cannot be counted (registry.elections.ballot_keys.use_ballot_keys)"))
    return folder


def seal(public_key: str, plaintext: bytes) -> bytes:
    return SealedBox(PublicKey(bytes.fromhex(public_key))).encrypt(plaintext)


def unseal(opener: SealedBox, box: bytes) -> bytes:
    try:
        return opener.decrypt(box)
    except CryptoError:
        raise Conflict(N_("a sealed ballot does not open with this election's key: it was altered or "
                          "put there by someone else; do not count")) from None


def destroy_once_committed(session: Session, election_id: int) -> None:
    """Destroy the election's private key after this transaction commits, and only then: a
    count rolled back must still find it."""
    folder = ballot_keys(session)
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = set()

        def destroy(_session: Session) -> None:
            while pending:
                folder.destroy(pending.pop())

        event.listen(session, "after_commit", destroy)
        event.listen(session, "after_rollback", lambda _session: pending.clear())
    pending.add(election_id)
