"""Tokens through the API: a secretariat issues and revokes the tokens of its subtree only."""

from __future__ import annotations

import datetime as dt

import jsonschema_rs
import pytest

from registry.access import tokens
from tests.api.conftest import ROLES, etag_of
from tests.factories import SYSTEM

API = "/api/v1"

ISSUE = {"secretariat": 201, "other_secretariat": 403, "own_editor": 403, "other_editor": 403,
         "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_issue_an_editor_token(client, world, role):
    response = client.post(f"{API}/tokens", json={"role": "editor", "scope_id": world.cbo.public_id, "label": "new laptop"},
                           headers=world.roles[role])
    assert response.status_code == ISSUE[role], response.json
    if response.status_code == 201:
        secret = response.json["secret"]
        assert response.headers["Cache-Control"] == "private, no-store"
        me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).json
        assert (me["role"], me["organisation_id"]) == ("editor", world.cbo.public_id)
        listed = client.get(f"{API}/tokens", headers=world.roles[role]).json["items"]
        assert "secret" not in listed[0] and listed[0]["label"] == "new laptop"


REVOKE = {"secretariat": 204, "other_secretariat": 404, "own_editor": 404, "other_editor": 404,
          "board": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_revoke_a_token(client, world, session, role):
    token, secret = tokens.issue_token(session, SYSTEM, "editor", world.cbo, label="lost phone")
    session.flush()
    tag = etag_of(client, f"{API}/tokens/{token.public_id}", world.roles["secretariat"])
    response = client.delete(f"{API}/tokens/{token.public_id}", headers={**world.roles[role], "If-Match": tag})
    assert response.status_code == REVOKE[role]
    still_works = client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert still_works is (REVOKE[role] != 204)


LIST = {"secretariat": 200, "other_secretariat": 200, "own_editor": 403, "other_editor": 403,
        "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_list_tokens_of_the_subtree_only(client, world, role):
    response = client.get(f"{API}/tokens", headers=world.roles[role])
    assert response.status_code == LIST[role]
    if response.status_code == 200:
        scopes = {t["network_id"] or t["organisation_id"] for t in response.json["items"]}
        home = world.vnsw if role == "secretariat" else world.wnu
        assert home.public_id in scopes
        if role == "other_secretariat":
            assert scopes == {world.wnu.public_id}


def test_a_token_for_someone_else_s_network_is_refused(client, world):
    response = client.post(f"{API}/tokens", json={"role": "board", "scope_id": world.wnu.public_id, "label": "x"},
                           headers=world.roles["secretariat"])
    assert response.status_code == 403


def test_expiry_must_be_plausible_and_in_the_future(client, world):
    secretariat = world.roles["secretariat"]
    body = {"role": "editor", "scope_id": world.cbo.public_id, "label": "x"}
    far = client.post(f"{API}/tokens", json={**body, "expires_at": "9999-12-31T23:59:59-05:00"}, headers=secretariat)
    assert far.status_code == 422
    past = client.post(f"{API}/tokens", json={**body, "expires_at": "2001-01-01T00:00:00"}, headers=secretariat)
    assert past.status_code == 422 and "expires_at" in past.json["fields"]
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)).isoformat()
    assert client.post(f"{API}/tokens", json={**body, "expires_at": soon}, headers=secretariat).status_code == 201


def test_expiry_is_described_by_its_plausible_range(client, world):
    described = client.get(f"{API}/openapi.json").json["components"]["schemas"]["TokenRequest"]
    pattern = jsonschema_rs.validator_for(described["properties"]["expires_at"], validate_formats=True)
    body, secretariat = {"role": "editor", "scope_id": world.cbo.public_id, "label": "x"}, world.roles["secretariat"]
    for moment in ("2099-12-31T23:59:59Z", "2100-01-01T00:00:00+07:00", "2101-01-01T00:00:00Z",
                   "1999-12-31T23:59:59Z", "2099-12-31T23:59:60Z", "2099-02-30T00:00:00Z"):
        answer = client.post(f"{API}/tokens", json={**body, "expires_at": moment}, headers=secretariat)
        assert pattern.is_valid(moment) == (answer.status_code == 201), (moment, answer.json)
