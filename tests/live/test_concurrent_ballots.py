"""Ballots cast at the same moment, through both gunicorn workers: one ballot per organisation.

What stops a second ballot is the database (the voters table's primary key), not a read before
the write: two casts that both find no ballot yet cannot both be kept.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from registry.db import make_engine, today
from tests.live.conftest import Live, together

CASTS = 50
names = itertools.count(1)


@dataclass
class Election:
    path: str
    id: int  # the database's key, which the ballot tables use
    public_id: str  # what the locator and the ballot hash name the election by
    candidates: list[str]  # the nominations' public ids


@pytest.fixture(scope="module")
def database(live: Live) -> Iterator[Engine]:
    """The server's database, read directly: what the API shows is not the only witness."""
    engine = make_engine(live.database_url)
    yield engine
    engine.dispose()


def move(live: Live, election: str, phase: str) -> None:
    tag = live.call("GET", election, role="secretariat").headers["ETag"]
    moved = live.call("PUT", f"{election}/phase", role="secretariat", headers={"If-Match": tag},
                      json_body={"phase": phase})
    assert moved.status == 200, moved.body


@pytest.fixture
def election(live: Live, database: Engine) -> Election:
    """A VNSW board election of its own, open for voting, with two candidates."""
    network, number = f"/api/v1/networks/{live.ids['vnsw']}", next(names)
    body = live.call("POST", f"{network}/bodies", role="secretariat", json_body={
        "kind": "board", "name": f"Live test board {number}", "seats": 1, "term_months": 24})
    assert body.status == 201, body.body
    created = live.call("POST", f"{network}/elections", role="secretariat", json_body={
        "body_id": body.json()["id"], "title": f"Live test election {number}", "method": "scottish_stv",
        "roll_cutoff": today().isoformat()})
    assert created.status == 201, created.body
    path = f"{network}/elections/{created.json()['id']}"
    move(live, path, "nominations_open")
    candidates = []
    for role, name in (("editor", "Ana"), ("other_editor", "Binh")):
        nominated = live.call("POST", f"{path}/nominations", role=role, json_body={
            "organisation_id": live.ids[role.replace("editor", "cbo")], "name": name})
        assert nominated.status == 201, nominated.body
        candidates.append(nominated.json()["id"])
    move(live, path, "nominations_closed")
    move(live, path, "voting_open")
    with database.connect() as connection:
        key = connection.scalar(text("SELECT id FROM elections WHERE public_id = :p"), {"p": created.json()["id"]})
    return Election(path, key, created.json()["id"], candidates)


def cast(live: Live, election: Election, organisation_id: str, headers: dict[str, str], choice: int):
    return live.call("POST", f"{election.path}/ballots", headers=headers, timeout=180, json_body={
        "organisation_id": organisation_id, "choices": {"open": [election.candidates[choice % 2]]}})


def voters(database: Engine, election: Election) -> dict[int, int]:
    with database.connect() as connection:
        return dict(connection.execute(text(
            "SELECT organisation_id, count(*) FROM voters WHERE election_id = :e GROUP BY organisation_id"),
            {"e": election.id}).all())


def sealed_ballots(database: Engine, election: Election) -> list[str]:
    with database.connect() as connection:
        return list(connection.scalars(text("SELECT locator FROM sealed_ballots WHERE election_id = :e"),
                                       {"e": election.id}))


def keys_of(database: Engine, public_ids: list[str]) -> dict[str, int]:
    """The integer keys the database holds for organisations the API names by public id."""
    with database.connect() as connection:
        rows = connection.execute(text("SELECT public_id, id FROM organisations WHERE public_id IN :ids")
                                  .bindparams(bindparam("ids", expanding=True)), {"ids": public_ids}).all()
    return {public_id: key for public_id, key in rows}


def locator(election: Election, organisation_id: str, receipt: str) -> str:
    """registry.elections.ballots' locator (by public ids): only the receipt's holder can compute it."""
    return hashlib.sha256(f"locator:{election.public_id}:{organisation_id}:{receipt}".encode()).hexdigest()


def test_of_50_ballots_cast_at_once_by_one_organisation_one_is_kept(live: Live, election: Election,
                                                                    database: Engine):
    cbo, key = live.ids["cbo"], live.keys["cbo"]

    answers = together(CASTS, lambda client: cast(live, election, cbo, live.tokens["editor"], client))

    assert sorted(a.status for a in answers) == [201] + [409] * (CASTS - 1)
    refusals = [a.json() for a in answers if a.status == 409]
    assert all(r["error"] == "conflict" and "already voted" in r["message"] for r in refusals), refusals
    receipt = next(a.json()["receipt"] for a in answers if a.status == 201)
    assert voters(database, election) == {key: 1}
    assert sealed_ballots(database, election) == [locator(election, cbo, receipt)]
    # The database itself refuses a second voter record, whatever the code before it checked.
    with pytest.raises(IntegrityError), database.begin() as connection:
        connection.execute(text("INSERT INTO voters (election_id, organisation_id) VALUES (:e, :o)"),
                           {"e": election.id, "o": key})


def test_ten_organisations_casting_five_ballots_each_at_once_keep_one_each(live: Live, election: Election,
                                                                           database: Engine):
    roll = live.call("GET", f"{election.path}/roll?page_size=100", role="secretariat").json()["items"]
    organisations = [entry["id"] for entry in roll][:10]
    editors = {}
    for organisation_id in organisations:
        issued = live.call("POST", "/api/v1/tokens", role="secretariat", json_body={
            "role": "editor", "scope_id": organisation_id, "label": "live test voter"})
        assert issued.status == 201, issued.body
        editors[organisation_id] = {"Authorization": f"Bearer {issued.json()['secret']}"}

    def client(number: int):
        organisation_id = organisations[number % len(organisations)]
        return organisation_id, cast(live, election, organisation_id, editors[organisation_id], number)

    answers = together(CASTS, client)

    for organisation_id in organisations:
        statuses = sorted(a.status for o, a in answers if o == organisation_id)
        assert statuses == [201] + [409] * 4, (organisation_id, statuses)
    keys = keys_of(database, organisations)
    assert voters(database, election) == dict.fromkeys(keys.values(), 1)
    receipts = {o: a.json()["receipt"] for o, a in answers if a.status == 201}
    assert sorted(sealed_ballots(database, election)) == sorted(locator(election, o, r) for o, r in receipts.items())
    move(live, election.path, "voting_closed")
    move(live, election.path, "tallied")  # the count opens the sealed ballots and publishes their hashes
    hashes = live.call("GET", f"{election.path}/ballot-hashes?page_size=100", role="board").json()
    assert sorted(h["ballot_hash"] for h in hashes["items"]) == sorted(
        a.json()["ballot_hash"] for _, a in answers if a.status == 201)
