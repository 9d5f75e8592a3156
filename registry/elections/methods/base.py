"""What every counting method is (CountingMethod) and the vocabulary of a count they share:
the result with its stages and tie-breaks, the numbered lots, and the checks on ballots.

Standard library only (and registry.errors' N_, itself plain Python): the cross-check
virtualenv imports the methods to compare them with independent implementations.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol, TypeAlias

Candidate: TypeAlias = Hashable
Seed: TypeAlias = int | str
Ballots: TypeAlias = Iterable[Sequence[Candidate]]

# Rule 48(3) of the Scottish order works "to five decimal places (any remainder being ignored)";
# a result is shown to five places unless its method counts finer (TallyResult.decimals).
UNIT = 100_000


class BallotKind(StrEnum):
    RANKED = "ranked"  # preferences 1, 2, 3 ... as far as the voter wishes
    CHOOSE_UP_TO = "choose_up_to"  # up to as many candidates as there are seats, unordered


class CountingMethod(Protocol):
    """One way of counting ballots into seats. A method is a module under methods/ holding one
    such object, registered in methods/__init__.py."""

    name: str  # stored on the election and in the published file; never change it
    label: str  # N_ message id: what people call the method
    explanation: str  # N_ message id: how it counts, in a sentence or two
    ballot_kind: BallotKind

    def count(self, ballots: Ballots, candidates: Sequence[Candidate], seats: int, *,
              seed: Seed) -> TallyResult:
        """Every stage of the count and who is elected. `candidates` in ballot-paper order,
        which is the order any lot draws from; `seed` seeds every lot."""
        ...


class InvalidBallot(ValueError):
    """A ballot that names an unknown candidate, names one twice, or names more than allowed."""


class StageAction(StrEnum):
    FIRST_PREFERENCES = "first_preferences"
    SURPLUS = "surplus"
    EXCLUSION = "exclusion"
    # Not a stage of the count in the Order's sense: the seats filled without a transfer
    # (rule 52), or the single count of a block plurality election.
    FINAL = "final"


class TieBreakMethod(StrEnum):
    LOOKBACK = "lookback"
    LOT = "lot"


@dataclass(frozen=True)
class Stage:
    number: int
    action: StageAction
    # Every candidate not excluded, as the stage ends: an elected candidate whose surplus has
    # gone on is shown at the quota, as on a returning officer's result sheet.
    votes: Mapping[Candidate, Decimal]
    elected: tuple[Candidate, ...] = ()
    candidate: Candidate | None = None  # whose surplus moved, or who was excluded
    # On a surplus: the value a paper worth one goes on with; a paper that arrived by an
    # earlier transfer goes on at surplus x its value / total, truncated (rule 48(3)).
    transfer_value: Decimal | None = None
    # Value credited to each candidate who received any at this stage.
    transfers: Mapping[Candidate, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    exhausted: Decimal = Decimal(0)  # value on the non-transferable papers set aside
    fractions_lost: Decimal = Decimal(0)  # surplus lost to rule 48(3)'s truncation
    # Counts whose quota moves (Meek's) give it at each stage, and the share of each vote
    # reaching them that the elected keep; other counts leave both out.
    quota: Decimal | None = None
    keep_factors: Mapping[Candidate, Decimal] | None = None


@dataclass(frozen=True)
class TieBreak:
    stage: int  # the stage whose action the tie held up
    purpose: str  # "surplus order", "exclusion" or "last seat"
    rule: str
    method: TieBreakMethod
    candidates: tuple[Candidate, ...]
    outcome: tuple[Candidate, ...]
    seed: Seed
    lookback_stage: int | None = None  # the earlier stage whose totals decided it
    draw: int | None = None  # the nth lot drawn from random.Random(seed), counting from 1


@dataclass(frozen=True)
class TallyResult:
    method: str  # the CountingMethod's name
    seats: int
    quota: Decimal | None
    valid_ballots: int
    abstentions: int
    elected: tuple[Candidate, ...]
    unfilled_seats: int
    rounds: tuple[Stage, ...]
    tie_breaks: tuple[TieBreak, ...]
    seed: Seed
    decimals: int = 5  # places the method counts to, and the figures are written with

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; votes as strings with `decimals` places so no float creeps in."""
        def text(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.{self.decimals}f}"

        return {
            "method": str(self.method),
            "seats": self.seats,
            "quota": text(self.quota),
            "valid_ballots": self.valid_ballots,
            "abstentions": self.abstentions,
            "elected": list(self.elected),
            "unfilled_seats": self.unfilled_seats,
            "seed": self.seed,
            "rounds": [
                {
                    "stage": s.number,
                    "action": str(s.action),
                    "candidate": s.candidate,
                    "transfer_value": text(s.transfer_value),
                    "votes": {c: text(v) for c, v in s.votes.items()},
                    "transfers": {c: text(v) for c, v in s.transfers.items()},
                    "exhausted": text(s.exhausted),
                    "fractions_lost": text(s.fractions_lost),
                    "elected": list(s.elected),
                    **({} if s.quota is None else {"quota": text(s.quota)}),
                    **({} if s.keep_factors is None else
                       {"keep_factors": {c: text(v) for c, v in s.keep_factors.items()}}),
                }
                for s in self.rounds
            ],
            "tie_breaks": [
                {
                    "stage": t.stage,
                    "purpose": t.purpose,
                    "rule": t.rule,
                    "method": str(t.method),
                    "candidates": list(t.candidates),
                    "outcome": list(t.outcome),
                    "seed": t.seed,
                    "lookback_stage": t.lookback_stage,
                    "draw": t.draw,
                }
                for t in self.tie_breaks
            ],
        }


def decimal(units: int, places: int = 5) -> Decimal:
    """A count in integer units of 10**-places as the Decimal it stands for."""
    return Decimal(units).scaleb(-places)


class Lots:
    """Lots drawn from one random.Random(seed), numbered so an observer can replay them."""

    def __init__(self, seed: Seed) -> None:
        # None would seed from the clock, and a lot nobody can replay is no lot at all.
        if isinstance(seed, bool) or not isinstance(seed, int | str):
            raise TypeError("seed must be an int or a str")
        self.seed = seed
        self.drawn = 0
        self._rng = random.Random(seed)

    def draw(self, among: list[Candidate], k: int) -> list[Candidate]:
        self.drawn += 1
        return [self._rng.choice(among)] if k == 1 else self._rng.sample(among, k)


def check_candidates(candidates: Sequence[Candidate], seats: int) -> frozenset[Candidate]:
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError("seats must be a positive integer")
    standing = frozenset(candidates)
    if len(standing) != len(candidates):
        raise ValueError("candidates must be distinct")
    return standing


def as_paper(ballot: Sequence[Candidate]) -> tuple[Candidate, ...]:
    if isinstance(ballot, str):  # tuple("AB") would quietly read as two preferences
        raise InvalidBallot(f"ballot {ballot!r} is a string, not a sequence of candidates")
    return tuple(ballot)


def group_ballots(
    ballots: Iterable[Sequence[Candidate]], standing: frozenset[Candidate], most: int | None
) -> tuple[Counter[tuple[Candidate, ...]], int]:
    """Identical ballots counted once with a weight; returns them and the abstentions."""
    papers = map(as_paper, ballots)
    try:
        grouped = Counter(papers)
    except TypeError:
        raise InvalidBallot("a ballot is not a sequence of candidate ids") from None
    abstentions = grouped.pop((), 0)
    for ballot in grouped:
        try:
            named = set(ballot)
        except TypeError:
            raise InvalidBallot(f"ballot {list(ballot)!r} names an unknown candidate") from None
        if not named <= standing:
            raise InvalidBallot(f"ballot {list(ballot)!r} names an unknown candidate")
        if len(named) != len(ballot):
            raise InvalidBallot(f"ballot {list(ballot)!r} names a candidate more than once")
        if most is not None and len(ballot) > most:
            raise InvalidBallot(f"ballot {list(ballot)!r} names more than {most} candidates")
    return grouped, abstentions
