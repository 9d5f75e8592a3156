"""One count's rounds as the result page shows them (api/templates/ballots/result.html): every
stage worded in the reader's language, the figures for a table, and the same drawn as an inline
SVG bar chart, server-side (each stage a group of bars, one per candidate, the quota a dashed
line), with no script and no library.

Candidates are named through the result's own names (`PublishedResult.candidates`), keyed as
the count keys them, so the page never shows a candidate's key, whatever the file's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l

from registry.governance.models import OPEN_SEATS

FINAL = {"block_plurality": _l("The count"),
         "scottish_stv": _l("The last seats go to those still standing (rule 52)"),
         "meek_stv": _l("The last seats go to those still standing")}
# How a tie was broken, by what it decided (registry/elections/methods/base.py TieBreak.purpose).
TIE_SURPLUS = _l("At stage %(stage)s the surpluses of %(among)s were equal; %(outcome)s went first (%(how)s).")
TIE_EXCLUSION = _l("At stage %(stage)s %(among)s were tied for exclusion; %(outcome)s went out (%(how)s).")
TIE_LAST_SEAT = _l("At stage %(stage)s %(among)s were tied for the last seat; it went to %(outcome)s (%(how)s).")
TIE_OTHER = _l("At stage %(stage)s %(among)s were tied; the tie was broken for %(outcome)s (%(how)s).")
# Okabe and Ito's palette: told apart with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 34


def group_label(group: str) -> str:
    return _("Open seats") if group == OPEN_SEATS else _("Seats reserved for %(group)s", group=group)


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


def _number(value: Any) -> str:
    return format_decimal(Decimal(value or 0), format="#,##0.#####")


def shown(count: dict[str, Any], candidates: dict[Any, str]) -> dict[str, Any]:
    """One seat group's count, worded in the reader's language: stages, a table and a chart."""
    names = {str(key): name for key, name in candidates.items()}

    def name(candidate: Any) -> str:
        return names.get(str(candidate), "?")

    stages, order = [], []
    for stage in count["rounds"]:
        for candidate in stage["votes"]:
            if name(candidate) not in order:
                order.append(name(candidate))
    for stage in count["rounds"]:
        who = name(stage["candidate"]) if stage["candidate"] is not None else None
        action = {"first_preferences": _("First preferences"),
                  "surplus": _("Surplus of %(name)s passed on", name=who) if who else _("Surpluses passed on"),
                  "exclusion": _("%(name)s is excluded", name=who)}.get(stage["action"]) or str(
            FINAL.get(count["method"], stage["action"]))
        details = []
        if stage["transfer_value"] is not None:
            details.append(_("transfer value %(value)s", value=_number(stage["transfer_value"])))
        if "quota" in stage:
            details.append(_("quota %(quota)s", quota=_number(stage["quota"])))
        elected = {str(c) for c in stage["elected"]}
        stages.append({
            "number": stage["stage"], "action": action, "details": details,
            "votes": {name(c): _number(v) for c, v in stage["votes"].items()},
            "raw": {name(c): Decimal(v) for c, v in stage["votes"].items()},
            "moved": {name(c): _number(v) for c, v in stage["transfers"].items() if Decimal(v or 0)},
            "elected": {name(c) for c in elected},
            "exhausted": _number(stage["exhausted"]) if Decimal(stage["exhausted"] or 0) else None,
            "lost": _number(stage["fractions_lost"]) if Decimal(stage["fractions_lost"] or 0) else None,
        })
    ties = []
    for tie in count["tie_breaks"]:
        how = (_("looking back to stage %(stage)s", stage=tie["lookback_stage"]) if tie["method"] == "lookback"
               else _("by lot no. %(draw)s, drawn with the election's seed", draw=tie["draw"]))
        said = {"surplus order": TIE_SURPLUS, "exclusion": TIE_EXCLUSION, "last seat": TIE_LAST_SEAT}.get(
            tie["purpose"], TIE_OTHER)
        ties.append(str(said) % {"stage": tie["stage"], "among": ", ".join(name(c) for c in tie["candidates"]),
                                 "outcome": ", ".join(name(c) for c in tie["outcome"]), "how": how})
    quota = Decimal(count["quota"]) if count["quota"] is not None else None
    return {"group": group_label(count["seats_for"]), "seats": count["seats"],
            "quota": _number(quota) if quota is not None else None, "valid": count["valid_ballots"],
            "abstentions": count["abstentions"], "unfilled": count["unfilled_seats"], "stages": stages,
            "candidates": order, "ties": ties,
            "chart": chart(order, [s["raw"] for s in stages], quota)}
