"""Public answers are kept by browsers and proxies, never by the app: each anonymous GET says how
long it may be kept and carries an ETag that a revalidation is answered 304 by; a write is seen by
the very next request that reaches the app; nothing said to a token holder is kept anywhere."""

from __future__ import annotations

import hashlib

import pytest

from api.settings import from_environment
from registry.organisations import services as organisations
from tests.api.conftest import etag_of
from tests.factories import SYSTEM

API = "/api/v1"
LIST = f"{API}/organisations"
PUBLIC = {
    "organisation list": f"{LIST}?q=ha+noi",
    "network members": API + "/networks/{vnsw}/members",
    "coverage": API + "/networks/{vnsw}/coverage",
    "coverage map data": API + "/networks/{vnsw}/coverage.geojson",
    "map document": "/maps/networks/{vnsw}.html",
    "areas": f"{API}/areas?country=VN",
    "Popolo": API + "/networks/{vnsw}/popolo.json",
    "vocabularies": f"{API}/vocabularies",
    "front page": "/",
    "dashboard": "/dashboard/",
}


def public_path(world, name: str) -> str:
    return PUBLIC[name].format(vnsw=world.vnsw.public_id)


@pytest.mark.parametrize("name", PUBLIC)
def test_a_public_answer_may_be_kept_but_is_revalidated_by_its_body_s_etag(client, world, name):
    path = public_path(world, name)
    first = client.get(path)
    assert first.status_code == 200, first.get_data(as_text=True)[:300]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert {"Accept-Language", "Cookie", "Authorization"} <= set(first.vary)
    tag = first.headers["ETag"]
    assert tag == f'"{hashlib.sha1(first.data).hexdigest()}"'  # strong, and the body's own
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    changed = client.get(path, headers={"If-None-Match": '"another"'})
    assert changed.status_code == 200 and changed.data == first.data


def test_each_language_is_an_answer_of_its_own(client, world):
    english = client.get("/", headers={"Accept-Language": "en"})
    vietnamese = client.get("/", headers={"Accept-Language": "vi"})
    assert english.data != vietnamese.data and english.headers["ETag"] != vietnamese.headers["ETag"]
    assert client.get("/", headers={"Accept-Language": "vi", "If-None-Match": english.headers["ETag"]}).status_code == 200


def test_a_head_carries_the_get_s_validators(client, world):
    get, head = client.get(LIST), client.head(LIST)
    assert head.status_code == 200 and head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Cache-Control"] == get.headers["Cache-Control"]


def test_a_single_organisation_keeps_the_version_tag_a_write_names(client, world):
    profile = f"{API}/organisations/{world.cbo.public_id}"
    read = client.get(profile)
    assert read.headers["Cache-Control"] == "public, no-cache"
    assert read.headers["ETag"] == f'"organisations-{world.cbo.public_id}-v{world.cbo.version}"'
    assert client.get(profile, headers={"If-None-Match": read.headers["ETag"]}).status_code == 304
    edited = client.patch(profile, json={"acronym": "NHN"},
                          headers={**world.roles["own_editor"], "If-Match": read.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    assert client.get(profile, headers={"If-None-Match": read.headers["ETag"]}).status_code == 200


def names(client, headers=None, path=LIST):
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, response.json
    return [o["name"] for o in response.json["items"]]


def test_a_renamed_organisation_shows_in_the_next_public_answer_under_a_new_etag(client, world):
    before = client.get(LIST)
    assert "Nhóm Hà Nội" in names(client)
    profile = f"{API}/organisations/{world.cbo.public_id}"
    changed = client.patch(profile, json={"name": "Nhóm Thủ đô"},
                           headers={**world.roles["secretariat"],
                                    "If-Match": etag_of(client, profile, world.roles["secretariat"])})
    assert changed.status_code == 200, changed.json
    after = client.get(LIST, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert "Nhóm Thủ đô" in names(client) and "Nhóm Hà Nội" not in names(client)


def test_a_contact_made_private_leaves_the_public_answers_with_the_request_that_hides_it(client, world):
    def public_contacts():
        listed = client.get(LIST).json["items"]
        return [c["value"] for c in next(o for o in listed if o["id"] == world.cbo.public_id)["contacts"]]

    assert public_contacts() == ["public@example.org"]
    contact = next(c for c in world.cbo.contacts if c.visibility == "public")
    hidden = client.patch(f"{API}/organisations/{world.cbo.public_id}/contacts/{contact.public_id}",
                          json={"visibility": "self"},
                          headers={**world.roles["own_editor"],
                                   "If-Match": etag_of(client, f"{API}/organisations/{world.cbo.public_id}",
                                                       world.roles["own_editor"])})
    assert hidden.status_code == 200, hidden.json
    assert public_contacts() == []


def test_a_write_made_beside_the_api_is_seen_once_committed(client, world, session):
    names(client)
    organisations.update_profile(session, SYSTEM, world.cbo, {"name": "Nhóm Thủ đô"})
    session.commit()  # the test's savepoint: the commit every command and request ends with
    assert "Nhóm Thủ đô" in names(client)


def test_token_holders_answers_are_kept_nowhere_and_never_answered_304(client, world, session, make_org):
    hidden = make_org(world.vnsw, name="Unlisted group", country="VN")
    session.flush()
    secretariat = world.roles["secretariat"]
    theirs = client.get(LIST, headers=secretariat)
    assert hidden.name in names(client, secretariat) and hidden.name not in names(client)
    assert theirs.headers["Cache-Control"] == "private, no-store" and "ETag" not in theirs.headers
    public_tag = client.get(LIST).headers["ETag"]
    assert client.get(LIST, headers={**secretariat, "If-None-Match": public_tag}).status_code == 200


def test_refusals_and_answers_about_now_are_not_public(client, world):
    refused = client.get(f"{LIST}?page_size=0")
    assert refused.status_code == 422 and "public" not in refused.headers.get("Cache-Control", "")
    for path in ("/api/v1/health", "/api/v1/ready", "/api/v1/me"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store", path


def test_how_long_a_public_answer_is_kept_is_a_setting(make_app, world, monkeypatch, tmp_path):
    client = make_app(PUBLIC_MAX_AGE=5).test_client()
    assert client.get(LIST).headers["Cache-Control"] == "public, max-age=5"
    assert from_environment(str(tmp_path))["PUBLIC_MAX_AGE"] == 0  # ask every time
    assert make_app(PUBLIC_MAX_AGE=0).test_client().get(LIST).headers["Cache-Control"] == "public, no-cache"
    monkeypatch.setenv("REGISTRY_PUBLIC_MAX_AGE", "300")
    assert from_environment(str(tmp_path))["PUBLIC_MAX_AGE"] == 300


def test_the_app_keeps_no_page_of_its_own(app):
    assert not any("cache" in key for key in app.extensions)
    assert not any(key.startswith("PAGE_CACHE") for key in app.config)
