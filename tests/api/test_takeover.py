"""One network's secretariat cannot take over another, nor an applicant read a network's
internals: the attacks of the security review, replayed over HTTP against the seeds.

A secretariat files another organisation's application to its own network, then reads that
organisation's members' contacts and issues itself a token for it. Only the organisation
itself (or a secretariat it is already under) may apply; an application grants the network
nothing until it is admitted; tokens and contacts stay within the active subtree.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.memberships import services as memberships
from registry.access import tokens
from registry.memberships.models import MembershipStatus
from registry.organisations.models import Organisation
from tests.factories import SYSTEM

API = "/api/v1"


@pytest.fixture
def client(seeded_client: FlaskClient) -> FlaskClient:
    """Requests on the seeds and sample network (tests/api/conftest.py)."""
    return seeded_client


def org(session: Session, name: str) -> Organisation:
    return session.scalars(select(Organisation).where((Organisation.acronym == name) | (Organisation.name == name),
                                                      Organisation.is_sample.is_(name.startswith("Sample")))).one()


def members(session: Session, network: Organisation) -> list[Organisation]:
    return memberships.members_as_of(session, network.id)


def bearer(session: Session, role: str, scope: Organisation) -> dict[str, str]:
    _, secret = tokens.issue_token(session, SYSTEM, role, scope, label=f"test {role} of {scope.name}")
    session.flush()
    return {"Authorization": f"Bearer {secret}"}


# (attacker's network, the network it files the application to, the organisation it targets)
ATTACKS = {
    "VNSW takes WNU": ("VNSW", "VNSW", "WNU"),
    "WNU takes a VNSW CBO": ("WNU", "WNU", "Sample CBO 01"),
    "VNSW takes WLIC": ("VNSW", "VNSW", "WLIC"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_secretariat_cannot_file_another_organisations_application_then_read_and_take_it(client, seeds, attack):
    attacker, network, target = (org(seeds, name) for name in ATTACKS[attack])
    headers = bearer(seeds, "secretariat", attacker)
    response = client.post(f"{API}/networks/{network.public_id}/members", json={"organisation_id": target.public_id},
                           headers=headers)
    assert response.status_code == 403, response.json
    assert memberships.get_membership(seeds, network, target) is None
    victims = [target, *members(seeds, target)] if target.is_network else [target]
    for victim in victims:
        contacts = client.get(f"{API}/organisations/{victim.public_id}/contacts", headers=headers)
        # 403 for an organisation it may see (listed publicly), 404 for one it may not know of
        assert contacts.status_code == (403 if victim.listed_publicly else 404), (victim.name, contacts.json)
        role = "secretariat" if victim.is_network else "editor"
        token = client.post(f"{API}/tokens", json={"role": role, "scope_id": victim.public_id, "label": "mine now"},
                            headers=headers)
        assert token.status_code == (403 if victim.listed_publicly else 422), (victim.name, token.json)
        assert "secret" not in token.json


def test_an_application_the_network_did_file_itself_grants_nothing_until_admitted(client, seeds):
    vnsw, wnu = org(seeds, "VNSW"), org(seeds, "WNU")
    vnsw_secretariat = bearer(seeds, "secretariat", vnsw)
    group = members(seeds, wnu)[0]
    applied = client.post(f"{API}/networks/{vnsw.public_id}/members", json={"organisation_id": wnu.public_id},
                          headers=bearer(seeds, "secretariat", wnu))  # WNU's own secretariat applies
    assert applied.status_code == 201, applied.json
    where = f"{API}/networks/{vnsw.public_id}/members/{wnu.public_id}"
    for action in ("verify", None):
        if action:
            tag = client.get(where, headers=vnsw_secretariat).headers["ETag"]
            decided = client.patch(where, json={"action": action}, headers={**vnsw_secretariat, "If-Match": tag})
            assert decided.status_code == 200, decided.json
        assert client.get(f"{API}/organisations/{wnu.public_id}/contacts", headers=vnsw_secretariat).status_code == 403
        assert client.get(f"{API}/organisations/{group.public_id}/contacts", headers=vnsw_secretariat).status_code \
            in (403, 404)
        assert client.get(f"{API}/organisations/{wnu.public_id}/history", headers=vnsw_secretariat).status_code == 403
        token = client.post(f"{API}/tokens", json={"role": "secretariat", "scope_id": wnu.public_id, "label": "x"},
                            headers=vnsw_secretariat)
        assert token.status_code == 403
        profile = client.get(f"{API}/organisations/{wnu.public_id}", headers=vnsw_secretariat).json
        assert profile["visibility"] == "network"  # fellow members of NSWP, no more
        assert all(c["visibility"] == "public" for c in profile["contacts"])
    tag = client.get(where, headers=vnsw_secretariat).headers["ETag"]
    admitted = client.patch(where, json={"action": "admit"}, headers={**vnsw_secretariat, "If-Match": tag})
    assert admitted.status_code == 200 and admitted.json["status"] == MembershipStatus.ACTIVE.value
    # Now a member: in VNSW's care, as VNSW's own CBOs are.
    assert client.get(f"{API}/organisations/{group.public_id}/contacts", headers=vnsw_secretariat).status_code == 200


def test_an_applicant_reads_the_networks_governance_only_once_admitted(client, seeds):
    wnu, cbo = org(seeds, "WNU"), org(seeds, "Sample CBO 01")  # a member of VNSW, not of WNU
    applicant = bearer(seeds, "editor", cbo)
    applied = client.post(f"{API}/networks/{wnu.public_id}/members", json={"organisation_id": cbo.public_id}, headers=applicant)
    assert applied.status_code == 201, applied.json
    bodies = client.get(f"{API}/networks/{wnu.public_id}/bodies", headers=applicant)
    assert bodies.status_code == 403
    body_id = client.get(f"{API}/networks/{wnu.public_id}/bodies", headers=bearer(seeds, "board", wnu)).json["items"][0]["id"]
    for path in (f"bodies/{body_id}", f"bodies/{body_id}/officeholders", f"bodies/{body_id}/composition",
                 "elections"):
        assert client.get(f"{API}/networks/{wnu.public_id}/{path}", headers=applicant).status_code == 403, path
    profile = client.get(f"{API}/organisations/{wnu.public_id}", headers=applicant).json
    assert profile["visibility"] == "public" and "sex_worker_involvement" not in profile
    unlisted = next(m for m in members(seeds, wnu) if not m.listed_publicly)
    assert client.get(f"{API}/organisations/{unlisted.public_id}", headers=applicant).status_code == 404
    memberships.verify(seeds, SYSTEM, wnu, cbo)
    memberships.admit(seeds, SYSTEM, wnu, cbo)
    seeds.flush()
    assert client.get(f"{API}/networks/{wnu.public_id}/bodies", headers=applicant).status_code == 200
    assert client.get(f"{API}/organisations/{wnu.public_id}", headers=applicant).json["visibility"] == "network"
    assert client.get(f"{API}/organisations/{unlisted.public_id}", headers=applicant).status_code == 200
