"""The single transferable vote as the Scottish Local Government Elections Order 2007 counts it
(SSI 2007/42, schedule 1, rules 45-52): Droop's quota, surpluses moved once at a value truncated
to five decimals, ties looked back through earlier stages and then drawn by lot.

When no more candidates stand than seats remain, they are all elected (rule 52), even one no
ballot reached, so every seat is filled while enough candidates stand; with no valid ballot at
all nobody is elected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TypeAlias

from registry.elections.methods.base import (
    UNIT,
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


class ScottishSTV:
    name = "scottish_stv"
    label = N_("Single transferable vote (Scottish rules)")
    explanation = N_(
        "Voters rank the candidates. A candidate who reaches the quota is elected and the surplus "
        "moves once to the next preferences; when nobody reaches it, the candidate with the fewest "
        "votes is excluded and their ballots move on."
    )
    ballot_kind = BallotKind.RANKED

    def count(self, ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed) -> TallyResult:
        return scottish_stv(ballots, candidates, seats, seed=seed)


SCOTTISH_STV = ScottishSTV()


def scottish_stv(
    ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed
) -> TallyResult:
    """Count ranked ballots as SSI 2007/42 schedule 1 rules 45-52 do.

    An empty ballot gives no first preference, so it is not a valid ballot paper (rule 43
    rejects a paper without one) and it does not count towards the quota (rules 45(3), 46);
    it is reported as an abstention. With no valid ballot at all nobody is elected: the Order
    assumes votes, and rule 52 would otherwise fill every seat by lot.
    """
    standing = check_candidates(candidates, seats)
    lots = Lots(seed)
    grouped, abstentions = group_ballots(ballots, standing, None)
    valid = sum(grouped.values())
    quota = (valid // (seats + 1) + 1) * UNIT  # rule 46
    count = _ScottishCount(grouped, list(candidates), seats, quota, lots)
    if valid:
        count.run()
    return TallyResult(
        method=SCOTTISH_STV.name, seats=seats, quota=decimal(quota), valid_ballots=valid,
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
        quota: int, lots: Lots,
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
                c: decimal(v) for c, v in self.votes.items() if c not in self.excluded
            }),
            transfer_value=None if transfer_value is None else decimal(transfer_value),
            transfers=MappingProxyType({
                c: decimal(amount) for c, amount in (moved or {}).items() if amount
            }),
            exhausted=decimal(exhausted), fractions_lost=decimal(fractions_lost),
        ))
