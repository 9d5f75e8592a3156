"""What a coverage count may say, to whom, and in which words: the one place that decides every
public count.

Three views of a network's coverage:

- internal: the network's board and secretariat. Every active member, exact, with names.
- listed: anyone. Only members that chose to be listed publicly; the public directory already
  gives each of them with its provinces, so their counts are exact and nothing is masked, and an
  area without one has "no listed member organisation" (never "no member organisation": the view
  cannot see the others, so it cannot claim their absence).
- reach: anyone, and only for a network that chose to publish its reach. Every active member,
  listed or not, counted in one table (provinces, or countries for a regional or global network),
  today, in the boundary set in force today, without filters: every further dimension would be a
  new way to difference the withheld cells. A cell is withheld when its count is below the
  threshold, or when the part of it the directory does not give (its unlisted organisations) is;
  then more cells, or the total, are withheld until no withheld cell that holds an unlisted
  organisation can be worked out from the published total and the directory's lower bounds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from geo.words import N_, gettext as _, ngettext

__all__ = ["AreaStatus", "Cell", "Disclosed", "Shown", "View", "areas", "counted", "disclose", "no_data", "nobody",
           "not_shown", "note", "organisations", "reach_refusals", "summary"]

DEFAULT_THRESHOLD = 5


class View(enum.StrEnum):
    INTERNAL = "internal"
    LISTED = "listed"
    REACH = "reach"


class AreaStatus(enum.StrEnum):
    NO_DATA = "no_data"  # outside the network's scope, or nothing recorded at all
    NONE = "none"  # in scope and nobody the view counts is there
    MASKED = "masked"  # reach view: withheld (a small count, or one that would give one away)
    COUNTED = "counted"


class Listed(Protocol):
    listed: bool


R = TypeVar("R", bound=Listed)


def counted(view: View, records: Iterable[R]) -> list[R]:
    """The records a view counts: the listed view never sees the others, not even their
    countries (a map's scope and boundary set follow what it counts)."""
    return [r for r in records if r.listed] if view is View.LISTED else list(records)


@dataclass(frozen=True)
class Cell:
    """One area in scope, before disclosure: the organisations the view counts there, and how
    many of them are listed (which anyone can count from the directory)."""

    code: str
    members: int
    listed: int


@dataclass(frozen=True)
class Shown:
    status: AreaStatus
    count: int | None  # None when withheld
    label: str


@dataclass(frozen=True)
class Disclosed:
    cells: dict[str, Shown]
    total: int | None  # distinct organisations in some cell; None when withheld
    total_label: str
    not_on_map: int | None  # counted organisations in no cell; None when not published


def disclose(view: View, cells: Sequence[Cell], *, placed: int, placed_listed: int, unplaced: int,
             threshold: int = DEFAULT_THRESHOLD) -> Disclosed:
    """What `view` shows of `cells`. `placed` counts the distinct organisations in some cell
    (`placed_listed` of them listed), `unplaced` the counted organisations in none."""
    if view is not View.REACH:
        shown = {c.code: _exact(view, c.members) for c in cells}
        return Disclosed(shown, placed, organisations(view, placed), unplaced)
    # The reach view publishes the total of its one table and nothing beside it: the
    # organisations in no cell would be one more number to difference.
    withheld, total_withheld = _suppress(cells, placed, placed_listed, threshold)
    shown = {c.code: Shown(AreaStatus.MASKED, None, not_shown()) if c.code in withheld else _exact(view, c.members)
             for c in cells}
    if total_withheld:
        return Disclosed(shown, None, _("member organisations (the total is not shown)"), None)
    return Disclosed(shown, placed, organisations(view, placed), None)


def summary(view: View, total: int | None, covered: int, in_scope: int, level: int) -> str:
    """E.g. "32 organisations in 21 of 63 provinces"; `level` is the boundary set's."""
    where = areas(covered, in_scope, level)
    if total is None:
        return _("member organisations in %(areas)s (the total is not shown)", areas=where)
    return _("%(organisations)s in %(areas)s", organisations=organisations(view, total), areas=where)


def areas(covered: int, in_scope: int, level: int) -> str:
    """E.g. "21 of 63 provinces"."""
    if level == 0:
        return ngettext("%(covered)s of %(num)s country", "%(covered)s of %(num)s countries", in_scope, covered=covered)
    if level == 1:
        return ngettext("%(covered)s of %(num)s province", "%(covered)s of %(num)s provinces", in_scope,
                        covered=covered)
    if level == 2:
        return ngettext("%(covered)s of %(num)s district", "%(covered)s of %(num)s districts", in_scope,
                        covered=covered)
    return ngettext("%(covered)s of %(num)s area", "%(covered)s of %(num)s areas", in_scope, covered=covered)


def organisations(view: View, n: int) -> str:
    """E.g. "12 organisations", "1 listed member organisation", "32 member organisations"."""
    if view is View.INTERNAL:
        return ngettext("%(num)s organisation", "%(num)s organisations", n)
    if view is View.LISTED:
        return ngettext("%(num)s listed member organisation", "%(num)s listed member organisations", n)
    return ngettext("%(num)s member organisation", "%(num)s member organisations", n)


def nobody(view: View) -> str:
    """What an area in scope with no counted organisation says."""
    return _("no listed member organisation") if view is View.LISTED else _("no member organisation")


def not_shown() -> str:
    """What a withheld count says."""
    return _("not shown")


def no_data() -> str:
    """What an area outside the network's scope, or a map with nothing recorded, says."""
    return _("no data")


def note(view: View, threshold: int) -> str:
    """One sentence on what the view counts, for every answer and legend."""
    if view is View.LISTED:
        return _("Counts only member organisations that chose to be listed publicly; organisations "
                 "that chose not to be listed are not counted.")
    if view is View.REACH:
        return _("Counts every active member organisation, listed or not, today. Counts below "
                 "%(threshold)s, and some others, are not shown, so that they cannot be worked out.",
                 threshold=threshold)
    return _("Every active member organisation, with names: for the network's board and secretariat.")


def reach_refusals(*, level: int = 1, reach_level: int = 1, on_other_day: bool = False,
                   other_set: bool = False, compare: bool = False, filters: Iterable[str] = ()) -> list[str]:
    """Why a request cannot be answered in the reach view (empty: it can). The reach view is
    one table: any other date, boundary set, finer level or filter is a new way to difference
    what it withholds."""
    reasons = []
    if level > reach_level:
        reasons.append(
            _("the reach view counts by provinces (level %(reach_level)s) or coarser, not level %(level)s",
              reach_level=reach_level, level=level) if reach_level == 1 else
            _("the reach view counts by countries (level %(reach_level)s) or coarser, not level %(level)s",
              reach_level=reach_level, level=level))
    if on_other_day or compare:
        reasons.append(_("the reach view is for today only"))
    if other_set:
        reasons.append(_("the reach view uses the boundary set in force today only"))
    reasons += [_(_NO_FILTER.get(name, _NO_OTHER_FILTER), filter=name.replace("_", " "))
                for name in filters]
    return reasons


# The filters a request can name, each its own sentence (word order differs between languages).
_NO_FILTER = {"priority_area": N_("the reach view takes no priority area filter"),
              "population": N_("the reach view takes no population filter"),
              "service": N_("the reach view takes no service filter")}
_NO_OTHER_FILTER = N_("the reach view takes no %(filter)s filter")


def _exact(view: View, n: int) -> Shown:
    if n == 0:
        return Shown(AreaStatus.NONE, 0, nobody(view))
    return Shown(AreaStatus.COUNTED, n, organisations(view, n))


def _suppress(cells: Sequence[Cell], placed: int, placed_listed: int, threshold: int) -> tuple[set[str], bool]:
    """The cells to withhold, and whether the total must be withheld too.

    Anyone knows, for each cell, the listed organisations in it (the directory) and, for a
    withheld cell, that it is not empty (empty cells are shown). With the total published they
    also know what the withheld cells hold together, and how many unlisted organisations there
    are in all. A withheld cell is safe when neither pins it to one value."""
    t = threshold
    withheld = {c.code for c in cells if 0 < c.members < t or 0 < c.members - c.listed < t}
    if not withheld:
        return withheld, False
    # With the total and the listed total public, the unlisted organisations are counted: if
    # there is only one, a withheld cell without a listed organisation holds exactly it.
    unlisted = placed - placed_listed
    if unlisted <= 1 and any(c.listed == 0 and c.members > c.listed for c in cells if c.code in withheld):
        return withheld, True
    while not _safe(cells, withheld, placed):
        shown = [c for c in cells if c.code not in withheld and c.members > 0]
        # The smallest shown cell that widens what the withheld cells may hold; failing that,
        # the smallest one (a second withheld cell); failing that, the total goes.
        widening = [c for c in shown if c.members > max(c.listed, 1)]
        candidates = widening or ([] if len(withheld) >= 2 else shown)
        if not candidates:
            return withheld, True
        withheld.add(min(candidates, key=lambda c: (c.members, c.code)).code)
    return withheld, False


def _safe(cells: Sequence[Cell], withheld: set[str], placed: int) -> bool:
    hidden = [c for c in cells if c.code in withheld]
    if len(hidden) < 2:
        return False
    # What the withheld cells hold together, less the least each must hold: the room every
    # withheld cell's count has to move in. Organisations in several areas make the sum of the
    # cells larger than `placed`, which only makes this estimate of the room smaller.
    together = placed - sum(c.members for c in cells if c.code not in withheld)
    return together - sum(max(c.listed, 1) for c in hidden) >= 1
