"""Many clients updating one organisation at the same moment, through both gunicorn workers.

An update names the version it read (If-Match). Of updates that all read the same version,
exactly one is kept and the others are told so (412), whichever worker and database connection
each lands on; clients that read again and retry on 412 all get their change in, none lost.
Reads that are logged (contacts) race the updates too: each is answered and written down.
"""

from __future__ import annotations

import pycountry
import pytest

from tests.live.conftest import Live, start, stop, together

CLIENTS = 50
# One distinct language for each client to add (the profile takes at most 50).
LANGUAGES = sorted(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))[:CLIENTS]


@pytest.fixture(scope="module")
def live(live: Live) -> Live:
    """The module's server with four workers, so that more updates are in flight at once."""
    stop(live)
    start(live, workers=4)
    return live


def profile_changes(live: Live, organisation_id: str) -> list[dict]:
    """The organisation's update_profile history entries, oldest first."""
    entries, page, pages = [], 1, 1
    while page <= pages:
        listed = live.call("GET", f"/api/v1/organisations/{organisation_id}/history?page_size=100&page={page}",
                           role="secretariat").json()
        entries, page, pages = entries + listed["items"], page + 1, listed["pages"]
    return [e for e in reversed(entries) if e["action"] == "update_profile"]  # listed newest first


def test_of_50_updates_from_one_version_exactly_one_is_kept_and_49_are_told_412(live: Live):
    path = f"/api/v1/organisations/{live.ids['cbo']}"
    read = live.call("GET", path, role="editor")
    assert read.status == 200
    version, before = read.headers["ETag"], read.json()
    history_before = profile_changes(live, live.ids["cbo"])

    def update(client: int):
        return live.call("PATCH", path, role="editor", headers={"If-Match": version},
                         json_body={"drop_in_centres": 100 + client, "website": f"https://example.org/{client}"},
                         timeout=180)

    answers = together(CLIENTS, update)

    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] + [412] * (CLIENTS - 1), statuses
    for answer in answers:
        if answer.status == 412:
            assert answer.json()["error"] == "precondition_failed"
    winner = next(client for client, answer in enumerate(answers) if answer.status == 200)
    after = live.call("GET", path, role="editor").json()
    assert (after["drop_in_centres"], after["website"]) == (100 + winner, f"https://example.org/{winner}")
    assert after["languages"] == before["languages"] and after["name"] == before["name"]
    new = profile_changes(live, live.ids["cbo"])[len(history_before):]
    assert len(new) == 1
    assert new[0]["changes"]["drop_in_centres"] == [before["drop_in_centres"], 100 + winner]


def test_50_clients_that_retry_on_412_all_get_their_change_in(live: Live):
    path = f"/api/v1/organisations/{live.ids['other_cbo']}"
    cleared = live.call("PATCH", path, role="other_editor", json_body={"languages": []},
                        headers={"If-Match": live.call("GET", path, role="other_editor").headers["ETag"]})
    assert cleared.status == 200, cleared.json()
    history_before = profile_changes(live, live.ids["other_cbo"])

    def add_language(client: int) -> int:
        """Read, add this client's language, write; again on 412. Returns the attempts it took."""
        for attempt in range(1, 10 * CLIENTS):
            read = live.call("GET", path, role="other_editor", timeout=180)
            assert read.status == 200, read.body
            languages = read.json()["languages"] + [LANGUAGES[client]]
            written = live.call("PATCH", path, role="other_editor", headers={"If-Match": read.headers["ETag"]},
                                json_body={"languages": languages}, timeout=180)
            if written.status == 200:
                return attempt
            assert written.status == 412, written.body
        raise AssertionError(f"client {client} never got its change in")

    attempts = together(CLIENTS, add_language)

    assert sum(attempts) > CLIENTS  # the clients did collide
    final = live.call("GET", path, role="other_editor").json()
    assert sorted(final["languages"]) == LANGUAGES
    new = profile_changes(live, live.ids["other_cbo"])[len(history_before):]
    assert len(new) == CLIENTS
    added = [set(e["changes"]["languages"][1]) - set(e["changes"]["languages"][0]) for e in new]
    assert sorted(language for each in added for language in each) == LANGUAGES


def test_logged_contact_reads_among_updates_are_each_answered_and_written_down(live: Live):
    path = f"/api/v1/organisations/{live.ids['cbo']}"
    reads_before = live.call("GET", f"{path}/contact-reads", role="secretariat").json()["total"]

    def client(number: int):
        if number % 2:
            return live.call("GET", f"{path}/contacts", role="secretariat", timeout=180)
        read = live.call("GET", path, role="editor", timeout=180)
        return live.call("PATCH", path, role="editor", headers={"If-Match": read.headers["ETag"]},
                         json_body={"drop_in_centres": number}, timeout=180)

    answers = together(CLIENTS, client)

    assert [a.status for a in answers[1::2]] == [200] * (CLIENTS // 2)
    assert {a.status for a in answers[::2]} <= {200, 412} and 200 in {a.status for a in answers[::2]}
    reads_after = live.call("GET", f"{path}/contact-reads", role="secretariat").json()["total"]
    assert reads_after == reads_before + CLIENTS // 2
