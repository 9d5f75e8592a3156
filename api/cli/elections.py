"""`registry election`: a network's elections, their phases, publication and verification."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from api.cli.session import CLI_ACTOR, find_organisation, find_row, unit_of_work
from registry.elections import phases, publication, turnout
from registry.elections.methods import Method
from registry.elections.models import Election, ElectionPhase
from registry.elections.phases import elections_of
from registry.elections.results import format_result, published_result
from registry.governance import directory as governance_directory
from registry.governance.models import GoverningBody


def _election(session: Session, ref: str) -> Election:
    return find_row(session, Election, ref, "election")


@click.group(cls=AppGroup)
def election() -> None:
    """Look at a network's elections, move them through their phases, publish them and verify a
    published one."""


@election.command("list")
@click.argument("ref")
def election_list(ref: str) -> None:
    """A network's elections, newest first."""
    with unit_of_work(reads_only=True) as session:
        for row in elections_of(session, CLI_ACTOR, find_organisation(session, ref)):
            click.echo(f"{row.public_id}  {row.phase.value:<18} {row.title}")


@election.command("result")
@click.argument("election_ref")
def election_result(election_ref: str) -> None:
    """Print an election's result with every round of the count."""
    with unit_of_work(reads_only=True) as session:
        click.echo(format_result(published_result(session, CLI_ACTOR, _election(session, election_ref))),
                   nl=False)


@election.command("create")
@click.argument("network_ref")
@click.option("--body", "body_id", required=True, help="The governing body's public id (or former number).")
@click.option("--title", required=True)
@click.option("--method", required=True, type=click.Choice([m.value for m in Method]))
@click.option("--roll-cutoff", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Active members on this day are on the roll.")
@click.option("--term-class", type=click.IntRange(1, 100), help="The class of seats up for election (default: all).")
@click.option("--quorum", "quorum_percent", default=0, show_default=True, type=click.IntRange(0, 100),
              help="Minimum turnout, as a percentage of the roll.")
@click.option("--sex-worker-led-only", is_flag=True)
def election_create(network_ref: str, body_id: str, title: str, method: str, roll_cutoff: dt.datetime,
                    term_class: int | None, quorum_percent: int, sex_worker_led_only: bool) -> None:
    """Create a draft election for a body's seats."""
    with unit_of_work() as session:
        network = find_organisation(session, network_ref)
        body = governance_directory.find_body(session, CLI_ACTOR, network.public_id,
                                              find_row(session, GoverningBody, body_id, "governing body").public_id)
        election = phases.create_election(session, CLI_ACTOR, body, title=title, method=method,
                                          roll_cutoff=roll_cutoff.date(), term_class=term_class,
                                          quorum_percent=quorum_percent, sex_worker_led_only=sex_worker_led_only)
        click.echo(f"created election {election.public_id}: {election.title} ({election.phase.value})")


@election.command("move")
@click.argument("election_ref")
@click.argument("phase", type=click.Choice([p.value for p in ElectionPhase]))
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it took effect (default: today).")
@click.option("--reason", default="", help="Why (required to cancel).")
def election_move(election_ref: str, phase: str, on: dt.datetime | None, reason: str) -> None:
    """Move an election to its next phase (nominations_open, ..., voting_closed, tallied,
    certified), or cancel it. Opening voting makes the ballot key; counting opens the ballots
    with it and destroys it (run where the key folder is)."""
    with unit_of_work() as session:
        election = _election(session, election_ref)
        phases.transition(session, CLI_ACTOR, election, phase, on=on.date() if on else None, reason=reason)
        click.echo(f"{election.title}: {election.phase.value}")
        if election.phase in (ElectionPhase.VOTING_CLOSED, ElectionPhase.TALLIED):
            _quorum_missed(turnout.live_turnout(session, CLI_ACTOR, election), election.public_id)


@election.command("turnout")
@click.argument("election_ref")
def election_turnout(election_ref: str) -> None:
    """Turnout so far against the quorum, and the organisations that have not voted."""
    with unit_of_work(reads_only=True) as session:
        election = _election(session, election_ref)
        live = turnout.live_turnout(session, CLI_ACTOR, election)
        click.echo(f"{live.voted} of {live.roll} on the roll have voted; quorum {live.quorum_percent}%: "
                   + ("met" if live.quorum_met else f"NOT met, {live.short_by} more needed")
                   + (f"; voting closes on {live.voting_closes_on.isoformat()}" if live.voting_closes_on else ""))
        for organisation in live.not_voted:
            click.echo(f"  not voted: {organisation.name}")
        _quorum_missed(live, election.public_id)


def _quorum_missed(live: turnout.LiveTurnout, election_id: str) -> None:
    """What may be done about a quorum missed, as commands to type."""
    if not live.options:
        return
    ways = {turnout.QuorumOption.EXTEND_VOTING: f"extend voting: registry election extend {election_id} "
                                                "--until YYYY-MM-DD --reason ...",
            turnout.QuorumOption.CANCEL: f"cancel: registry election move {election_id} cancelled --reason ..."}
    click.echo(f"The quorum of {live.quorum_percent}% is missed ({live.voted} of {live.roll} voted, "
               f"{live.short_by} more needed); certification will be refused. "
               + " or ".join(ways[o] for o in live.options))


@election.command("extend")
@click.argument("election_ref")
@click.option("--until", "until", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Voting stays open until this day.")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
def election_extend(election_ref: str, until: dt.datetime, reason: str) -> None:
    """Extend voting while it is open, or open it again if it closed short of its quorum
    (not once counted)."""
    with unit_of_work() as session:
        election = turnout.extend_voting(session, CLI_ACTOR, _election(session, election_ref),
                                         until=until.date(), reason=reason)
        click.echo(f"voting in {election.title} now closes on {until.date().isoformat()}")


@election.command("publish")
@click.argument("election_ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True,
              help="Write the published election (JSON) here; - is standard output.")
def election_publish(election_ref: str, out: str) -> None:
    """Write the published election: every counted ballot, the ballot list's root and the result."""
    with unit_of_work(reads_only=True) as session:
        data = publication.published_election(session, CLI_ACTOR, _election(session, election_ref))
    with click.open_file(out, "w", encoding="utf-8") as target:
        json.dump(data, target, ensure_ascii=False, indent=1)
        target.write("\n")


@election.command("verify", with_appcontext=False)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def election_verify(path: str) -> None:
    """Recompute a published election's ballot list root and recount it; exit 1 on any difference.

    Needs only the file (from `registry election publish` or the API's /published)."""
    _report(publication.verify(_published_file(path)),
            "verified: the ballot list gives its root and a recount gives the published result")


@election.command("check-ballot", with_appcontext=False)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--receipt", required=True, help="The receipt shown when the ballot was cast.")
@click.option("--content", required=True, help="The ballot's content as shown with the receipt.")
def election_check_ballot(path: str, receipt: str, content: str) -> None:
    """A voter's check: its ballot is in the published list with the content it cast; exit 1 if not."""
    _report(publication.check_ballot(_published_file(path), receipt, content),
            "your ballot is in the published list as you cast it")


def _published_file(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as unreadable:
        raise click.ClickException(f"{path} is not a readable JSON file: {unreadable}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} is not a published election")
    return data


def _report(problems: list[str], verified: str) -> None:
    for problem in problems:
        click.echo(f"FAILED: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(verified)
