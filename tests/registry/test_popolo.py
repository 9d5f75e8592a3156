"""The Popolo document of a network as each caller reads it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from registry.governance import services as governance
from registry.errors import NotFound
from registry.access.permissions import Actor
from registry.exchange.popolo import network_popolo, organization_id
from tests.factories import SYSTEM, board, editor, secretariat
from tests.registry.test_elections import ready_election
from tests.registry.test_elections_permissions import certified


@pytest.fixture
def network(session, make_org, member_of):
    """A public network with a certified board election (Ana elected), a recorded past
    officeholder, a listed member serving a district and an unlisted member."""
    vnsw = make_org(name="Test network VN", acronym="TVN", kind="national_network", public_listing=True)
    r = ready_election(session, make_org, member_of, vnsw, seats=1, candidates=("Ana", "Binh"))
    certified(r)
    governance.record_officeholder(session, SYSTEM, r.body, name="Hoa", starts_on=dt.date(2014, 1, 1),
                                   ends_on=dt.date(2015, 12, 31), nominated_by=r.members[0])
    listed = make_org(vnsw, name="Listed group", public_listing=True, areas_served=["KH-1201"],
                      published_fields=["priority_areas", "areas_served", "networks"],
                      drop_in_centres=1)
    member_of(vnsw, listed)
    session.flush()
    return vnsw, r, listed


def ids(document, key):
    return {item["id"] for item in document[key]}


def test_anonymous_callers_get_listed_organisations_public_fields_and_no_governance(session, network):
    vnsw, r, listed = network
    document = network_popolo(session, Actor.anonymous(), vnsw.public_id)
    assert ids(document, "organizations") == {organization_id(vnsw), organization_id(listed)}
    group = next(o for o in document["organizations"] if o["name"] == "Listed group")
    assert group["areas_served"] == ["KH-12"] and "drop_in_centres" not in group
    assert document["memberships"] == [{"id": document["memberships"][0]["id"], "role": "member",
                                        "organization_id": organization_id(vnsw),
                                        "member": {"@type": "Organization", "id": organization_id(listed)}}]
    assert document["posts"] == document["persons"] == document["vote_events"] == []
    assert "example.org" not in json.dumps(document)


def test_the_public_reads_only_what_each_member_published(session, network, make_org, member_of):
    from registry.organisations import services as organisations

    vnsw, _, listed = network
    quiet = make_org(vnsw, name="Quiet group", public_listing=True, sex_worker_led="yes", website="https://q.example.org")
    member_of(vnsw, quiet)  # it publishes only its priority areas, not that it belongs to VNSW
    organisations.update_profile(session, SYSTEM, listed, {"published_fields": ["networks"]})
    document = network_popolo(session, Actor.anonymous(), vnsw.public_id)
    assert ids(document, "organizations") == {organization_id(vnsw), organization_id(listed)}
    group = next(o for o in document["organizations"] if o["name"] == "Listed group")
    assert "areas_served" not in group and "priority_areas" not in group
    inside = network_popolo(session, secretariat(vnsw), vnsw.public_id)
    assert organization_id(quiet) in ids(inside, "organizations")


def test_another_networks_secretariat_reads_it_as_the_public(session, network, wnu):
    vnsw, _, _ = network
    assert network_popolo(session, secretariat(wnu), vnsw.public_id) == network_popolo(session, Actor.anonymous(), vnsw.public_id)


def test_the_secretariat_gets_every_member_with_start_dates_seats_officeholders_and_results(session, network):
    vnsw, r, listed = network
    document = network_popolo(session, secretariat(vnsw), vnsw.public_id)
    members = [m for m in document["memberships"] if "member" in m]
    assert len(members) == len(r.members) + 1 and all(m["start_date"] for m in members)
    group = next(o for o in document["organizations"] if o["name"] == "Listed group")
    assert group["areas_served"] == ["KH-1201"] and group["drop_in_centres"] == 1
    body = next(o for o in document["organizations"] if o["id"] == f"body-{r.body.public_id}")
    assert body["parent_id"] == organization_id(vnsw) and body["classification"] == "board"
    assert len(document["posts"]) == 1
    terms = {document["persons"][int(m["person_id"].split("-")[1]) - 1]["name"]: m
             for m in document["memberships"] if "post_id" in m}
    assert set(terms) == {"Ana", "Hoa"}
    assert terms["Hoa"]["end_date"] == "2015-12-31"
    assert terms["Hoa"]["on_behalf_of_id"] == organization_id(r.members[0])
    [event] = document["vote_events"]
    assert event["result"] == "elected: Ana" and event["organization_id"] == f"body-{r.body.public_id}"
    assert {c["option"]: c["value"] for c in event["counts"]} == {"Ana": 1, "Binh": 0}
    assert (event["turnout"], event["roll"]) == (1, len(r.members))


def test_a_members_editor_reads_governance_and_only_its_own_start_date(session, network):
    vnsw, r, listed = network
    document = network_popolo(session, editor(listed), vnsw.public_id)
    dated = [m["member"]["id"] for m in document["memberships"] if "member" in m and "start_date" in m]
    assert dated == [organization_id(listed)]
    assert document["vote_events"] and document["posts"]


def test_the_board_reads_everything_but_sees_no_contacts(session, network):
    vnsw, r, _ = network
    document = network_popolo(session, board(vnsw), vnsw.public_id)
    assert len([m for m in document["memberships"] if "start_date" in m and "member" in m]) == len(r.members) + 1
    assert "contact" not in json.dumps(document)


def test_an_unlisted_network_is_not_found_for_the_public(session, vnsw):
    with pytest.raises(NotFound):
        network_popolo(session, Actor.anonymous(), vnsw.public_id)
