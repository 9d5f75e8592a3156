"""Vocabularies over HTTP, labelled in the caller's language."""

from __future__ import annotations

from registry.vocabularies import services as vocabularies
from tests.api.conftest import etag_of
from registry.vocabularies.models import Vocabulary
from tests.factories import SYSTEM

API = "/api/v1"


def test_labels_follow_accept_language(client, world):
    vi = client.get(f"{API}/vocabularies", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert vi.headers["Content-Language"] == "vi"
    assert "Accept-Language" in vi.headers["Vary"]
    health = next(t for t in vi.json["priority_areas"] if t["code"] == "health")
    assert health["label"].startswith("Vận động")
    en = client.get(f"{API}/vocabularies", headers={"Accept-Language": "de"}).json
    assert en["language"] == "en"
    assert len(en["priority_areas"]) == 7


def test_a_network_s_own_terms_come_with_it(client, world, session):
    vocabularies.define_term(session, SYSTEM, Vocabulary.SERVICE, "karaoke-outreach",
                             {"en": "Karaoke bar outreach"}, network_id=world.vnsw.id)
    session.flush()
    core = {t["code"] for t in client.get(f"{API}/vocabularies").json["services"]}
    extended = {t["code"] for t in client.get(f"{API}/vocabularies", query_string={"network_id": world.vnsw.public_id})
                .json["services"]}
    assert extended - core == {"karaoke-outreach"}


def test_a_secretariat_adds_and_relabels_a_term_for_its_members(client, world):
    url = f"{API}/networks/{world.vnsw.public_id}/terms"
    added = client.post(url, json={"vocabulary": "service", "code": "karaoke-outreach",
                                   "labels": {"en": "Karaoke bar outreach"}}, headers=world.roles["secretariat"])
    assert added.status_code == 201, added.json
    assert added.json == {"vocabulary": "service", "code": "karaoke-outreach",
                          "labels": {"en": "Karaoke bar outreach"}, "network_id": world.vnsw.public_id}
    term = f"{url}/service/karaoke-outreach"
    etag = client.get(term).headers["ETag"]
    labels = {"en": "Karaoke bar outreach", "vi": "Tiếp cận quán karaoke"}
    assert client.put(term, json={"labels": labels}, headers=world.roles["secretariat"]).status_code == 428
    relabelled = client.put(term, json={"labels": labels}, headers={**world.roles["secretariat"], "If-Match": etag})
    assert relabelled.status_code == 200, relabelled.json
    assert relabelled.headers["ETag"] != etag
    stale = client.put(term, json={"labels": {"en": "Outreach"}}, headers={**world.roles["secretariat"], "If-Match": etag})
    assert stale.status_code == 412
    vi = client.get(f"{API}/vocabularies", query_string={"network_id": world.vnsw.public_id},
                    headers={"Accept-Language": "vi"}).json
    assert {"code": "karaoke-outreach", "label": "Tiếp cận quán karaoke", "network_id": world.vnsw.public_id} in vi["services"]


def test_a_member_may_use_its_network_s_term(client, world):
    client.post(f"{API}/networks/{world.vnsw.public_id}/terms", headers=world.roles["secretariat"],
                json={"vocabulary": "population", "code": "karaoke-workers", "labels": {"en": "Karaoke workers"}})
    url = f"{API}/organisations/{world.cbo.public_id}"
    changed = client.patch(url, json={"populations": ["karaoke-workers"]},
                           headers={**world.roles["own_editor"], "If-Match": etag_of(client, url, world.roles["own_editor"])})
    assert changed.status_code == 200, changed.json


def test_only_the_network_s_secretariat_extends_its_vocabulary(client, world):
    body = {"vocabulary": "service", "code": "night-patrol", "labels": {"en": "Night patrol"}}
    for role in ("other_secretariat", "own_editor", "board"):
        assert client.post(f"{API}/networks/{world.vnsw.public_id}/terms", json=body,
                           headers=world.roles[role]).status_code == 403, role
    assert client.post(f"{API}/networks/{world.vnsw.public_id}/terms", json=body).status_code == 401


def test_bad_terms_are_refused_and_nothing_is_written(client, world):
    url = f"{API}/networks/{world.vnsw.public_id}/terms"
    headers = world.roles["secretariat"]
    for body, status in (
        ({"vocabulary": "priority_area", "code": "new-area", "labels": {"en": "New"}}, 422),
        ({"vocabulary": "service", "code": "Bad Code", "labels": {"en": "Bad"}}, 422),
        ({"vocabulary": "service", "code": "night-patrol\n", "labels": {"en": "Bad"}}, 422),
        ({"vocabulary": "service", "code": "no-english", "labels": {"vi": "Không"}}, 422),
        ({"vocabulary": "service", "code": "klingon", "labels": {"en": "K", "tlh": "K"}}, 422),
        ({"vocabulary": "service", "code": "outreach", "labels": {"en": "Outreach again"}}, 409),
    ):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == status, (body, answer.json)
        assert set(answer.json) >= {"status", "error", "message"}
    assert client.get(f"{url}/service/no-english").status_code == 404
    assert client.get(f"{url}/service/night-patrol").status_code == 404
    assert client.get(f"{API}/networks/{world.wnu.public_id}/terms/service/outreach").status_code == 404


def test_a_term_s_labels_are_described_as_needing_english_and_more_than_spaces(client, world):
    labels = client.get(f"{API}/openapi.json").json["components"]["schemas"]["NewTerm"]["properties"]["labels"]
    assert labels["required"] == ["en"]
    answer = client.post(f"{API}/networks/{world.vnsw.public_id}/terms", headers=world.roles["secretariat"],
                         json={"vocabulary": "service", "code": "blank", "labels": {"en": "Blank", "vi": " \u3000"}})
    assert answer.status_code == 422 and answer.json["fields"] == {"labels.vi.value": [
        "must not be blank: write something"]}
