"""The rounds of one count drawn as an inline SVG bar chart, server-side: each stage a group of
bars, one per candidate, with the quota as a dashed line. No script and no library; the page
gives the same figures in a table beside it (api/templates/ballots/result.html).

Takes plain figures in (names and Decimal votes per stage), gives the geometry out: the
template writes the SVG, so every word in it is translated there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Okabe and Ito's palette: told apart with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 34


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    name: str
    votes: Decimal


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    stage_labels: list[tuple[float, int]]  # (x of the label's middle, stage number)
    axis: list[tuple[float, Decimal]]  # (y, value) of the marks on the vertical axis
    quota_y: float | None
    left: int
    right: int
    base_y: float
    legend: list[tuple[str, str]]  # (colour, name)


def chart(candidates: list[str], stages: list[dict[str, Decimal]], quota: Decimal | None) -> Chart:
    """`candidates` in ballot-paper order; `stages` map each candidate's name to its votes."""
    colour = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(candidates)}
    top = max([quota or Decimal(0), *(v for stage in stages for v in stage.values())]) or Decimal(1)
    plot_height = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    group = (WIDTH - LEFT - RIGHT) / max(1, len(stages))
    bar = group * 0.8 / max(1, len(candidates))

    def y(value: Decimal) -> float:
        return round(base - float(value / top) * plot_height, 2)

    bars, labels = [], []
    for s, stage in enumerate(stages):
        start = LEFT + s * group + group * 0.1
        labels.append((round(LEFT + s * group + group / 2, 2), s + 1))
        for c, name in enumerate(candidates):
            votes = stage.get(name)
            if votes is None:
                continue
            bars.append(Bar(round(start + c * bar, 2), y(votes), round(max(bar - 1, 1), 2),
                            round(base - y(votes), 2), colour[name], name, votes))
    axis = [(y(top * k / 4), top * k / 4) for k in range(5)]
    return Chart(WIDTH, HEIGHT, bars, labels, axis, None if quota is None else y(quota), LEFT, WIDTH - RIGHT,
                 base, [(colour[n], n) for n in candidates])
