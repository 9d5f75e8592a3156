"""The live server fixture itself: gunicorn answers, each role's token is who it says."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.live.conftest import Live


def test_each_role_is_recognised_by_the_running_server(live: Live):
    assert live.call("GET", "/api/v1/health").json() == {"status": "ok"}
    assert live.call("GET", "/api/v1/ready").json() == {"status": "ok"}
    assert live.call("GET", "/api/v1/me").json()["role"] == "anonymous"
    for name, role in (("secretariat", "secretariat"), ("board", "board"), ("editor", "editor"),
                       ("other_editor", "editor"), ("wnu_secretariat", "secretariat")):
        assert live.call("GET", "/api/v1/me", role=name).json()["role"] == role, name
    assert len(live.worker_pids()) == 2


def test_what_gunicorn_refuses_itself_comes_in_the_api_s_error_shape(live: Live):
    # A request line past gunicorn's limit never reaches the app; the worker still answers JSON.
    answer = live.call("GET", "/api/v1/organisations?q=" + "a" * 9000)
    assert answer.status == 414 and answer.headers["Content-Type"] == "application/json"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # like every answer the app gives
    assert answer.json()["status"] == 414 and set(answer.json()) == {"status", "error", "message"}
    assert answer.json()["error"] == "uri_too_long"  # the app's own vocabulary (api.errors)


def test_the_longest_search_the_description_allows_is_answered(live: Live):
    wide = "\U0001f600"  # four bytes in UTF-8, twelve once percent-encoded
    query = urlencode({"q": wide * 200, "priority_area": wide * 64, "population": wide * 64, "service": wide * 64,
                       "area": wide * 64, "country": "VN", "network_id": live.ids["vnsw"], "page": 10000})
    answer = live.call("GET", f"/api/v1/organisations?{query}")
    assert answer.status == 200 and answer.json()["items"] == []
