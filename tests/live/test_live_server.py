"""The live server fixture itself: gunicorn answers, each role's token is who it says."""

from __future__ import annotations

from tests.live.conftest import Live


def test_each_role_is_recognised_by_the_running_server(live: Live):
    assert live.call("GET", "/api/v1/health").json() == {"status": "ok", "database": "ok"}
    assert live.call("GET", "/api/v1/me").json()["role"] == "anonymous"
    for name, role in (("secretariat", "secretariat"), ("board", "board"), ("editor", "editor"),
                       ("other_editor", "editor"), ("wnu_secretariat", "secretariat")):
        assert live.call("GET", "/api/v1/me", role=name).json()["role"] == role, name
    assert len(live.worker_pids()) == 2


def test_what_gunicorn_refuses_itself_comes_in_the_api_s_error_shape(live: Live):
    # A request line past gunicorn's limit never reaches the app; the worker still answers JSON.
    answer = live.call("GET", "/api/v1/organisations?q=" + "a" * 5000)
    assert answer.status == 414 and answer.headers["Content-Type"] == "application/json"
    assert answer.json()["status"] == 414 and set(answer.json()) == {"status", "error", "message"}
