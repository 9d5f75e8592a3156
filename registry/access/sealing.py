"""Contacts sealed at rest: a seized server or a leaked backup of the database hands over no
contact without keys that the database never holds.

A contact's value is sealed with AES-256-GCM (`cryptography`'s AEAD): a random 96-bit nonce per
value, and associated data naming the value's place, its organisation and visibility tier, so
that a sealed value copied into another organisation's row, or a self-only row switched to
public in the database, does not open. The stored form names how it was sealed,
"v1:<key id>:<nonce and ciphertext, base64>", so that keys can rotate: a KeyRing has one
current key that seals and keeps older ones for opening until every value is resealed.

Equality (is this e-mail already a contact of this organisation?) is answered without opening
anything by a blind index: HMAC-SHA256, under an index key of its own, of the normalised value
together with its organisation and kind. Scoped to the organisation, equal indexes do not tell a
reader of the database that two organisations share a contact.

A session carries the ring it seals and opens with (`use_keys`), set where the session is made
(a request, a command, a test); a session without one refuses to seal or open.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from registry.organisations.models import ContactView, SealedContact

FORMAT = "v1"
KEY_BYTES = 32  # AES-256, and as many for the index's HMAC-SHA256
NONCE_BYTES = 12  # GCM's 96 bits, random per value: 2^32 values under one key stay far below a collision
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")
_KEYS = "registry.sealing.keys"


class ContactKeysError(Exception):
    """Contacts cannot be sealed or opened here: a fault of the installation, never of the caller.
    The message is for the operator and never holds a contact's value."""


class KeysUnavailable(ContactKeysError):
    """No key ring, or not the key a value was sealed with."""


class SealBroken(ContactKeysError):
    """A sealed value does not open with its key in its place: altered, or moved from another row."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by id: `current` seals, the others open what they sealed until it is resealed;
    `current_index` computes blind indexes, the others match what they computed."""

    keys: Mapping[str, bytes]
    current: str
    index_keys: Mapping[str, bytes]
    current_index: str
    _aead: dict[str, AESGCM] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for keys, current in ((self.keys, self.current), (self.index_keys, self.current_index)):
            if current not in keys:
                raise ValueError(f"the current key {current!r} is not in the ring")
            for key_id, key in keys.items():
                if not _KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                    raise ValueError(f"key {key_id!r}: ids are 8 hex digits and keys {KEY_BYTES} bytes")
        if set(self.keys) & set(self.index_keys):
            raise ValueError("a key id names both a sealing key and an index key")
        self._aead.update((key_id, AESGCM(key)) for key_id, key in self.keys.items())

    @classmethod
    def generate(cls) -> KeyRing:
        ids = _new_ids(set(), 2)
        return cls({ids[0]: os.urandom(KEY_BYTES)}, ids[0], {ids[1]: os.urandom(KEY_BYTES)}, ids[1])

    def ring(self, session: Session) -> KeyRing:
        """A ring is its own source (see KeySource): tests and scripts attach one as it is."""
        return self

    def with_new_key(self, *, index: bool = False) -> KeyRing:
        """The ring with a new current sealing key (or, with `index`, index key); the old one stays
        for opening (matching) until it is dropped."""
        key_id = _new_ids(set(self.keys) | set(self.index_keys), 1)[0]
        if index:
            return KeyRing(self.keys, self.current, {**self.index_keys, key_id: os.urandom(KEY_BYTES)}, key_id)
        return KeyRing({**self.keys, key_id: os.urandom(KEY_BYTES)}, key_id, self.index_keys, self.current_index)

    def without(self, key_id: str) -> KeyRing:
        if key_id in (self.current, self.current_index):
            raise ValueError(f"key {key_id} is current; rotate first")
        return KeyRing({k: v for k, v in self.keys.items() if k != key_id}, self.current,
                       {k: v for k, v in self.index_keys.items() if k != key_id}, self.current_index)

    def to_json(self) -> str:
        def encoded(keys: Mapping[str, bytes]) -> dict[str, str]:
            return {key_id: base64.b64encode(key).decode() for key_id, key in sorted(keys.items())}

        return json.dumps({"format": 1, "sealing": {"current": self.current, "keys": encoded(self.keys)},
                           "index": {"current": self.current_index, "keys": encoded(self.index_keys)}}, indent=1)

    @classmethod
    def from_json(cls, text: str, *, source: str) -> KeyRing:
        """A ring written by `to_json`; `source` names where it came from in the error."""
        try:
            document = json.loads(text)
            if document.get("format") != 1:
                raise ValueError("unknown format")
            sealing, index = document["sealing"], document["index"]
            return cls({k: base64.b64decode(v, validate=True) for k, v in sealing["keys"].items()},
                       sealing["current"],
                       {k: base64.b64decode(v, validate=True) for k, v in index["keys"].items()}, index["current"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as wrong:
            raise KeysUnavailable(f"{source} is not a contact key ring ({wrong})") from None

    # The primitives: only the contact functions below use them.
    def _seal(self, plaintext: str, place: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current].encrypt(nonce, plaintext.encode(), place.encode())
        return f"{FORMAT}:{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def _unseal(self, stored: str, place: str, what: str) -> str:
        version, key_id, body = _parts(stored, what)
        if version != FORMAT:
            raise SealBroken(f"{what} is not sealed in a form this registry knows ({version!r})")
        aead = self._aead.get(key_id)
        if aead is None:
            raise KeysUnavailable(f"{what} is sealed with key {key_id}, which the key ring does not hold "
                                  f"(it holds {', '.join(sorted(self.keys))}): restore the key file that has it")
        try:
            raw = base64.urlsafe_b64decode(body)
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], place.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise SealBroken(f"{what} does not open with key {key_id} in its place: it was altered, or moved "
                             "from another row") from None

    def _index(self, text: str, key_id: str) -> str:
        digest = hmac.digest(self.index_keys[key_id], text.encode(), "sha256")
        return f"{key_id}:{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


class KeySource(Protocol):
    """Where a session gets its ring: a KeyRing itself, or a key file read when it changes."""

    def ring(self, session: Session) -> KeyRing: ...


def use_keys(session: Session, source: KeySource) -> Session:
    """Let `session` seal and open contacts with the ring `source` gives."""
    session.info[_KEYS] = source
    return session


def ring_of(session: Session) -> KeyRing:
    source = session.info.get(_KEYS)
    if source is None:
        raise KeysUnavailable("this session has no contact key ring: give it one where it is made "
                              "(registry.sealing.use_keys)")
    return source.ring(session)


class Sealed(NamedTuple):
    """A contact value as stored: sealed, its blind index under the current index key, and its
    indexes under every index key of the ring (to match rows not yet reindexed)."""

    value: str
    index: str
    indexes: frozenset[str]


def contact_place(organisation_id: int, visibility: Any) -> str:
    """The associated data binding a sealed contact to its organisation and tier."""
    return f"contact:{organisation_id}:{visibility}"


def seal_contact(ring: KeyRing, organisation_id: int, kind: Any, visibility: Any, value: str) -> Sealed:
    sealed = ring._seal(value, contact_place(organisation_id, visibility))
    return Sealed(sealed, *_indexes(ring, organisation_id, kind, value))


def open_contact(ring: KeyRing, organisation_id: int, visibility: Any, sealed: str, *, contact_id: Any) -> str:
    """A contact's value. Only open_contacts (below) calls this, for the
    permitted reads."""
    return ring._unseal(sealed, contact_place(organisation_id, visibility),
                        f"contact {contact_id} of organisation {organisation_id}")


def reseal_contact(ring: KeyRing, sealed: str, *, organisation_id: int, visibility: Any, kind: Any,
                   new_visibility: Any = None, contact_id: Any = None) -> Sealed:
    """The value sealed again under the current key, for its (new) tier, with its indexes: the
    value itself never leaves this module (a key rotation, a contact made public)."""
    value = ring._unseal(sealed, contact_place(organisation_id, visibility),
                         f"contact {contact_id} of organisation {organisation_id}")
    target = visibility if new_visibility is None else new_visibility
    return seal_contact(ring, organisation_id, kind, target, value)


def is_value(ring: KeyRing, sealed: str, *, organisation_id: int, visibility: Any, value: str,
             contact_id: Any = None) -> bool:
    """Whether the sealed value is exactly `value` (a change that rewrites it unchanged is no change)."""
    return ring._unseal(sealed, contact_place(organisation_id, visibility),
                        f"contact {contact_id} of organisation {organisation_id}") == value


def contact_indexes(ring: KeyRing, organisation_id: int, kind: Any, value: str) -> frozenset[str]:
    """The blind indexes `value` would have as a contact of this kind, under every index key."""
    return _indexes(ring, organisation_id, kind, value)[1]


def key_id_of(stored: str) -> str:
    """The key a sealed value (v1:<id>:...) or a blind index (<id>:...) was made with."""
    parts = stored.split(":", 2)
    return parts[1] if parts[0] == FORMAT and len(parts) == 3 else parts[0]


def normalised(kind: Any, value: str) -> str:
    """The form equality is decided on: e-mails ignore case, phone numbers everything but their
    digits, other kinds case and runs of spaces."""
    text = " ".join(unicodedata.normalize("NFC", value).split()).casefold()
    if str(kind) == "phone":
        digits = "".join(ch for ch in text if ch.isdigit())
        return digits or text
    return text


def _indexes(ring: KeyRing, organisation_id: int, kind: Any, value: str) -> tuple[str, frozenset[str]]:
    text = f"contact:{organisation_id}:{kind}:{normalised(kind, value)}"
    current = ring._index(text, ring.current_index)
    if len(ring.index_keys) == 1:
        return current, frozenset((current,))
    return current, frozenset(ring._index(text, key_id) for key_id in ring.index_keys)


def _parts(stored: str, what: str) -> tuple[str, str, str]:
    parts = stored.split(":", 2)
    if len(parts) != 3:
        raise SealBroken(f"{what} is not a sealed value")
    return parts[0], parts[1], parts[2]


def _new_ids(taken: set[str], count: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        key_id = os.urandom(4).hex()
        if key_id not in taken and key_id not in ids:
            ids.append(key_id)
    return ids


def open_contacts(session: Session, contacts: Iterable[SealedContact]) -> list[ContactView]:
    """The contacts with their values opened: the one way a value leaves the registry, called
    only by the permitted reads (registry.access.contact_reads: the logged read; registry.access.visibility:
    the contacts an organisation published). A value that does not open raises."""
    contacts = list(contacts)
    if not contacts:
        return []
    ring = ring_of(session)
    return [ContactView(c.public_id, c.kind, open_contact(ring, c.organisation_id, c.visibility, c.sealed_value,
                                                           contact_id=c.id), c.label, c.visibility)
            for c in contacts]
