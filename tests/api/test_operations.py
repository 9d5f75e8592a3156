"""`registry backup`, `registry restore` and `registry doctor` as an operator runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from api.doctor import UNSAFE, WARNING, examine
from api.settings import from_environment
from tests.conftest import fresh_database

PASSPHRASE = "a passphrase for the command tests"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("operations")


@pytest.fixture(scope="module")
def source(folder: Path) -> Iterator[str]:
    with fresh_database(folder) as url:
        yield url


def runner(url: str, folder: Path, **env: str) -> CliRunner:
    return CliRunner(env={"DATABASE_URL": url, "REGISTRY_CONTACT_KEYS_FILE": str(folder / "contact-keys.json"),
                          **env})


def run(url: str, folder: Path, *args: str, **env: str) -> Result:
    return runner(url, folder, **env).invoke(main, list(args), catch_exceptions=False)


def test_backup_then_restore_into_an_empty_database_and_the_api_reads_it(source, folder, tmp_path):
    assert run(source, folder, "db", "upgrade").exit_code == 0
    assert run(source, folder, "seed").exit_code == 0
    out = tmp_path / "registry.backup"
    made = run(source, folder, "backup", "--out", str(out), REGISTRY_BACKUP_PASSPHRASE=PASSPHRASE)
    assert made.exit_code == 0, made.output
    assert "back that file up too" in made.output and str(folder / "contact-keys.json") in made.output
    with fresh_database(tmp_path) as target:
        wrong = run(target, folder, "restore", str(out), REGISTRY_BACKUP_PASSPHRASE="not it")
        assert wrong.exit_code == 1 and "the passphrase does not open this backup" in wrong.output
        passphrase = tmp_path / "passphrase"
        passphrase.write_text(PASSPHRASE + "\n")
        restored = run(target, folder, "restore", str(out), "--passphrase-file", str(passphrase))
        assert restored.exit_code == 0, restored.output
        summary = run(target, folder, "network", "summary", "VNSW")
        assert summary.exit_code == 0 and summary.output == run(source, folder, "network", "summary", "VNSW").output
        again = run(target, folder, "restore", str(out), "--passphrase-file", str(passphrase))
        assert again.exit_code == 1 and "--force" in again.output


def settings(tmp_path: Path, **env: str) -> dict[str, object]:
    return from_environment(str(tmp_path)) | {key: value for key, value in env.items() if key.isupper()}


def test_doctor_names_every_unsafe_setting(tmp_path):
    keys = tmp_path / "contact-keys.json"
    keys.write_text("{}")
    keys.chmod(0o644)
    config = settings(tmp_path) | {"DEBUG": True, "MAP_TILES_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
                                   "REDIS_URL": "redis://127.0.0.1:6379/0", "CONTACT_KEYS_FILE": str(keys)}
    found = examine(config, workers=4, environ={})
    messages = " | ".join(f"{f.level} {f.message}" for f in found)
    for expected in ("unsafe no REGISTRY_SECRET_KEY", "unsafe SQLite behind 4 workers", "unsafe no HTTPS in front",
                     "unsafe debug is on", "warning map tiles are on", "can be read by others"):
        assert expected in messages, expected


def test_doctor_is_quiet_about_a_careful_deployment(tmp_path):
    config = settings(tmp_path) | {"DATABASE_URL": "postgresql+psycopg://registry@db.internal/registry",
                                   "PROXY_HOPS": 1, "TRUSTED_HOSTS": ["registry.example.org"]}
    assert examine(config, workers=5, environ={"REGISTRY_SECRET_KEY": "k" * 64}) == []
    short = examine(config, workers=5, environ={"REGISTRY_SECRET_KEY": "short"})
    assert [f.level for f in short] == [UNSAFE]


def test_doctor_exits_non_zero_when_anything_is_unsafe(folder):
    checked = run(f"sqlite:///{folder / 'doctor.sqlite'}", folder, "doctor", "--workers", "3")
    assert checked.exit_code == 1
    assert "UNSAFE  SQLite behind 3 workers" in checked.output
    assert WARNING.upper() in checked.output
