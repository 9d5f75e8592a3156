"""Ids in answers name what they name without counting anything (issue #12, item 7): with
sequential keys, the gap between two listed organisations' ids told an anonymous caller how many
it could not see, and a body's, an election's, a contact's, a token's or a history entry's id how
many other networks had. A public id is random; a malformed one is as unknown as a missing or a
hidden one."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from registry.governance import services as governance
from registry.organisations import services as organisations
from registry.access import tokens
from registry.elections import nominations, phases
from registry.access.public_ids import PATTERN
from tests.factories import SYSTEM, editor

API = "/api/v1"
SHAPE = re.compile(PATTERN)
# Popolo's ids carry the public id after their kind (a vote event, its seat group after it).
PERSON = re.compile(r"^person-[0-9]+$")
NUMBERED = re.compile(r"^(organization|membership|body|post|officeholder|vote-event)-([0-9A-Z]{12})(-[a-z0-9-]+)?$")


def ids_in(answer: Any, key: str = "") -> list[Any]:
    """Every value an answer gives under an id-naming key (id, *_id, Popolo's identifier,
    networks), however deep."""
    if isinstance(answer, dict):
        return [found for k, value in answer.items() for found in ids_in(value, k)]
    if isinstance(answer, list):
        if key == "networks":
            return list(answer)
        return [found for value in answer for found in ids_in(value, key)]
    return [answer] if _names_one(key) and answer is not None else []


def _names_one(key: str) -> bool:
    return key in ("id", "identifier", "scope") or key.endswith(("_id", "_ids"))


def opaque(value: Any) -> str:
    """The public id an id names, asserting it is one (Popolo prefixes it with its kind)."""
    assert isinstance(value, str), f"{value!r} is not an opaque id"
    if PERSON.fullmatch(value):
        return value  # Popolo's persons are numbered within the one document: they count what it shows
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


# --- every object an address or an answer names ------------------------------------------------


def _id_properties(schema: Any, where: str, spec: dict[str, Any], seen: set[str]) -> list[tuple[str, Any]]:
    """(where, property schema) for every id-naming property of a schema, however deep."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _id_properties(spec["components"]["schemas"][name], name, spec, seen | {name})
    found = []
    for key, value in (schema.get("properties") or {}).items():
        if _names_one(key) or key.endswith("_ids"):
            found.append((f"{where}.{key}", value))
        found += _id_properties(value, f"{where}.{key}", spec, seen)
    for key in ("items", "additionalProperties"):
        found += _id_properties(schema.get(key), where, spec, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or ():
            found += _id_properties(part, where, spec, seen)
    return found


def _integer(schema: Any, spec: dict[str, Any]) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return _integer(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec)
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "integer" in kinds or "number" in kinds or _integer(schema.get("items"), spec)


def test_no_operation_of_the_description_takes_or_gives_an_integer_id(client):
    spec = client.get(f"{API}/openapi.json").json
    integer_ids, checked = [], []
    for path, operations in spec["paths"].items():
        assert "<int" not in path, path
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in [*operations.get("parameters", []), *operation.get("parameters", [])]:
                if "$ref" in parameter:
                    parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
                if _names_one(parameter["name"]) and _integer(parameter.get("schema"), spec):
                    integer_ids.append(f"{method} {path}: {parameter['name']}")
            bodies = [operation.get("requestBody", {})] + list(operation.get("responses", {}).values())
            for body in bodies:
                for media in (body.get("content") or {}).values():
                    for where, prop in _id_properties(media.get("schema"), f"{method} {path}", spec, set()):
                        checked.append(where)
                        if _integer(prop, spec):
                            integer_ids.append(where)
    assert integer_ids == []
    assert len(checked) > 50  # the walk reached the schemas: every listed id-naming property
    # The ids in paths are public ids, described as such.
    for path, operations in spec["paths"].items():
        for parameter in operations.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                assert parameter["schema"]["pattern"] == PATTERN, (path, parameter)


@pytest.fixture
def two_boards(session, world, make_org, member_of):
    """Two networks the VNSW secretariat manages, each with a board, a past term, an election in
    nominations with one candidate, a contact and a token; between the first's and the second's,
    an unlisted network nobody here sees was given seven of each."""
    made = {}
    for hidden in (0, 7):
        network = make_org(world.vnsw, name=f"Network after {hidden}", kind="national_network", country="VN")
        member_of(world.vnsw, network)
        member = make_org(network, name=f"Member after {hidden}", country="VN")
        member_of(network, member)
        made[hidden] = _governed(session, network, member, name=f"after {hidden}")
        if hidden == 0:
            stranger = make_org(name="Unlisted stranger", kind="national_network", country="LA")
            stranger_member = make_org(stranger, name="Stranger member", country="LA")
            member_of(stranger, stranger_member)
            for number in range(7):
                made["stranger"] = _governed(session, stranger, stranger_member, name=f"stranger {number}")
    session.flush()
    return made


def _governed(session, network, member, *, name):
    body = governance.define_body(session, SYSTEM, network, kind="board", name=f"Board {name}", seats=3,
                                  term_months=24)
    holder = governance.record_officeholder(session, SYSTEM, body, name="Khanh", starts_on=dt.date(2020, 1, 1),
                                            ends_on=dt.date(2021, 12, 31))
    election = phases.create_election(session, SYSTEM, body, title=f"Election {name}", method="scottish_stv",
                                      roll_cutoff=dt.date.today())
    phases.open_nominations(session, SYSTEM, election)
    nomination = nominations.nominate(session, editor(member), election, member, name="Hoa")
    contact = organisations.add_contact(session, SYSTEM, member, kind="email", value=f"desk@{name.replace(' ', '')}.org")
    token, _ = tokens.issue_token(session, SYSTEM, "editor", member, label=f"editor of {name}")
    session.flush()
    return network, member, body, holder, election, nomination, contact, token


def secretariat_answers(client, world, made) -> dict[str, Any]:
    network, member, body, holder, election, nomination, contact, token = made
    headers = world.roles["secretariat"]
    where = f"{API}/networks/{network.public_id}"
    paths = {"bodies": f"{where}/bodies", "body": f"{where}/bodies/{body.public_id}",
             "composition": f"{where}/bodies/{body.public_id}/composition?on=2021-01-01",
             "terms": f"{where}/bodies/{body.public_id}/officeholders",
             "term": f"{where}/bodies/{body.public_id}/officeholders/{holder.public_id}",
             "elections": f"{where}/elections", "election": f"{where}/elections/{election.public_id}",
             "nominations": f"{where}/elections/{election.public_id}/nominations",
             "nomination_roll": f"{where}/elections/{election.public_id}/roll",
             "contacts": f"{API}/organisations/{member.public_id}/contacts",
             "contact_reads": f"{API}/organisations/{member.public_id}/contact-reads",
             "history": f"{API}/organisations/{member.public_id}/history",
             "popolo": f"{where}/popolo.json"}
    answers = {}
    for name, path in paths.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (name, response.json)
        answers[name] = response.json
    token_answer = client.get(f"{API}/tokens/{token.public_id}", headers=headers)
    assert token_answer.status_code == 200, token_answer.json
    answers["token"] = token_answer.json
    return answers


def test_a_secretariat_cannot_count_what_other_networks_hold(client, world, two_boards):
    seen = {}
    for hidden in (0, 7):
        made = two_boards[hidden]
        answers = secretariat_answers(client, world, made)
        every = [opaque(value) for answer in answers.values() for value in ids_in(answer)]
        named = made[2:]  # the body, the term, the election, the nomination, the contact, the token
        assert {row.public_id for row in named} <= set(every)
        seen[hidden] = answers
    assert _without_ids(_timeless(seen[0]), 0) == _without_ids(_timeless(seen[7]), 7)


def _timeless(answers: dict[str, Any]) -> Any:
    """The answers without what differs between any two reads: times, and a token's secret's hint."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("at", "created_at", "phase_changes", "hint",
                                                                       "recorded_at", "actor")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            return value.replace("after 0", "after N").replace("after0", "afterN") \
                .replace("after 7", "after N").replace("after7", "afterN")
        return value

    return strip(answers)


NESTED = ["/networks/{network}/bodies/{ref}", "/networks/{network}/bodies/{body}/officeholders/{ref}",
          "/networks/{network}/elections/{ref}", "/networks/{network}/elections/{election}/nominations/{ref}/seconding",
          "/organisations/{member}/contacts/{ref}", "/tokens/{ref}"]


@pytest.mark.parametrize("path", NESTED)
def test_a_hidden_missing_malformed_or_numbered_row_gets_one_and_the_same_404(client, world, two_boards, path):
    """A row of a network the caller cannot see, a well-formed id naming nothing, a malformed one
    and the row's integer key are all the same 404, under a parent the caller sees."""
    network, member, body, _holder, election, *_ = two_boards[0]
    theirs = dict(zip(("body", "holder", "election", "nomination", "contact", "token"), two_boards["stranger"][2:]))
    kind = {0: "body", 1: "holder", 2: "election", 3: "nomination", 4: "contact", 5: "token"}[NESTED.index(path)]
    mine = {"network": network.public_id, "member": member.public_id, "body": body.public_id,
            "election": election.public_id}
    method = "post" if path.endswith("seconding") else "delete" if "/contacts/" in path else "get"
    headers = {**world.roles["secretariat"], "If-Match": '"stale"'}  # asked for before the lookup, on a write
    answers = [getattr(client, method)(API + path.format(**mine, ref=ref), headers=headers,
                                       **({"json": {"organisation_id": member.public_id}} if method == "post" else {}))
               for ref in (theirs[kind].public_id, "ZZZZZZZZZZZZ", "zz", str(theirs[kind].id), "1e3")]
    assert {a.status_code for a in answers} == {404}, [a.json for a in answers]
    assert len({a.get_data() for a in answers}) == 1, [a.json for a in answers]

