"""Colour classes of a choropleth, chosen from the counts it shows, so that 1 is told apart from 4.

A handful of distinct counts each get a class of their own; more are grouped by Fisher-Jenks
natural breaks (the grouping that keeps each class's counts closest together). Colours come from
ColorBrewer's YlGnBu, a sequential palette that reads for the common kinds of colour blindness;
its two lightest steps are left out, so that even the first class stands apart from white (no
member) and from the greys (no data, not shown).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MAX_CLASSES", "PALETTE", "Classes", "classes_of", "natural_breaks"]

MAX_CLASSES = 5
PALETTE = ("#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")


@dataclass(frozen=True)
class Classes:
    """Classes as (lowest, highest) count of each, in order, and a colour for each."""

    ranges: tuple[tuple[int, int], ...]
    colours: tuple[str, ...]

    def colour(self, count: int) -> str:
        """The colour of the class `count` falls in (below the first: the first; above the last:
        the last; between two classes: the lower)."""
        chosen = self.colours[0]
        for (low, _), colour in zip(self.ranges, self.colours):
            if count >= low:
                chosen = colour
        return chosen


def classes_of(counts: Iterable[int], *, most: int = MAX_CLASSES) -> Classes:
    """Classes for the positive `counts` a map shows (every layer's, so that two dates compare)."""
    values = Counter(n for n in counts if n > 0)
    if not values:
        return Classes((), ())
    ranges = natural_breaks(values, min(most, len(PALETTE)))
    return Classes(ranges, _spread(len(ranges)))


def natural_breaks(values: Counter[int], k: int) -> tuple[tuple[int, int], ...]:
    """The (lowest, highest) of each of at most `k` classes of the counted `values`: every
    distinct value its own class when there are no more than `k`, else Fisher-Jenks classes
    (least squared deviation within classes), worked on distinct values with their weights."""
    distinct = sorted(values)
    if len(distinct) <= k:
        return tuple((v, v) for v in distinct)
    n = len(distinct)
    weights = [values[v] for v in distinct]
    # Prefix sums of weight, weighted value and weighted square: the cost of any run in O(1).
    w, s, q = [0], [0.0], [0.0]
    for v, c in zip(distinct, weights):
        w.append(w[-1] + c)
        s.append(s[-1] + c * v)
        q.append(q[-1] + c * v * v)

    def cost(i: int, j: int) -> float:  # distinct[i:j] as one class
        weight, total = w[j] - w[i], s[j] - s[i]
        return (q[j] - q[i]) - total * total / weight

    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(k + 1)]
    start = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0.0
    for classes in range(1, k + 1):
        for j in range(classes, n + 1):
            for i in range(classes - 1, j):
                if best[classes - 1][i] < inf and (c := best[classes - 1][i] + cost(i, j)) < best[classes][j]:
                    best[classes][j], start[classes][j] = c, i
    bounds, j = [], n
    for classes in range(k, 0, -1):
        i = start[classes][j]
        bounds.append((distinct[i], distinct[j - 1]))
        j = i
    return tuple(reversed(bounds))


def _spread(n: int) -> tuple[str, ...]:
    """`n` colours of the palette as far apart as they go (2: the lightest and the darkest)."""
    if n == 1:
        return (PALETTE[1],)
    last = len(PALETTE) - 1
    return tuple(PALETTE[round(i * last / (n - 1))] for i in range(n))
