"""Public pages kept in memory: served again while nothing changes, built afresh as soon as
anything is written, never kept for or served to a token holder."""

from __future__ import annotations

import datetime as dt

import pytest

from api import page_cache
from api.page_cache import Page, PageCache
from registry.networks import directory
from registry.organisations import services as organisations
from tests.api.conftest import etag_of
from tests.factories import SYSTEM

API = "/api/v1"
LIST = f"{API}/organisations"


@pytest.fixture
def builds(monkeypatch):
    """How many times the list was built rather than served from memory."""
    count = {"n": 0}
    search = directory.search

    def counted(*args, **kwargs):
        count["n"] += 1
        return search(*args, **kwargs)

    monkeypatch.setattr(directory, "search", counted)
    return count


def names(client, headers=None, path=LIST):
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, response.json
    return [o["name"] for o in response.json["items"]]


def test_an_unchanged_public_page_is_served_again_without_being_built(client, world, builds):
    first = client.get(LIST)
    second = client.get(LIST)
    assert builds["n"] == 1
    assert second.data == first.data
    assert second.headers["Content-Type"] == "application/json"


def test_each_query_string_is_a_page_of_its_own(client, world, builds):
    assert names(client, path=f"{LIST}?q=hai+phong") == ["Nhóm Hải Phòng"]
    assert names(client, path=f"{LIST}?q=ha+noi") == ["Nhóm Hà Nội"]
    assert builds["n"] == 2


def test_a_renamed_organisation_shows_in_the_next_public_page(client, world, builds):
    assert "Nhóm Hà Nội" in names(client)
    changed = client.patch(f"{API}/organisations/{world.cbo.public_id}", json={"name": "Nhóm Thủ đô"},
                           headers={**world.roles["secretariat"],
                                    "If-Match": etag_of(client, f"{API}/organisations/{world.cbo.public_id}",
                                                        world.roles["secretariat"])})
    assert changed.status_code == 200, changed.json
    assert "Nhóm Thủ đô" in names(client) and "Nhóm Hà Nội" not in names(client)
    assert builds["n"] == 2


def test_a_contact_made_private_leaves_the_public_pages_with_the_request_that_hides_it(client, world, session):
    def public_contacts():
        listed = client.get(LIST).json["items"]
        return [c["value"] for c in next(o for o in listed if o["id"] == world.cbo.public_id)["contacts"]]

    assert public_contacts() == ["public@example.org"]
    contact = next(c for c in world.cbo.contacts if c.visibility == "public")
    hidden = client.patch(f"{API}/organisations/{world.cbo.public_id}/contacts/{contact.public_id}", json={"visibility": "self"},
                          headers={**world.roles["own_editor"],
                                   "If-Match": etag_of(client, f"{API}/organisations/{world.cbo.public_id}",
                                                       world.roles["own_editor"])})
    assert hidden.status_code == 200, hidden.json
    assert public_contacts() == []


def test_a_write_that_fails_keeps_the_page(client, world, builds):
    names(client)
    refused = client.patch(f"{API}/organisations/{world.cbo.public_id}", json={"name": "Nhóm Thủ đô"},
                           headers={**world.roles["secretariat"], "If-Match": '"stale"'})
    assert refused.status_code == 412
    names(client)
    assert builds["n"] == 1


def test_token_holders_get_pages_built_for_them_and_never_kept(client, world, session, make_org, builds):
    hidden = make_org(world.vnsw, name="Unlisted group", country="VN")
    session.flush()
    assert hidden.name not in names(client)
    assert hidden.name in names(client, world.roles["secretariat"])
    assert hidden.name in names(client, world.roles["secretariat"])
    assert hidden.name not in names(client)
    assert builds["n"] == 3  # each secretariat page built, the anonymous one once


def test_conditional_and_failed_requests_are_not_kept(client, world, builds):
    assert client.get(LIST, headers={"If-None-Match": '"x"'}).status_code == 200
    assert client.get(LIST, headers={"If-None-Match": '"x"'}).status_code == 200
    assert builds["n"] == 2
    assert client.get(f"{LIST}?page_size=0").status_code == 422
    assert client.get(f"{LIST}?page_size=0").status_code == 422


def test_a_new_day_builds_the_page_afresh(client, world, builds, monkeypatch):
    names(client)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(page_cache, "today", lambda: tomorrow)
    names(client)
    assert builds["n"] == 2


def test_a_write_made_beside_the_api_is_seen_once_committed(client, world, session, builds):
    names(client)
    organisations.update_profile(session, SYSTEM, world.cbo, {"name": "Nhóm Thủ đô"})
    session.commit()  # the test's savepoint: the commit every command and request ends with
    assert "Nhóm Thủ đô" in names(client)


def test_the_cache_can_be_turned_off(make_app, world, builds):
    client = make_app(PAGE_CACHE_BYTES=0).test_client()
    names(client)
    names(client)
    assert builds["n"] == 2


# --- the store ------------------------------------------------------------------------------------

def page(size: int, at: float = 0.0) -> Page:
    return Page(200, [("Content-Type", "application/json")], b"x" * size, at)


def test_pages_older_than_the_limit_are_built_again():
    cache = PageCache(max_bytes=1000, max_seconds=300)
    cache.put("a", page(10, at=0.0))
    assert cache.get("a", now=299.0) is not None
    assert cache.get("a", now=301.0) is None
    assert cache.get("a", now=0.0) is None  # dropped, not just hidden


def test_the_least_recently_used_pages_leave_first_within_the_byte_budget():
    cache = PageCache(max_bytes=1000, max_seconds=300)
    for key in "abcd":
        cache.put(key, page(250))
    assert cache.get("a", now=1.0) is not None  # a is now the most recently used
    cache.put("e", page(250))
    assert cache.get("b", now=1.0) is None
    assert all(cache.get(key, now=1.0) is not None for key in "acde")


def test_a_page_bigger_than_a_quarter_of_the_budget_is_not_kept():
    cache = PageCache(max_bytes=1000, max_seconds=300)
    cache.put("small", page(100))
    cache.put("huge", page(251))
    assert cache.get("huge", now=1.0) is None and cache.get("small", now=1.0) is not None
