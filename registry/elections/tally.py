"""Counts an election's ballots: block plurality, and the single transferable vote as the Scottish
Local Government Elections Order 2007 counts it (SSI 2007/42, schedule 1, rules 45-52).

Standard library only, and nothing else from registry/ is imported: a separate virtualenv imports
this module to cross-check the count against an independent implementation.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

Candidate: TypeAlias = Hashable
Seed: TypeAlias = int | str

# Rule 48(3) works "to five decimal places (any remainder being ignored)". Counting in integer
# units of 1/100000 makes that truncation exact; floats would drift and could flip a close tie.
UNIT = 100_000


class InvalidBallot(ValueError):
    """A ballot that names an unknown candidate, names one twice, or names more than allowed."""


class Method(StrEnum):
    BLOCK_PLURALITY = "block_plurality"
    SCOTTISH_STV = "scottish_stv"


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
    method: Method
    seats: int
    quota: Decimal | None
    valid_ballots: int
    abstentions: int
    elected: tuple[Candidate, ...]
    unfilled_seats: int
    rounds: tuple[Stage, ...]
    tie_breaks: tuple[TieBreak, ...]
    seed: Seed

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; votes as strings with five decimals so no float creeps in."""
        return {
            "method": str(self.method),
            "seats": self.seats,
            "quota": _text(self.quota),
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
                    "transfer_value": _text(s.transfer_value),
                    "votes": {c: _text(v) for c, v in s.votes.items()},
                    "transfers": {c: _text(v) for c, v in s.transfers.items()},
                    "exhausted": _text(s.exhausted),
                    "fractions_lost": _text(s.fractions_lost),
                    "elected": list(s.elected),
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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.5f}"


def _decimal(units: int) -> Decimal:
    return Decimal(units).scaleb(-5)


class _Lots:
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


def _check_candidates(candidates: Sequence[Candidate], seats: int) -> frozenset[Candidate]:
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError("seats must be a positive integer")
    standing = frozenset(candidates)
    if len(standing) != len(candidates):
        raise ValueError("candidates must be distinct")
    return standing


def _as_paper(ballot: Sequence[Candidate]) -> tuple[Candidate, ...]:
    if isinstance(ballot, str):  # tuple("AB") would quietly read as two preferences
        raise InvalidBallot(f"ballot {ballot!r} is a string, not a sequence of candidates")
    return tuple(ballot)


def _group_ballots(
    ballots: Iterable[Sequence[Candidate]], standing: frozenset[Candidate], most: int | None
) -> tuple[Counter[tuple[Candidate, ...]], int]:
    """Identical ballots counted once with a weight; returns them and the abstentions."""
    papers = map(_as_paper, ballots)
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


def block_plurality(
    ballots: Iterable[Sequence[Candidate]], candidates: Sequence[Candidate], seats: int, *, seed: Seed
) -> TallyResult:
    """Each ballot names up to `seats` candidates; the seats go to the most named.

    A candidate nobody named is not elected: a seat only a lot among unsupported candidates
    could fill stays unfilled. A tie for the last seats among named candidates goes to a lot.
    """
    standing = _check_candidates(candidates, seats)
    lots = _Lots(seed)
    grouped, abstentions = _group_ballots(ballots, standing, seats)
    counts = dict.fromkeys(candidates, 0)
    for ballot, papers in grouped.items():
        for c in ballot:
            counts[c] += papers
    # sorted() is stable: equal counts keep ballot-paper order, so the lot sees a fixed list.
    ranked = sorted((c for c in candidates if counts[c]), key=lambda c: -counts[c])
    winners, tie_breaks = ranked[:seats], []
    if len(ranked) > seats and counts[ranked[seats - 1]] == counts[ranked[seats]]:
        last = counts[ranked[seats - 1]]
        above = [c for c in ranked if counts[c] > last]
        tied = [c for c in ranked if counts[c] == last]
        chosen = lots.draw(tied, seats - len(above))
        winners = above + [c for c in tied if c in chosen]
        tie_breaks.append(TieBreak(
            stage=1, purpose="last seat", rule="block plurality: decided by lot",
            method=TieBreakMethod.LOT, candidates=tuple(tied), outcome=tuple(chosen),
            seed=seed, draw=lots.drawn,
        ))
    stage = Stage(
        number=1, action=StageAction.FINAL, elected=tuple(winners),
        votes=MappingProxyType({c: Decimal(n) for c, n in counts.items()}),
    )
    return TallyResult(
        method=Method.BLOCK_PLURALITY, seats=seats, quota=None,
        valid_ballots=sum(grouped.values()), abstentions=abstentions, elected=tuple(winners),
        unfilled_seats=seats - len(winners), rounds=(stage,), tie_breaks=tuple(tie_breaks),
        seed=seed,
    )


def scottish_stv(
    ballots: Iterable[Sequence[Candidate]], candidates: Sequence[Candidate], seats: int, *, seed: Seed
) -> TallyResult:
    """Count ranked ballots as SSI 2007/42 schedule 1 rules 45-52 do.

    An empty ballot gives no first preference, so it is not a valid ballot paper (rule 43
    rejects a paper without one) and it does not count towards the quota (rules 45(3), 46);
    it is reported as an abstention. With no valid ballot at all nobody is elected: the Order
    assumes votes, and rule 52 would otherwise fill every seat by lot.
    """
    standing = _check_candidates(candidates, seats)
    lots = _Lots(seed)
    grouped, abstentions = _group_ballots(ballots, standing, None)
    valid = sum(grouped.values())
    quota = (valid // (seats + 1) + 1) * UNIT  # rule 46
    count = _ScottishCount(grouped, list(candidates), seats, quota, lots)
    if valid:
        count.run()
    return TallyResult(
        method=Method.SCOTTISH_STV, seats=seats, quota=_decimal(quota), valid_ballots=valid,
        abstentions=abstentions, elected=tuple(count.elected), unfilled_seats=count.vacancies,
        rounds=tuple(count.stages), tie_breaks=tuple(count.tie_breaks), seed=seed,
    )


# A bundle of identical papers: (ranking, position of the candidate holding it, papers, value
# of each paper in units). Identical ballots travel together for the whole count, so a transfer
# touches one bundle per distinct ballot in the parcel that moves, never each paper.
_Bundle: TypeAlias = tuple[tuple[Candidate, ...], int, int, int]


class _ScottishCount:
    """The mutable state of one count; scottish_stv() freezes what it records."""

    def __init__(
        self, grouped: Mapping[tuple[Candidate, ...], int], names: list[Candidate], seats: int,
        quota: int, lots: _Lots,
    ) -> None:
        self.names, self.quota, self.lots, self.vacancies = names, quota, lots, seats
        self.order = {c: i for i, c in enumerate(names)}  # ballot-paper order, for the lot
        self.continuing = dict.fromkeys(names, True)
        self.excluded: set[Candidate] = set()
        self.votes = dict.fromkeys(names, 0)
        self.parcels: dict[Candidate, list[_Bundle]] = {c: [] for c in names}
        self.elected: list[Candidate] = []
        self.awaiting_transfer: list[Candidate] = []  # elected, surplus not yet transferred
        self.history: list[dict[Candidate, int]] = []  # all totals at the end of each stage
        self.stages: list[Stage] = []
        self.tie_breaks: list[TieBreak] = []
        parcels, votes = self.parcels, self.votes
        for ballot, papers in grouped.items():  # rule 45: parcels by first preference
            parcels[ballot[0]].append((ballot, 0, papers, UNIT))
            votes[ballot[0]] += papers * UNIT
        self._close_stage(StageAction.FIRST_PREFERENCES)

    def run(self) -> None:
        while self.vacancies:
            standing = [c for c, on in self.continuing.items() if on]
            if len(standing) <= self.vacancies:  # rule 52, checked before any transfer (52(2))
                self._fill_last_vacancies(standing)
                return
            surpluses = [c for c in self.awaiting_transfer if self.votes[c] > self.quota]
            if surpluses:
                self._transfer_surplus(self._largest_surplus(surpluses))
            else:
                self._exclude(self._lowest(standing))

    def _largest_surplus(self, surpluses: list[Candidate]) -> Candidate:
        # Rule 49(1): highest surplus first. Equal surpluses mean equal totals, hence 49(2)/(3).
        top = max(self.votes[c] for c in surpluses)
        tied = [c for c in surpluses if self.votes[c] == top]
        if len(tied) == 1:
            return tied[0]
        return self._break_tie(tied, "surplus order", highest=True, rules=("49(2)", "49(3)"))

    def _lowest(self, standing: list[Candidate]) -> Candidate:
        bottom = min(self.votes[c] for c in standing)
        tied = [c for c in standing if self.votes[c] == bottom]
        if len(tied) == 1:
            return tied[0]
        return self._break_tie(tied, "exclusion", highest=False, rules=("51(2)(a)", "51(2)(b)"))

    def _break_tie(
        self, tied: list[Candidate], purpose: str, *, highest: bool, rules: tuple[str, str]
    ) -> Candidate:
        """Look back for the most recent stage at which the tied candidates stood unequal, then lot.

        With three or more tied, a stage that separates only some of them keeps those with the
        highest (or lowest) total there, and the look-back goes on among them; whoever is still
        tied once the first stage has been examined goes to the lot.
        """
        stage, decided_at = len(self.history) + 1, None
        tied = sorted(tied, key=self.order.__getitem__)
        remaining = tied
        for number in range(len(self.history), 0, -1):
            totals = self.history[number - 1]
            values = {totals[c] for c in remaining}
            if len(values) == 1:
                continue
            best = max(values) if highest else min(values)
            remaining = [c for c in remaining if totals[c] == best]
            decided_at = number
            if len(remaining) == 1:
                break
        seed = self.lots.seed
        if decided_at is not None:
            self.tie_breaks.append(TieBreak(
                stage=stage, purpose=purpose, rule=f"rule {rules[0]}",
                method=TieBreakMethod.LOOKBACK, candidates=tuple(tied), outcome=tuple(remaining),
                seed=seed, lookback_stage=decided_at,
            ))
        if len(remaining) == 1:
            return remaining[0]
        chosen = self.lots.draw(remaining, 1)[0]
        self.tie_breaks.append(TieBreak(
            stage=stage, purpose=purpose, rule=f"rule {rules[1]}", method=TieBreakMethod.LOT,
            candidates=tuple(remaining), outcome=(chosen,), seed=seed, draw=self.lots.drawn,
        ))
        return chosen

    def _pass_on(
        self, parcel: list[_Bundle], revalue: Mapping[int, int] | None
    ) -> tuple[dict[Candidate, int], int]:
        """Move each bundle to its next available preference; return amounts moved and exhausted."""
        continuing, parcels = self.continuing, self.parcels
        moved = dict.fromkeys(self.names, 0)
        exhausted = 0
        for ballot, position, papers, value in parcel:
            if revalue is not None:
                value = revalue[value]
            end = len(ballot)
            position += 1
            while position < end and not continuing[ballot[position]]:
                position += 1
            if position < end:
                to = ballot[position]
                parcels[to].append((ballot, position, papers, value))
                moved[to] += papers * value
            else:
                exhausted += papers * value
        for c, amount in moved.items():
            self.votes[c] += amount
        return moved, exhausted

    def _transfer_surplus(self, winner: Candidate) -> None:
        """Rule 48: all the winner's papers go on, each at surplus x its value / total, truncated."""
        self.awaiting_transfer.remove(winner)
        total = self.votes[winner]
        surplus = total - self.quota
        parcel, self.parcels[winner] = self.parcels[winner], []
        revalue = {v: surplus * v // total for v in {bundle[3] for bundle in parcel}}
        moved, exhausted = self._pass_on(parcel, revalue)
        self.votes[winner] = self.quota
        self._close_stage(
            StageAction.SURPLUS, winner, moved, exhausted,
            transfer_value=surplus * UNIT // total,
            fractions_lost=surplus - sum(moved.values()) - exhausted,
        )

    def _exclude(self, loser: Candidate) -> None:
        """Rule 50: every paper goes on at the value it arrived with (one for a first preference)."""
        self.continuing[loser] = False
        self.excluded.add(loser)
        parcel, self.parcels[loser] = self.parcels[loser], []
        moved, exhausted = self._pass_on(parcel, None)
        self.votes[loser] = 0
        self._close_stage(StageAction.EXCLUSION, loser, moved, exhausted)

    def _deem_elected(self, winners: list[Candidate]) -> None:
        for c in winners:
            self.continuing[c] = False
            self.elected.append(c)
            self.vacancies -= 1
            if self.votes[c] > self.quota:
                self.awaiting_transfer.append(c)

    def _close_stage(
        self, action: StageAction, candidate: Candidate | None = None,
        moved: Mapping[Candidate, int] | None = None, exhausted: int = 0, *,
        transfer_value: int | None = None, fractions_lost: int = 0,
    ) -> None:
        # Rule 47: whoever reaches the quota is deemed elected. Droop's quota lets no more reach
        # it than there are seats, so nothing needs checking. Most votes first.
        votes = self.votes
        reached = [c for c, on in self.continuing.items() if on and votes[c] >= self.quota]
        reached.sort(key=lambda c: -votes[c])
        self._deem_elected(reached)
        self.history.append(dict(votes))
        self._record(len(self.history), action, reached, candidate, moved, exhausted,
                     transfer_value, fractions_lost)

    def _fill_last_vacancies(self, standing: list[Candidate]) -> None:
        standing = sorted(standing, key=lambda c: -self.votes[c])
        self._deem_elected(standing)
        self._record(len(self.history) + 1, StageAction.FINAL, standing)

    def _record(
        self, number: int, action: StageAction, elected: list[Candidate],
        candidate: Candidate | None = None, moved: Mapping[Candidate, int] | None = None,
        exhausted: int = 0, transfer_value: int | None = None, fractions_lost: int = 0,
    ) -> None:
        self.stages.append(Stage(
            number=number, action=action, elected=tuple(elected), candidate=candidate,
            votes=MappingProxyType({
                c: _decimal(v) for c, v in self.votes.items() if c not in self.excluded
            }),
            transfer_value=None if transfer_value is None else _decimal(transfer_value),
            transfers=MappingProxyType({
                c: _decimal(amount) for c, amount in (moved or {}).items() if amount
            }),
            exhausted=_decimal(exhausted), fractions_lost=_decimal(fractions_lost),
        ))
