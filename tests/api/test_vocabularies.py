"""Vocabularies over HTTP, labelled in the caller's language."""

from __future__ import annotations

from registry import vocabularies
from registry.vocabularies import Vocabulary
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
    extended = {t["code"] for t in client.get(f"{API}/vocabularies", query_string={"network_id": world.vnsw.id})
                .json["services"]}
    assert extended - core == {"karaoke-outreach"}
