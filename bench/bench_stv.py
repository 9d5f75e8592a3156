"""Times the STV counts, Scottish rules and Meek's method, on one large election: 100,000 ranked
ballots, 30 candidates, 5 seats.

Not a test: run `.venv/bin/python bench/bench_stv.py` (or `make bench` for everything) and compare
the ratio against 1.0 (the target is one second on the project's 2-core machine, for either method).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.elections.tally import meek_stv, scottish_stv  # noqa: E402

BALLOTS = 100_000
CANDIDATES = 30
SEATS = 5
TARGET_SECONDS = 1.0
COUNTS = {"scottish_stv": scottish_stv, "meek_stv": meek_stv}


def ballots(rng: random.Random, count: int = BALLOTS) -> list[list[str]]:
    """Partial rankings whose first preferences follow uneven popularity, so the count sees
    surpluses as well as a long run of exclusions, and nearly every ballot is distinct."""
    names = [f"candidate-{n:02d}" for n in range(CANDIDATES)]
    popularity = [rng.random() ** 2 + 0.02 for _ in names]
    firsts = rng.choices(names, weights=popularity, k=count)
    papers = []
    for first in firsts:
        rest = rng.sample([n for n in names if n != first], rng.randint(0, CANDIDATES - 1))
        papers.append([first, *rest])
    return papers


def run(*, method: str = "scottish_stv", ballots_cast: int = BALLOTS, repeats: int = 3) -> dict[str, Any]:
    """The median of `repeats` timed counts by `method` (a key of COUNTS), after an untimed one.
    Both methods count the same ballots (one seed), so their times compare."""
    count = COUNTS[method]
    papers = ballots(random.Random(2007), ballots_cast)
    candidates = sorted({c for paper in papers for c in paper})
    result = count(papers, candidates, SEATS, seed=1)  # warm-up, untimed
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        count(papers, candidates, SEATS, seed=1)
        times.append(time.perf_counter() - started)
    return {"method": method, "ballots": ballots_cast, "candidates": CANDIDATES, "seats": SEATS,
            "stages": len(result.rounds), "seconds": statistics.median(times), "target_seconds": TARGET_SECONDS}


def main() -> None:
    for method in COUNTS:
        figures = run(method=method)
        print(f"{method}: {figures['ballots']:,} ballots, {CANDIDATES} candidates, {SEATS} seats, "
              f"{figures['stages']} stages")
        print(f"  median of 3: {figures['seconds']:.3f} s  target: {TARGET_SECONDS:.3f} s  "
              f"ratio: {figures['seconds'] / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
