"""Organisations over HTTP: who may register, read, update and delist; what each caller sees;
search; ETags and lost updates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from registry.organisations import services as organisations
from registry.organisations.models import PROFILE_FIELDS, PUBLISHABLE_FIELDS
from registry.access.visibility import FIELD_TIERS, NETWORK_ONLY_FIELDS, RANK, Visibility
from tests.api.conftest import ROLES, etag_of
from tests.factories import SYSTEM

API = "/api/v1"
PUBLIC_FIELDS = ({f for f, tier in FIELD_TIERS.items() if tier is Visibility.PUBLIC} | {"visibility"}) - NETWORK_ONLY_FIELDS


def url(organisation) -> str:
    return f"{API}/organisations/{organisation.public_id}"


# --- who may do what: one test per role for every permissioned action -------------------------

REGISTER = {"secretariat": 201, "other_secretariat": 403, "own_editor": 403, "other_editor": 403,
            "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_register_in_a_network(client, world, role):
    body = {"network_id": world.vnsw.public_id, "kind": "community_organisation", "name": "Nhóm mới",
            "country": "VN", "areas_served": ["VN-SG"]}
    response = client.post(f"{API}/organisations", json=body, headers=world.roles[role])
    assert response.status_code == REGISTER[role], response.json
    if response.status_code == 201:
        assert response.json["name"] == "Nhóm mới"
        assert response.json["registered_by_id"] == world.vnsw.public_id
        assert response.headers["Location"].endswith(f"/organisations/{response.json['id']}")
        assert response.headers["ETag"]


UPDATE = {"secretariat": 200, "other_secretariat": 403, "own_editor": 200, "other_editor": 403,
          "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_update_the_profile(client, world, role):
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"website": "https://example.org"}, headers=headers)
    assert response.status_code == UPDATE[role], response.json
    after = client.get(url(world.cbo)).json
    assert after["website"] == ("https://example.org" if UPDATE[role] == 200 else None)


def test_a_founding_date_is_ascii_digits_and_nothing_after(client, world):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    for founding_date in ("２０１０", "2010\n", "2010-05\n"):
        response = client.patch(url(world.cbo), json={"founding_date": founding_date}, headers=headers)
        assert response.status_code == 422 and "founding_date" in response.json["fields"], founding_date


DELIST = {"secretariat": 200, "other_secretariat": 403, "own_editor": 403, "other_editor": 403,
          "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_delist(client, world, role):
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
    response = client.put(f"{url(world.cbo)}/status", json={"status": "delisted", "reason": "closed down"},
                          headers=headers)
    assert response.status_code == DELIST[role], response.json
    if response.status_code == 200:
        assert response.json["status"] == "delisted"
        assert response.json["public_listing"] is False
        assert client.get(url(world.cbo)).status_code == 404  # gone from public view


READ_PRIVATE = {"secretariat": "secretariat", "other_secretariat": None, "own_editor": "self",
                "other_editor": "network", "board": "board", "anonymous": None}


@pytest.mark.parametrize("role", ROLES)
def test_read_an_unlisted_organisation(client, world, session, role):
    organisations.update_profile(session, SYSTEM, world.cbo, {"public_listing": False})
    session.flush()
    response = client.get(url(world.cbo), headers=world.roles[role])
    if READ_PRIVATE[role] is None:
        assert response.status_code == 404
        assert response.json["error"] == "not_found"
    else:
        assert response.status_code == 200
        assert response.json["visibility"] == READ_PRIVATE[role]
        shown = set(response.json) - {"visibility"}
        tier = Visibility(READ_PRIVATE[role])
        assert shown == {f for f, floor in FIELD_TIERS.items() if RANK[floor] <= RANK[tier]} - NETWORK_ONLY_FIELDS


# --- property level: an editor changes only the profile allow-list ----------------------------

@pytest.mark.parametrize("field,value", [("country", "KH"), ("kind", "national_network")])
def test_an_editor_cannot_change_admin_fields(client, world, field, value):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={field: value}, headers=headers)
    assert response.status_code == 422
    assert field in response.json["fields"]


@pytest.mark.parametrize("field", ["status", "memberships", "public_listing_verified", "version"])
def test_status_memberships_and_verification_are_not_profile_fields(client, world, field):
    assert field not in PROFILE_FIELDS
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={field: "active"}, headers=headers)
    assert response.status_code == 422
    assert field in response.json["fields"]


def test_the_secretariat_may_change_admin_fields(client, world):
    headers = {**world.roles["secretariat"], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"country": "LA"}, headers=headers)
    assert response.status_code == 200
    assert response.json["country"] == "LA"


PUBLISH_REACH = {"secretariat": 200, "other_secretariat": 403, "own_editor": 403, "other_editor": 403,
                 "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_a_network_chooses_to_publish_its_reach(client, world, role):
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.vnsw))}
    response = client.patch(url(world.vnsw), json={"publishes_reach": True}, headers=headers)
    assert response.status_code == PUBLISH_REACH[role], response.json
    shown = client.get(url(world.vnsw)).json  # a public choice, read by anyone
    assert shown["publishes_reach"] is (PUBLISH_REACH[role] == 200)
    reach = client.get(f"{API}/networks/{world.vnsw.public_id}/coverage?view=reach")
    assert reach.status_code == (200 if PUBLISH_REACH[role] == 200 else 422)


def test_only_a_network_publishes_its_reach(client, world):
    for role in ("secretariat", "own_editor"):
        headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
        response = client.patch(url(world.cbo), json={"publishes_reach": True}, headers=headers)
        assert response.status_code == 422 and response.json["fields"]["publishes_reach"] == [
            "only a network publishes its reach"]
    headers = {**world.roles["secretariat"], "If-Match": etag_of(client, url(world.cbo))}
    assert client.patch(url(world.cbo), json={"publishes_reach": False}, headers=headers).status_code == 200
    assert "publishes_reach" not in client.get(url(world.cbo)).json  # a network's field only


def test_a_network_that_publishes_its_reach_stays_a_network(client, world, session):
    organisations.update_profile(session, SYSTEM, world.vnsw, {"publishes_reach": True})
    session.flush()
    headers = {**world.roles["secretariat"], "If-Match": etag_of(client, url(world.vnsw))}
    response = client.patch(url(world.vnsw), json={"kind": "community_organisation"}, headers=headers)
    assert response.status_code == 422 and "publishes_reach" in response.json["fields"]


# --- visibility -------------------------------------------------------------------------------

def test_anonymous_callers_see_only_public_fields_and_public_contacts(client, world):
    shown = client.get(url(world.cbo)).json
    assert set(shown) == PUBLIC_FIELDS
    assert shown["visibility"] == "public"
    assert [c["value"] for c in shown["contacts"]] == ["public@example.org"]
    assert "drop_in_centres" not in shown and "sex_worker_involvement" not in shown


def test_public_output_rolls_districts_up_to_provinces(client, world, session):
    organisations.update_profile(session, SYSTEM, world.cbo, {"areas_served": ["KH-1201", "VN-HN"]})
    session.flush()
    assert client.get(url(world.cbo)).json["areas_served"] == ["KH-12", "VN-HN"]
    fellow = client.get(url(world.cbo), headers=world.roles["other_editor"]).json
    assert fellow["areas_served"] == ["KH-12", "VN-HN"]  # network tier: still provinces
    listed = client.get(f"{API}/organisations").json["items"]
    assert next(o for o in listed if o["id"] == world.cbo.public_id)["areas_served"] == ["KH-12", "VN-HN"]
    exact = client.get(url(world.cbo), headers=world.roles["secretariat"]).json
    assert exact["areas_served"] == ["KH-1201", "VN-HN"]


def test_lists_are_narrowed_to_what_the_caller_may_see(client, world, session, make_org):
    hidden = make_org(world.vnsw, name="Unlisted group", country="VN")
    elsewhere = make_org(world.wnu, name="Cambodian unlisted group", country="KH")
    session.flush()

    def names(role):
        return {o["name"] for o in client.get(f"{API}/organisations", headers=world.roles[role]).json["items"]}

    assert hidden.name not in names("anonymous") and elsewhere.name not in names("anonymous")
    assert hidden.name in names("secretariat") and elsewhere.name not in names("secretariat")
    assert elsewhere.name in names("other_secretariat") and hidden.name not in names("other_secretariat")
    assert hidden.name in names("board")
    assert hidden.name not in names("other_editor")  # registered by VNSW but not yet a member


# --- search -----------------------------------------------------------------------------------

def search(client, headers=None, **params):
    response = client.get(f"{API}/organisations", query_string=params, headers=headers or {})
    assert response.status_code == 200, response.json
    return [o["name"] for o in response.json["items"]]


def test_name_search_ignores_diacritics_and_case(client, world):
    assert search(client, q="ha noi") == ["Nhóm Hà Nội"]
    assert search(client, q="NHOM HAI PHONG") == ["Nhóm Hải Phòng"]
    assert search(client, q="100%_") == []


def test_filters(client, world, session, make_org, member_of):
    organisations.update_profile(session, SYSTEM, world.fellow, {
        "populations": ["transgender-sex-workers"], "services": ["legal-aid"], "areas_served": ["VN-HP"]})
    session.flush()
    assert search(client, priority_area="health") == ["Nhóm Hà Nội"]
    assert search(client, population="transgender-sex-workers") == ["Nhóm Hải Phòng"]
    assert search(client, service="legal-aid") == ["Nhóm Hải Phòng"]
    assert search(client, area="VN-HN") == ["Nhóm Hà Nội"]
    assert search(client, country="KH") == ["Test national network KH"]
    assert search(client, network_id=world.vnsw.public_id) == ["Nhóm Hà Nội", "Nhóm Hải Phòng"]
    assert search(client, network_id=world.wnu.public_id) == []
    assert search(client, kind="national_network", sort="-name") == [
        "Test national network VN", "Test national network KH"]
    assert search(client, status="dormant") == []


def test_a_province_finds_district_work_but_a_district_search_reveals_nothing_publicly(client, world, session):
    organisations.update_profile(session, SYSTEM, world.cbo, {"areas_served": ["KH-1201"]})
    session.flush()
    assert search(client, area="KH-12") == ["Nhóm Hà Nội"]
    assert search(client, area="KH-1201") == []
    assert search(client, world.roles["secretariat"], area="KH-1201") == ["Nhóm Hà Nội"]
    assert search(client, world.roles["other_editor"], area="KH-1201") == []


def test_pages_are_bounded(client, world):
    first = client.get(f"{API}/organisations", query_string={"page_size": 1}).json
    assert (first["total"], first["pages"], len(first["items"])) == (4, 4, 1)
    second = client.get(f"{API}/organisations", query_string={"page_size": 1, "page": 2}).json
    assert second["items"][0]["id"] != first["items"][0]["id"]
    for params in ({"page_size": 101}, {"page_size": 0}, {"page": 0}, {"page": 10**30}, {"page": "2.5"}):
        response = client.get(f"{API}/organisations", query_string=params)
        assert response.status_code == 422, params
        assert set(response.json["fields"]) <= {"page", "page_size"}


# --- ETags and lost updates -------------------------------------------------------------------

def test_an_update_needs_if_match(client, world):
    editor = world.roles["own_editor"]
    response = client.patch(url(world.cbo), json={"acronym": "NHN"}, headers=editor)
    assert response.status_code == 428
    assert response.json["error"] == "precondition_required"
    stale = client.patch(url(world.cbo), json={"acronym": "NHN"}, headers={**editor, "If-Match": '"nope"'})
    assert stale.status_code == 412
    assert stale.json["error"] == "precondition_failed"


def test_the_second_of_two_edits_from_the_same_version_is_refused(client, world):
    editor, secretariat = world.roles["own_editor"], world.roles["secretariat"]
    tag = etag_of(client, url(world.cbo))
    first = client.patch(url(world.cbo), json={"acronym": "ONE"}, headers={**editor, "If-Match": tag})
    assert first.status_code == 200 and first.headers["ETag"] != tag
    second = client.patch(url(world.cbo), json={"website": "https://two.example"},
                          headers={**secretariat, "If-Match": tag})
    assert second.status_code == 412
    assert client.get(url(world.cbo)).json["acronym"] == "ONE"


def test_a_write_racing_past_the_etag_check_is_refused_by_the_version_counter(client, world, session, monkeypatch):
    """Another request commits between our If-Match check and our write: the row's version
    counter makes our UPDATE match nothing, and the caller gets 412, not a lost update."""
    real = organisations.validate_profile

    def meanwhile(db, organisation, *args, **kwargs):
        db.connection().execute(text("UPDATE organisations SET version = version + 1 WHERE id = :id"),
                                {"id": organisation.id})
        return real(db, organisation, *args, **kwargs)

    monkeypatch.setattr(organisations, "validate_profile", meanwhile)
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"acronym": "LOST"}, headers=headers)
    assert response.status_code == 412
    monkeypatch.undo()
    assert client.get(url(world.cbo)).json["acronym"] is None


def test_a_get_with_the_current_etag_is_not_modified(client, world):
    tag = etag_of(client, url(world.cbo))
    assert client.get(url(world.cbo), headers={"If-None-Match": tag}).status_code == 304


def test_a_duplicate_name_in_the_network_is_a_conflict(client, world):
    body = {"network_id": world.vnsw.public_id, "kind": "community_organisation", "name": "nhom ha noi", "country": "VN"}
    response = client.post(f"{API}/organisations", json=body, headers=world.roles["secretariat"])
    assert response.status_code == 409
    assert response.json["fields"] == {"name": ["already used in this network"]}


RENAME_TO_HIDDEN = {"secretariat": 409, "own_editor": 200, "board": 403, "other_secretariat": 403,
                    "other_editor": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_a_name_taken_only_by_an_organisation_the_caller_cannot_see_is_neither_refused_nor_named(
        client, world, session, make_org, role):
    from registry.memberships import services as memberships

    hidden = make_org(world.wnu, name="Nhóm Bí Mật", country="KH")  # unlisted, applied to VNSW
    memberships.apply(session, SYSTEM, world.vnsw, hidden)
    session.flush()
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"name": "nhom bi mat"}, headers=headers)
    assert response.status_code == RENAME_TO_HIDDEN[role], response.json
    if response.status_code == 200:  # the editor cannot see the applicant: no clash to confirm
        assert response.json["name"] == "nhom bi mat"
    if response.status_code == 409:  # VNSW's secretariat reviews the applicant: its check stays complete
        assert response.json["fields"] == {"name": ["already used in this network"]}
        assert "Nhóm Bí Mật" in response.json["message"]


def test_a_name_taken_by_a_fellow_member_is_still_refused(client, world):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"name": "Nhóm Hải Phòng"}, headers=headers)
    assert response.status_code == 409 and "Nhóm Hải Phòng" in response.json["message"]


# --- publishing, field by field, by the organisation itself ----------------------------------

ALWAYS_SHOWN = {"id", "kind", "name", "name_translations", "acronym", "country", "status", "is_sample", "contacts",
                "visibility"}


def test_a_new_listing_shows_only_name_country_kind_and_priority_areas(client, world):
    body = {"network_id": world.vnsw.public_id, "kind": "community_organisation", "name": "Nhóm mới", "country": "VN",
            "public_listing": True, "sex_worker_led": "yes", "populations": ["female-sex-workers"],
            "services": ["outreach"], "priority_areas": ["health"], "areas_served": ["VN-SG"],
            "languages": ["vi"], "website": "https://example.org", "founding_date": "2010"}
    created = client.post(f"{API}/organisations", json=body, headers=world.roles["secretariat"])
    assert created.status_code == 201 and created.json["published_fields"] == ["priority_areas"]
    shown = client.get(f"{API}/organisations/{created.json['id']}").json
    assert set(shown) == ALWAYS_SHOWN | {"priority_areas"}
    assert shown["priority_areas"] == ["health"] and shown["kind"] == "community_organisation"


def test_a_secretariat_registers_an_organisation_publishing_no_more_than_a_new_listing(client, world):
    body = {"network_id": world.vnsw.public_id, "kind": "community_organisation", "name": "Nhóm mới", "country": "VN",
            "published_fields": ["priority_areas", "sex_worker_led"]}
    refused = client.post(f"{API}/organisations", json=body, headers=world.roles["secretariat"])
    assert refused.status_code == 422 and "published_fields" in refused.json["fields"]
    less = client.post(f"{API}/organisations", json={**body, "published_fields": []},
                       headers=world.roles["secretariat"])
    assert less.status_code == 201 and less.json["published_fields"] == []


PUBLISH = {"own_editor": 200, "secretariat": 422, "other_secretariat": 403, "other_editor": 403, "board": 403,
           "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organisation_itself_publishes_more(client, world, session, role):
    organisations.update_profile(session, SYSTEM, world.cbo, {"published_fields": ["priority_areas"],
                                                              "sex_worker_led": "yes"})
    session.flush()
    assert "sex_worker_led" not in client.get(url(world.cbo)).json
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"published_fields": ["sex_worker_led", "priority_areas"]},
                            headers=headers)
    assert response.status_code == PUBLISH[role], response.json
    shown = client.get(url(world.cbo)).json
    assert ("sex_worker_led" in shown) is (PUBLISH[role] == 200)
    if response.status_code == 422:
        assert response.json["fields"] == {"published_fields": [
            "only the organisation itself may publish more: sex_worker_led is not published now"]}


NARROW = {"own_editor": 200, "secretariat": 200, "other_secretariat": 403, "other_editor": 403, "board": 403,
          "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_a_secretariat_above_may_publish_less(client, world, role):
    headers = {**world.roles[role], "If-Match": etag_of(client, url(world.cbo))}
    response = client.patch(url(world.cbo), json={"published_fields": ["priority_areas"]}, headers=headers)
    assert response.status_code == NARROW[role], response.json
    shown = client.get(url(world.cbo)).json
    assert ("populations" in shown) is (NARROW[role] != 200)


def test_a_network_publishes_through_its_own_secretariat(client, world):
    vnsw = f"{API}/organisations/{world.vnsw.public_id}"
    headers = {**world.roles["secretariat"], "If-Match": etag_of(client, vnsw)}
    response = client.patch(vnsw, json={"published_fields": ["website", "networks"], "website": "https://vn.example.org"},
                            headers=headers)
    assert response.status_code == 200, response.json
    assert client.get(vnsw).json["website"] == "https://vn.example.org"


def test_a_change_of_what_is_published_is_in_the_history(client, world):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    assert client.patch(url(world.cbo), json={"published_fields": ["website"]}, headers=headers).status_code == 200
    entry = client.get(f"{url(world.cbo)}/history", headers=world.roles["own_editor"]).json["items"][0]
    assert entry["action"] == "update_profile"
    assert entry["changes"]["published_fields"] == [list(PUBLISHABLE_FIELDS), ["website"]]


def test_an_unknown_field_cannot_be_published(client, world):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    for fields in (["drop_in_centres"], ["contacts"], "website"):
        response = client.patch(url(world.cbo), json={"published_fields": fields}, headers=headers)
        assert response.status_code == 422, fields
        assert [f.split(".")[0] for f in response.json["fields"]] == ["published_fields"], fields


@pytest.mark.parametrize(("field", "query", "value"), [
    ("populations", "population", "transgender-sex-workers"), ("services", "service", "legal-aid"),
    ("areas_served", "area", "VN-HP"), ("priority_areas", "priority_area", "violence"),
    ("networks", "network_id", None)])
def test_a_public_filter_never_matches_a_field_the_organisation_did_not_publish(
        client, world, session, field, query, value):
    organisations.update_profile(session, SYSTEM, world.fellow, {
        "populations": ["transgender-sex-workers"], "services": ["legal-aid"], "areas_served": ["VN-HP"],
        "priority_areas": ["violence"],
        "published_fields": [f for f in PUBLISHABLE_FIELDS if f != field]})
    session.flush()
    params = {query: value if value is not None else world.vnsw.public_id}
    assert "Nhóm Hải Phòng" not in search(client, **params)
    assert "Nhóm Hải Phòng" in search(client, world.roles["own_editor"], **params)  # a fellow member: network tier
    assert "Nhóm Hải Phòng" in search(client, world.roles["secretariat"], **params)
    assert field not in client.get(url(world.fellow)).json
    headers = {**world.roles["other_editor"], "If-Match": etag_of(client, url(world.fellow))}  # its own editor
    published = client.patch(url(world.fellow), json={"published_fields": list(PUBLISHABLE_FIELDS)}, headers=headers)
    assert published.status_code == 200
    assert "Nhóm Hải Phòng" in search(client, **params)


def test_the_public_member_list_holds_only_members_that_publish_their_networks(client, world, session):
    organisations.update_profile(session, SYSTEM, world.fellow, {"published_fields": ["priority_areas"]})
    session.flush()

    def members(headers=None):
        listed = client.get(f"{API}/networks/{world.vnsw.public_id}/members", headers=headers or {}).json["items"]
        return [m["organisation"]["name"] for m in listed]

    assert members() == ["Nhóm Hà Nội"]
    assert client.get(url(world.fellow)).status_code == 200  # still listed, by itself
    assert members(world.roles["own_editor"]) == ["Nhóm Hà Nội", "Nhóm Hải Phòng"]


# Characters no name (or any text) makes sense with, and that XML, which the XLSX export is,
# cannot carry or only discourages: noncharacters, C0 and C1 controls, a lone surrogate.
NOT_TEXT = {"U+FFFE": "\ufffe", "U+FFFF": "\uffff", "U+FDD0": "\ufdd0", "U+FDEF": "\ufdef",
            "U+1FFFE": "\U0001fffe", "U+10FFFF": "\U0010ffff", "U+0001": "\x01", "U+000B": "\x0b",
            "U+001F": "\x1f", "U+007F": "\x7f", "U+0085": "\x85", "U+009F": "\x9f", "a tab": "\t",
            "a lone surrogate": "\ud800"}


@pytest.mark.parametrize("character", NOT_TEXT)
def test_a_name_holding_a_character_no_text_makes_sense_with_is_refused(client, world, session, character):
    name = f"Nhóm {NOT_TEXT[character]} Sen"
    registered = client.post(f"{API}/organisations", headers=world.roles["secretariat"], json={
        "network_id": world.vnsw.public_id, "kind": "community_organisation", "name": name, "country": "VN"})
    assert registered.status_code == 422 and "name" in registered.json["fields"], registered.json
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    renamed = client.patch(url(world.cbo), json={"name": name}, headers=headers)
    assert renamed.status_code == 422 and "name" in renamed.json["fields"], renamed.json
    session.expire_all()
    assert session.get(organisations.Organisation, world.cbo.id).name == "Nhóm Hà Nội"


def test_multiline_text_keeps_tabs_and_line_breaks_but_not_noncharacters(client, world):
    headers = {**world.roles["own_editor"], "If-Match": etag_of(client, url(world.cbo))}
    refused = client.patch(url(world.cbo), json={"sex_worker_involvement": "run by\tsex workers \ufffe"},
                           headers=headers)
    assert refused.status_code == 422 and "sex_worker_involvement" in refused.json["fields"]
    kept = client.patch(url(world.cbo), json={"sex_worker_involvement": "run by\tsex workers\r\nsince 2009"},
                        headers=headers)
    assert kept.status_code == 200 and kept.json["sex_worker_involvement"] == "run by\tsex workers\r\nsince 2009"
