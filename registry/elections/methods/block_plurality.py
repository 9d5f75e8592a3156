"""Block plurality: each ballot names up to as many candidates as there are seats, unordered,
and the seats go to the most named.

Every seat is filled while enough candidates stand, as the STV counts fill them (rule 52 elects
whoever still stands when no more stand than seats remain): a tie for the last seats goes to the
lot, even a tie among candidates nobody named. With no valid ballot at all nobody is elected.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
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
    group_ballots,
)
from registry.errors import N_


class BlockPlurality:
    name = "block_plurality"
    label = N_("Block plurality")
    explanation = N_(
        "Voters choose up to as many candidates as there are seats. The seats go to the candidates "
        "chosen most often; a tie for the last seat is decided by lot."
    )
    ballot_kind = BallotKind.CHOOSE_UP_TO

    def count(self, ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed) -> TallyResult:
        return block_plurality(ballots, candidates, seats, seed=seed)


BLOCK_PLURALITY = BlockPlurality()


def block_plurality(ballots: Ballots, candidates: Sequence[Candidate], seats: int, *, seed: Seed) -> TallyResult:
    """Each ballot names up to `seats` candidates; the seats go to the most named (see above)."""
    standing = check_candidates(candidates, seats)
    lots = Lots(seed)
    grouped, abstentions = group_ballots(ballots, standing, seats)
    valid = sum(grouped.values())
    counts = dict.fromkeys(candidates, 0)
    for ballot, papers in grouped.items():
        for c in ballot:
            counts[c] += papers
    # sorted() is stable: equal counts keep ballot-paper order, so the lot sees a fixed list.
    ranked = sorted(candidates, key=lambda c: -counts[c]) if valid else []
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
        method=BLOCK_PLURALITY.name, seats=seats, quota=None, valid_ballots=valid, abstentions=abstentions,
        elected=tuple(winners), unfilled_seats=seats - len(winners), rounds=(stage,),
        tie_breaks=tuple(tie_breaks), seed=seed,
    )
