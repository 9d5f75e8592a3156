"""Networks' members over HTTP: the membership lifecycle as each role, the internal view, and
the member list on a date."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.memberships import services as memberships
from tests.api.conftest import ROLES, etag_of
from tests.factories import SYSTEM

API = "/api/v1"

# How to bring the world's member (active today) into the state each action starts from.
PREPARE = {
    "verify": ["withdraw", "apply"],
    "reject": ["withdraw", "apply"],
    "admit": ["withdraw", "apply", "verify"],
    "suspend": [], "lapse": [], "expel": [], "withdraw": [],
    "reinstate": ["suspend"],
    "apply": ["withdraw"],
}
OUTCOME = {"verify": "verified", "reject": "rejected", "admit": "active", "suspend": "suspended",
           "lapse": "lapsed", "expel": "expelled", "withdraw": "withdrawn", "reinstate": "active",
           "apply": "applied"}


def expected(action: str, role: str) -> int:
    if role == "secretariat":
        # The member withdrew: its registering network no longer speaks for it, and only the
        # organisation itself applies again.
        return 403 if action == "apply" else 200
    if role == "own_editor":
        return 200 if action in ("withdraw", "apply") else 403
    if role == "board":
        return 403
    if role == "anonymous":
        return 401  # told to sign in before anything is looked up
    return 404  # another secretariat, another editor: the membership is not theirs to see


def prepare(session, world, action):
    for step in PREPARE[action]:
        memberships.transition(session, SYSTEM, world.vnsw, world.cbo, step, reason="test")
    session.flush()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a for a in OUTCOME])
def test_membership_decisions(client, world, session, action, role):
    prepare(session, world, action)
    where = f"{API}/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}"
    tag = etag_of(client, where, world.roles["secretariat"])
    response = client.patch(where, json={"action": action, "reason": "as agreed by the board"},
                            headers={**world.roles[role], "If-Match": tag})
    assert response.status_code == expected(action, role), response.json
    if response.status_code == 200:
        assert response.json["status"] == OUTCOME[action]
        assert response.json["events"][-1]["actor"].startswith("token")
        assert response.headers["ETag"] != tag


# The member withdrew before applying again: only the organisation itself may (see expected).
APPLY = {"secretariat": 403, "own_editor": 201, "other_secretariat": 403, "other_editor": 403,
         "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_apply_to_a_network(client, world, session, role):
    prepare(session, world, "apply")
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/members", json={"organisation_id": world.cbo.public_id},
                           headers=world.roles[role])
    assert response.status_code == APPLY[role], response.json
    if response.status_code == 201:
        assert response.json["status"] == "applied"
        assert response.headers["Location"].endswith(f"/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}")


READ = {"secretariat": 200, "own_editor": 200, "board": 200, "other_secretariat": 404,
        "other_editor": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_read_a_membership(client, world, role):
    response = client.get(f"{API}/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}", headers=world.roles[role])
    assert response.status_code == READ[role]
    if response.status_code == 200:
        assert [e["action"] for e in response.json["events"]] == ["apply", "verify", "admit"]


INTERNAL = {"secretariat": 200, "board": 200, "other_secretariat": 403, "own_editor": 403,
            "other_editor": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_internal_view_lists_suspended_members(client, world, session, role):
    memberships.suspend(session, SYSTEM, world.vnsw, world.fellow, reason="dues")
    session.flush()
    response = client.get(f"{API}/networks/{world.vnsw.public_id}/members", query_string={"status": "suspended"},
                          headers=world.roles[role])
    assert response.status_code == INTERNAL[role]
    if response.status_code == 200:
        assert [m["organisation"]["name"] for m in response.json["items"]] == ["Nhóm Hải Phòng"]


def test_the_states_asked_for_are_at_most_the_states_there_are(client, world):
    # Bounded so that every query the description allows fits in a request line.
    response = client.get(f"{API}/networks/{world.vnsw.public_id}/members", query_string={"status": ["active"] * 9},
                          headers=world.roles["board"])
    assert response.status_code == 422 and "status" in response.json["fields"]


def test_a_decision_without_if_match_or_reason(client, world):
    where = f"{API}/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}"
    secretariat = world.roles["secretariat"]
    assert client.patch(where, json={"action": "suspend", "reason": "x"}, headers=secretariat).status_code == 428
    tag = etag_of(client, where, secretariat)
    response = client.patch(where, json={"action": "suspend"}, headers={**secretariat, "If-Match": tag})
    assert response.status_code == 422
    assert "reason" in response.json["fields"]
    illegal = client.patch(where, json={"action": "admit"}, headers={**secretariat, "If-Match": tag})
    assert illegal.status_code == 409
    assert illegal.json["error"] == "invalid_transition"


def test_members_as_of_a_date(client, world, session, make_org):
    old = make_org(world.vnsw, name="Founding member", country="VN", public_listing=True,
                   published_fields=["networks"])
    for action, on in (("apply", dt.date(2011, 5, 1)), ("verify", dt.date(2011, 6, 1)),
                       ("admit", dt.date(2012, 1, 1)), ("suspend", dt.date(2015, 6, 1))):
        memberships.transition(session, SYSTEM, world.vnsw, old, action, on=on, reason="minutes")
    session.flush()

    def members(on, headers=None, **params):
        response = client.get(f"{API}/networks/{world.vnsw.public_id}/members", query_string={"on": on, **params},
                              headers=headers or {})
        assert response.status_code == 200, response.json
        return [(m["organisation"]["name"], m["status"]) for m in response.json["items"]]

    assert members("2011-12-31") == []
    assert members("2013-01-01") == [("Founding member", "active")]
    assert members("2016-01-01") == []
    assert members("2016-01-01", world.roles["board"], status=["active", "suspended"]) == [
        ("Founding member", "suspended")]
    today = members(dt.date.today().isoformat())
    assert ("Nhóm Hà Nội", "active") in today and ("Founding member", "active") not in today


def test_the_member_list_is_narrowed_for_anonymous_callers(client, world, session, make_org, member_of):
    unlisted = make_org(world.vnsw, name="Unlisted member", country="VN")
    member_of(world.vnsw, unlisted)
    session.flush()
    names = [m["organisation"]["name"] for m in client.get(f"{API}/networks/{world.vnsw.public_id}/members").json["items"]]
    assert names == ["Nhóm Hà Nội", "Nhóm Hải Phòng"]
    internal = client.get(f"{API}/networks/{world.vnsw.public_id}/members", headers=world.roles["board"]).json
    assert "Unlisted member" in [m["organisation"]["name"] for m in internal["items"]]


def test_the_member_list_pages_and_counts_what_the_caller_sees(client, world, session, make_org, member_of):
    """The total is of the members the caller may see, on every page, past the last one too."""
    for n in range(3):
        member_of(world.vnsw, make_org(world.vnsw, name=f"Unlisted member {n}", country="VN"))
    session.flush()

    def page(number, headers=None):
        response = client.get(f"{API}/networks/{world.vnsw.public_id}/members",
                              query_string={"page": number, "page_size": 2}, headers=headers or {})
        assert response.status_code == 200, response.json
        return response.json["total"], [m["organisation"]["name"] for m in response.json["items"]]

    board = world.roles["board"]
    every = page(1, board)[1] + page(2, board)[1] + page(3, board)[1]
    assert every == sorted(every, key=str.casefold) and len(every) == len(set(every)) == page(1, board)[0] == 5
    assert page(4, board) == (5, [])
    assert page(1) == (2, ["Nhóm Hà Nội", "Nhóm Hải Phòng"]) and page(2) == (2, [])


# --- an application: the network reviews the applicant as the public reads a listed profile ----

APPLICANT_SEEN_AT = {"secretariat": "public", "board": "public", "other_secretariat": "secretariat",
                     "own_editor": None, "other_editor": None, "anonymous": None}


@pytest.fixture
def applicant(session, world, make_org, member_of):
    """An unlisted member of the other network (publishing nothing but its priority areas) that
    has applied to VNSW, with a contact of every tier."""
    from registry.organisations import services as organisations

    group = make_org(world.wnu, name="Nhóm Phnom Penh", country="KH", areas_served=["KH-1201"],
                     populations=["female-sex-workers"], sex_worker_led="yes", drop_in_centres=1)
    member_of(world.wnu, group)
    for visibility in ("public", "secretariat", "self"):
        organisations.add_contact(session, SYSTEM, group, kind="email", value=f"{visibility}@example.org",
                                  visibility=visibility)
    memberships.apply(session, SYSTEM, world.vnsw, group, reason="wants to join")
    session.flush()
    return group


@pytest.mark.parametrize("role", ROLES)
def test_the_network_reviews_an_applicant_as_the_public_reads_a_listed_profile(client, world, applicant, role):
    headers = world.roles[role]
    profile = client.get(f"{API}/organisations/{applicant.public_id}", headers=headers)
    tier = APPLICANT_SEEN_AT[role]
    if tier is None:
        assert profile.status_code == 404
        return
    assert profile.status_code == 200 and profile.json["visibility"] == tier
    if tier == "public":
        # every public-tier field, whatever it chose to publish: it showed its profile to the network
        assert profile.json["populations"] == ["female-sex-workers"] and profile.json["sex_worker_led"] == "yes"
        assert profile.json["areas_served"] == ["KH-12"]
        assert "drop_in_centres" not in profile.json and "public_listing" not in profile.json
        assert [c["value"] for c in profile.json["contacts"]] == ["public@example.org"]
        for path in ("contacts", "history", "contact-reads"):
            assert client.get(f"{API}/organisations/{applicant.public_id}/{path}", headers=headers).status_code == 403
        token = client.post(f"{API}/tokens", json={"role": "editor", "scope_id": applicant.public_id, "label": "x"},
                            headers=headers)
        assert token.status_code == 403
        pending = client.get(f"{API}/networks/{world.vnsw.public_id}/members", query_string={"status": "applied"},
                             headers=headers)
        assert [m["organisation"]["name"] for m in pending.json["items"]] == ["Nhóm Phnom Penh"]
