"""What a page costs in SQL statements does not grow with the registry: a list page, a
network's members (today and as of a date), one organisation and one PATCH run as many
statements with 5 members as with 50. Counts, never timings."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from registry.memberships import services as memberships
from registry.organisations import services as organisations
from tests.factories import SYSTEM


@contextmanager
def counting(connection):
    found = []

    def count(*_):
        found.append(1)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(connection, "before_cursor_execute", count)


def grow(session, make_org, network, members):
    """Give the network `members` members, each listed and publishing its networks, admitted in 2020."""
    for _ in range(members):
        member = make_org(network, public_listing=True, published_fields=["priority_areas", "networks"],
                          areas_served=["VN-HN"], priority_areas=["health"])
        for action in ("apply", "verify", "admit"):
            memberships.transition(session, SYSTEM, network, member, action, on=dt.date(2020, 1, 1))
    session.flush()


@pytest.fixture
def client(make_app):
    return make_app().test_client()


def statements(session, client, path, headers, *, patch=None):
    if patch is not None:
        headers = {**headers, "If-Match": client.get(path, headers=headers).headers["ETag"]}
    session.expire_all()
    with counting(session.connection()) as found:
        response = client.open(path, method="PATCH" if patch else "GET", headers=headers, json=patch)
    assert response.status_code == 200, response.get_json()
    if patch is None:
        assert response.get_json().get("total", 1), f"{path} lists nothing: a count would prove nothing"
    return len(found)


@pytest.mark.parametrize("who", ["anonymous", "secretariat", "board", "editor"])
def test_pages_run_as_many_statements_with_50_members_as_with_5(session, client, make_org, bearer, who):
    network = make_org(name="Counted national network", acronym="CNN", kind="national_network",
                       public_listing=True)
    grow(session, make_org, network, 5)
    first = network_member = organisations.get_organisation(session, network.id + 1)
    headers = {} if who == "anonymous" else bearer(
        "editor" if who == "editor" else who, network_member if who == "editor" else network)
    pages = {
        "list": f"/api/v1/organisations?page_size=20",
        "members": f"/api/v1/networks/{network.public_id}/members?page_size=20",
        "members on a date": f"/api/v1/networks/{network.public_id}/members?page_size=20&on=2021-06-30",
        "one organisation": f"/api/v1/organisations/{first.public_id}",
    }
    small = {name: statements(session, client, path, headers) for name, path in pages.items()}
    grow(session, make_org, network, 45)
    large = {name: statements(session, client, path, headers) for name, path in pages.items()}
    assert large == small


def test_a_patch_runs_as_many_statements_with_50_members_as_with_5(session, client, make_org, bearer):
    network = make_org(name="Counted national network", acronym="CNN", kind="national_network")
    grow(session, make_org, network, 5)
    member = organisations.get_organisation(session, network.id + 1)
    headers = bearer("secretariat", network)
    path = f"/api/v1/organisations/{member.public_id}"
    small = statements(session, client, path, headers, patch={"acronym": "ONE"})
    grow(session, make_org, network, 45)
    large = statements(session, client, path, headers, patch={"acronym": "TWO"})
    assert large == small
