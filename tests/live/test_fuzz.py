"""Schemathesis over the whole API of a running server, once per role, with every check.

Each role's run is schemathesis' own command line against the live gunicorn (PostgreSQL
behind it): every phase (coverage, fuzzing, stateful), every check, the seed and the other
settings in schemathesis.toml, and ids steered onto real organisations by tests/live/fuzz_hooks.py.
The test counts the cases each run generated from its JSON report and wants at least
MIN_CASES in all and no failure. The runs together are bounded by BUDGET, each request by
REQUEST_TIMEOUT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from registry.db import today
from seeds.load import LoadReport
from tests.conftest import copy_of
from tests.live.conftest import ROOT, Live, live_server

pytestmark = pytest.mark.postgresql

# Generated writes change the module's database, so the roles that write least go first:
# anonymous callers write nothing, the board reads, an editor changes its own organisation,
# and the secretariat (statuses, memberships, tokens) comes last, so that what it changes
# cannot make another run moot.
ROLES = ("anonymous", "board", "editor", "secretariat")
EXAMPLES = 5  # fuzzing-phase examples per operation and role; the coverage phase adds its own
MIN_CASES = 1000
BUDGET = 600  # seconds for all the runs together, however slow the machine (they take 2-4 minutes)
REQUEST_TIMEOUT = 30  # seconds for one request


@dataclass
class Run:
    role: str
    cases: int
    failures: list[dict]
    errors: list[dict]
    complete: bool
    exit_code: int
    seconds: float
    output: Path

    @property
    def clean(self) -> bool:
        return self.complete and self.exit_code == 0 and not self.failures and not self.errors

    def explained(self) -> str:
        """The failure section of schemathesis' own output, with a reproduction per failure."""
        text = self.output.read_text(errors="replace")
        start = text.find(" FAILURES ")
        return f"--- {self.role} ({self.output}) ---\n" + (text[start:] if start >= 0 else text[-5000:])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeds_database: tuple[Engine, LoadReport]) -> Iterator[Live]:
    """The module's server, with the failed-sign-in limit lifted: schemathesis sends bad tokens
    on purpose (ignored_auth), and past the limit every later request would only get 429."""
    folder = tmp_path_factory.mktemp("live")
    with copy_of(seeds_database[0], folder) as url, \
            live_server(url, folder / "gunicorn.log", REGISTRY_AUTH_FAILURES_PER_MINUTE="1000000") as running:
        yield running


@pytest.fixture(scope="module")
def ids(live: Live) -> dict[str, int]:
    """The live fixture's organisations, and a board for VNSW with an election in nominations
    and one candidate, so that generated requests reach governance and elections too."""
    network = f"/api/v1/networks/{live.ids['vnsw']}"
    body = live.call("POST", f"{network}/bodies", role="secretariat", json_body={
        "kind": "board", "name": "Sample VNSW board", "seats": 3, "term_months": 24})
    assert body.status == 201, body.body
    election = live.call("POST", f"{network}/elections", role="secretariat", json_body={
        "body_id": body.json()["id"], "title": "Sample VNSW board election", "method": "scottish_stv",
        "roll_cutoff": today().isoformat()})
    assert election.status == 201, election.body
    path = f"{network}/elections/{election.json()['id']}"
    opened = live.call("PUT", f"{path}/phase", role="secretariat", json_body={"phase": "nominations_open"},
                       headers={"If-Match": election.headers["ETag"]})
    assert opened.status == 200, opened.body
    nomination = live.call("POST", f"{path}/nominations", role="editor", json_body={
        "organisation_id": live.ids["cbo"], "name": "Sample candidate"})
    assert nomination.status == 201, nomination.body
    return {**live.ids, "body": body.json()["id"], "election": election.json()["id"],
            "nomination": nomination.json()["id"]}


def own_token_id(live: Live, role: str) -> str | None:
    """The id of the token a role's run sends, when the role may revoke tokens (it lists them)."""
    if role == "anonymous":
        return None
    answer = live.call("GET", "/api/v1/tokens?page_size=100", role=role)
    if answer.status != 200:
        return None
    return next(token["id"] for token in answer.json()["items"] if token["label"] == f"live test {role}")


def fuzz(live: Live, ids: dict[str, str], role: str, folder: Path, *, timeout: float) -> Run:
    report, output = folder / f"{role}.json", folder / f"{role}.txt"
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{live.base_url}/api/v1/openapi.json",
               "--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1",
               "--request-timeout", str(REQUEST_TIMEOUT), "--no-color",
               "--report", "json", "--report-json-path", str(report)]
    if role != "anonymous":
        command += ["--header", f"Authorization: {live.tokens[role]['Authorization']}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.live.fuzz_hooks", "REGISTRY_FUZZ_IDS": json.dumps(ids),
           "REGISTRY_FUZZ_TOKEN_ID": str(own_token_id(live, role) or "")}
    started = time.monotonic()
    with output.open("wb") as sink:
        try:
            subprocess.run(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"schemathesis as {role} ran past the {BUDGET} s budget; see {output}")
    seconds = time.monotonic() - started
    result = json.loads(report.read_text())
    return Run(role, result["test_cases"]["generated"], result["failures"], result["errors"],
               result["complete"], result["exit_code"], seconds, output)


def test_schemathesis_finds_no_failure_for_any_role(live: Live, ids: dict[str, int], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    deadline = time.monotonic() + BUDGET
    runs = [fuzz(live, ids, role, tmp_path, timeout=max(deadline - time.monotonic(), 1)) for role in ROLES]

    with capsys.disabled():
        print(f"\nschemathesis against {live.base_url}, every check, {EXAMPLES} fuzzing examples an operation:")
        for run in runs:
            found = ", ".join(f"{f.get('code', 'error')} {f['title']} x{f['count']}" for f in run.failures + run.errors)
            print(f"  {run.role:<16} {run.cases:>6} cases in {run.seconds:5.0f} s  {found or 'no failure'}")
        print(f"  {'in all':<16} {sum(run.cases for run in runs):>6} cases in {sum(run.seconds for run in runs):5.0f} s")
    assert all(run.clean for run in runs), "\n".join(run.explained() for run in runs if not run.clean)
    assert sum(run.cases for run in runs) >= MIN_CASES
