"""The `registry` command end to end on its own database: upgrade, seed (twice), summaries,
and a token that the API then accepts and, once revoked, refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api import database
from api.app import create_app
from api.cli import main
from registry.db import make_engine
from registry.elections import ballots
from registry.elections.models import Election, ElectionPhase
from registry.organisations.models import Organisation
from tests.conftest import fresh_database
from tests.hostile import HOSTILE_SPREADSHEETS, row_counts
from tests.registry.test_elections_secrecy import committed_election


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("cli")) as url:
        yield url


@pytest.fixture(scope="module")
def run(cli_db: str):
    def invoke(*args: str) -> Result:
        return CliRunner(env={"DATABASE_URL": cli_db}).invoke(main, list(args), catch_exceptions=False)
    return invoke


@contextmanager
def api_client(url: str, **config: object) -> Iterator[FlaskClient]:
    app = create_app({"DATABASE_URL": url, "TESTING": True, **config})
    try:
        yield app.test_client()
    finally:
        database.dispose(app)


def counts_in(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return row_counts(session)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def seeded(run) -> Result:
    assert run("db", "upgrade").exit_code == 0
    return run("seed")


def test_upgrade_creates_the_schema(run, cli_db, seeded):
    engine = make_engine(cli_db)
    assert {"organisations", "memberships", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    assert run("db", "upgrade").exit_code == 0  # upgrading again is harmless


def test_seed_reports_what_it_did_and_a_second_run_changes_nothing(run, seeded):
    assert seeded.exit_code == 0, seeded.output
    assert "organisation: 51 created, 0 updated, 0 unchanged" in seeded.output
    again = run("seed")
    assert "organisation: 0 created, 0 updated, 51 unchanged" in again.output
    assert " created" in again.output and "1 created" not in again.output.replace("51 created", "")


def test_network_summary_shows_the_documented_figures(run, seeded):
    then = run("network", "summary", "VNSW", "--on", "2012-12-31")
    assert "11 member organisations in 7 of 63 provinces" in then.output
    now = run("network", "summary", "VNSW")
    assert "32 member organisations in 21 of 34 provinces" in now.output
    assert "areas counted on Vietnam: 34 provinces (from 2025-07-01)" in now.output
    assert "SAMPLE (not real) organisations: 32" in now.output


def test_an_operator_names_an_organisation_by_public_id_integer_key_or_acronym(run, cli_db, seeded):
    engine = make_engine(cli_db)
    with Session(engine) as session:
        vnsw = session.scalars(select(Organisation).where(Organisation.acronym == "VNSW")).one()
        refs = (vnsw.public_id, str(vnsw.id), "VNSW")
    engine.dispose()
    outputs = {ref: run("network", "summary", ref).output for ref in refs}
    assert len(set(outputs.values())) == 1 and "32 member organisations in 21 of 34 provinces" in outputs["VNSW"]


def test_summary_and_token_refusals_are_clear(run, seeded):
    refused = run("network", "summary", "WLIC")
    assert refused.exit_code == 1 and "not a network" in refused.output
    unknown = run("token", "create", "--role", "editor", "--for", "NOPE", "--label", "x")
    assert unknown.exit_code == 1 and "no organisation 'NOPE'" in unknown.output
    bad_role = run("token", "create", "--role", "secretariat", "--for", "WLIC", "--label", "x")
    assert bad_role.exit_code == 1 and "needs a network" in bad_role.output


def test_a_cli_token_works_in_the_api_until_revoked(run, cli_db, seeded):
    created = run("token", "create", "--role", "secretariat", "--for", "VNSW", "--label", "test laptop",
                  "--expires-in-days", "30")
    assert created.exit_code == 0, created.output
    first_line, secret = created.output.strip().splitlines()
    token_id = first_line.split()[1]
    with api_client(cli_db) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
        assert me["role"] == "secretariat" and "VNSW" in me["label"]
        assert "active" in run("token", "list").output and secret not in run("token", "list").output
        assert run("token", "revoke", token_id).exit_code == 0
        refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"


class TestServiceEndpoints:
    @pytest.fixture
    def client(self, cli_db, seeded):
        with api_client(cli_db, AUTH_FAILURES_PER_MINUTE=3) as client:
            yield client

    def test_health_and_anonymous_identity(self, client):
        assert client.get("/api/v1/health").get_json() == {"status": "ok"}
        assert client.get("/api/v1/ready").get_json() == {"status": "ok"}
        assert client.get("/api/v1/me").get_json()["role"] == "anonymous"

    def test_errors_share_one_shape(self, client):
        missing = client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert set(missing.get_json()) == {"status", "error", "message"}
        wrong_method = client.delete("/api/v1/health")
        assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]
        assert wrong_method.get_json()["error"] == "method_not_allowed"

    def test_failed_sign_ins_are_rate_limited(self, client):
        bad = {"Authorization": "Bearer swr_wrong"}
        assert [client.get("/api/v1/me", headers=bad).status_code for _ in range(4)] == [401, 401, 401, 429]
        assert client.get("/api/v1/me", headers=bad).headers["Retry-After"] == "60"


class TestBoundaryImport:
    """Licensed boundary files are imported at run time from shared/geo, never shipped."""

    def test_import_known_reads_the_licensed_files_once(self, run, seeded):
        from geo.bundle import shared_geo_dir

        first = run("boundaries", "import-known", str(shared_geo_dir()))
        assert first.exit_code == 0, first.output
        assert "kh-admin2-2014: imported 197 districts" in first.output
        assert "la-admin1: imported 18 provinces" in first.output
        again = run("boundaries", "import-known", str(shared_geo_dir()))
        assert "kh-admin2-2014: already imported" in again.output
        listed = run("boundaries", "list").output
        assert "kh-admin2-2014" in listed and "vn-34-2025" in listed

    def test_a_bad_file_is_refused_with_its_reasons(self, run, seeded, tmp_path):
        from geo.bundle import shared_geo_dir

        source = shared_geo_dir() / "kh_admin2_districts_geoboundaries2014.geojson"
        refused = run("boundaries", "import", str(source), "--key", "kh-bad", "--title", "t",
                      "--key-field", "no_such_field", "--name-field", "name_en", "--level", "2",
                      "--attribution", "x")
        assert refused.exit_code == 1
        assert "no field 'no_such_field'" in refused.output and "mef_code" in refused.output
        garbage = tmp_path / "garbage.geojson"
        garbage.write_text("this is not GeoJSON")
        refused = run("boundaries", "import", str(garbage), "--key", "kh-bad", "--title", "t",
                      "--key-field", "code", "--name-field", "name", "--level", "1", "--attribution", "x")
        assert refused.exit_code == 1 and "garbage.geojson" in refused.output
        assert "kh-bad" not in run("boundaries", "list").output


class TestMemberSpreadsheets:
    def test_export_then_import_the_same_file_changes_nothing(self, run, seeded, tmp_path):
        out = tmp_path / "vnsw.csv"
        exported = run("members", "export", "VNSW", "--out", str(out), "--hxl")
        assert exported.exit_code == 0 and "wrote 32 members" in exported.output
        assert out.read_text().splitlines()[1].startswith("#org+name")
        again = run("members", "import", "VNSW", str(out), "--apply")
        assert again.exit_code == 0, again.output
        assert "imported: 0 created, 0 updated, 32 unchanged, 0 error" in again.output

    def test_an_export_names_the_codes_in_the_language_asked_for_and_imports_unchanged(self, run, seeded, tmp_path):
        english, vietnamese = tmp_path / "en.csv", tmp_path / "vi.csv"
        assert run("members", "export", "VNSW", "--out", str(english)).exit_code == 0
        exported = run("members", "export", "VNSW", "--out", str(vietnamese), "--language", "vi")
        assert exported.exit_code == 0 and "wrote 32 members" in exported.output
        en_headers, vi_headers = (p.read_text(encoding="utf-8-sig").splitlines()[0] for p in (english, vietnamese))
        assert "Areas served (names)" in en_headers and "Areas served (names)" not in vi_headers
        assert "Hà Nội" in vietnamese.read_text(encoding="utf-8-sig")
        again = run("members", "import", "VNSW", str(vietnamese))
        assert "0 created, 0 updated, 32 unchanged, 0 error" in again.output, again.output
        refused = run("members", "export", "VNSW", "--out", str(english), "--language", "xx")
        assert refused.exit_code == 2 and "--language" in refused.output

    @pytest.mark.parametrize("attack", HOSTILE_SPREADSHEETS)
    def test_a_hostile_file_is_refused_as_a_whole_and_writes_nothing(self, run, cli_db, seeded, tmp_path, attack):
        filename, make, words = HOSTILE_SPREADSHEETS[attack]
        path = tmp_path / filename
        path.write_bytes(make())
        before = counts_in(cli_db)
        for apply in ([], ["--apply"]):
            refused = run("members", "import", "VNSW", str(path), *apply)
            assert refused.exit_code == 1 and words in refused.output, refused.output
        assert counts_in(cli_db) == before

    def test_a_bad_row_stops_the_whole_import(self, run, seeded, tmp_path):
        path = tmp_path / "new.csv"
        path.write_text("Name,Areas served\nSample new group A,VN-HN\nSample new group B,Atlantis\n")
        refused = run("members", "import", "VNSW", str(path), "--apply")
        assert refused.exit_code == 1 and "nothing was imported" in refused.output
        assert "row 3 (Sample new group B): Areas served: no place called 'Atlantis' is known" in refused.output
        exported = tmp_path / "after.csv"
        run("members", "export", "VNSW", "--out", str(exported))
        assert "Sample new group A" not in exported.read_text()
        dry = run("members", "import", "VNSW", str(path))
        assert dry.exit_code == 1


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A registry of its own with a key file of its own, so that rotating and dropping keys
    leaves the run's keys alone."""
    folder = tmp_path_factory.mktemp("keys-cli")
    keys = folder / "instance" / "contact-keys.json"
    with fresh_database(folder) as url:
        def invoke(*args: str) -> Result:
            env = {"DATABASE_URL": url, "REGISTRY_CONTACT_KEYS_FILE": str(keys)}
            return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)

        assert invoke("db", "upgrade").exit_code == 0 and not keys.exists()  # no contact yet, no key
        assert invoke("seed").exit_code == 0
        yield invoke, keys, url


class TestContactKeys:
    def test_rotation_reseals_every_contact_and_the_old_keys_can_be_dropped(self, own):
        run, keys, url = own
        upgraded = run("db", "upgrade")
        assert f"contacts are sealed with the keys in {keys}: back that file up" in upgraded.output
        before = run("contacts", "keys")
        assert before.exit_code == 0 and before.output.count("current") == 2 and "46 contact value(s)" in before.output
        old = [line.split()[1] for line in before.output.splitlines()[1:]]

        rotated = run("contacts", "rotate-key", "--index-key")
        assert rotated.exit_code == 0, rotated.output
        assert "resealed 46 contact value(s) under key" in rotated.output and "blind index" in rotated.output
        for key_id in old:
            assert f"registry contacts drop-key {key_id}" in rotated.output
            assert run("contacts", "drop-key", key_id).exit_code == 0
        after = run("contacts", "keys").output
        assert not any(key_id in after for key_id in old) and after.count("46 contact value(s)") == 2

        secret = run("token", "create", "--role", "secretariat", "--for", "VNSW", "--label", "x").output.split()[-1]
        with api_client(url, CONTACT_KEYS_FILE=str(keys)) as client:
            members = client.get("/api/v1/organisations", query_string={"q": "Sample", "page_size": 1},
                                 headers={"Authorization": f"Bearer {secret}"}).get_json()["items"]
            read = client.get(f"/api/v1/organisations/{members[0]['id']}/contacts",
                              headers={"Authorization": f"Bearer {secret}"})
            assert read.status_code == 200 and read.get_json()[0]["value"].endswith("@example.org")

    def test_a_key_in_use_is_not_dropped_and_a_lost_key_file_is_said_plainly(self, own):
        run, keys, _ = own
        current = run("contacts", "keys").output.splitlines()[1].split()[1]
        refused = run("contacts", "drop-key", current)
        assert refused.exit_code == 1 and "is the current key" in refused.output
        keys.rename(keys.with_suffix(".away"))
        try:
            lost = run("contacts", "keys")
            assert lost.exit_code == 1 and "restore the key file from its backup" in lost.output
        finally:
            keys.with_suffix(".away").rename(keys)


def test_an_election_counted_from_the_command_line_is_scrubbed_once_the_count_is_committed(
        run, cli_db, seeded, monkeypatch):
    """The count opens and deletes the sealed boxes; their dead rows are scrubbed after the
    commit, from the command line as from a request."""
    engine = make_engine(cli_db)
    try:
        election = committed_election(engine)
        scrubbed = []

        def scrub(given: Engine) -> None:
            with Session(engine) as session:  # the close stands before the scrub runs
                scrubbed.append((given.url, session.get_one(Election, election.election_id).phase))

        monkeypatch.setattr(ballots, "scrub_sealed_ballots", scrub)
        closed = run("election", "move", str(election.election_id), "voting_closed")
        assert closed.exit_code == 0, closed.output
        assert scrubbed == []  # closing only fixes the boxes; they are still there
        counted = run("election", "move", str(election.election_id), "tallied")
        assert counted.exit_code == 0, counted.output
        assert scrubbed == [(engine.url, ElectionPhase.TALLIED)]
    finally:
        engine.dispose()
