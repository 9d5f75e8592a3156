"""The change history over HTTP: a secretariat reads its subtree's, an organisation its own."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES, etag_of

API = "/api/v1"

READ = {"secretariat": 200, "own_editor": 200, "other_secretariat": 403, "other_editor": 403,
        "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_read_an_organisation_s_history(client, world, role):
    tag = etag_of(client, f"{API}/organisations/{world.cbo.public_id}")
    client.patch(f"{API}/organisations/{world.cbo.public_id}", json={"acronym": "NHN"},
                 headers={**world.roles["own_editor"], "If-Match": tag})
    response = client.get(f"{API}/organisations/{world.cbo.public_id}/history", headers=world.roles[role])
    assert response.status_code == READ[role]
    if response.status_code == 200:
        latest = response.json["items"][0]
        assert latest["action"] == "update_profile"
        assert latest["changes"] == {"acronym": [None, "NHN"]}
        assert latest["actor"].startswith("token") and latest["actor_role"] == "editor"
        assert {e["organisation_id"] for e in response.json["items"]} == {world.cbo.public_id}


def test_the_whole_history_is_narrowed_to_the_caller(client, world):
    def organisations_in(role):
        items = client.get(f"{API}/history", query_string={"page_size": 100}, headers=world.roles[role]).json["items"]
        return {e["organisation_id"] for e in items}

    assert organisations_in("secretariat") == {world.vnsw.public_id, world.cbo.public_id, world.fellow.public_id}
    assert organisations_in("other_secretariat") == {world.wnu.public_id}
    assert organisations_in("own_editor") == {world.cbo.public_id}
    assert client.get(f"{API}/history", headers=world.roles["board"]).status_code == 403
    assert client.get(f"{API}/history").status_code == 401


def test_the_history_says_a_contact_changed_but_keeps_no_value(client, world):
    def contact_values(role):
        items = client.get(f"{API}/organisations/{world.cbo.public_id}/history", query_string={"page_size": 100},
                           headers=world.roles[role]).json["items"]
        return [e["changes"]["value"] for e in items if e["action"] == "add_contact"]

    for role in ("own_editor", "secretariat"):
        logged = contact_values(role)
        assert len(logged) == 3 and all(before is None and after.startswith("(not logged") for before, after in logged)
