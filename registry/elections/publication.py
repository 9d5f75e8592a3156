"""The published election: every counted ballot's content and hash, chained to one root, with
the method, candidates, seed and certified result, so that anyone can recount it without the
database, and each voter can find its own ballot.

The list is in ballot-hash order (which says nothing about who cast what or when). Its root is
a hash chain: start = sha256("ballot list:<election id>"), then for each ballot in order
h = sha256("<h>:<ballot hash>:<content>"); the root is the last h. It covers every content, so
a changed, missing, added or moved ballot changes it. The root is fixed by the count, as it
opens the sealed ballots (recorded on the election and in the audit entry of the count), and
published with the result; it is the seed of any lot.

The file names the election and its candidates as its ballots do (registry/elections/ballots.py):
format "registry-published-election/2" by public ids; format 1, written for elections cast
before public ids, by integer keys, and kept so, since its hashes and root were made with them.
The two differ in nothing else, and `verify` and `check_ballot` read either.

`verify` needs only the published file: it recomputes the root, recounts with the published
method and seed (the root itself: nobody chose it), and compares with the result. `check_ballot` is the voter's check: with its
receipt and the content it cast, it finds its ballot in the list and checks the content there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.access.permissions import Actor
from registry.access.public_ids import is_public_id
from registry.elections.ballots import BallotId, ballot_hash, ballot_ids, election_ballot_id
from registry.elections.counting import SEED_FROM_BALLOT_LIST, ballot_paper_order, count_ballots
from registry.elections.models import Ballot, Election
from registry.elections.results import published_result

# The file's format for each ballot format (Election.ballot_format); FORMAT is the one written now.
FORMATS = {1: "registry-published-election/1", 2: "registry-published-election/2"}
FORMAT = FORMATS[2]
CHAINS = {1: ('sha256 chain in ballot-hash order: h0 = sha256("ballot list:<election id>"), '
              'h = sha256("<previous h>:<ballot hash>:<content>"); the root is the last h'),
          2: ('sha256 chain in ballot-hash order: h0 = sha256("ballot list:<election public id>"), '
              'h = sha256("<previous h>:<ballot hash>:<content>"); the root is the last h')}
CHAIN = CHAINS[2]


def list_root(election_id: BallotId, entries: Sequence[tuple[str, str]]) -> str:
    """The root of the chain over (ballot hash, content) pairs, taken in the order given."""
    chained = hashlib.sha256(f"ballot list:{election_id}".encode()).hexdigest()
    for hashed, content in entries:
        chained = hashlib.sha256(f"{chained}:{hashed}:{content}".encode()).hexdigest()
    return chained


def ballot_list(session: Session, election: Election) -> list[tuple[str, str]]:
    """Every mixed ballot as (hash, content), in hash order: the list as published."""
    return [(h, c) for h, c in session.execute(
        select(Ballot.ballot_hash, Ballot.content).where(Ballot.election_id == election.id)
        .order_by(Ballot.ballot_hash, Ballot.content))]


def close_ballot_list(session: Session, election: Election) -> str:
    """Fix the root of the opened ballots as the count begins; returns it."""
    election.ballot_list_root = list_root(election_ballot_id(election), ballot_list(session, election))
    return election.ballot_list_root


def published_election(session: Session, actor: Actor, election: Election) -> dict[str, Any]:
    """The whole published election as plain JSON data, for whoever may read its result."""
    result = published_result(session, actor, election)  # who may read it, and since when
    names = {i: n.name for i, n in ballot_ids(election).items()}
    return {
        "format": FORMATS[election.ballot_format],
        "election": {
            "id": election_ballot_id(election), "title": election.title, "body": result.body,
            "method": election.method.value, "seats": election.seats, "seat_groups": election.seat_groups,
            "quorum_percent": election.quorum_percent, "phase": election.phase.value,
            "certified_on": result.certified_on.isoformat() if result.certified_on else None,
        },
        "candidates": [{"id": c, "name": names[c], "constituency": constituency}
                       for c, constituency in ballot_paper_order(election)],
        "ballot_list": {"chain": CHAINS[election.ballot_format], "root": election.ballot_list_root,
                        "ballots": [{"ballot_hash": h, "content": c} for h, c in ballot_list(session, election)]},
        "result": election.result,
    }


def verify(published: dict[str, Any]) -> list[str]:
    """Every way the published election disagrees with itself; empty when it holds together."""
    try:
        return _verify(published)
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as broken:
        return [f"the file is not a published election as this registry writes it ({broken!r})"]


def _verify(published: dict[str, Any]) -> list[str]:
    if (refused := _refused_format(published)) is not None:
        return [refused]
    problems = _misnamed(published)
    election, listed, result = published["election"], published["ballot_list"], published["result"]
    entries = [(b["ballot_hash"], b["content"]) for b in listed["ballots"]]
    if [h for h, _ in entries] != sorted({h for h, _ in entries}):
        problems.append("the ballot list is not in ballot-hash order, or holds a hash twice")
    root = list_root(election["id"], entries)
    if root != listed["root"]:
        problems.append(f"the ballot list's root is {root}, not the published {listed['root']}")
    if result.get("ballot_list_root") != listed["root"]:
        problems.append("the result was not counted from the published ballot list (roots differ)")
    if (result.get("seed_from"), result["seed"]) != (SEED_FROM_BALLOT_LIST, listed["root"]):
        problems.append("the seed of the lots is not the ballot list's root: someone could have chosen it")
    if len(entries) != result["turnout"]:
        problems.append(f"{len(entries)} ballots are listed but the result gives a turnout of {result['turnout']}")
    if result["turnout"] > result["roll"]:
        problems.append(f"a turnout of {result['turnout']} exceeds the roll of {result['roll']}")
    if result["quorum_met"] != (result["turnout"] * 100 >= election["quorum_percent"] * result["roll"]):
        problems.append("the result's quorum does not follow from its turnout and roll")
    problems += _recount(published, [json.loads(c) for _, c in entries])
    return problems


def _refused_format(published: dict[str, Any]) -> str | None:
    if published.get("format") in FORMATS.values():
        return None
    expected = " or ".join(repr(f) for f in reversed(FORMATS.values()))
    return f"not a published election (format {published.get('format')!r}, expected {expected})"


def _misnamed(published: dict[str, Any]) -> list[str]:
    """Ids of another kind than the file's format names the election and candidates by."""
    if published["format"] == FORMATS[1]:
        kind, fits = "integer keys", lambda i: isinstance(i, int) and not isinstance(i, bool)
    else:
        kind, fits = "public ids", is_public_id
    ids = [published["election"]["id"], *(c["id"] for c in published["candidates"])]
    if all(map(fits, ids)):
        return []
    return [f"{published['format']} names the election and its candidates by {kind}, and this file does not"]


def _recount(published: dict[str, Any], contents: list[dict[str, list[BallotId]]]) -> list[str]:
    election, result = published["election"], published["result"]
    candidates = [(c["id"], c["constituency"]) for c in published["candidates"]]
    counts, elected = count_ballots(election["method"], election["seat_groups"], candidates, contents,
                                    result["seed"])
    recounted = json.loads(json.dumps({"counts": counts, "elected": elected}))
    problems = []
    if recounted["elected"] != result["elected"]:
        problems.append(f"a recount elects {_ids(recounted['elected'])}, the result {_ids(result['elected'])}")
    if recounted["counts"] != result["counts"]:
        differ = [c["seats_for"] for c, r in zip(recounted["counts"], result["counts"]) if c != r]
        problems.append(f"a recount gives other figures than the result for {differ or 'the seat groups'}")
    return problems


def _ids(elected: list[dict[str, Any]]) -> str:
    return ", ".join(f"{e['nomination_id']} ({e['seats_for']})" for e in elected) or "nobody"


# What the voter's check finds; a page says each in its own words, told apart by these.
NOT_LISTED = "your ballot is not in the published list"
OTHER_CONTENT = "your ballot is listed with a content other than the one you cast"
ROOT_DIFFERS = "the published list does not give its published root"


def check_ballot(published: dict[str, Any], receipt: str, content: str) -> list[str]:
    """The voter's check: its ballot (found by the hash of its receipt and the content it cast)
    is in the list with that content, and the list is the one the result was counted from."""
    if (refused := _refused_format(published)) is not None:
        return [refused]
    election_id, listed = published["election"]["id"], published["ballot_list"]
    mine = ballot_hash(election_id, receipt.strip().lower(), content)
    found = [b for b in listed["ballots"] if b["ballot_hash"] == mine]
    problems = []
    if not found:
        problems.append(NOT_LISTED)
    elif any(b["content"] != content for b in found):
        problems.append(OTHER_CONTENT)
    if list_root(election_id, [(b["ballot_hash"], b["content"]) for b in listed["ballots"]]) != listed["root"]:
        problems.append(ROOT_DIFFERS)
    return problems
