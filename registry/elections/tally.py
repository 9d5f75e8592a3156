"""The count under the names the rest of the registry, the cross-check and the benchmark import:
the methods themselves live in registry/elections/methods/, one module each.

Standard library only, like the methods: a separate virtualenv imports this module to
cross-check the counts against independent implementations.
"""

from __future__ import annotations

from registry.elections.methods import METHODS, BallotKind, CountingMethod, Method, counting_method
from registry.elections.methods.base import (
    UNIT,
    Candidate,
    InvalidBallot,
    Seed,
    Stage,
    StageAction,
    TallyResult,
    TieBreak,
    TieBreakMethod,
)
from registry.elections.methods.block_plurality import block_plurality
from registry.elections.methods.meek_stv import meek_stv
from registry.elections.methods.scottish_stv import scottish_stv

__all__ = [
    "METHODS", "UNIT", "BallotKind", "Candidate", "CountingMethod", "InvalidBallot", "Method", "Seed", "Stage",
    "StageAction", "TallyResult", "TieBreak", "TieBreakMethod", "block_plurality", "counting_method", "meek_stv",
    "scottish_stv",
]
