"""Whole elections worked by hand, from the first nomination to the officeholders and the
published result: every figure below was worked out on paper, and the working is in the
comments. Candidates stand in ballot-paper order (by name), which matters only for a lot."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from registry.governance import services as governance
from registry.db import today
from registry.elections import ballots, results
from registry.elections.counting import count_election
from registry.elections.models import ElectionPhase
from registry.errors import InvalidTransition
from tests.factories import SYSTEM, board, editor
from tests.registry.test_elections import Ready, ready_election

P = ElectionPhase


@pytest.fixture
def ready(session, make_org, member_of, vnsw):
    return lambda **kw: ready_election(session, make_org, member_of, vnsw, **kw)


def vote(r: Ready, *papers) -> None:
    """Member i casts papers[i]: a list of names, or {group: names}."""
    for member, paper in zip(r.members, papers):
        choices = ({g: r.ids(*names) for g, names in paper.items()} if isinstance(paper, dict)
                   else r.ids(*paper))
        ballots.cast_ballot(r.session, editor(member), r.election, member, choices)


def count_and_certify(r: Ready) -> results.PublishedResult:
    r.move(P.VOTING_CLOSED)
    r.move(P.TALLIED)
    r.move(P.CERTIFIED)
    return results.published_result(r.session, board(r.network), r.election)


def seated(r: Ready, on: dt.date | None = None) -> list[tuple[int, str | None]]:
    return [(h.seat.number, h.holder.name if h.holder else None)
            for h in governance.composition(r.session, board(r.network), r.body, on)]


def test_stv_a_surplus_with_exhausted_papers_then_two_exclusions(session, ready):
    r = ready(members=10, seats=2, candidates=("Ana", "Binh", "Chau", "Dung"), quorum_percent=50)
    vote(r, ["Ana", "Binh"], ["Ana", "Binh"], ["Ana", "Binh"], ["Ana", "Binh"], ["Ana"],
         ["Chau"], ["Chau"], ["Dung", "Chau"], ["Binh", "Dung"])  # the tenth member does not vote
    result = count_and_certify(r)

    # 9 valid papers for 2 seats: quota = floor(9 / 3) + 1 = 4. Turnout 9 of 10 meets 50%.
    (count,) = result.counts
    assert (result.roll, result.turnout, result.quorum_met, count["quota"]) == (10, 9, True, "4.00000")
    first, surplus, out_dung, out_binh, final = count["rounds"]
    ana, binh, chau, dung = (str(i) for i in r.ids("Ana", "Binh", "Chau", "Dung"))
    # Stage 1: Ana 5, Binh 1, Chau 2, Dung 1; Ana passes the quota.
    assert first["votes"] == {ana: "5.00000", binh: "1.00000", chau: "2.00000", dung: "1.00000"}
    assert first["elected"] == [ana]
    # Stage 2: Ana's surplus of 1 over her 5 papers: 1/5 = 0.20000 each. Four papers go on
    # to Binh (0.80000); the plain "Ana" paper has no next preference: 0.20000 exhausted.
    assert (surplus["candidate"], surplus["transfer_value"]) == (ana, "0.20000")
    assert surplus["transfers"] == {binh: "0.80000"} and surplus["exhausted"] == "0.20000"
    # Stage 3: Dung is lowest (1) and his paper goes on to Chau: 2 + 1 = 3, short of 4.
    assert (out_dung["candidate"], out_dung["votes"][chau]) == (dung, "3.00000")
    # Stage 4: two left for one seat, so Binh (1.80000) is excluded. His own paper's next
    # choice, Dung, is out: 1 exhausted; the four papers from Ana name nobody after him:
    # 4 x 0.20000 = 0.80000 exhausted. 1.80000 in all.
    assert (out_binh["action"], out_binh["candidate"], out_binh["exhausted"]) == ("exclusion", binh, "1.80000")
    # Stage 5: Chau is the only one left for the last seat (rule 52).
    assert (final["action"], final["elected"]) == ("final", [chau])
    assert [(e.name, e.seats_for) for e in result.elected] == [("Ana", "open"), ("Chau", "open")]
    # Both take a two-year term from today.
    assert seated(r) == [(1, "Ana"), (2, "Chau")]
    holder = governance.composition(session, board(r.network), r.body)[0].holder
    assert (holder.starts_on, holder.ends_on) == (today(), governance.add_months(today(), 24) - dt.timedelta(days=1))
    assert holder.nominated_by_id == r.members[0].id and holder.election_id == r.election.id


def test_block_plurality_a_tie_for_the_last_seat_goes_to_a_recorded_lot(session, ready):
    r = ready(members=5, seats=2, method="block_plurality")
    vote(r, ["Ana", "Binh"], ["Ana", "Chau"], ["Ana"], ["Binh"], ["Chau"])
    result = count_and_certify(r)

    # Ana 3, Binh 2, Chau 2: Ana wins, and Binh and Chau tie for the second seat. The lot is
    # random.Random(seed).choice over the tied, in ballot-paper order, and the seed is the
    # ballot list's root, which nobody chose.
    ana, binh, chau = r.ids("Ana", "Binh", "Chau")
    seed = r.election.ballot_list_root
    drawn = random.Random(seed).choice([binh, chau])
    (count,) = result.counts
    assert count["rounds"][0]["votes"] == {str(ana): "3.00000", str(binh): "2.00000", str(chau): "2.00000"}
    assert count["tie_breaks"] == [{
        "stage": 1, "purpose": "last seat", "rule": "block plurality: decided by lot", "method": "lot",
        "candidates": [binh, chau], "outcome": [drawn], "seed": seed, "lookback_stage": None, "draw": 1,
    }]
    assert [e.nomination_id for e in result.elected] == [ana, drawn]
    assert (result.seed, result.seed_from) == (seed, "ballot_list_root")
    # The same ballots replay the same lot.
    assert count_election(session, r.election)["counts"] == result.counts


def test_fewer_candidates_than_seats_leaves_a_seat_vacant(session, ready):
    r = ready(members=3, seats=3, method="block_plurality", candidates=("Ana", "Binh"))
    vote(r, ["Ana", "Binh"], ["Ana"], ["Binh", "Ana"])
    result = count_and_certify(r)
    # Ana 3, Binh 2: both elected, the third seat is unfilled and stays vacant.
    assert (result.counts[0]["unfilled_seats"], [e.name for e in result.elected]) == (1, ["Ana", "Binh"])
    assert seated(r) == [(1, "Ana"), (2, "Binh"), (3, None)]


def test_stv_fewer_candidates_than_seats_are_all_elected_without_a_count(session, ready):
    r = ready(members=3, seats=3, candidates=("Ana", "Binh"))
    vote(r, ["Ana"], ["Ana", "Binh"], [])
    result = count_and_certify(r)
    # 2 valid papers for 3 seats, quota floor(2/4) + 1 = 1: Ana reaches it at stage 1 with 2;
    # then only Binh is left for the two seats still open, so rule 52 elects him.
    (count,) = result.counts
    assert (count["quota"], count["abstentions"], count["unfilled_seats"]) == ("1.00000", 1, 1)
    assert [s["action"] for s in count["rounds"]] == ["first_preferences", "final"]
    assert [e.name for e in result.elected] == ["Ana", "Binh"]


def test_when_every_ballot_abstains_nobody_is_elected(session, ready):
    r = ready(members=3, seats=2, quorum_percent=100)
    vote(r, [], [], [])
    result = count_and_certify(r)
    # Full turnout meets the quorum; no valid paper, so no quota to reach and no seat filled.
    (count,) = result.counts
    assert (result.turnout, result.quorum_met, count["valid_ballots"], count["abstentions"]) == (3, True, 0, 3)
    assert (result.elected, count["unfilled_seats"]) == ([], 2)
    assert seated(r) == [(1, None), (2, None)]
    assert "Elected:\n  nobody\n" in results.format_result(result)


def test_a_result_below_quorum_cannot_be_certified(session, ready):
    r = ready(members=5, seats=1, quorum_percent=60)
    vote(r, ["Ana"], ["Binh"])
    r.move(P.VOTING_CLOSED, P.TALLIED)
    # 2 of 5 voted: 40% < 60%.
    assert (r.election.result["turnout"], r.election.result["quorum_met"]) == (2, False)
    with pytest.raises(InvalidTransition, match="turnout 2 of 5 is below the quorum of 60%"):
        r.move(P.CERTIFIED)
    r.move(P.CANCELLED, reason="quorum not reached; the vote will be rerun at the AGM")
    assert seated(r) == [(1, None)]
    # The network can still see why: the count and the turnout are published.
    published = results.published_result(session, editor(r.members[4]), r.election)
    assert (published.phase, published.quorum_met, published.certified_on) == (P.CANCELLED, False, None)


def test_reserved_seats_are_filled_first_and_their_runners_up_may_win_open_seats(session, ready):
    r = ready(members=5, seats=3, body_kw={"reserved_seats": {"North": 1}},
              candidates=("Hanh", "Lan", "Mai", "Nga"), constituencies={"Hanh": "North", "Lan": "North"})
    vote(r,
         {"North": ["Hanh"], "open": ["Hanh", "Mai"]},
         {"North": ["Hanh", "Lan"], "open": ["Mai", "Lan"]},
         {"North": ["Lan"], "open": ["Lan", "Nga"]},
         {"North": ["Hanh"], "open": ["Nga"]},
         {"open": ["Mai"]})
    result = count_and_certify(r)
    north, open_seats = result.counts
    hanh, lan, mai, nga = (str(i) for i in r.ids("Hanh", "Lan", "Mai", "Nga"))

    # North (1 seat): 4 valid parts (the fifth abstains), quota floor(4/2) + 1 = 3.
    # Hanh has 3 first preferences and takes the reserved seat at stage 1.
    assert (north["seats_for"], north["quota"], north["abstentions"]) == ("North", "3.00000", 1)
    assert north["rounds"][0]["votes"] == {hanh: "3.00000", lan: "1.00000"}
    assert north["elected"] == [hanh]
    # Open (2 seats) among Lan, Mai and Nga; Hanh is skipped on every open part, so the
    # first part reads just "Mai". 5 valid, quota floor(5/3) + 1 = 2.
    # Stage 1: Mai 3, Lan 1, Nga 1: Mai is elected.
    # Stage 2: Mai's surplus 1 over 3 papers: 0.33333 each. Two papers name nobody after her
    # (0.66666 exhausted), one goes on to Lan (1.33333); 0.00001 is lost to truncation.
    # Stage 3: Nga (1) is excluded and her paper is exhausted. Stage 4: Lan fills the last seat.
    assert open_seats["quota"] == "2.00000"
    assert set(open_seats["rounds"][0]["votes"]) == {lan, mai, nga}
    s2 = open_seats["rounds"][1]
    assert (s2["transfers"], s2["exhausted"], s2["fractions_lost"]) == ({lan: "0.33333"}, "0.66666", "0.00001")
    assert [s["action"] for s in open_seats["rounds"]] == ["first_preferences", "surplus", "exclusion", "final"]
    assert [(e.name, e.seats_for) for e in result.elected] == [("Hanh", "North"), ("Mai", "open"), ("Lan", "open")]
    # Seat 1 is the reserved one.
    assert seated(r) == [(1, "Hanh"), (2, "Mai"), (3, "Lan")]


def test_a_reserved_seat_nobody_stands_for_stays_vacant(session, ready):
    r = ready(members=3, seats=2, method="block_plurality", body_kw={"reserved_seats": {"South": 1}},
              candidates=("Ana", "Binh"))
    vote(r, ["Ana"], ["Binh"], ["Ana"])
    result = count_and_certify(r)
    south, open_seat = result.counts
    assert (south["seats_for"], south["unfilled_seats"], south["valid_ballots"]) == ("South", 1, 0)
    assert [e.name for e in result.elected] == ["Ana"]
    assert seated(r) == [(1, None), (2, "Ana")]


def test_staggered_terms_a_founding_election_then_one_class_a_year(session, make_org, member_of, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=4,
                                  term_months=24, term_classes=2)
    assert [(s.number, s.term_class) for s in body.seat_plan] == [(1, 1), (2, 1), (3, 2), (4, 2)]
    founding = ready_election(session, make_org, member_of, vnsw, body=body, members=4, method="block_plurality",
                              candidates=("Ana", "Binh", "Chau", "Dung"), term_starts=dt.date(2024, 1, 1))
    vote(founding, ["Ana", "Binh", "Chau", "Dung"], ["Ana", "Binh", "Chau"], ["Ana", "Binh"], ["Ana"])
    count_and_certify(founding)
    # Ana 4, Binh 3, Chau 2, Dung 1, elected in that order: Ana and Binh take class 1 (a full
    # 24 months), Chau and Dung class 2, whose first term is (2 - 2 + 1)/2 of 24 = 12 months.
    terms = {h.name: (h.seat.number, h.starts_on, h.ends_on) for h in governance.officeholders_of(session, SYSTEM, body)}
    assert terms == {"Ana": (1, dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
                     "Binh": (2, dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
                     "Chau": (3, dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
                     "Dung": (4, dt.date(2024, 1, 1), dt.date(2024, 12, 31))}

    class2 = ready_election(session, make_org, member_of, vnsw, body=body, members=3, method="block_plurality",
                            candidates=("Chau", "Em"), term_class=2, term_starts=dt.date(2025, 1, 1))
    assert class2.election.seat_groups == {"open": 2}
    vote(class2, ["Chau", "Em"], ["Em"], ["Chau", "Em"])
    count_and_certify(class2)
    # Class 2 now runs 2025-2026 on a full term, a year out of step with class 1.
    assert seated(founding, dt.date(2024, 6, 1)) == [(1, "Ana"), (2, "Binh"), (3, "Chau"), (4, "Dung")]
    assert seated(founding, dt.date(2025, 6, 1)) == [(1, "Ana"), (2, "Binh"), (3, "Em"), (4, "Chau")]
    assert seated(founding, dt.date(2026, 6, 1)) == [(1, None), (2, None), (3, "Em"), (4, "Chau")]
    assert governance.consecutive_terms(session, body, "chau", before=dt.date(2027, 1, 1)) == 2


def test_certification_ends_the_term_of_whoever_still_holds_the_seat(session, ready, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=1)
    governance.record_officeholder(session, SYSTEM, body, name="Old hand", starts_on=dt.date(2015, 3, 1))
    r = ready(body=body, members=2, candidates=("Ana",), term_starts=dt.date(2025, 7, 1))
    vote(r, ["Ana"], ["Ana"])
    count_and_certify(r)
    old, new = governance.officeholders_of(session, SYSTEM, body)
    assert (old.name, old.ends_on, old.left_reason) == ("Old hand", dt.date(2025, 6, 30),
                                                        f"succeeded by the winner of {r.election.title}")
    assert (new.name, new.starts_on, new.ends_on) == ("Ana", dt.date(2025, 7, 1), None)


def test_the_published_result_has_no_voter_level_data(session, ready):
    r = ready(members=3, seats=1, candidates=("Ana", "Binh"))
    vote(r, ["Ana"], ["Binh", "Ana"], ["Ana"])
    result = count_and_certify(r)
    assert set(vars(result)) == {"election_id", "title", "body", "method", "seats", "phase", "certified_on",
                                 "roll", "turnout", "quorum_percent", "quorum_met", "seed", "seed_from", "ballot_list_root",
                                 "candidates", "counts", "elected"}
    text = results.format_result(result)
    assert not any(member.name in text or (member.acronym or "~") in text for member in r.members)


def test_the_result_as_text(session, ready):
    r = ready(members=4, seats=1, candidates=("Ana", "Binh", "Chau"), quorum_percent=50)
    vote(r, ["Ana"], ["Binh", "Ana"], ["Chau", "Binh"])
    result = count_and_certify(r)
    # 3 valid for 1 seat, quota 2. Stage 1: 1 each, nobody elected; all three tie for
    # exclusion and nothing earlier separates them, so a lot picks one (the seed is the ballot list's root); the rest
    # follows from whom it picks, which is why this test reads the outcome from the result.
    tie = result.counts[0]["tie_breaks"][0]
    out = {c: n for n, c in zip(("Ana", "Binh", "Chau"), r.ids("Ana", "Binh", "Chau"))}[tie["outcome"][0]]
    text = results.format_result(result)
    head = (f"{r.election.title}: {r.body.name}, 1 seat, single transferable vote (Scottish rules)\n"
            f"Phase: certified on {today().isoformat()}\n"
            "Turnout: 3 of 4 organisations on the roll (75.0%); quorum 50%: met\n"
            f"Seed for any lot: {r.election.ballot_list_root} (the root of the ballot list: chosen by nobody)\n"
            "\n"
            "Open seats: 1 seat, quota 2.00000\n"
            "  valid ballots 3, abstentions 0\n"
            "  Stage 1: first preferences\n"
            "    Ana                    1.00000\n"
            "    Binh                   1.00000\n"
            "    Chau                   1.00000\n"
            f"  Stage 2: exclusion of {out}\n")
    assert text.startswith(head)
    assert (f"  Tie for exclusion at stage 2 among Ana, Binh, Chau: {out} "
            f"(lot no. 1 drawn with seed {r.election.ballot_list_root}; rule 51(2)(b))\n") in text
    assert text.endswith(f"Elected:\n  {result.elected[0].name} (open seats)\n")


def test_block_plurality_fills_a_seat_nobody_was_named_for_by_the_recorded_lot(session, ready):
    r = ready(members=3, seats=3, method="block_plurality", candidates=("Ana", "Binh", "Chau", "Dung"))
    vote(r, ["Ana", "Binh"], ["Ana"], [])
    result = count_and_certify(r)
    # Ana 2, Binh 1, Chau and Dung 0: the third seat goes to one of them by lot, as STV fills it.
    (count,) = result.counts
    (tie,) = count["tie_breaks"]
    assert count["unfilled_seats"] == 0 and [e.name for e in result.elected][:2] == ["Ana", "Binh"]
    assert sorted(tie["candidates"]) == sorted(r.ids("Chau", "Dung"))
    assert [e.nomination_id for e in result.elected][2:] == tie["outcome"]


def test_meek_stv_is_counted_and_shown_with_its_keep_factors(session, ready):
    r = ready(members=5, seats=2, method="meek_stv", candidates=("Ana", "Binh", "Chau"))
    vote(r, ["Ana", "Binh"], ["Ana", "Chau"], ["Ana"], ["Binh"], ["Chau", "Binh"])
    result = count_and_certify(r)
    # 5 valid for 2 seats: quota 5/3 + 10**-9. Ana (3) is elected at once; her first keep
    # factor is 1.666666667 / 3 rounded up, and the share of her ballot without a further
    # preference is exhausted, which lowers the quota at the next stages.
    (count,) = result.counts
    first, surplus = count["rounds"][:2]
    assert (result.method, result.method_label, first["quota"]) == (
        "meek_stv", "Single transferable vote (Meek's method)", "1.666666667")
    assert first["elected"] == r.ids("Ana") and first["keep_factors"] == {str(r.ids("Ana")[0]): "1.000000000"}
    assert Decimal(surplus["keep_factors"][str(r.ids("Ana")[0])]) < Decimal("0.555555556")
    assert Decimal(count["quota"]) < Decimal(first["quota"])
    assert [e.name for e in result.elected][0] == "Ana"
    text = results.format_result(result)
    assert "single transferable vote (Meek's method)" in text and "keep factors: Ana 0." in text
