"""Contacts over HTTP: only the organisation and its secretariats read them, every read is
logged, and a change needs the organisation's ETag."""

from __future__ import annotations

import jsonschema_rs
import pytest
from sqlalchemy import select

from registry.access.models import ContactRead
from tests.api.conftest import ROLES, etag_of
from tests.factories import stored_text

API = "/api/v1"

READ = {"secretariat": ["public@example.org", "+84 1 secretariat"],
        "own_editor": ["public@example.org", "+84 1 secretariat", "self-only-handle"]}
READ_DENIED = {"other_secretariat": 403, "other_editor": 403, "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_read_contacts(client, world, session, role):
    response = client.get(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles[role])
    reads = session.scalars(select(ContactRead).where(ContactRead.organisation_id == world.cbo.id)).all()
    if role in READ:
        assert response.status_code == 200
        assert [c["value"] for c in response.json] == READ[role]
        assert len(reads) == 1
        assert reads[0].contact_ids == [c["id"] for c in response.json]
        assert "test" in reads[0].actor and reads[0].at is not None
    else:
        assert response.status_code == READ_DENIED[role]
        assert reads == []


def test_public_contacts_in_the_profile_are_not_logged(client, world, session):
    client.get(f"{API}/organisations/{world.cbo.public_id}")
    assert session.scalars(select(ContactRead)).all() == []


ADD = {"secretariat": 201, "other_secretariat": 403, "own_editor": 201, "other_editor": 403,
       "board": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_add_a_contact(client, world, role):
    response = client.post(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles[role],
                           json={"kind": "postal", "value": "12 Street", "visibility": "self"})
    assert response.status_code == ADD[role], response.json
    if response.status_code == 201:
        assert response.json["visibility"] == "self"


CHANGE = {"secretariat": 200, "other_secretariat": 404, "own_editor": 200, "other_editor": 404,
          "board": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_change_a_private_contact(client, world, role):
    contact = next(c for c in world.cbo.contacts if c.visibility == "secretariat")
    tag = etag_of(client, f"{API}/organisations/{world.cbo.public_id}")
    response = client.patch(f"{API}/organisations/{world.cbo.public_id}/contacts/{contact.public_id}",
                            headers={**world.roles[role], "If-Match": tag}, json={"label": "office"})
    assert response.status_code == CHANGE[role], response.json


def test_a_public_contact_is_found_but_not_changed_by_others(client, world):
    contact = next(c for c in world.cbo.contacts if c.visibility == "public")
    tag = etag_of(client, f"{API}/organisations/{world.cbo.public_id}")
    response = client.delete(f"{API}/organisations/{world.cbo.public_id}/contacts/{contact.public_id}",
                             headers={**world.roles["other_editor"], "If-Match": tag})
    assert response.status_code == 403


def test_removing_a_contact_needs_the_current_etag(client, world):
    contact = world.cbo.contacts[0]
    where = f"{API}/organisations/{world.cbo.public_id}/contacts/{contact.public_id}"
    editor = world.roles["own_editor"]
    assert client.delete(where, headers=editor).status_code == 428
    assert client.delete(where, headers={**editor, "If-Match": '"old"'}).status_code == 412
    tag = etag_of(client, f"{API}/organisations/{world.cbo.public_id}")
    assert client.delete(where, headers={**editor, "If-Match": tag}).status_code == 204
    assert etag_of(client, f"{API}/organisations/{world.cbo.public_id}") != tag


def test_a_contact_s_visibility_is_described_as_the_tiers_it_may_have(client, world):
    schemas = client.get(f"{API}/openapi.json").json["components"]["schemas"]
    for schema in ("Contact", "ContactChange"):
        assert schemas[schema]["properties"]["visibility"]["enum"] == ["public", "secretariat", "self"], schema
    response = client.post(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles["own_editor"],
                           json={"kind": "email", "value": "board@example.org", "visibility": "board"})
    assert response.status_code == 422 and "visibility" in response.json["fields"]


def test_a_contact_value_of_only_spaces_is_refused_as_described(client, world):
    described = client.get(f"{API}/openapi.json").json["components"]["schemas"]["Contact"]["properties"]["value"]
    assert not jsonschema_rs.validator_for(described).is_valid(" \u00a0")
    response = client.post(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles["own_editor"],
                           json={"kind": "email", "value": " \u00a0"})
    assert response.status_code == 422 and "value" in response.json["fields"]


def test_contact_values_with_control_characters_are_refused(client, world):
    response = client.post(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles["own_editor"],
                           json={"kind": "email", "value": "a\x00b"})
    assert response.status_code == 422
    assert "value" in response.json["fields"]


@pytest.mark.parametrize("role,status", [("own_editor", 200), ("secretariat", 200), ("other_editor", 403),
                                         ("board", 403), ("other_secretariat", 403), ("anonymous", 401)])
def test_who_read_the_contacts(client, world, role, status):
    client.get(f"{API}/organisations/{world.cbo.public_id}/contacts", headers=world.roles["secretariat"])
    response = client.get(f"{API}/organisations/{world.cbo.public_id}/contact-reads", headers=world.roles[role])
    assert response.status_code == status
    if status == 200:
        assert response.json["total"] == 1
        assert "secretariat of TVN" in response.json["items"][-1]["actor"]


# Contacts sealed at rest: what a seized server or a leaked backup would hand over.
SECRETS = ("Hidden-Desk@Example.org", "+84 24 3999 1234", "12 Ngõ Huế, back door", "tg-dic-hanoi")


def test_no_table_holds_a_contact_value_in_the_clear(client, world, session):
    where = f"{API}/organisations/{world.cbo.public_id}"
    editor = world.roles["own_editor"]
    ids = []
    for kind, value, visibility in zip(("email", "phone", "postal", "messenger"), SECRETS,
                                       ("secretariat", "public", "self", "secretariat"), strict=True):
        added = client.post(f"{where}/contacts", headers=editor, json={"kind": kind, "value": value,
                                                                        "visibility": visibility})
        assert added.status_code == 201, added.json
        ids.append(added.json["id"])
    changed = client.patch(f"{where}/contacts/{ids[3]}", json={"value": "tg-dic-hanoi-2", "visibility": "self"},
                           headers={**editor, "If-Match": etag_of(client, where, editor)})
    assert changed.status_code == 200, changed.json
    removed = client.delete(f"{where}/contacts/{ids[2]}", headers={**editor, "If-Match": etag_of(client, where, editor)})
    assert removed.status_code == 204
    read = client.get(f"{where}/contacts", headers=world.roles["secretariat"])
    assert {"Hidden-Desk@Example.org", "+84 24 3999 1234"} <= {c["value"] for c in read.json}
    assert client.get(f"{API}/networks/{world.vnsw.public_id}/members.csv",
                      headers=world.roles["secretariat"]).status_code == 200
    stored = stored_text(session.connection())
    for secret in (*SECRETS, "tg-dic-hanoi-2", "public@example.org", "self-only-handle", "+84 1 secretariat"):
        digits = "".join(ch for ch in secret if ch.isdigit())
        for form in {secret, secret.lower(), digits if len(digits) >= 8 else secret}:
            assert form not in stored, form


def test_the_same_contact_twice_is_a_conflict(client, world):
    where = f"{API}/organisations/{world.cbo.public_id}/contacts"
    editor = world.roles["own_editor"]
    first = client.post(where, headers=editor, json={"kind": "email", "value": "desk@example.org"})
    assert first.status_code == 201
    again = client.post(where, headers=editor, json={"kind": "email", "value": " DESK@example.org "})
    assert again.status_code == 409, again.json
    assert again.json["error"] == "conflict" and "value" in again.json["fields"]
    other_kind = client.post(where, headers=editor, json={"kind": "other", "value": "desk@example.org"})
    assert other_kind.status_code == 201


def test_a_change_opens_no_contact_the_caller_did_not_write(client, world):
    where = f"{API}/organisations/{world.cbo.public_id}"
    own = next(c for c in world.cbo.contacts if c.visibility == "self")
    secretariat = world.roles["secretariat"]
    changed = client.patch(f"{where}/contacts/{own.public_id}", json={"label": "shared phone"},
                           headers={**secretariat, "If-Match": etag_of(client, where, secretariat)})
    assert changed.status_code == 200, changed.json
    assert changed.json["label"] == "shared phone" and changed.json["value"] is None
    rewritten = client.patch(f"{where}/contacts/{own.public_id}", json={"value": " new-handle "},
                             headers={**secretariat, "If-Match": etag_of(client, where, secretariat)})
    assert rewritten.json["value"] == "new-handle"  # what the caller wrote, not a read


def test_a_value_moved_from_another_organisation_is_refused_plainly(client, world, session, caplog):
    from sqlalchemy import update

    from registry.organisations.models import Contact

    secret = next(c for c in world.cbo.contacts if c.visibility == "secretariat")
    fellow = client.post(f"{API}/organisations/{world.fellow.public_id}/contacts", headers=world.roles["secretariat"],
                         json={"kind": "phone", "value": "+84 9 fellow"})
    session.execute(update(Contact).where(Contact.public_id == fellow.json["id"]).values(sealed_value=secret.sealed_value))
    response = client.get(f"{API}/organisations/{world.fellow.public_id}/contacts", headers=world.roles["secretariat"])
    assert response.status_code == 500 and response.json["error"] == "internal_error"
    assert "contacts cannot be sealed or opened" in response.json["message"]
    key = session.scalar(select(Contact.id).where(Contact.public_id == fellow.json["id"]))  # the operator's log names rows
    assert f"contact {key} of organisation {world.fellow.id} does not open" in caplog.text
    assert "+84 1 secretariat" not in caplog.text + response.get_data(as_text=True)
