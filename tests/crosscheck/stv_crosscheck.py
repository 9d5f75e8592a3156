"""Cross-checks registry.elections.tally.scottish_stv against pref_voting's stv_scottish, and
meek_stv against its stv_meek (--method meek_stv), on random elections, comparing who is elected.

Run it with the interpreter of the cross-check virtualenv, never the project's own (pref_voting
brings numba and an older numpy, so it is kept out of the runtime dependencies):

    python3 -m venv .venv-stv && .venv-stv/bin/pip install -r tests/crosscheck/requirements.txt
    .venv-stv/bin/python tests/crosscheck/stv_crosscheck.py [--elections 300] [--seed 2007] [--method meek_stv]

An election may be set aside only when our count drew a lot (rule 49(3) or 51(2)(b)) and the
two counts then elect different candidates. Both draw with random.Random(seed).choice over the
tied candidates in the same order, so most lots agree; where they part is a tie of three or more
that the look-back only partly separates: we draw among those still lowest (rule 51(2)(a) has
already spared the rest), pref_voting 1.18 draws among all originally tied. Every set-aside
election seen while writing this (37 in 12,000) was of that kind. Any other difference is a
disagreement and the script exits 1. pref_voting also moves again the few hundred-thousandths a
truncated surplus leaves above the quota (rule 48 moves a surplus once) and counts in floats
with a 1e-12 tolerance; neither changed a result in those 12,000 elections.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pref_voting.profiles_with_ties import ProfileWithTies  # noqa: E402
from pref_voting.proportional_methods import stv_meek, stv_scottish  # noqa: E402

from registry.elections.tally import TallyResult, TieBreakMethod, meek_stv, scottish_stv  # noqa: E402

# Ours counts candidates named as the registry names them, by public ids (strings), here sorting
# the other way round from the numbers pref_voting is given: nothing may hang on how ids sort,
# only on the ballot-paper order the count is handed.
NAMES = [letter * 12 for letter in "ZYXWVTSRQPNM"]
NUMBERS = {name: number for number, name in enumerate(NAMES)}


def random_election(rng: random.Random) -> tuple[int, int, list[tuple[int, ...]]]:
    """Candidates, seats and ballots: popularity-weighted partial rankings with a few abstentions.

    Half the elections draw from near-equal popularity with few voters, where ties (and so the
    look-back and lot rules) come up often enough to be exercised.
    """
    candidates = rng.randint(3, 10)
    seats = rng.randint(1, 5)
    voters = rng.randint(20, 400)
    if rng.random() < 0.5:
        popularity = [rng.random() ** 2 + 0.01 for _ in range(candidates)]
    else:
        voters = rng.randint(20, 60)
        popularity = [1.0] * candidates
    ballots = []
    for _ in range(voters):
        if rng.random() < 0.03:
            ballots.append(())
            continue
        length = rng.randint(1, candidates)
        pool, weights, ranking = list(range(candidates)), list(popularity), []
        for _ in range(length):
            pick = rng.choices(range(len(pool)), weights=weights)[0]
            ranking.append(pool.pop(pick))
            weights.pop(pick)
        ballots.append(tuple(ranking))
    return candidates, seats, ballots


def profile(candidates: int, ballots: list[tuple[int, ...]]) -> ProfileWithTies:
    # pref_voting takes its quota from every ranking it is given, so abstentions stay out,
    # as they stay out of the valid ballots in ours.
    grouped = Counter(b for b in ballots if b)
    return ProfileWithTies(
        [{c: rank for rank, c in enumerate(b, start=1)} for b in grouped],
        rcounts=list(grouped.values()), candidates=list(range(candidates)),
    )


def theirs(candidates: int, seats: int, ballots: list[tuple[int, ...]], seed: int, ours: TallyResult) -> set[int]:
    return set(stv_scottish(profile(candidates, ballots), num_seats=seats, rng=random.Random(seed)))


def theirs_meek(candidates: int, seats: int, ballots: list[tuple[int, ...]], seed: int,
                ours: TallyResult) -> set[int]:
    """pref_voting's stv_meek (Hill, Wichmann and Woodall's algorithm in floats, tolerance 1e-10).
    It draws no lots: a tie for exclusion goes to whoever has the highest tie_break_key. Given
    keys that rank the candidates our lots excluded, first excluded highest, it breaks each tie
    as our lots did, without being told which ties arise: an earlier loser has gone by the time
    of a later tie, and a later loser ranks below an earlier one. Any difference left is then a
    disagreement, lot or no lot.

    max_iter=200 rather than its 2000: its loop keeps iterating to the cap whenever an elected
    candidate's float tally sits a little off the quota with the keep factor already at 1, which
    made it ten times slower; on the first 60 of these elections both caps elect the same."""
    if not any(ballots):
        return set()  # pref_voting would fill the seats; with no valid ballot ours elects nobody
    by_lot = [NUMBERS[t.outcome[0]] for t in ours.tie_breaks]
    key = {c: len(by_lot) - i for i, c in enumerate(by_lot)}
    return set(stv_meek(profile(candidates, ballots), num_seats=seats, max_iter=200,
                        tie_break_key=lambda c: key.get(c, 0)))


# --method: ours and theirs for each counting method cross-checked here.
COUNTS = {"scottish_stv": (scottish_stv, theirs), "meek_stv": (meek_stv, theirs_meek)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elections", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2007)
    parser.add_argument("--method", choices=sorted(COUNTS), default="scottish_stv")
    args = parser.parse_args()
    count, independent = COUNTS[args.method]

    rng = random.Random(args.seed)
    disagreements = excluded_by_lot = lookbacks = lots = 0
    for number in range(1, args.elections + 1):
        candidates, seats, ballots = random_election(rng)
        lot_seed = rng.randrange(2**32)
        ours = count([tuple(NAMES[c] for c in b) for b in ballots], NAMES[:candidates], seats, seed=lot_seed)
        elected = {NUMBERS[c] for c in ours.elected}
        methods = {t.method for t in ours.tie_breaks}
        lookbacks += TieBreakMethod.LOOKBACK in methods
        lots += TieBreakMethod.LOT in methods
        other = independent(candidates, seats, ballots, lot_seed, ours)
        if elected == other:
            continue
        if TieBreakMethod.LOT in methods:
            excluded_by_lot += 1
            continue
        disagreements += 1
        print(
            f"DISAGREEMENT election {number}: {candidates} candidates, {seats} seats, "
            f"{len(ballots)} ballots, lot seed {lot_seed}: ours {sorted(elected)}, "
            f"pref_voting {sorted(other)} ({args.method})",
        )

    print(
        f"stv cross-check ({args.method}): elections={args.elections} "
        f"agreed={args.elections - disagreements - excluded_by_lot} "
        f"disagreements={disagreements} excluded_by_lot={excluded_by_lot} "
        f"with_lookback={lookbacks} with_lot={lots}",
    )
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
