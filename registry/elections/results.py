"""An election's published result, and the same as text for the command line.

What is published is what any member of the network may read: the counts with every stage,
transfer and lot, the turnout against the roll and the quorum, and who won which seats.
Nothing about any one organisation's vote, nor even which organisations voted. Candidates are
named by their nominations' public ids, also in the result of an election counted by integer
keys (ballot format 1: only its published file keeps those, as its hashes were made with them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from registry.access.permissions import Actor, Permission, require
from registry.elections.methods import counting_method
from registry.elections.models import Election, ElectionPhase, Nomination
from registry.errors import N_, Conflict
from registry.governance.models import OPEN_SEATS

ACTIONS = {"first_preferences": N_("first preferences"), "surplus": N_("surplus of"),
           "exclusion": N_("exclusion of")}
# A surplus stage of Meek's count moves every elected candidate's surplus at once, so it names nobody.
SURPLUSES = N_("surpluses passed on")
FINAL = {"block_plurality": N_("count"), "scottish_stv": N_("the last seats go to those still standing (rule 52)"),
         "meek_stv": N_("the last seats go to those still standing")}
Say = Callable[..., str]  # say(message_id, **params): the words in a reader's language


SayCount = Callable[..., str]  # ngettext(singular, plural, n, **params), n as %(num)s


def _in_english(message: str, **params: object) -> str:
    return message % params if params else message


def _in_english_n(singular: str, plural: str, n: int, **params: object) -> str:
    return (singular if n == 1 else plural) % {"num": n, **params}


@dataclass(frozen=True)
class ElectedCandidate:
    nomination_id: str  # the nomination's public id
    name: str
    seats_for: str  # a constituency, or "open"


@dataclass(frozen=True)
class PublishedResult:
    election_id: str  # the election's public id
    title: str
    body: str
    method: str
    seats: int
    phase: ElectionPhase
    certified_on: dt.date | None
    roll: int
    turnout: int
    quorum_percent: int
    quorum_met: bool
    seed: int | str
    seed_from: str  # "ballot_list_root": nobody chose it; "chosen": given at the count (before #15)
    ballot_list_root: str | None  # the chain over every counted ballot (elections/publication.py)
    candidates: dict[str, str]  # public id -> name, every candidate who stood
    counts: list[dict[str, Any]]  # one TallyResult.to_dict() per seat group, with "seats_for"
    elected: list[ElectedCandidate]

    @property
    def method_label(self) -> str:
        """What people call the method (an N_ message id: say it in the reader's language)."""
        return counting_method(self.method).label

    @property
    def method_explanation(self) -> str:
        return counting_method(self.method).explanation


def published_result(session: Session, actor: Actor, election: Election) -> PublishedResult:
    """The result as the network reads it once certified (or cancelled after the count); the
    secretariat reads it as soon as the ballots are counted, to check it before certifying."""
    if election.phase is ElectionPhase.TALLIED:
        require(session, actor, Permission.MANAGE_ELECTIONS, election.network_id)
    else:
        require(session, actor, Permission.READ_GOVERNANCE, election.network_id)
    if election.result is None:
        raise Conflict(N_("%(title)s has no result yet (%(phase)s)"),
                       params={"title": election.title, "phase": election.phase.value})
    data = election.result
    certified = next((c.effective_on for c in election.phase_changes if c.to_phase is ElectionPhase.CERTIFIED), None)
    names = {n.public_id: n.name for n in election.nominations if n.standing}
    public_ids = _public_ids(election)
    return PublishedResult(
        election_id=election.public_id, title=election.title, body=election.body.name,
        method=election.method.value, seats=election.seats, phase=election.phase, certified_on=certified,
        roll=data["roll"], turnout=data["turnout"], quorum_percent=data["quorum_percent"],
        quorum_met=data["quorum_met"], seed=data["seed"],
        seed_from=data.get("seed_from", "chosen"),
        ballot_list_root=data.get("ballot_list_root"), candidates=names,
        counts=[named_by_public_ids(count, public_ids) for count in data["counts"]],
        elected=[ElectedCandidate(public_ids[str(e["nomination_id"])], names[public_ids[str(e["nomination_id"])]],
                                  e["seats_for"]) for e in data["elected"]],
    )


def _public_ids(election: Election) -> dict[str, str]:
    """The public id of every nomination, by what the stored count names it (as JSON keys are:
    a string), whether by its public id or (ballot format 1) its integer key."""
    def named(n: Nomination) -> str:
        return str(n.id) if election.ballot_format == 1 else n.public_id

    return {named(n): n.public_id for n in election.nominations}


def named_by_public_ids(count: dict[str, Any], public_ids: dict[str, str]) -> dict[str, Any]:
    """One stored count (as JSON gives it back) with every candidate named by its public id;
    `public_ids` maps what the count names each candidate by, as a string, to its public id."""
    def one(candidate: Any) -> Any:
        return None if candidate is None else public_ids[str(candidate)]

    def each(candidates: list[Any]) -> list[Any]:
        return [one(c) for c in candidates]

    def keyed(figures: dict[str, Any]) -> dict[str, Any]:
        return {one(c): figure for c, figure in figures.items()}

    rounds = [{**stage, "candidate": one(stage["candidate"]), "votes": keyed(stage["votes"]),
               "transfers": keyed(stage["transfers"]), "elected": each(stage["elected"]),
               **({"keep_factors": keyed(stage["keep_factors"])} if "keep_factors" in stage else {})}
              for stage in count["rounds"]]
    ties = [{**tie, "candidates": each(tie["candidates"]), "outcome": each(tie["outcome"])}
            for tie in count["tie_breaks"]]
    return {**count, "elected": each(count["elected"]), "rounds": rounds, "tie_breaks": ties}


def format_result(result: PublishedResult, say: Say = _in_english, ngettext: SayCount = _in_english_n) -> str:
    """The result with every stage of every count, as plain text; `say(message_id, **params)` and
    `ngettext(singular, plural, n, **params)` put it in the reader's language (default: English)."""
    share = f"{Decimal(result.turnout * 100) / result.roll:.1f}%" if result.roll else "-"
    method = say(result.method_label)
    lines = [
        say(N_("%(title)s: %(body)s, %(seats)s, %(method)s"), title=result.title, body=result.body,
            seats=ngettext("%(num)s seat", "%(num)s seats", result.seats), method=f"{method[0].lower()}{method[1:]}"),
        say(N_("Phase: %(phase)s on %(date)s"), phase=result.phase.value, date=result.certified_on.isoformat())
        if result.certified_on else say(N_("Phase: %(phase)s"), phase=result.phase.value),
        say(N_("Turnout: %(voted)s of %(roll)s organisations on the roll (%(share)s); quorum %(quorum)s%%: met")
            if result.quorum_met else
            N_("Turnout: %(voted)s of %(roll)s organisations on the roll (%(share)s); quorum %(quorum)s%%: NOT met"),
            voted=result.turnout, roll=result.roll, share=share, quorum=result.quorum_percent),
        say(N_("Seed for any lot: %(seed)s (the root of the ballot list: chosen by nobody)")
            if result.seed_from == "ballot_list_root" else N_("Seed for any lot: %(seed)s"), seed=result.seed),
    ]
    if result.ballot_list_root and result.seed != result.ballot_list_root:
        lines.append(say(N_("Root of the published ballot list: %(root)s"), root=result.ballot_list_root))
    for count in result.counts:
        lines += [""] + _count_lines(count, result.candidates, say, ngettext)
    lines += ["", say(N_("Elected:"))]
    lines += [f"  {e.name} ({_group(e.seats_for, say)})" for e in result.elected] or ["  " + say(N_("nobody"))]
    return "\n".join(lines) + "\n"


def _count_lines(count: dict[str, Any], names: dict[str, str], say: Say, ngettext: SayCount) -> list[str]:
    def name(candidate: Any) -> str:
        return names.get(str(candidate), str(candidate))

    seats = count["seats"]
    group = _group(count["seats_for"], say)
    head = say(N_("%(group)s: %(seats)s"), group=f"{group[0].upper()}{group[1:]}",
               seats=ngettext("%(num)s seat", "%(num)s seats", seats))
    if count["quota"] is not None:
        head += say(N_(", quota %(quota)s"), quota=count["quota"])
    lines = [head, "  " + say(N_("valid ballots %(valid)s, abstentions %(abstentions)s"),
                              valid=count["valid_ballots"], abstentions=count["abstentions"])]
    exhausted, lost, elected_word = say(N_("exhausted")), say(N_("lost to rounding")), say(N_("elected"))
    width = max([len(exhausted), len(lost), *(len(n) for n in names.values())])
    for stage in count["rounds"]:
        action = FINAL[count["method"]] if stage["action"] == "final" else ACTIONS[stage["action"]]
        if stage["action"] == "surplus" and stage["candidate"] is None:
            action = SURPLUSES
        title = "  " + say(N_("Stage %(stage)s: %(action)s"), stage=stage["stage"], action=say(action))
        if stage["candidate"] is not None:
            title += f" {name(stage['candidate'])}"
        if stage["transfer_value"] is not None:
            title += say(N_(", transfer value %(value)s"), value=stage["transfer_value"])
        if "quota" in stage:
            title += say(N_(", quota %(quota)s"), quota=stage["quota"])
        lines.append(title)
        elected = {str(c) for c in stage["elected"]}
        for candidate, votes in stage["votes"].items():
            moved = stage["transfers"].get(candidate)
            lines.append(f"    {name(candidate):<{width}}  {votes:>12}"
                         + (f"  (+{moved})" if moved else "")
                         + (f"  {elected_word}" if str(candidate) in elected else ""))
        if Decimal(stage["exhausted"] or 0):
            lines.append(f"    {exhausted:<{width}}  {stage['exhausted']:>12}")
        if Decimal(stage["fractions_lost"] or 0):
            lines.append(f"    {lost:<{width}}  {stage['fractions_lost']:>12}")
        if stage.get("keep_factors"):
            lines.append("    " + say(N_("keep factors: %(factors)s"), factors=", ".join(
                f"{name(c)} {k}" for c, k in stage["keep_factors"].items())))
    for tie in count["tie_breaks"]:
        how = (say(N_("looking back to stage %(stage)s"), stage=tie["lookback_stage"]) if tie["method"] == "lookback"
               else say(N_("lot no. %(draw)s drawn with seed %(seed)s"), draw=tie["draw"], seed=tie["seed"]))
        lines.append("  " + say(N_("Tie for %(purpose)s at stage %(stage)s among %(among)s: %(outcome)s "
                                   "(%(how)s; %(rule)s)"), purpose=tie["purpose"], stage=tie["stage"],
                                among=", ".join(name(c) for c in tie["candidates"]),
                                outcome=", ".join(name(c) for c in tie["outcome"]), how=how, rule=tie["rule"]))
    if count["unfilled_seats"]:
        lines.append("  " + say(N_("Unfilled seats: %(count)s"), count=count["unfilled_seats"]))
    return lines


def _group(seats_for: str, say: Say) -> str:
    return say(N_("open seats")) if seats_for == OPEN_SEATS else say(N_("seats reserved for %(group)s"),
                                                                     group=seats_for)
