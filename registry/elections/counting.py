"""Counting an election's mixed ballots into seats with its method (registry/elections/methods/).

Reserved seats are filled first: each constituency's seats (constituencies in name order)
are counted from that part of every ballot, among the candidates standing for that
constituency. The open seats are counted next, from the open part of every ballot, among
every candidate not already elected to a reserved seat, so a candidate who missed a reserved
seat may still win an open one; a choice of someone already elected to a reserved seat is
passed over as if that candidate had withdrawn. A reserved seat nobody won stays vacant; it
is not added to the open seats.

Candidates are counted by their nominations' public ids (integer keys in an election of ballot
format 1: registry/elections/ballots.py), in ballot-paper order (folded name, then that id),
which matters only when a lot is drawn. Every count uses the election's one seed, and nobody
chooses it: it is the root of the ballot list (registry/elections/publication.py), fixed by
the ballots themselves as the count opens them, so the lot is known only when nothing can be
changed any more, and anyone holding the published election replays it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from registry.elections.ballots import BallotId, ballot_contents, ballot_ids, turnout
from registry.elections.models import Election
from registry.elections.roll import roll_size
from registry.elections.methods import Method, counting_method
from registry.elections.methods.base import Seed
from registry.errors import N_, Conflict
from registry.governance.models import OPEN_SEATS

def counting_order(seat_groups: dict[str, int]) -> list[str]:
    """Constituencies' reserved seats in name order, then the open seats."""
    return sorted(g for g in seat_groups if g != OPEN_SEATS) + [g for g in seat_groups if g == OPEN_SEATS]


def quorum_met(election: Election, roll: int, voted: int) -> bool:
    """Turnout (abstentions included) of at least quorum_percent of the roll."""
    return voted * 100 >= election.quorum_percent * roll


# How the seed of any lot was fixed, as the result records it.
SEED_FROM_BALLOT_LIST = "ballot_list_root"


def count_election(session: Session, election: Election) -> dict[str, Any]:
    """Count every seat group and return the stored result: each count's TallyResult.to_dict()
    (with "seats_for"), who was elected to which group, the roll, turnout, quorum and seed.
    The ballot list's root must be fixed (the count opened the ballots)."""
    if election.ballot_list_root is None:
        raise Conflict(N_("%(title)s cannot be counted before its ballot list is closed"),
                       params={"title": election.title})
    seed = election.ballot_list_root
    contents = ballot_contents(session, election)
    counts, elected = count_ballots(election.method, election.seat_groups, ballot_paper_order(election),
                                    contents, seed)
    roll, voted = roll_size(session, election), turnout(session, election)
    result_data = {
        "roll": roll, "turnout": voted, "quorum_percent": election.quorum_percent,
        "quorum_met": quorum_met(election, roll, voted), "seed": seed,
        "seed_from": SEED_FROM_BALLOT_LIST, "counts": counts,
        "elected": elected, "ballot_list_root": election.ballot_list_root,
    }
    # Stored as JSON, where mapping keys become strings: hand back exactly what a reload gives.
    return json.loads(json.dumps(result_data))


def ballot_paper_order(election: Election) -> list[tuple[BallotId, str | None]]:
    """Every standing candidate's (id as the ballots name it, constituency), in ballot-paper order."""
    standing = sorted(((i, n) for i, n in ballot_ids(election).items() if n.standing),
                      key=lambda named: (named[1].name_key, named[0]))
    return [(i, n.constituency) for i, n in standing]


def count_ballots(method: Method | str, seat_groups: dict[str, int],
                  candidates: Sequence[tuple[BallotId, str | None]], contents: Sequence[dict[str, list[BallotId]]],
                  seed: Seed) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Count ballot contents without the database: what the registry stores and what anyone
    holding the published election recomputes. `candidates` are (id, constituency) in
    ballot-paper order. Returns every group's count and who was elected to which group."""
    counts: list[dict[str, Any]] = []
    elected: list[dict[str, Any]] = []
    taken: set[BallotId] = set()
    for group in counting_order(seat_groups):
        standing = [c for c, constituency in candidates
                    if (c not in taken if group == OPEN_SEATS else constituency == group)]
        papers: list[Sequence[BallotId]] = [[c for c in b.get(group, []) if c not in taken] for b in contents]
        result = counting_method(method).count(papers, standing, seat_groups[group], seed=seed)
        taken.update(result.elected)
        counts.append({"seats_for": group, **result.to_dict()})
        elected += [{"nomination_id": c, "seats_for": group} for c in result.elected]
    return counts, elected
