"""A member organisation's own page (/organisation/): its profile form with who sees each field,
saving, conflicts with a save made meanwhile, stopping its public listing, applying to a network,
its memberships and history; and who is refused."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from registry.access import tokens
from registry.organisations.models import Organisation
from tests.factories import SYSTEM

from registry.access.models import AuditEntry
from registry.memberships.models import Membership, MembershipStatus
from registry.organisations.models import PUBLISHABLE_FIELDS
from tests.api.conftest import World, etag_of, form_token

PAGE = "/organisation/"
API = "/api/v1"


def sign_in(client: FlaskClient, headers: dict[str, str]) -> None:
    """Sign the browser in with the token's code on the sign-in page."""
    sign_in_with(client, headers["Authorization"].removeprefix("Bearer "))


def sign_in_with(client: FlaskClient, code: str) -> None:
    answer = client.post("/sign-in", data={"code": code, "csrf_token": form_token(client)})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:300]


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} on the page"
    return html.unescape(found.group(1))


def form_of(client: FlaskClient, url: str = PAGE) -> dict[str, object]:
    """The profile form as the page fills it in: every field, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    fields: dict[str, object] = {"csrf_token": hidden(page, "csrf_token"), "read": hidden(page, "read")}
    form = page[page.index('class="profile"'):page.index("</form>", page.index('class="profile"'))]
    for name, value in re.findall(r'<input name="([a-z_]+)" (?:type="url" )?value="([^"]*)"', form):
        fields[name] = html.unescape(value)
    checked: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="checkbox" name="([a-z_]+)" value="([^"]*)" checked', form):
        checked.setdefault(name, []).append(value)
    for name in re.findall(r'type="checkbox" name="([a-z_]+)" checked', form):
        fields[name] = "on"
    fields.update(checked)
    selected = re.search(r'<option value="([a-z]+)" selected', form)
    fields["sex_worker_led"] = selected.group(1) if selected else ""
    text = re.search(r'name="sex_worker_involvement"[^>]*>([^<]*)</textarea>', form)
    fields["sex_worker_involvement"] = html.unescape(text.group(1)) if text else ""
    return fields


@pytest.fixture
def editor(client: FlaskClient, world: World) -> FlaskClient:
    sign_in(client, world.roles["own_editor"])
    return client


def test_the_page_shows_the_profile_and_who_sees_each_field(editor, world):
    page = editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert world.cbo.name in page
    seen = dict(re.findall(r'id="seen-([a-z_]+)">Seen by: ([^<]+)<', page))
    # Listed and publishing every field: the public tier reaches everyone; the rest stays inside.
    assert seen["name"] == seen["website"] == seen["areas_served"] == "everyone"
    assert seen["drop_in_centres"] == seen["sex_worker_involvement"] == "fellow members and your networks"
    assert "publishes_reach" not in seen  # a community organisation has no reach to publish
    assert 'value="health" checked' in page


def test_a_field_the_organisation_does_not_publish_is_seen_inside_only(editor, world, session):
    world.cbo.published_fields = ["priority_areas"]
    session.flush()
    page = editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    seen = dict(re.findall(r'id="seen-([a-z_]+)">Seen by: ([^<]+)<', page))
    assert seen["priority_areas"] == "everyone" and seen["website"] == "fellow members and your networks"


def test_vocabulary_and_areas_are_shown_in_the_readers_language(editor, world):
    page = editor.get(PAGE, headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert 'lang="vi"' in page and "Seen by" not in page
    assert re.search(r'name="areas_served" value="VN-HN" checked> [^<(]+ \(VN-HN\)', page)


def test_saving_changes_what_the_person_changed(editor, world, session):
    form = form_of(editor)
    form.update(website="https://example.org/new", drop_in_centres="3", new_areas="")
    saved = editor.post(PAGE, data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(PAGE)
    session.refresh(world.cbo)
    assert (world.cbo.website, world.cbo.drop_in_centres, world.cbo.name) == ("https://example.org/new", 3,
                                                                            "Nhóm Hà Nội")
    entry = session.query(AuditEntry).filter_by(action="update_profile").order_by(AuditEntry.id.desc()).first()
    assert set(entry.changes) == {"website", "drop_in_centres"}  # nothing it did not change is rewritten
    assert "Your profile is saved." in editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_refused_answer_is_said_on_the_form_and_nothing_is_saved(editor, world, session):
    form = form_of(editor)
    form.update(website="not a web address", name="Nhóm mới")
    refused = editor.post(PAGE, data=form, headers={"Accept-Language": "en"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "a web address starting with https://" in page and 'value="Nhóm mới"' in page
    in_vietnamese = editor.post(PAGE, data=form, headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "địa chỉ web bắt đầu bằng https://" in in_vietnamese and "the profile was refused" not in in_vietnamese
    session.refresh(world.cbo)
    assert world.cbo.name == "Nhóm Hà Nội"


def test_places_are_taken_by_name_in_any_script(editor, world, session):
    form = form_of(editor)
    form["new_areas"] = "Hải Phòng"
    assert editor.post(PAGE, data=form).status_code == 302
    session.refresh(world.cbo)
    assert world.cbo.areas_served == ["VN-HN", "VN-HP"]


def test_a_save_made_meanwhile_is_shown_field_by_field_and_the_person_chooses(editor, client, world, session):
    form = form_of(editor)
    url = f"{API}/organisations/{world.cbo.public_id}"
    secretariat = world.roles["secretariat"]
    theirs = client.patch(url, json={"website": "https://theirs.example.org", "acronym": "THEIRS"},
                          headers={**secretariat, "If-Match": etag_of(client, url, secretariat)})
    assert theirs.status_code == 200, theirs.json
    form.update(website="https://mine.example.org", drop_in_centres="5")
    conflict = editor.post(PAGE, data=form, headers={"Accept-Language": "en"})
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "https://theirs.example.org" in page and "https://mine.example.org" in page and "THEIRS" in page
    session.refresh(world.cbo)
    assert (world.cbo.website, world.cbo.drop_in_centres) == ("https://theirs.example.org", 2)  # nothing of mine yet
    # Both changed the website: no choice is made for the person; the acronym only they changed.
    assert re.search(r'name="take_website" value="theirs" required', page)
    assert re.search(r'name="take_acronym" value="theirs" checked required', page)
    pending = hidden(page, "pending")
    undecided = editor.post("/organisation/resolve", data={"csrf_token": form["csrf_token"], "pending": pending,
                                                           "take_acronym": "theirs"})
    assert undecided.status_code == 422
    resolved = editor.post("/organisation/resolve", data={"csrf_token": form["csrf_token"], "pending": pending,
                                                          "take_website": "yours", "take_acronym": "theirs"})
    assert resolved.status_code == 302
    session.refresh(world.cbo)
    assert (world.cbo.website, world.cbo.acronym, world.cbo.drop_in_centres) == (
        "https://mine.example.org", "THEIRS", 5)


def test_a_save_meanwhile_to_fields_the_person_left_alone_merges_without_asking(editor, client, world, session):
    form = form_of(editor)
    url = f"{API}/organisations/{world.cbo.public_id}"
    secretariat = world.roles["secretariat"]
    client.patch(url, json={"acronym": "THEIRS"}, headers={**secretariat, "If-Match": etag_of(client, url, secretariat)})
    form.update(acronym="")  # the form as read had no acronym: the person did not touch it
    form.update(website="https://mine.example.org")
    conflict = editor.post(PAGE, data=form)
    assert conflict.status_code == 409  # they changed a field of the form: shown, their version chosen by default
    pending = hidden(conflict.get_data(as_text=True), "pending")
    resolved = editor.post("/organisation/resolve", data={"csrf_token": form["csrf_token"], "pending": pending,
                                                          "take_acronym": "theirs"})
    assert resolved.status_code == 302
    session.refresh(world.cbo)
    assert (world.cbo.website, world.cbo.acronym) == ("https://mine.example.org", "THEIRS")


def test_a_save_made_while_the_person_chooses_is_shown_again(editor, client, world, session):
    form = form_of(editor)
    url = f"{API}/organisations/{world.cbo.public_id}"
    secretariat = world.roles["secretariat"]
    client.patch(url, json={"website": "https://first.example.org"},
                 headers={**secretariat, "If-Match": etag_of(client, url, secretariat)})
    form["website"] = "https://mine.example.org"
    pending = hidden(editor.post(PAGE, data=form).get_data(as_text=True), "pending")
    client.patch(url, json={"website": "https://second.example.org"},
                 headers={**secretariat, "If-Match": etag_of(client, url, secretariat)})
    again = editor.post("/organisation/resolve", data={"csrf_token": form["csrf_token"], "pending": pending,
                                                       "take_website": "yours"})
    assert again.status_code == 409 and "https://second.example.org" in again.get_data(as_text=True)
    session.refresh(world.cbo)
    assert world.cbo.website == "https://second.example.org"


def test_a_change_meanwhile_outside_the_form_needs_no_choice(editor, world, session, client):
    form = form_of(editor)
    contact = next(c for c in world.cbo.contacts if c.visibility == "secretariat")
    url = f"{API}/organisations/{world.cbo.public_id}"
    edited = client.patch(f"{url}/contacts/{contact.public_id}", json={"label": "office"},
                          headers={**world.roles["own_editor"], "If-Match": etag_of(client, url, world.roles["own_editor"])})
    assert edited.status_code == 200, edited.json
    form["website"] = "https://mine.example.org"
    assert editor.post(PAGE, data=form).status_code == 302
    session.refresh(world.cbo)
    assert world.cbo.website == "https://mine.example.org"


def test_stop_listing_leaves_every_public_surface_on_the_next_request(editor, world, session, app):
    anonymous = app.test_client()
    directory = f"{API}/organisations?q=ha+noi"
    popolo = f"{API}/networks/{world.vnsw.public_id}/popolo.json"
    members = f"{API}/networks/{world.vnsw.public_id}/members"

    def public() -> tuple[list[str], ...]:
        return ([o["id"] for o in anonymous.get(directory).json["items"]],
                [o["id"].removeprefix("organization-") for o in anonymous.get(popolo).json["organizations"]],
                [m["organisation"]["id"] for m in anonymous.get(members).json["items"]])

    cbo = world.cbo.public_id
    assert all(cbo in ids for ids in public())
    token = form_of(editor)["csrf_token"]
    stopped = editor.post("/organisation/stop-listing", data={"csrf_token": token})
    assert stopped.status_code == 302
    assert all(cbo not in ids for ids in public())
    session.refresh(world.cbo)
    assert world.cbo.public_listing is False
    page = editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "no longer listed publicly" in page and "Stop listing us publicly now" not in page


def test_stop_listing_leaves_the_public_counts_and_maps_of_the_sample_network(seeded):
    """On the seeded sample network, whose public map counts its listed members by province."""
    app = create_app({"TESTING": True}, sessions=lambda: Session(
        bind=seeded.bind, join_transaction_mode="create_savepoint", expire_on_commit=False))
    cbo = seeded.scalar(select(Organisation).where(Organisation.name == "Sample CBO 01"))
    vnsw = seeded.scalar(select(Organisation).where(Organisation.acronym == "VNSW"))
    _, secret = tokens.issue_token(seeded, SYSTEM, "editor", cbo, label="organisation page test")
    seeded.flush()
    anonymous, editor = app.test_client(), app.test_client()
    coverage = f"{API}/networks/{vnsw.public_id}/coverage"

    def counted() -> tuple[int, int, bool]:
        body = anonymous.get(coverage).json
        geojson = anonymous.get(coverage + ".geojson").get_json()
        listed = anonymous.get(f"{API}/organisations?q=sample+cbo+01").json["items"]
        return body["organisations"], geojson["organisations"], bool(listed)

    before = counted()
    assert before[2] and before == counted()
    sign_in_with(editor, secret)
    token = hidden(editor.get(PAGE).get_data(as_text=True), "csrf_token")
    assert editor.post("/organisation/stop-listing", data={"csrf_token": token}).status_code == 302
    after = counted()
    assert after == (before[0] - 1, before[1] - 1, False)


def test_the_editor_chooses_what_the_public_sees(editor, world, session):
    form = form_of(editor)
    form["published_fields"] = ["priority_areas", "networks"]
    assert editor.post(PAGE, data=form).status_code == 302
    session.refresh(world.cbo)
    assert world.cbo.published_fields == ["priority_areas", "networks"]
    assert set(PUBLISHABLE_FIELDS) > set(world.cbo.published_fields)


def test_the_organisation_applies_and_sees_its_memberships(editor, world, session):
    token = form_of(editor)["csrf_token"]
    page = editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<option value="{world.wnu.public_id}">' in page
    assert f'<option value="{world.vnsw.public_id}">' not in page  # already a member
    applied = editor.post("/organisation/apply", data={"csrf_token": token, "network": world.wnu.public_id,
                                                       "reason": "We work across the border"})
    assert applied.status_code == 302
    membership = session.query(Membership).filter_by(network_id=world.wnu.id, member_id=world.cbo.id).one()
    assert membership.status is MembershipStatus.APPLIED
    page = editor.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Test national network KH: applied" in page and "We work across the border" in page
    assert "Test national network VN: active member" in page
    again = editor.post("/organisation/apply", data={"csrf_token": token, "network": world.wnu.public_id},
                        headers={"Accept-Language": "en"})
    assert again.status_code == 422 and "already has an application" in again.get_data(as_text=True)


def test_the_change_history_is_the_organisations_own(editor, world):
    form = form_of(editor)
    form["website"] = "https://example.org/history"
    editor.post(PAGE, data=form)
    page = editor.get("/organisation/history", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "profile changed" in page and "Website" in page and "registered" in page
    assert editor.get("/organisation/history?page=99999999999999").status_code == 200


# -- refusals -------------------------------------------------------------------------------------

def test_nobody_signed_in_is_sent_to_sign_in_and_nothing_is_written(client, world, session):
    assert client.get(PAGE).status_code == 302
    assert client.get(PAGE).headers["Location"].endswith("/sign-in")
    token = hidden(client.get("/sign-in").get_data(as_text=True), "csrf_token")
    posted = client.post("/organisation/stop-listing", data={"csrf_token": token})
    assert posted.status_code == 302 and "sign-in" in posted.headers["Location"]
    session.refresh(world.cbo)
    assert world.cbo.public_listing is True


def test_a_board_member_is_told_the_page_is_not_theirs(client, world):
    sign_in(client, world.roles["board"])
    refused = client.get(PAGE, headers={"Accept": "text/html", "Accept-Language": "en"})
    assert refused.status_code == 403 and refused.content_type.startswith("text/html")
    assert "This page is for a member organisation's own editor" in html.unescape(refused.get_data(as_text=True))


def test_another_organisations_editor_cannot_send_its_form(client, world, session):
    sign_in(client, world.roles["own_editor"])
    form = form_of(client)
    sign_in(client, world.roles["other_editor"])  # signed in as another organisation meanwhile
    form["name"] = "Taken over"
    refused = client.post(PAGE, data=form, headers={"Accept-Language": "en"})
    assert refused.status_code == 409 and "for another organisation" in refused.get_data(as_text=True)
    session.refresh(world.cbo)
    session.refresh(world.fellow)
    assert (world.cbo.name, world.fellow.name) == ("Nhóm Hà Nội", "Nhóm Hải Phòng")
    stopped = client.post("/organisation/stop-listing", data={"csrf_token": form["csrf_token"]})
    assert stopped.status_code == 302
    session.refresh(world.cbo)
    session.refresh(world.fellow)
    assert (world.cbo.public_listing, world.fellow.public_listing) == (True, False)  # its own, never another's


def test_another_networks_secretariat_gets_its_own_network_not_the_member(client, world, session):
    sign_in(client, world.roles["other_secretariat"])
    page = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert world.wnu.name in page and world.cbo.name not in page
    assert 'name="publishes_reach"' in page  # a network's own page
    form = form_of(client)
    form["acronym"] = "WNU2"
    assert client.post(PAGE, data=form).status_code == 302
    session.refresh(world.wnu)
    session.refresh(world.cbo)
    assert world.wnu.acronym == "WNU2" and world.cbo.acronym is None


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(editor, world, session):
    form = form_of(editor)
    del form["csrf_token"]
    form["name"] = "Forged"
    for url, data in ((PAGE, form), ("/organisation/stop-listing", {}),
                      ("/organisation/apply", {"network": world.wnu.public_id})):
        refused = editor.post(url, data=data, headers={"Accept": "text/html"})
        assert refused.status_code == 400 and refused.content_type.startswith("text/html")
    session.refresh(world.cbo)
    assert (world.cbo.name, world.cbo.public_listing) == ("Nhóm Hà Nội", True)
    assert session.query(Membership).filter_by(network_id=world.wnu.id).count() == 0


def test_a_forged_read_token_saves_nothing(editor, world, session):
    form = form_of(editor)
    form.update(read="forged", name="Forged")
    assert editor.post(PAGE, data=form).status_code == 409
    session.refresh(world.cbo)
    assert world.cbo.name == "Nhóm Hà Nội"
