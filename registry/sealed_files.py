"""Files sealed with a passphrase, written and read as streams: backups hold contacts, so they
never lie on a disk in the clear.

The passphrase becomes a 256-bit key through scrypt; the content is cut into chunks, each
sealed with AES-256-GCM (the `cryptography` library) under a nonce made of a random prefix,
the chunk's number and a flag on the last chunk (the STREAM construction, as age and Tink
use it), so chunks cannot be reordered, dropped or cut off unnoticed. The header (format,
scrypt settings, salt, what the caller records in it) is bound to every chunk as associated
data: it can be read without the passphrase, but not changed.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Iterator
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from registry.errors import ValidationFailed

MAGIC = b"SW-REGISTRY-SEALED\x00\x01"
CHUNK = 1 << 20
TAG = 16
PREFIX = 7
# scrypt at 2^17 x 8 costs about 128 MB and a fraction of a second, once per file.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
_CHECK_NONCE = b"\xff" * 5  # the counter no chunk reaches: the passphrase check's nonce
_MAX_HEADER = 64 * 1024


def seal(source: BinaryIO, target: BinaryIO, passphrase: str, meta: dict[str, Any]) -> None:
    """Write `source`, sealed, to `target`, with `meta` readable (not secret) in the header."""
    salt, prefix = os.urandom(16), os.urandom(PREFIX)
    settings = {"format": 1, "kdf": "scrypt", **SCRYPT, "salt": _b64(salt), "nonce_prefix": _b64(prefix),
                "chunk": CHUNK, "meta": meta}
    aead = AESGCM(_key(passphrase, salt, SCRYPT))
    header = json.dumps(settings, sort_keys=True).encode()
    bound = MAGIC + struct.pack(">I", len(header)) + header
    check = aead.encrypt(prefix + _CHECK_NONCE, b"passphrase check", bound)
    target.write(bound + check)
    number, chunk = 0, source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        target.write(aead.encrypt(_nonce(prefix, number, last), chunk, bound))
        if last:
            return
        number, chunk = number + 1, following


def read_meta(sealed: BinaryIO) -> dict[str, Any]:
    """What the writer recorded in the header, without the passphrase; leaves `sealed` after it."""
    return _header(sealed)[0]["meta"]


def unseal(sealed: BinaryIO, target: BinaryIO, passphrase: str) -> dict[str, Any]:
    """Write the content of `sealed` to `target` and answer its header's meta. Refuses a wrong
    passphrase before writing anything, and a damaged or cut-off file by the chunk that shows
    it: a caller writes to a scratch file and uses it only once this returned."""
    settings, bound = _header(sealed)
    aead = AESGCM(_key(passphrase, base64.b64decode(settings["salt"]),
                       {k: settings[k] for k in ("n", "r", "p")}))
    prefix = base64.b64decode(settings["nonce_prefix"])
    check = sealed.read(len(b"passphrase check") + TAG)
    if len(check) < len(b"passphrase check") + TAG:
        raise ValidationFailed.on("backup", "the file is cut short (it ends in its header); use another copy")
    try:
        aead.decrypt(prefix + _CHECK_NONCE, check, bound)
    except InvalidTag:
        raise ValidationFailed.on("passphrase", "the passphrase does not open this backup") from None
    size = settings["chunk"] + TAG
    for number, (block, last) in enumerate(_blocks(sealed, size)):
        try:
            target.write(aead.decrypt(_nonce(prefix, number, last), block, bound))
        except InvalidTag:
            raise ValidationFailed.on("backup", "the file is damaged or cut short (its part "
                                                f"{number + 1} does not check out); use another copy") from None
    return settings["meta"]


def _header(sealed: BinaryIO) -> tuple[dict[str, Any], bytes]:
    start = sealed.read(len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or not start.startswith(MAGIC):
        raise ValidationFailed.on("backup", "the file is not a registry backup")
    (length,) = struct.unpack(">I", start[len(MAGIC):])
    header = sealed.read(length) if length <= _MAX_HEADER else b""
    try:
        settings = json.loads(header)
        if settings["format"] != 1 or settings["kdf"] != "scrypt":
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed.on("backup", "the file is not a registry backup, or is damaged") from None
    return settings, start + header


def _blocks(sealed: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """Each sealed chunk with whether it is the file's last (the writer always writes one)."""
    block = sealed.read(size)
    if not block:
        raise ValidationFailed.on("backup", "the file is cut short (it ends after its header); use another copy")
    while True:
        following = sealed.read(size)
        yield block, not following
        if not following:
            return
        block = following


def _key(passphrase: str, salt: bytes, cost: dict[str, int]) -> bytes:
    if not passphrase:
        raise ValidationFailed.on("passphrase", "a backup needs a passphrase")
    return Scrypt(salt=salt, length=32, n=cost["n"], r=cost["r"], p=cost["p"]).derive(passphrase.encode())


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", number) + (b"\x01" if last else b"\x00")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
