"""geo.disclosure: what each view shows, and the reach view's withholding against an attacker who
knows the rule, the directory (every listed organisation with its provinces) and the totals."""

from __future__ import annotations

import random

import pytest

from geo.disclosure import AreaStatus, Cell, View, disclose, reach_refusals


def reach(cells: list[tuple[int, int]], threshold: int = 5):
    """The reach view of cells given as (members, listed), one province per organisation."""
    table = [Cell(f"VN-{i:02d}", n, listed) for i, (n, listed) in enumerate(cells)]
    placed, listed = sum(n for n, _ in cells), sum(lst for _, lst in cells)
    return table, disclose(View.REACH, table, placed=placed, placed_listed=listed, unplaced=0,
                           threshold=threshold)


def feasible_ranges(table: list[Cell], shown) -> dict[str, tuple[int, int | None]]:
    """What an attacker can work out of each withheld cell: at least its listed organisations
    (the directory) and at least one (empty cells are shown); with the total published, the
    withheld cells hold the total less the shown cells together, and no cell holds more unlisted
    organisations than the total less the listed total."""
    hidden = [c for c in table if shown.cells[c.code].status is AreaStatus.MASKED]
    low = {c.code: max(c.listed, 1) for c in hidden}
    if shown.total is None:
        return {code: (b, None) for code, b in low.items()}
    together = shown.total - sum(shown.cells[c.code].count for c in table if c.code not in low)
    unlisted = shown.total - sum(c.listed for c in table)
    return {c.code: (low[c.code], min(together - (sum(low.values()) - low[c.code]), c.listed + unlisted))
            for c in hidden}


def assert_nothing_pinned(table: list[Cell], shown) -> None:
    ranges = feasible_ranges(table, shown)
    for cell in table:
        if cell.code in ranges and cell.members > cell.listed:
            low, high = ranges[cell.code]
            assert low <= cell.members and (high is None or cell.members <= high), "infeasible model"
            assert high is None or high > low, f"{cell} is pinned to {low} by {shown}"


def test_the_listed_and_internal_views_are_exact():
    cells = [Cell("VN-01", 2, 2), Cell("VN-02", 0, 0)]
    listed = disclose(View.LISTED, cells, placed=2, placed_listed=2, unplaced=1)
    assert [(s.status, s.count, s.label) for s in listed.cells.values()] == [
        (AreaStatus.COUNTED, 2, "2 listed member organisations"),
        (AreaStatus.NONE, 0, "no listed member organisation")]
    assert (listed.total, listed.total_label, listed.not_on_map) == (2, "2 listed member organisations", 1)
    internal = disclose(View.INTERNAL, cells, placed=2, placed_listed=2, unplaced=0)
    assert internal.cells["VN-02"].label == "no member organisation"


def test_small_counts_and_small_unlisted_parts_are_withheld_alike():
    table, shown = reach([(3, 3), (12, 10), (8, 0), (20, 20), (0, 0), (9, 3)])
    status = {c.code: shown.cells[c.code] for c in table}
    assert status["VN-00"].label == status["VN-01"].label == "not shown"  # 3 members; 2 unlisted
    assert status["VN-02"].count == 8 and status["VN-03"].count == 20  # 8 unlisted; none unlisted
    assert status["VN-04"].status is AreaStatus.NONE  # an empty area is shown empty
    assert status["VN-05"].count == 9  # 6 unlisted
    assert shown.total == 52
    assert_nothing_pinned(table, shown)


def test_a_lone_withheld_cell_gets_a_partner():
    # Alone, the withheld cell would be the total less the others: 2 unlisted in VN-00.
    table, shown = reach([(12, 10), (30, 30), (8, 0), (9, 3)])
    withheld = [c for c in table if shown.cells[c.code].status is AreaStatus.MASKED]
    assert len(withheld) >= 2 and shown.total == 59
    # The partner is the smallest shown cell that holds unlisted organisations (8, not 30).
    assert [c.code for c in withheld] == ["VN-00", "VN-02"]
    assert_nothing_pinned(table, shown)


def test_withheld_cells_whose_room_the_directory_closes_get_another():
    # VN-00 and VN-01 are withheld; with the total they hold 1 + 3 = 4, exactly the one VN-00
    # must hold (it is withheld, so not empty) and VN-01's 3 listed: VN-00's 1 unlisted is pinned.
    table, shown = reach([(1, 0), (3, 3), (20, 20), (7, 0)])
    assert shown.cells["VN-03"].status is AreaStatus.MASKED
    assert_nothing_pinned(table, shown)


def test_when_no_cell_can_help_the_total_is_withheld():
    # One unlisted organisation in all: with the totals public it would be pinned to VN-00.
    table, shown = reach([(1, 0), (7, 7), (9, 9)])
    assert shown.total is None and shown.total_label == "member organisations (the total is not shown)"
    assert_nothing_pinned(table, shown)
    # Two withheld cells and nothing else that holds an unlisted organisation.
    table, shown = reach([(1, 0), (1, 1), (30, 30)])
    assert shown.total is None
    assert_nothing_pinned(table, shown)


@pytest.mark.parametrize("seed", range(40))
def test_no_withheld_cell_with_an_unlisted_organisation_can_be_worked_out(seed):
    rng = random.Random(seed)
    for _ in range(50):
        cells = []
        for _ in range(rng.randint(1, 12)):
            listed = rng.choice([0, 0, 1, 2, 3, 5, 8, 15])
            unlisted = rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 5, 7, 12])
            cells.append((listed + unlisted, listed))
        threshold = rng.choice([2, 3, 5, 10])
        table, shown = reach(cells, threshold)
        assert_nothing_pinned(table, shown)
        withheld = [c for c in table if shown.cells[c.code].status is AreaStatus.MASKED]
        assert len(withheld) != 1 or shown.total is None
        assert all(c.members > 0 for c in withheld)  # an empty area is never withheld
        assert {shown.cells[c.code].label for c in withheld} <= {"not shown"}
        for cell in table:  # every primary rule holds
            if 0 < cell.members < threshold or 0 < cell.members - cell.listed < threshold:
                assert shown.cells[cell.code].status is AreaStatus.MASKED


def test_reach_refusals_name_every_other_dimension():
    assert reach_refusals(level=1, reach_level=1) == []
    assert reach_refusals(level=2, reach_level=1, on_other_day=True, other_set=True, compare=True,
                          filters=["service"]) == [
        "the reach view counts by provinces (level 1) or coarser, not level 2",
        "the reach view is for today only",
        "the reach view uses the boundary set in force today only",
        "the reach view takes no service filter",
    ]
    assert reach_refusals(level=1, reach_level=0) == [
        "the reach view counts by countries (level 0) or coarser, not level 1"]
