"""Counting ballots: Scottish STV (SSI 2007/42 schedule 1, rules 45-52) and block plurality.

Every expected figure below was worked by hand; the working is in the comments.
"""

import json
import random
from decimal import Decimal

import pytest

from registry.elections.tally import (
    InvalidBallot,
    StageAction,
    TieBreakMethod,
    block_plurality,
    scottish_stv,
)

D = Decimal


def by_action(result, action):
    return [stage for stage in result.rounds if stage.action == action]


# --- Scottish STV ------------------------------------------------------------------------------


def test_surplus_goes_on_at_a_truncated_transfer_value():
    ballots = (
        [["A", "B"]] * 31 + [["A", "C"]] * 20 + [["B"]] * 20 + [["C", "D"]] * 17
        + [["D", "C"]] * 12 + [[]] * 2
    )
    result = scottish_stv(ballots, ["A", "B", "C", "D"], 2, seed=1)

    # 100 valid papers (the 2 empty ones are abstentions): quota = floor(100 / 3) + 1 = 34.
    assert (result.valid_ballots, result.abstentions, result.quota) == (100, 2, D(34))
    first, surplus, exclusion = result.rounds
    # Stage 1: A 51 reaches the quota.
    assert first.votes == {"A": D(51), "B": D(20), "C": D(17), "D": D(12)}
    assert first.elected == ("A",)
    # Stage 2: A's surplus 17 of 51 -> 17/51 = 0.333333... truncated to 0.33333 a paper.
    # B gets 31 x 0.33333 = 10.33323, C gets 20 x 0.33333 = 6.66660; A is left at the quota,
    # and 17 - 10.33323 - 6.66660 = 0.00017 is lost to the truncation.
    assert (surplus.action, surplus.candidate) == (StageAction.SURPLUS, "A")
    assert surplus.transfer_value == D("0.33333")
    assert surplus.transfers == {"B": D("10.33323"), "C": D("6.66660")}
    assert surplus.votes == {"A": D(34), "B": D("30.33323"), "C": D("23.66660"), "D": D(12)}
    assert surplus.fractions_lost == D("0.00017")
    assert surplus.exhausted == 0
    # Stage 3: nobody has a surplus, D (12) is lowest and goes to C: 23.66660 + 12 = 35.66660.
    assert (exclusion.action, exclusion.candidate) == (StageAction.EXCLUSION, "D")
    assert exclusion.votes["C"] == D("35.66660")
    assert exclusion.elected == ("C",)
    assert result.elected == ("A", "C")
    assert result.unfilled_seats == 0


def test_a_second_surplus_weighs_each_paper_by_the_value_it_arrived_with():
    ballots = [["A", "B", "D"]] * 41 + [["B", "D"]] * 19 + [["C"]] * 18 + [["D"]] * 12 + [["E", "C"]] * 10
    result = scottish_stv(ballots, ["A", "B", "C", "D", "E"], 3, seed=1)

    # 100 valid, 3 seats: quota = floor(100 / 4) + 1 = 26. Stage 1: A 41 elected.
    assert result.quota == D(26)
    # Stage 2: A's surplus 15 / 41 = 0.365853... -> 0.36585; B gets 41 x 0.36585 = 14.99985,
    # reaching 19 + 14.99985 = 33.99985, over the quota.
    stage2 = result.rounds[1]
    assert stage2.transfers == {"B": D("14.99985")}
    assert stage2.elected == ("B",)
    # Stage 3: B's surplus 7.99985 of 33.99985 (rule 48(3)); every paper B holds goes on, each
    # at surplus x its value when B received it / B's total, truncated:
    #   19 first preferences (value 1):  7.99985 x 1 / 33.99985       = 0.235290... -> 0.23529
    #   41 papers from A (value 0.36585): 7.99985 x 0.36585 / 33.99985 = 0.086081... -> 0.08608
    # D gets 19 x 0.23529 + 41 x 0.08608 = 4.47051 + 3.52928 = 7.99979 (0.00006 lost).
    # A plain inclusive Gregory count would have moved all 60 papers at 0.23529 (14.11740).
    stage3 = result.rounds[2]
    assert (stage3.candidate, stage3.transfer_value) == ("B", D("0.23529"))
    assert stage3.transfers == {"D": D("7.99979")}
    assert stage3.fractions_lost == D("0.00006")
    assert stage3.votes["D"] == D("19.99979")
    # Stage 4: E (10) is lowest; C gets 18 + 10 = 28 >= 26 and fills the last seat.
    assert (result.rounds[3].candidate, result.rounds[3].elected) == ("E", ("C",))
    assert result.elected == ("A", "B", "C")


def test_exclusions_cascade_until_someone_reaches_the_quota():
    ballots = (
        [["A"]] * 10 + [["B"]] * 8 + [["C", "B"]] * 4 + [["D", "C", "B"]] * 2
        + [["E", "D", "C", "B"]] * 1
    )
    result = scottish_stv(ballots, ["A", "B", "C", "D", "E"], 1, seed=1)

    # 25 valid, 1 seat: quota = floor(25 / 2) + 1 = 13. Stage 1: A 10, B 8, C 4, D 2, E 1.
    # Stage 2: E out, its paper goes to D (3). Stage 3: D out, 3 papers to C (7).
    # Stage 4: C (7) out, all 7 papers reach B: 8 + 7 = 15 >= 13, so B beats A's 10.
    assert [(s.action, s.candidate) for s in result.rounds[1:]] == [
        (StageAction.EXCLUSION, "E"), (StageAction.EXCLUSION, "D"), (StageAction.EXCLUSION, "C"),
    ]
    assert result.rounds[2].votes == {"A": D(10), "B": D(8), "C": D(7)}
    assert result.rounds[3].transfers == {"B": D(7)}
    assert result.rounds[3].votes == {"A": D(10), "B": D(15)}
    assert result.elected == ("B",)
    assert result.tie_breaks == ()


def test_an_exclusion_tie_is_resolved_by_looking_back_to_an_earlier_stage():
    ballots = (
        [["A"]] * 10 + [["B"]] * 7 + [["C", "B"]] * 4 + [["D", "C", "B"]] * 2
        + [["E", "D", "C", "B"]] * 1
    )
    result = scottish_stv(ballots, ["A", "B", "C", "D", "E"], 1, seed=1)

    # 24 valid: quota 13. Stages: 1) A 10, B 7, C 4, D 2, E 1; 2) E out, D 3; 3) D out, C 7.
    # Now B and C both have 7. Rule 51(2)(a): at stage 2, the latest stage where they differed,
    # C had 4 to B's 7, so C is excluded, and its 7 papers carry B to 14 >= 13.
    assert result.rounds[2].votes["B"] == result.rounds[2].votes["C"] == D(7)
    (tie,) = result.tie_breaks
    assert (tie.method, tie.purpose, tie.stage, tie.lookback_stage) == (
        TieBreakMethod.LOOKBACK, "exclusion", 4, 2,
    )
    assert (tie.candidates, tie.outcome, tie.rule) == (("B", "C"), ("C",), "rule 51(2)(a)")
    assert result.rounds[3].candidate == "C"
    assert result.elected == ("B",)


def test_equal_surpluses_are_ordered_by_looking_back():
    ballots = (
        [["C", "B", "E"]] * 42 + [["A", "D"]] * 30 + [["B", "E"]] * 9 + [["D"]] * 10 + [["E"]] * 9
    )
    result = scottish_stv(ballots, ["A", "B", "C", "D", "E"], 4, seed=1)

    # 100 valid, 4 seats: quota = floor(100 / 5) + 1 = 21. Stage 1: C 42 and A 30 elected.
    # Stage 2: C's surplus (21, the larger) at 21/42 = 0.5 gives B 42 x 0.5 = 21 -> B 30.
    # A and B now both hold 30, surplus 9 each. Rule 49(2): at stage 1 A had 30 to B's 9, so A's
    # surplus goes first (stage 3: 30 papers at 0.3 give D 9 -> 19), then B's (stage 4: 9 first
    # preferences at 9/30 = 0.3 and 42 papers worth 0.5 at 9 x 0.5 / 30 = 0.15 give E
    # 2.7 + 6.3 = 9 -> 18). Stage 5: E (18) out, every paper exhausted (18). D, the only one
    # left for the last seat, is elected under rule 52 with 19, short of the quota.
    (tie,) = result.tie_breaks
    assert (tie.purpose, tie.method, tie.candidates, tie.outcome) == (
        "surplus order", TieBreakMethod.LOOKBACK, ("A", "B"), ("A",),
    )
    assert (tie.lookback_stage, tie.rule) == (1, "rule 49(2)")
    assert [(s.action, s.candidate) for s in result.rounds[1:4]] == [
        (StageAction.SURPLUS, "C"), (StageAction.SURPLUS, "A"), (StageAction.SURPLUS, "B"),
    ]
    assert result.rounds[3].transfers == {"E": D(9)}
    assert (result.rounds[4].candidate, result.rounds[4].exhausted) == ("E", D(18))
    final = result.rounds[-1]
    assert (final.action, final.elected, final.votes["D"]) == (StageAction.FINAL, ("D",), D(19))
    assert result.elected == ("C", "A", "B", "D")


def test_a_tie_equal_at_every_stage_is_decided_by_a_recorded_lot():
    ballots = [["A"]] * 5 + [["B", "C"]] * 3 + [["C", "B"]] * 3
    # 11 valid, 1 seat: quota 6. At stage 1 B and C tie on 3 with no earlier stage to look
    # back to, so a lot (rule 51(2)(b)) excludes one and the other reaches 3 + 3 = 6.
    results = [scottish_stv(ballots, ["A", "B", "C"], 1, seed=seed) for seed in range(20)]

    for seed, result in enumerate(results):
        (tie,) = result.tie_breaks
        assert (tie.method, tie.rule, tie.seed, tie.draw) == (TieBreakMethod.LOT, "rule 51(2)(b)", seed, 1)
        assert tie.candidates == ("B", "C")
        (loser,) = tie.outcome
        assert result.rounds[1].candidate == loser
        assert result.elected == tuple({"B", "C"} - {loser})
    # The same seed draws the same lot; across seeds both outcomes occur.
    assert scottish_stv(ballots, ["A", "B", "C"], 1, seed=7).to_dict() == results[7].to_dict()
    assert {r.elected for r in results} == {("B",), ("C",)}


def test_a_lookback_that_separates_only_some_leaves_the_rest_to_the_lot():
    ballots = [["A"]] * 12 + [["B"]] * 4 + [["C"]] * 3 + [["D"]] * 3 + [["E", "C"]] + [["E", "D"]]
    # 24 valid, 1 seat: quota 13. Stage 1: A 12, B 4, C 3, D 3, E 2. Stage 2: E out, C 4, D 4.
    # B, C and D now tie on 4. At stage 1 B had 4 to C's and D's 3: B is spared, and C and D,
    # equal at every stage, go to the lot. (Whichever survives ties B again at stage 4 and is
    # excluded by looking back to stage 1 once more; A then takes the seat under rule 52.)
    result = scottish_stv(ballots, ["A", "B", "C", "D", "E"], 1, seed=3)

    lookback, lot, _ = result.tie_breaks
    assert (lookback.method, lookback.candidates, lookback.outcome, lookback.lookback_stage) == (
        TieBreakMethod.LOOKBACK, ("B", "C", "D"), ("C", "D"), 1,
    )
    assert (lot.method, lot.candidates, lot.seed) == (TieBreakMethod.LOT, ("C", "D"), 3)
    assert result.rounds[2].candidate == lot.outcome[0]
    assert result.elected == ("A",)


def test_ballots_without_a_further_preference_are_exhausted():
    ballots = [["A"]] * 30 + [["A", "B"]] * 10 + [["B"]] * 12 + [["C"]] * 8
    result = scottish_stv(ballots, ["A", "B", "C"], 2, seed=1)

    # 60 valid, 2 seats: quota 21. Stage 1: A 40 elected, surplus 19, value 19/40 = 0.475.
    # Stage 2: the 30 papers naming only A are non-transferable: 30 x 0.475 = 14.25 exhausted;
    # B gets 10 x 0.475 = 4.75 -> 16.75. Stage 3: C (8) out, its 8 papers exhausted.
    # B, alone for the last seat, is elected under rule 52 below the quota.
    _, surplus, exclusion, final = result.rounds
    assert (surplus.exhausted, surplus.transfers) == (D("14.25"), {"B": D("4.75")})
    assert (exclusion.candidate, exclusion.exhausted, exclusion.transfers) == ("C", D(8), {})
    assert (final.action, final.elected, final.votes["B"]) == (StageAction.FINAL, ("B",), D("16.75"))
    assert result.elected == ("A", "B")


def test_fewer_candidates_than_seats_elects_all_and_reports_the_unfilled_seat():
    result = scottish_stv([["A"]] * 5 + [["B"]] * 2, ["A", "B"], 3, seed=1)

    # 7 valid, 3 seats: quota = floor(7 / 4) + 1 = 2. A (5) and B (2) reach it at stage 1;
    # the third seat has nobody to fill it.
    assert result.elected == ("A", "B")
    assert result.unfilled_seats == 1


def test_fewer_candidates_than_seats_elects_even_those_short_of_the_quota():
    result = scottish_stv([["A"]] * 9 + [["B"]], ["A", "B"], 3, seed=1)

    # Quota floor(10 / 4) + 1 = 3: A is elected on it, B by rule 52 with 1 vote.
    assert result.rounds[0].elected == ("A",)
    assert result.rounds[-1].action == StageAction.FINAL
    assert result.rounds[-1].elected == ("B",)
    assert (result.elected, result.unfilled_seats) == (("A", "B"), 1)


def test_when_every_ballot_abstains_nobody_is_elected():
    result = scottish_stv([[], [], ()], ["A", "B", "C"], 2, seed=1)

    # No valid paper: quota = floor(0 / 3) + 1 = 1, and nobody is elected (not even by lot).
    assert (result.valid_ballots, result.abstentions, result.quota) == (0, 3, D(1))
    assert (result.elected, result.unfilled_seats) == ((), 2)
    assert result.rounds[0].votes == {"A": 0, "B": 0, "C": 0}
    assert result.to_dict()["quota"] == "1.00000"


def test_no_ballots_at_all_is_a_count_too():
    result = scottish_stv([], ["A", "B"], 1, seed=1)
    assert (result.elected, result.unfilled_seats, result.valid_ballots) == ((), 1, 0)


@pytest.mark.parametrize(
    "ballot",
    [["A", "Z"], ["A", "B", "A"], "AB", [["A"]]],
    ids=["unknown candidate", "named twice", "a string", "unhashable"],
)
def test_stv_refuses_invalid_ballots(ballot):
    with pytest.raises(InvalidBallot):
        scottish_stv([["A", "B"], ballot], ["A", "B", "C"], 1, seed=1)


def test_an_invalid_ballot_is_a_value_error():
    with pytest.raises(ValueError, match="more than once"):
        scottish_stv([["A", "A"]], ["A"], 1, seed=1)


@pytest.mark.parametrize("count", [scottish_stv, block_plurality])
def test_the_election_itself_must_make_sense(count):
    with pytest.raises(ValueError):
        count([], ["A", "B"], 0, seed=1)
    with pytest.raises(ValueError):
        count([], ["A", "A"], 1, seed=1)
    with pytest.raises(TypeError):
        count([], ["A", "B"], 1, seed=None)


def test_the_result_is_plain_json_with_votes_as_five_decimal_strings():
    ballots = [["A", "B"]] * 31 + [["A", "C"]] * 20 + [["B"]] * 20 + [["C", "D"]] * 17 + [["D", "C"]] * 12
    data = scottish_stv(ballots, ["A", "B", "C", "D"], 2, seed="2026 AGM").to_dict()

    assert json.loads(json.dumps(data)) == data
    assert (data["method"], data["quota"], data["seed"]) == ("scottish_stv", "34.00000", "2026 AGM")
    assert data["rounds"][1]["votes"]["B"] == "30.33323"
    assert data["rounds"][1]["transfer_value"] == "0.33333"
    assert data["rounds"][1]["action"] == "surplus"
    assert data["elected"] == ["A", "C"]


def random_election(rng):
    candidates = list("ABCDEFGH")[: rng.randint(3, 8)]
    ballots = [rng.sample(candidates, rng.randint(0, len(candidates))) for _ in range(rng.randint(10, 200))]
    return candidates, rng.randint(1, 4), ballots


def test_every_vote_is_accounted_for_at_every_stage():
    rng = random.Random(45)
    for _ in range(100):
        candidates, seats, ballots = random_election(rng)
        result = scottish_stv(ballots, candidates, seats, seed=1)
        set_aside = D(0)
        for stage in result.rounds:
            set_aside += stage.exhausted + stage.fractions_lost
            assert sum(stage.votes.values()) + set_aside == result.valid_ballots
        assert len(result.elected) + result.unfilled_seats == seats


def test_the_order_of_the_ballots_does_not_matter():
    rng = random.Random(46)
    for _ in range(30):
        candidates, seats, ballots = random_election(rng)
        shuffled = rng.sample(ballots, len(ballots))
        assert (
            scottish_stv(ballots, candidates, seats, seed=5).to_dict()
            == scottish_stv(shuffled, candidates, seats, seed=5).to_dict()
        )


# --- Block plurality ---------------------------------------------------------------------------


def test_block_plurality_elects_the_most_named():
    ballots = [["A", "B"]] * 4 + [["B", "C"]] * 3 + [["C"]] * 2 + [[]]
    result = block_plurality(ballots, ["A", "B", "C", "D"], 2, seed=1)

    # A 4, B 7, C 5, D 0: B and C take the two seats.
    assert result.elected == ("B", "C")
    assert result.rounds[0].votes == {"A": D(4), "B": D(7), "C": D(5), "D": D(0)}
    assert (result.quota, result.valid_ballots, result.abstentions) == (None, 9, 1)
    assert result.tie_breaks == ()
    assert result.to_dict()["rounds"][0]["votes"]["B"] == "7.00000"


def test_block_plurality_breaks_a_tie_for_the_last_seat_by_a_recorded_lot():
    ballots = [["A", "B"]] * 3 + [["A", "C"]] * 3 + [["D"]]
    # A 6, B 3, C 3, D 1: A is elected; B and C tie for the second seat.
    results = [block_plurality(ballots, ["A", "B", "C", "D"], 2, seed=seed) for seed in range(20)]

    for seed, result in enumerate(results):
        (tie,) = result.tie_breaks
        assert (tie.method, tie.purpose, tie.candidates, tie.seed) == (
            TieBreakMethod.LOT, "last seat", ("B", "C"), seed,
        )
        assert result.elected == ("A", *tie.outcome)
    assert {r.elected for r in results} == {("A", "B"), ("A", "C")}
    assert block_plurality(ballots, ["A", "B", "C", "D"], 2, seed=11) == results[11]


def test_block_plurality_lot_can_fill_several_tied_seats():
    ballots = [["A", "B", "C"], ["A", "D", "E"], ["B", "C", "D"], ["E"]]
    # A 2, B 2, C 2, D 2, E 2: five tie for three seats; the lot picks three.
    result = block_plurality(ballots, list("ABCDE"), 3, seed=9)
    (tie,) = result.tie_breaks
    assert len(tie.outcome) == 3 and set(tie.outcome) <= set("ABCDE")
    assert set(result.elected) == set(tie.outcome)


def test_block_plurality_fills_a_seat_nobody_was_named_for_by_lot_as_stv_would():
    # A 2, B 1, C and D 0: the third seat goes to C or D by a recorded lot, as STV would exclude
    # one of them by lot and elect the other by rule 52.
    results = [block_plurality([["A"], ["A", "B"]], ["A", "B", "C", "D"], 3, seed=seed) for seed in range(20)]
    for seed, result in enumerate(results):
        (tie,) = result.tie_breaks
        assert (result.elected[:2], result.unfilled_seats) == (("A", "B"), 0)
        assert (tie.candidates, tie.seed, tie.draw) == (("C", "D"), seed, 1)
        assert result.elected[2:] == tie.outcome
    assert {r.elected[2] for r in results} == {"C", "D"}


def test_block_plurality_with_fewer_candidates_than_seats_elects_them_all():
    result = block_plurality([["A"]], ["A", "B"], 3, seed=1)
    assert (result.elected, result.unfilled_seats, result.tie_breaks) == (("A", "B"), 1, ())


def test_block_plurality_with_every_ballot_abstaining_elects_nobody():
    result = block_plurality([[], []], ["A", "B"], 1, seed=1)
    assert (result.elected, result.unfilled_seats, result.abstentions) == ((), 1, 2)


@pytest.mark.parametrize(
    "ballot",
    [["A", "B", "C"], ["A", "A"], ["Z"]],
    ids=["more choices than seats", "named twice", "unknown candidate"],
)
def test_block_plurality_refuses_invalid_ballots(ballot):
    with pytest.raises(InvalidBallot):
        block_plurality([["A"], ballot], ["A", "B", "C"], 2, seed=1)
