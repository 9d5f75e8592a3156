"""The counting methods behind one interface, and Meek's count.

Meek figures below are worked by hand in units of 10**-9; the working is in the comments.
"""

import json
import random
from decimal import Decimal

import pytest

from registry.elections.methods import METHODS, REGISTERED, BallotKind, Method, counting_method
from registry.elections.results import named_by_public_ids
from registry.elections.tally import InvalidBallot, StageAction, TieBreakMethod, meek_stv, scottish_stv

D = Decimal


def test_every_registered_method_is_a_stored_name_with_a_label_and_a_ballot_kind():
    assert [m.value for m in Method] == [m.name for m in REGISTERED] == list(METHODS)
    assert {m.name: m.ballot_kind for m in REGISTERED} == {
        "block_plurality": BallotKind.CHOOSE_UP_TO, "scottish_stv": BallotKind.RANKED,
        "meek_stv": BallotKind.RANKED,
    }
    for method in REGISTERED:
        assert method.label and method.explanation
        result = method.count([["A"], ["B"], ["A"]], ["A", "B"], 1, seed=1)
        assert (result.method, result.elected) == (method.name, ("A",))


def test_a_name_no_method_has_is_a_value_error():
    with pytest.raises(ValueError, match="no counting method is called 'borda'"):
        counting_method("borda")


def test_meek_passes_a_surplus_on_by_a_keep_factor():
    ballots = (
        [["A", "B"]] * 31 + [["A", "C"]] * 20 + [["B"]] * 20 + [["C", "D"]] * 17
        + [["D", "C"]] * 12 + [[]] * 2
    )
    result = meek_stv(ballots, ["A", "B", "C", "D"], 2, seed=1)

    first, surplus, exclusion = result.rounds
    # 100 valid ballots, nothing exhausted: quota = 100 / 3 truncated to 9 places, plus 10**-9.
    assert (result.valid_ballots, result.abstentions) == (100, 2)
    assert first.quota == D("33.333333334") and first.elected == ("A",)
    # A's keep factor: 33.333333334 / 51 = 0.65359477125..., rounded up. A then keeps
    # 0.653594772 of each of its 51 ballots (33.333333372, 38 units over the quota, under
    # omega = 1000 units) and passes on 0.346405228: 31 of them to B, 20 to C.
    assert (surplus.action, surplus.keep_factors) == (StageAction.SURPLUS, {"A": D("0.653594772")})
    assert dict(surplus.votes) == {"A": D("33.333333372"), "B": D("30.738562068"),
                                   "C": D("23.928104560"), "D": D(12)}
    assert dict(surplus.transfers) == {"B": D("10.738562068"), "C": D("6.928104560")}
    # D, lowest, is excluded as if it had never stood: its 12 go to C, who reaches the quota.
    assert (exclusion.action, exclusion.candidate, exclusion.elected) == (StageAction.EXCLUSION, "D", ("C",))
    assert exclusion.votes["C"] == D("35.928104560") and "D" not in exclusion.votes
    assert result.elected == ("A", "C") and result.unfilled_seats == 0
    data = result.to_dict()
    assert data["quota"] == "33.333333334" and data["rounds"][1]["keep_factors"] == {"A": "0.653594772"}


def test_meek_counts_an_excluded_candidates_ballots_through_an_elected_one():
    # 2 seats. A is elected first with a surplus; X is excluded, and its ballots X > A > B
    # reach A, who keeps its share and passes the rest to B: under the Scottish rules A's
    # surplus has already moved and X's ballots skip A entirely, so all go to B.
    ballots = [["A"]] * 10 + [["X", "A", "B"]] * 3 + [["B"]] * 4 + [["C"]] * 6
    meek = meek_stv(ballots, ["A", "B", "C", "X"], 2, seed=1)
    exclusion = next(s for s in meek.rounds if s.action == StageAction.EXCLUSION)
    assert exclusion.candidate == "X"
    keep = exclusion.keep_factors["A"]
    assert D(0) < keep < D(1)
    # B has its own 4 and what passes through A from X's 3 ballots (A keeps about `keep` of each).
    assert abs(exclusion.votes["B"] - (4 + 3 * (1 - keep))) < D("0.000001")
    scottish = scottish_stv(ballots, ["A", "B", "C", "X"], 2, seed=1)
    assert next(s for s in scottish.rounds if s.candidate == "X").transfers == {"B": D(3)}


def test_meek_accounts_for_every_vote_at_every_stage_exactly():
    rng = random.Random(15)
    for _ in range(40):
        names = list("ABCDEFG")[: rng.randint(2, 7)]
        ballots = [rng.sample(names, rng.randint(0, len(names))) for _ in range(rng.randint(1, 60))]
        seats = rng.randint(1, 4)
        result = meek_stv(ballots, names, seats, seed=rng.randrange(1000))
        exhausted = D(0)
        for stage in result.rounds:
            exhausted += stage.exhausted
            assert sum(stage.votes.values()) + exhausted == result.valid_ballots
        if result.valid_ballots:
            assert len(result.elected) == min(seats, len(names))
        assert len(set(result.elected)) == len(result.elected)


def test_meek_ties_for_exclusion_go_to_a_recorded_lot_that_the_seed_replays():
    ballots = [["A"]] * 3 + [["B"]] + [["C"]]
    results = [meek_stv(ballots, ["A", "B", "C"], 2, seed=seed) for seed in range(20)]
    for seed, result in enumerate(results):
        (tie,) = result.tie_breaks
        assert (tie.method, tie.purpose, tie.candidates, tie.seed, tie.draw) == (
            TieBreakMethod.LOT, "exclusion", ("B", "C"), seed, 1)
        assert result.elected == ("A", ({"B", "C"} - set(tie.outcome)).pop())
        assert meek_stv(ballots, ["A", "B", "C"], 2, seed=seed) == result
    assert {r.tie_breaks[0].outcome for r in results} == {("B",), ("C",)}


def test_meek_fills_the_last_seats_with_whoever_still_stands():
    result = meek_stv([["A"]] * 5 + [["B"]], ["A", "B", "C"], 3, seed=1)
    assert (result.elected[:1], set(result.elected), result.unfilled_seats) == (("A",), {"A", "B", "C"}, 0)
    assert result.rounds[-1].action == StageAction.FINAL
    fewer = meek_stv([["A"]], ["A", "B"], 3, seed=1)
    assert (set(fewer.elected), fewer.unfilled_seats) == ({"A", "B"}, 1)


def test_meek_with_every_ballot_abstaining_elects_nobody():
    result = meek_stv([[], []], ["A", "B"], 1, seed=1)
    assert (result.elected, result.unfilled_seats, result.abstentions, result.rounds) == ((), 1, 2, ())


def test_meek_does_not_depend_on_the_order_of_the_ballots():
    rng = random.Random(7)
    ballots = [rng.sample("ABCDE", rng.randint(1, 5)) for _ in range(80)]
    first = meek_stv(ballots, list("ABCDE"), 3, seed=3)
    rng.shuffle(ballots)
    assert meek_stv(ballots, list("ABCDE"), 3, seed=3) == first


@pytest.mark.parametrize("ballot", [["A", "A"], ["Z"], "AB"], ids=["named twice", "unknown", "a string"])
def test_meek_refuses_invalid_ballots(ballot):
    with pytest.raises(InvalidBallot):
        meek_stv([["A"], ballot], ["A", "B", "C"], 2, seed=1)


def test_the_scottish_result_is_written_as_before_without_meeks_fields():
    data = scottish_stv([["A", "B"], ["B"], ["A"]], ["A", "B"], 1, seed=1).to_dict()
    assert all(set(stage) == {"stage", "action", "candidate", "transfer_value", "votes", "transfers",
                              "exhausted", "fractions_lost", "elected"} for stage in data["rounds"])
    assert data["quota"] == "2.00000"



@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_counts_public_ids_as_it_counts_numbers_lots_included(method):
    # Public ids sort in no particular order: here the reverse of the numbers they stand for.
    names = {str(n): letter * 12 for n, letter in enumerate("ZYXWV")}
    numbered = [[0, 1], [1, 0], [2, 3], [3, 2], [4]]  # everyone ties: a lot decides
    named = [[names[str(c)] for c in b] for b in numbered]
    by_number = counting_method(method).count(numbered, list(range(5)), 2, seed="seed").to_dict()
    by_name = counting_method(method).count(named, list(names.values()), 2, seed="seed").to_dict()
    assert any(t["method"] == "lot" for t in by_name["tie_breaks"])
    # The same count, the same lots, with each number read as its name.
    assert json.loads(json.dumps(by_name)) == named_by_public_ids(json.loads(json.dumps(by_number)), names)
