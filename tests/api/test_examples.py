"""Swagger UI's "Try it out" succeeds as pre-filled: every request body the OpenAPI description
documents is sent as its example, by the role that may send it, on the seeds and sample network.

The examples name rows by a placeholder public id (api.extensions.EXAMPLE_ID), as a person trying
the API puts in the id of a row they read first; the walk does the same with rows of the sample
network, and with those earlier examples made (the body the election is for, the nomination a
ballot names). Path parameters come from the same rows, and If-Match from a GET, as a client's
would. Nothing the description says is refused: no 400, no 422.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import database
from api.app import create_app
from api.extensions import EXAMPLE_ID
from registry.access import tokens
from registry.organisations.models import Organisation
from tests.factories import SYSTEM

API = "/api/v1"


@pytest.fixture
def client(seeded_client: FlaskClient) -> FlaskClient:
    """Requests on the seeds and sample network (tests/api/conftest.py)."""
    return seeded_client


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    app = create_app({"DATABASE_URL": "sqlite://"})
    try:
        return app.test_client().get(f"{API}/openapi.json").json
    finally:
        database.dispose(app)


def org(session: Session, name: str) -> Organisation:
    return session.scalars(select(Organisation).where((Organisation.acronym == name)
                                                      | (Organisation.name == name))).one()


@dataclass
class Walk:
    """The rows the walk acts on, the ids its examples made, and a token per (role, row)."""

    session: Session
    client: FlaskClient
    made: dict[str, str] = field(default_factory=dict)
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def id(self, name: str) -> str:
        return self.made.get(name) or org(self.session, name).public_id

    def as_(self, role: str, name: str) -> dict[str, str]:
        if (role, name) not in self.headers:
            _, secret = tokens.issue_token(self.session, SYSTEM, role, org(self.session, name), label=f"test {role}")
            self.session.flush()
            self.headers[role, name] = {"Authorization": f"Bearer {secret}"}
        return self.headers[role, name]

    def etag(self, url: str, headers: dict[str, str]) -> str:
        response = self.client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.json)
        return response.headers["ETag"]

    def send(self, method: str, url: str, headers: dict[str, str], body: Any = None, **kw: Any) -> Any:
        response = self.client.open(url, method=method, headers=headers, json=body, **kw)
        assert response.status_code < 300, (method, url, response.status_code, response.json)
        return response.json


# Each documented operation: who sends its example (role, acting for which row of the sample),
# the path's parameters, and what goes in the placeholder ids of its body, in the order a
# person would try them (what one makes, a later one uses).
@dataclass(frozen=True)
class Step:
    role: tuple[str, str]
    params: Callable[[Walk], dict[str, str]]
    ids: Callable[[Walk], dict[str, Any]] = lambda walk: {}
    if_match: Callable[[Walk], str] | None = None  # the URL to GET for the ETag
    keep: str | None = None  # remember the answer's id under this name
    before: Callable[[Walk], None] | None = None


VNSW_SECRETARIAT = ("secretariat", "VNSW")
CBO_07, CBO_08, CBO_09, CBO_10 = (("editor", f"Sample CBO {n:02}") for n in (7, 8, 9, 10))


def _vnsw(walk: Walk) -> dict[str, str]:
    return {"network_id": walk.id("VNSW")}


def _body(walk: Walk) -> dict[str, str]:
    return {**_vnsw(walk), "body_id": walk.made["body"]}


def _election(walk: Walk) -> dict[str, str]:
    return {**_vnsw(walk), "election_id": walk.made["election"]}


def _election_url(walk: Walk) -> str:
    return f"{API}/networks/{walk.id('VNSW')}/elections/{walk.made['election']}"


def _nominate_another_and_close_nominations(walk: Walk) -> None:
    """A second candidate, to withdraw (the first stays standing for the ballot)."""
    made = walk.send("POST", _election_url(walk) + "/nominations", walk.as_(*CBO_10),
                     {"organisation_id": walk.id("Sample CBO 10"), "name": "Sample Candidate Minh (pseudonym)"})
    walk.made["other nomination"] = made["id"]


def _open_voting(walk: Walk) -> None:
    secretariat = walk.as_(*VNSW_SECRETARIAT)
    for phase in ("nominations_closed", "voting_open"):
        etag = walk.etag(_election_url(walk), secretariat)
        walk.send("PUT", _election_url(walk) + "/phase", {**secretariat, "If-Match": etag}, {"phase": phase})


STEPS: dict[tuple[str, str], Step] = {
    ("post", "/organisations"): Step(VNSW_SECRETARIAT, lambda w: {}, lambda w: {"network_id": w.id("VNSW")},
                                     keep="Sample CBO 90"),
    ("patch", "/organisations/{organisation_id}"): Step(
        CBO_07, lambda w: {"organisation_id": w.id("Sample CBO 07")},
        if_match=lambda w: f"{API}/organisations/{w.id('Sample CBO 07')}"),
    ("put", "/organisations/{organisation_id}/status"): Step(
        VNSW_SECRETARIAT, lambda w: {"organisation_id": w.id("Sample CBO 90")},
        if_match=lambda w: f"{API}/organisations/{w.id('Sample CBO 90')}"),
    ("post", "/organisations/{organisation_id}/contacts"): Step(
        CBO_07, lambda w: {"organisation_id": w.id("Sample CBO 07")}, keep="contact"),
    ("patch", "/organisations/{organisation_id}/contacts/{contact_id}"): Step(
        CBO_07, lambda w: {"organisation_id": w.id("Sample CBO 07"), "contact_id": w.made["contact"]},
        if_match=lambda w: f"{API}/organisations/{w.id('Sample CBO 07')}/contacts"),
    ("post", "/networks/{network_id}/members"): Step(
        ("editor", "Sample WNU group 01 (Mean Chey)"), _vnsw,
        lambda w: {"organisation_id": w.id("Sample WNU group 01 (Mean Chey)")}),
    ("patch", "/networks/{network_id}/members/{organisation_id}"): Step(
        VNSW_SECRETARIAT, lambda w: {**_vnsw(w), "organisation_id": w.id("Sample CBO 09")},
        if_match=lambda w: f"{API}/networks/{w.id('VNSW')}/members/{w.id('Sample CBO 09')}"),
    ("post", "/networks/{network_id}/terms"): Step(VNSW_SECRETARIAT, _vnsw),
    ("put", "/networks/{network_id}/terms/{vocabulary}/{code}"): Step(
        VNSW_SECRETARIAT, lambda w: {**_vnsw(w), "vocabulary": "service", "code": "sample-night-outreach"},
        if_match=lambda w: f"{API}/networks/{w.id('VNSW')}/terms/service/sample-night-outreach"),
    ("post", "/tokens"): Step(VNSW_SECRETARIAT, lambda w: {}, lambda w: {"scope_id": w.id("Sample CBO 07")}),
    ("post", "/networks/{network_id}/members/import"): Step(VNSW_SECRETARIAT, _vnsw),
    ("post", "/networks/{network_id}/bodies"): Step(VNSW_SECRETARIAT, _vnsw, keep="body"),
    ("patch", "/networks/{network_id}/bodies/{body_id}/seats/{number}"): Step(
        VNSW_SECRETARIAT, lambda w: {**_body(w), "number": "2"},
        if_match=lambda w: f"{API}/networks/{w.id('VNSW')}/bodies/{w.made['body']}"),
    ("post", "/networks/{network_id}/bodies/{body_id}/officeholders"): Step(
        VNSW_SECRETARIAT, _body, lambda w: {"nominated_by": w.id("Sample CBO 07")}, keep="officeholder"),
    ("patch", "/networks/{network_id}/bodies/{body_id}/officeholders/{officeholder_id}"): Step(
        VNSW_SECRETARIAT, lambda w: {**_body(w), "officeholder_id": w.made["officeholder"]},
        if_match=lambda w: f"{API}/networks/{w.id('VNSW')}/bodies/{w.made['body']}/officeholders/"
                           f"{w.made['officeholder']}"),
    ("post", "/networks/{network_id}/elections"): Step(
        VNSW_SECRETARIAT, _vnsw, lambda w: {"body_id": w.made["body"]}, keep="election"),
    ("put", "/networks/{network_id}/elections/{election_id}/phase"): Step(
        VNSW_SECRETARIAT, _election, if_match=_election_url),
    ("post", "/networks/{network_id}/elections/{election_id}/nominations"): Step(
        CBO_07, _election, lambda w: {"organisation_id": w.id("Sample CBO 07")}, keep="nomination"),
    ("post", "/networks/{network_id}/elections/{election_id}/nominations/{nomination_id}/seconding"): Step(
        CBO_08, lambda w: {**_election(w), "nomination_id": w.made["nomination"]},
        lambda w: {"organisation_id": w.id("Sample CBO 08")}),
    ("post", "/networks/{network_id}/elections/{election_id}/nominations/{nomination_id}/withdrawal"): Step(
        CBO_10, lambda w: {**_election(w), "nomination_id": w.made["other nomination"]},
        before=_nominate_another_and_close_nominations),
    ("put", "/networks/{network_id}/elections/{election_id}/extension"): Step(
        VNSW_SECRETARIAT, _election, if_match=_election_url, before=_open_voting),
    ("post", "/networks/{network_id}/elections/{election_id}/ballots"): Step(
        CBO_07, _election, lambda w: {"organisation_id": w.id("Sample CBO 07"), "choices": {
            "open": [w.made["nomination"]]}}),
}

# The CSV a person picks in Swagger UI's file field (a file has no example to pre-fill).
SAMPLE_SHEET = "Name,Areas served,Populations\nSample CBO 91,Hà Nội,female-sex-workers\n".encode()


def operations_with_a_body(description: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path.removeprefix(API), operation) for path, item in description["paths"].items()
            for method, operation in item.items() if method != "parameters" and "requestBody" in operation]


def placed(example: Any, ids: dict[str, Any]) -> Any:
    """The example with real rows' ids where it has the placeholder."""
    assert isinstance(example, dict) and set(ids) <= set(example)
    return {**example, **ids}


def test_every_request_body_has_an_example_and_a_step_of_the_walk(description):
    documented = operations_with_a_body(description)
    assert {(method, path) for method, path, _ in documented} == set(STEPS)
    for method, path, operation in documented:
        (media_type, content), = operation["requestBody"]["content"].items()
        assert "example" in content or media_type == "multipart/form-data", (method, path)


def test_every_example_succeeds_as_pre_filled(description, client, seeds):
    walk = Walk(seeds, client)
    documented = {(method, path): operation for method, path, operation in operations_with_a_body(description)}
    for (method, path), step in STEPS.items():
        operation = documented[method, path]
        if step.before:
            step.before(walk)
        headers = dict(walk.as_(*step.role))
        url = API + path.format(**step.params(walk))
        if step.if_match:
            headers["If-Match"] = walk.etag(step.if_match(walk), headers)
        content = operation["requestBody"]["content"]
        if "multipart/form-data" in content:
            response = client.post(url, headers=headers, data={"file": (io.BytesIO(SAMPLE_SHEET), "sample.csv")},
                                   content_type="multipart/form-data")
        else:
            body = placed(content["application/json"]["example"], step.ids(walk))
            assert EXAMPLE_ID not in repr(body), (method, path, "a placeholder left unfilled")
            response = client.open(url, method=method.upper(), headers=headers, json=body)
        assert response.status_code < 300, (method, path, response.status_code, response.json)
        if step.keep:
            walk.made[step.keep] = response.json["id"]


def test_a_body_whose_every_field_is_optional_is_not_required(description, client, seeds):
    """The description says a body is required only where leaving it out is refused; a PATCH
    without one changes nothing and says so with the row as it is."""
    schemas = description["components"]["schemas"]
    optional = set()
    for method, path, operation in operations_with_a_body(description):
        (content,) = operation["requestBody"]["content"].values()
        schema = schemas[content["schema"]["$ref"].rsplit("/", 1)[1]]
        if not schema.get("required"):
            optional.add((method, path))
            assert operation["requestBody"].get("required") is not True, (method, path)
    assert {("patch", "/organisations/{organisation_id}"),
            ("patch", "/organisations/{organisation_id}/contacts/{contact_id}"),
            ("patch", "/networks/{network_id}/bodies/{body_id}/seats/{number}"),
            ("post", "/networks/{network_id}/elections/{election_id}/nominations/{nomination_id}/withdrawal"),
            } == optional
    walk = Walk(seeds, client)
    url = f"{API}/organisations/{walk.id('Sample CBO 07')}"
    headers = walk.as_(*CBO_07)
    before = client.get(url, headers=headers).json
    response = client.patch(url, headers={**headers, "If-Match": walk.etag(url, headers)})
    assert response.status_code == 200 and response.json == before, response.json
