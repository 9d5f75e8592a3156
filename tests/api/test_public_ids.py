"""Ids in answers name organisations, networks and memberships without counting them (issue #12,
item 7): with sequential keys, the gap between two listed organisations' ids told an anonymous
caller how many it could not see. A public id is random; a malformed one is as unknown as a
missing or a hidden one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registry.access.public_ids import PATTERN

API = "/api/v1"
SHAPE = re.compile(PATTERN)
NUMBERED = re.compile(r"^(organization|membership)-(.*)$")  # Popolo's ids carry the public id


def ids_in(answer: Any, key: str = "") -> list[Any]:
    """Every value an answer gives under an id-naming key (id, *_id, Popolo's identifier,
    networks), however deep."""
    if isinstance(answer, dict):
        return [found for k, value in answer.items() for found in ids_in(value, k)]
    if isinstance(answer, list):
        if key == "networks":
            return list(answer)
        return [found for value in answer for found in ids_in(value, key)]
    return [answer] if _names_one(key) else []


def _names_one(key: str) -> bool:
    return key in ("id", "identifier") or key.endswith("_id")


def opaque(value: Any) -> str:
    """The public id an id names, asserting it is one (Popolo prefixes it with its kind)."""
    assert isinstance(value, str), f"{value!r} is not an opaque id"
    value = NUMBERED.sub(r"\2", value)
    assert SHAPE.fullmatch(value) and not value.isdigit(), f"{value!r} is not an opaque id"
    return value


@pytest.fixture
def two_networks(make_org, member_of):
    """Two listed networks, each with two listed members registered one after the other; between
    them, the second network registered seven organisations the public does not see."""
    found = {}
    for hidden in (0, 7):
        network = make_org(name=f"Network with {hidden} hidden", kind="national_network", country="VN",
                           public_listing=True, published_fields=["networks"])
        listed = []
        for number in range(2):
            listed.append(make_org(network, name=f"Listed {number} of {hidden}", public_listing=True,
                                   published_fields=["networks"]))
            for _ in range(hidden if number == 0 else 0):
                member_of(network, make_org(network, name=f"Unlisted after {hidden} {_}"))
        for member in listed:
            member_of(network, member)
        found[hidden] = (network, listed)
    return found


def anonymous_answers(client, network) -> dict[str, Any]:
    where = f"{API}/networks/{network.public_id}"
    answers = {"directory": client.get(f"{API}/organisations", query_string={"network_id": network.public_id}),
               "members": client.get(f"{where}/members"), "popolo": client.get(f"{where}/popolo.json"),
               "network": client.get(f"{API}/organisations/{network.public_id}")}
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.json)
    return {name: response.json for name, response in answers.items()}


def test_an_anonymous_caller_cannot_count_the_organisations_it_does_not_see(client, two_networks):
    seen = {}
    for hidden, (network, listed) in two_networks.items():
        answers = anonymous_answers(client, network)
        every = [opaque(value) for answer in answers.values() for value in ids_in(answer)]
        assert {o.public_id for o in listed} <= set(every)
        assert not set(every) & {str(o.id) for o in (network, *listed)}  # no integer key, even as text
        seen[hidden] = answers
    # With every id taken out, what the public learns of each network is the same: nothing in
    # an answer grows with the number of organisations it does not show.
    assert _without_ids(seen[0], 0) == _without_ids(seen[7], 7)


def _without_ids(answers: dict[str, Any], hidden: int) -> Any:
    def strip(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: strip(v, k) for k, v in value.items() if k not in ("created_at", "updated_at")}
        if isinstance(value, list):
            return [strip(v, key) for v in value]
        if _names_one(key) or key == "networks":
            return "<id>"
        if isinstance(value, str):
            return value.replace(f"{hidden} hidden", "N hidden").replace(f"of {hidden}", "of N")
        return value

    return strip(answers)


def test_no_header_or_refusal_names_an_integer_key(client, world, make_org):
    profile = client.get(f"{API}/organisations/{world.cbo.public_id}")
    assert profile.headers["ETag"] == f'"organisations-{world.cbo.public_id}-v{world.cbo.version}"'
    membership = client.get(f"{API}/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}",
                            headers=world.roles["secretariat"])
    assert opaque(membership.json["id"]) in membership.headers["ETag"]
    stranger = make_org(name="Another network", kind="national_network", country="VN", public_listing=True)
    refused = client.post(f"{API}/networks/{stranger.public_id}/members", headers=world.roles["secretariat"],
                          json={"organisation_id": world.wnu.public_id})
    assert refused.status_code == 403 and f"organisation {world.wnu.id}" not in refused.get_data(as_text=True)


def test_a_membership_is_named_by_an_id_of_its_own(client, world):
    response = client.get(f"{API}/networks/{world.vnsw.public_id}/members/{world.cbo.public_id}",
                          headers=world.roles["secretariat"])
    assert response.status_code == 200
    membership = response.json
    assert opaque(membership["id"]) not in (world.vnsw.public_id, world.cbo.public_id)
    assert (membership["network_id"], membership["organisation_id"]) == (world.vnsw.public_id, world.cbo.public_id)


@pytest.mark.parametrize("path", ["/organisations/{}", "/organisations/{}/contacts", "/networks/{}/members",
                                  "/networks/{}/popolo.json", "/networks/{}/bodies", "/networks/{}/elections"])
def test_a_hidden_missing_or_malformed_id_gets_one_and_the_same_404(client, world, make_org, path):
    hidden = make_org(name="Unlisted network", kind="national_network", country="LA")
    answers = [client.get(API + path.format(ref), headers=world.roles["other_editor"])
               for ref in (hidden.public_id, "ZZZZZZZZZZZZ", "zz", str(hidden.id), "1e3", "%20")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1, [a.json for a in answers]


def test_an_integer_key_names_nothing_in_a_body(client, world):
    response = client.post(f"{API}/networks/{world.vnsw.public_id}/members", headers=world.roles["secretariat"],
                           json={"organisation_id": world.cbo.id})
    assert response.status_code == 422


def test_a_body_naming_a_hidden_organisation_is_refused_as_one_naming_none(client, world, make_org):
    hidden = make_org(name="Unlisted network", kind="national_network", country="LA")
    answers = [client.post(f"{API}/tokens", headers=world.roles["secretariat"],
                           json={"role": "editor", "scope_id": ref, "label": "x"})
               for ref in (hidden.public_id, "ZZZZZZZZZZZZ")]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json == answers[1].json
