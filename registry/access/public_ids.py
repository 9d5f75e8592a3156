"""Public ids: how an organisation, a network or a membership is named outside the registry.

Integer keys count rows, so a gap between two listed organisations says how many the caller may
not see. A public id is random (60 bits from `secrets`, Crockford base32), made once at insert
and never reused; the integer keys stay inside the database. Every other row an address or an
answer names (a body, a seat, a term, an election, a nomination, a contact, a token, an audit
entry) takes one through `PubliclyNamed`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O or U
LENGTH = 12
PATTERN = f"^[{ALPHABET}]{{{LENGTH}}}$"
_SHAPE = re.compile(PATTERN)

PublicId = String(LENGTH)


# Every ten bits as their two characters.
_PAIRS = tuple(first + second for first in ALPHABET for second in ALPHABET)
_randbits = secrets.randbits


def new_public_id() -> str:
    # Sixty random bits, ten at a time from a table of pairs, rather than base64's base32 (some
    # Python steps a character): an import makes some 60,000 of these.
    bits = _randbits(60)
    return (_PAIRS[bits >> 50] + _PAIRS[bits >> 40 & 1023] + _PAIRS[bits >> 30 & 1023]
            + _PAIRS[bits >> 20 & 1023] + _PAIRS[bits >> 10 & 1023] + _PAIRS[bits & 1023])


class PubliclyNamed:
    """A model's public id column, made at insert (a bulk insert through the table too) and unique."""

    public_id: Mapped[str] = mapped_column(PublicId, default=new_public_id, unique=True, index=True)


def is_public_id(value: object) -> bool:
    """Whether `value` has a public id's shape (what a lookup may skip the database for)."""
    return isinstance(value, str) and _SHAPE.fullmatch(value) is not None


class Named(Protocol):
    id: Any
    public_id: Any


def public_ids_of(session: Session, model: type[Named], ids: Iterable[Any]) -> dict[int, str]:
    """The public ids of the rows of `model` (organisations, memberships) with these integer keys,
    in one query: to name what a list refers to by integer key."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    if not wanted:
        return {}
    rows = session.execute(select(model.id, model.public_id).where(model.id.in_(wanted)))
    return {row.id: row.public_id for row in rows}


Row = TypeVar("Row", bound=Named)


def by_public_id(session: Session, model: type[Row], public_id: str) -> Row | None:
    """The row with this public id, whoever may see it; None for a malformed one too (no query)."""
    if not is_public_id(public_id):
        return None
    return session.scalar(select(model).where(model.public_id == public_id))


def by_reference(session: Session, model: type[Row], ref: str) -> Row | None:
    """For the registry's operators, who see every row: a row by its public id or by the integer
    key they may have noted before public ids (the CLI takes either)."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 10:
        return session.get(model, int(ref))
    return by_public_id(session, model, ref.upper())
