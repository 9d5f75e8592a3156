"""The server's logs, read as a log system reads them: JSON lines, one per request with its id
(also in the X-Request-Id header), method, route template, status, duration and role; and,
after a run that used every kind of secret, none of them anywhere in the log.

Sign-in codes come with the web app issue: when they exist, add one to SECRETS here.
"""

from __future__ import annotations

import json
import uuid

from tests.live.conftest import Live
from tests.live.test_concurrent_ballots import Election, cast, database, election  # noqa: F401  (the fixtures)


def lines(live: Live) -> list[dict]:
    assert live.log is not None
    found = []
    for line in live.log.read_text().splitlines():
        if line.strip():
            found.append(json.loads(line))  # every line is JSON, gunicorn's own too
    return found


def test_a_full_run_leaves_no_secret_in_the_log(live: Live, election: Election):  # noqa: F811
    secrets: list[str] = [h["Authorization"].removeprefix("Bearer ") for h in live.tokens.values()]
    cbo = f"/api/v1/organisations/{live.ids['cbo']}"

    guess = f"swr_{uuid.uuid4().hex}"
    failed = live.call("GET", "/api/v1/me", headers={"Authorization": f"Bearer {guess}"})
    assert failed.status == 401
    secrets.append(guess)

    issued = live.call("POST", "/api/v1/tokens", role="secretariat",
                       json_body={"role": "editor", "scope_id": live.ids["cbo"], "label": "live log test"})
    assert issued.status == 201
    secrets.append(issued.json()["secret"])

    phone = f"+84 {uuid.uuid4().int % 10**9:09d}"
    added = live.call("POST", f"{cbo}/contacts", role="editor",
                      json_body={"kind": "phone", "value": phone, "label": "night outreach line"})
    assert added.status == 201, added.body
    read = live.call("GET", f"{cbo}/contacts", role="secretariat")
    assert read.status == 200 and phone in read.body.decode()
    secrets += [phone, "night outreach line"] + [c["value"] for c in read.json()]

    ballot = cast(live, election, live.ids["cbo"], live.tokens["editor"], 1)
    assert ballot.status == 201, ballot.body
    secrets += [ballot.json()["receipt"], ballot.json()["ballot_hash"]]

    searched = f"search-term-{uuid.uuid4().hex}"
    assert live.call("GET", f"/api/v1/organisations?q={searched}", role="secretariat").status in (200, 422)
    secrets.append(searched)

    logged = live.log.read_text()
    for secret in secrets:
        assert secret not in logged, secret[:6]
    assert '"choices"' not in logged and '"open"' not in logged

    requests = [line for line in lines(live) if line.get("message") == "request"]
    by_id = {line["request_id"]: line for line in requests}
    seen = by_id[failed.headers["X-Request-Id"]]
    assert (seen["method"], seen["route"], seen["status"], seen["role"]) == ("GET", "/api/v1/me", 401, None)
    assert seen["duration_ms"] >= 0 and seen["level"] == "INFO"
    cast_line = by_id[ballot.headers["X-Request-Id"]]
    assert cast_line["route"].endswith("/ballots") and "<" in cast_line["route"]
    assert (cast_line["status"], cast_line["role"]) == (201, "editor")
    assert by_id[read.headers["X-Request-Id"]]["role"] == "secretariat"
