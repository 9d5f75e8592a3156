"""The single transferable vote by Meek's method, as OpenSTV and OpaVote count it (Hill,
Wichmann and Woodall, "Algorithm 123", 1987): an elected candidate keeps only a share of each
vote that reaches them (their keep factor) and passes the rest on, every ballot is counted
again from its first preference after each change, and an excluded candidate is passed over as
if they had never stood.

Arithmetic is exact in integer units of 10**-9 (the precision of the Meek reference rule): a
candidate keeps its share of a ballot's weight truncated, and the rest goes on whole, so no
value is lost; the quota is the votes not exhausted / (seats + 1), truncated, plus one unit;
keep factors are rounded up. Surpluses are passed on until their total falls below 10**-6 (the
reference rule's omega) or the keep factors stop changing at this precision; then the candidate
with the fewest votes is excluded. A tie for exclusion goes straight to the lot that every
method draws from the election's seed (there is no look-back in Meek's rule). Where OpenSTV's
defaults differ: it counts to 6 places, and excludes every sure loser at once.

When no more candidates stand than seats remain, they are all elected, as the Scottish count's
rule 52 does, so every seat is filled while enough candidates stand; with no valid ballot at all
nobody is elected. Stages are shown at rest: one after first preferences, one each time
surpluses settle or someone reaches the quota, one per exclusion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from types import MappingProxyType

from registry.elections.methods.base import (
    Ballots,
    BallotKind,
    Candidate,
    Lots,
    Seed,
    Stage,
    StageAction,
    TallyResult,
    TieBreak,
    TieBreakMethod,
    check_candidates,
    decimal,
    group_ballots,
)
from registry.errors import N_

PLACES = 9
UNIT = 10**PLACES
OMEGA = 10**3  # 10**-6 of a vote: the surplus left unmoved once the count has settled


class MeekSTV:
    name = "meek_stv"
    label = N_("Single transferable vote (Meek's method)")
    explanation = N_(
        "Voters rank the candidates. An elected candidate keeps just enough of each vote to reach "
        "the quota and passes the rest on, every ballot counted again each time; an excluded "
        "candidate is passed over as if they had never stood."
    )
    ballot_kind = BallotKind.RANKED

    def count(self, ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed) -> TallyResult:
        return meek_stv(ballots, candidates, seats, seed=seed)


MEEK_STV = MeekSTV()


def meek_stv(ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed) -> TallyResult:
    """Count ranked ballots by Meek's method (see above). An empty ballot is an abstention."""
    standing = check_candidates(candidates, seats)
    grouped, abstentions = group_ballots(ballots, standing, None)
    count = _MeekCount(grouped, list(candidates), seats, Lots(seed))
    if count.total:
        count.run()
    return TallyResult(
        method=MEEK_STV.name, seats=seats, quota=decimal(count.quota, PLACES),
        valid_ballots=count.total // UNIT, abstentions=abstentions, elected=tuple(count.elected),
        unfilled_seats=seats - len(count.elected), rounds=tuple(count.stages),
        tie_breaks=tuple(count.tie_breaks), seed=seed, decimals=PLACES,
    )


class _State(Enum):
    HOPEFUL = "hopeful"
    ELECTED = "elected"
    EXCLUDED = "excluded"


class _MeekCount:
    """The mutable state of one count; meek_stv() freezes what it records."""

    def __init__(self, grouped: Mapping[tuple[Candidate, ...], int], names: list[Candidate], seats: int,
                 lots: Lots) -> None:
        self.ballots = list(grouped.items())
        self.names, self.seats, self.lots = names, seats, lots
        self.state = dict.fromkeys(names, _State.HOPEFUL)
        self.keep = dict.fromkeys(names, UNIT)
        self.total = sum(grouped.values()) * UNIT
        self.votes = dict.fromkeys(names, 0)
        self.exhausted = 0
        self.quota = self.total // (seats + 1) + 1
        self.elected: list[Candidate] = []
        self.unsettled = False  # someone was elected and the surpluses have not settled since
        self.stages: list[Stage] = []
        self.tie_breaks: list[TieBreak] = []
        self._shown = dict(self.votes)
        self._shown_exhausted = 0

    def run(self) -> None:
        self._distribute()
        self._close_stage(StageAction.FIRST_PREFERENCES, self._elect_reached())
        while len(self.elected) < self.seats:
            hopeful = [c for c in self.names if self.state[c] is _State.HOPEFUL]
            if len(hopeful) <= self.seats - len(self.elected):
                self._close_stage(StageAction.FINAL, self._elect(sorted(hopeful, key=lambda c: -self.votes[c])))
                return
            if self.unsettled:
                self._close_stage(StageAction.SURPLUS, self._settle())
            else:
                loser = self._lowest(hopeful)
                self.state[loser], self.keep[loser] = _State.EXCLUDED, 0
                self._close_stage(StageAction.EXCLUSION, self._settle(), loser)

    def _distribute(self) -> None:
        """Count every ballot again with the present keep factors, and the quota from them."""
        keep = self.keep
        votes = dict.fromkeys(self.names, 0)
        exhausted = 0
        for ballot, papers in self.ballots:
            weight = UNIT
            for c in ballot:
                factor = keep[c]
                if not factor:  # excluded: passed over
                    continue
                kept = weight if factor == UNIT else weight * factor // UNIT
                votes[c] += kept * papers
                weight -= kept
                if not weight:
                    break
            exhausted += weight * papers
        self.votes, self.exhausted = votes, exhausted
        self.quota = (self.total - exhausted) // (self.seats + 1) + 1

    def _settle(self) -> list[Candidate]:
        """Pass surpluses on until someone reaches the quota (returned) or they settle."""
        seen: set[tuple[int, ...]] = set()
        while True:
            self._distribute()
            reached = self._elect_reached()
            if reached:
                self.unsettled = True
                return reached
            winners = self.elected
            surplus = sum(max(0, self.votes[c] - self.quota) for c in winners)
            factors = tuple(self.keep[c] for c in winners)
            if surplus < OMEGA or factors in seen:  # settled, or no change left at this precision
                self.unsettled = False
                return []
            seen.add(factors)
            for c in winners:
                if self.votes[c]:
                    self.keep[c] = -(-self.keep[c] * self.quota // self.votes[c])  # rounded up

    def _elect_reached(self) -> list[Candidate]:
        reached = [c for c in self.names if self.state[c] is _State.HOPEFUL and self.votes[c] >= self.quota]
        reached.sort(key=lambda c: -self.votes[c])
        if reached:
            self.unsettled = True
        return self._elect(reached)

    def _elect(self, winners: list[Candidate]) -> list[Candidate]:
        for c in winners:
            self.state[c] = _State.ELECTED
            self.elected.append(c)
        return winners

    def _lowest(self, hopeful: list[Candidate]) -> Candidate:
        bottom = min(self.votes[c] for c in hopeful)
        tied = [c for c in hopeful if self.votes[c] == bottom]  # in ballot-paper order
        if len(tied) == 1:
            return tied[0]
        chosen = self.lots.draw(tied, 1)[0]
        self.tie_breaks.append(TieBreak(
            stage=len(self.stages) + 1, purpose="exclusion", rule="Meek STV: decided by lot",
            method=TieBreakMethod.LOT, candidates=tuple(tied), outcome=(chosen,), seed=self.lots.seed,
            draw=self.lots.drawn,
        ))
        return chosen

    def _close_stage(self, action: StageAction, elected: list[Candidate], candidate: Candidate | None = None) -> None:
        votes, shown = self.votes, self._shown
        self.stages.append(Stage(
            number=len(self.stages) + 1, action=action, elected=tuple(elected), candidate=candidate,
            votes=MappingProxyType({c: decimal(votes[c], PLACES) for c in self.names
                                    if self.state[c] is not _State.EXCLUDED}),
            transfers=MappingProxyType({c: decimal(votes[c] - shown[c], PLACES) for c in self.names
                                        if votes[c] > shown[c] and self.stages}),
            exhausted=decimal(self.exhausted - self._shown_exhausted, PLACES),
            quota=decimal(self.quota, PLACES),
            keep_factors=MappingProxyType({c: decimal(self.keep[c], PLACES) for c in self.elected}),
        ))
        self._shown, self._shown_exhausted = dict(votes), self.exhausted
