"""`registry election ...`: a secretariat without a browser runs every phase, watches turnout,
extends voting, counts, publishes; anyone verifies the file and a voter checks its ballot."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli import main
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.db import make_engine, today
from registry.elections import ballots, nominations
from registry.elections.models import Election
from tests.conftest import fresh_database
from tests.factories import SYSTEM, editor
from tests.registry.test_elections_publication import FORMAT_1


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("cli-elections")) as url:
        yield url


def run(url: str, *args: str) -> Result:
    return CliRunner(env={"DATABASE_URL": url}).invoke(main, list(args), catch_exceptions=False)


def test_a_whole_election_from_the_command_line(cli_db, tmp_path):
    assert run(cli_db, "db", "upgrade").exit_code == 0
    engine = make_engine(cli_db)
    with Session(engine, expire_on_commit=False) as session:
        network = organisations.register_organisation(
            session, SYSTEM, network=None, kind="national_network", name="Sample network 01", country="VN")
        members = [organisations.register_organisation(
            session, SYSTEM, network=network, kind="community_organisation", name=f"Sample CBO 0{i}",
            country="VN", sex_worker_led="yes") for i in range(4)]
        for member in members:
            for action in ("apply", "verify", "admit"):
                memberships.transition(session, SYSTEM, network, member, action)
        body = governance.define_body(session, SYSTEM, network, kind="board", name="Board", seats=1)
        session.commit()

    created = run(cli_db, "election", "create", network.public_id, "--body", body.public_id, "--title", "Board 2027",
                  "--method", "scottish_stv", "--roll-cutoff", today().isoformat(), "--quorum", "75")
    assert created.exit_code == 0, created.output
    election_id = re.search(r"created election ([0-9A-Z]{12}):", created.output).group(1)
    with Session(engine, expire_on_commit=False) as session:
        number = session.scalars(select(Election.id).where(Election.public_id == election_id)).one()
    # An operator may still name it by the number it had before public ids.
    assert run(cli_db, "election", "move", str(number), "nominations_open").exit_code == 0
    with Session(engine, expire_on_commit=False) as session:
        election = session.get_one(Election, number)
        ids = [nominations.nominate(session, editor(m), election, m, name=n).public_id
               for m, n in zip(members, ("Ana", "Binh"))]
        session.commit()
    for phase in ("nominations_closed", "voting_open"):
        assert run(cli_db, "election", "move", election_id, phase).output.endswith(f"{phase}\n")
    with Session(engine, expire_on_commit=False) as session:
        election = session.get_one(Election, number)
        receipts = [ballots.cast_ballot(session, editor(m), election, m, choice)
                    for m, choice in zip(members, ([ids[0]], [ids[1], ids[0]]))]
        session.commit()
    engine.dispose()

    live = run(cli_db, "election", "turnout", election_id).output
    assert "2 of 4 on the roll have voted; quorum 75%: NOT met, 1 more needed" in live
    assert "extend voting: registry election extend" in live
    assert "not voted: Sample CBO 02" in live and "not voted: Sample CBO 00" not in live
    until = (today() + dt.timedelta(days=7)).isoformat()
    assert until in run(cli_db, "election", "extend", election_id, "--until", until,
                        "--reason", "turnout is short").output
    refused = CliRunner(env={"DATABASE_URL": cli_db}).invoke(main, ["election", "move", election_id, "cancelled"])
    assert refused.exit_code != 0 and "say why" in refused.output

    closed = run(cli_db, "election", "move", election_id, "voting_closed").output
    assert "The quorum of 75% is missed (2 of 4 voted, 1 more needed)" in closed
    assert f"extend voting: registry election extend {election_id}" in closed and "or cancel: " in closed
    counted = run(cli_db, "election", "move", election_id, "tallied").output
    assert f"cancel: registry election move {election_id} cancelled" in counted and "extend voting" not in counted
    # 2 of 4 is below the quorum of 75%: certification stays refused; cancelling is the way out.
    below = CliRunner(env={"DATABASE_URL": cli_db}).invoke(main, ["election", "move", election_id, "certified"])
    assert below.exit_code != 0 and "below the quorum" in below.output

    published = tmp_path / "election.json"
    assert run(cli_db, "election", "publish", election_id, "--out", str(published)).exit_code == 0
    assert run(cli_db, "election", "verify", str(published)).exit_code == 0
    mine = receipts[1]
    assert run(cli_db, "election", "check-ballot", str(published), "--receipt", mine.receipt,
               "--content", mine.content).exit_code == 0
    data = json.loads(published.read_text(encoding="utf-8"))
    assert (data["format"], data["election"]["id"]) == ("registry-published-election/2", election_id)
    data["result"]["seed"] = "1"
    published.write_text(json.dumps(data), encoding="utf-8")
    tampered = run(cli_db, "election", "verify", str(published))
    assert tampered.exit_code == 1 and "someone could have chosen it" in tampered.output
    assert run(cli_db, "election", "move", election_id, "cancelled", "--reason", "quorum not met").exit_code == 0


def test_an_election_may_be_created_with_any_registered_method(cli_db):
    usage = run(cli_db, "election", "create", "--help").output
    assert all(name in usage for name in ("block_plurality", "scottish_stv", "meek_stv"))


def test_a_file_published_in_format_1_still_verifies_from_the_command_line(tmp_path):
    stored = json.loads(FORMAT_1.read_text(encoding="utf-8"))
    published = tmp_path / "election.json"
    published.write_text(json.dumps(stored["published"]), encoding="utf-8")
    verified = CliRunner().invoke(main, ["election", "verify", str(published)])
    assert verified.exit_code == 0 and verified.output.startswith("verified:"), verified.output
    checked = CliRunner().invoke(main, ["election", "check-ballot", str(published), "--receipt", stored["receipt"],
                                        "--content", stored["content"]])
    assert checked.exit_code == 0, checked.output
