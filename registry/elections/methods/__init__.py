"""The counting methods an election may use, each a module beside this one behind one interface
(base.CountingMethod). A new method is one new module and one line in REGISTERED below; the
enum of method names the elections table stores is made from that list.

Standard library only, like the methods themselves (the cross-check virtualenv imports them).
"""

from __future__ import annotations

from enum import StrEnum

from registry.elections.methods.base import BallotKind, CountingMethod
from registry.elections.methods.block_plurality import BLOCK_PLURALITY
from registry.elections.methods.meek_stv import MEEK_STV
from registry.elections.methods.scottish_stv import SCOTTISH_STV

REGISTERED: tuple[CountingMethod, ...] = (BLOCK_PLURALITY, SCOTTISH_STV, MEEK_STV)

METHODS: dict[str, CountingMethod] = {m.name: m for m in REGISTERED}

# Stored by value (registry.db.str_enum: a VARCHAR(32), no CHECK), so a new method needs no migration.
Method = StrEnum("Method", {name.upper(): name for name in METHODS})  # type: ignore[misc]


def counting_method(name: str) -> CountingMethod:
    """The method of that name; ValueError for a name no method has."""
    try:
        return METHODS[str(name)]
    except KeyError:
        raise ValueError(f"no counting method is called {name!r}; one of: {', '.join(METHODS)}") from None


__all__ = ["METHODS", "REGISTERED", "BallotKind", "CountingMethod", "Method", "counting_method"]
