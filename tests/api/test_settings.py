"""The key that signs the session cookie: given by the operator, or made once in the instance
folder, readable by its owner only, and the same for every worker that starts at once."""

from __future__ import annotations

import stat
import threading

import pytest

from api import database
from api.app import create_app
from api.settings import SECRET_KEY_FILE, instance_secret_key


def test_a_key_is_made_on_first_start_for_the_owner_only(tmp_path):
    folder = tmp_path / "instance"
    key = instance_secret_key(str(folder))
    written = folder / SECRET_KEY_FILE
    assert len(key) >= 64 and written.read_text() == key
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert instance_secret_key(str(folder)) == key  # read back on the next start
    assert [p.name for p in folder.iterdir()] == [SECRET_KEY_FILE]  # no draft left behind


def test_workers_starting_at_once_share_one_key(tmp_path):
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(instance_secret_key(str(tmp_path)))

    workers = [threading.Thread(target=start) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert (tmp_path / SECRET_KEY_FILE).read_text() == keys[0]


def test_an_empty_key_file_is_refused_not_used(tmp_path):
    (tmp_path / SECRET_KEY_FILE).write_text("")
    with pytest.raises(RuntimeError, match="REGISTRY_SECRET_KEY"):
        instance_secret_key(str(tmp_path))


def test_the_operator_s_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "the operator's own key")
    app = create_app({"DATABASE_URL": "sqlite://"})
    try:
        assert app.secret_key == "the operator's own key"
    finally:
        database.dispose(app)
