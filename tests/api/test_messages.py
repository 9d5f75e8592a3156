"""Messages a person can act on, in their language: a refused field is named as the caller wrote
it and told what to send, one message per error; the registry's own refusals (places, page
bounds, spreadsheet warnings) and an election's rounds are said in Vietnamese and Khmer."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import i18n
from api.errors import in_reader_language
from registry.areas.place_names import AmbiguousPlace, Place, PlaceNames
from registry.db import check_page
from registry.errors import ValidationFailed
from registry.elections.models import ElectionPhase
from registry.elections.results import published_result
from tests.api.conftest import World, etag_of
from tests.api.test_elections_roles import at, election_at, nominated_by
# The app with the catalogs compiled before it reads them, as test_i18n makes it.
from tests.api.test_i18n import _translation, app, client  # noqa: F401
from tests.api.test_spreadsheets import post_file
from tests.factories import SYSTEM

API = "/api/v1"
LOCALES = ("vi", "km")


def said(locale: str, msgid: str, **params: object) -> str:
    return _translation(locale, msgid) % params if params else _translation(locale, msgid)


# -- B: 422s and 400s name the field as sent and say what to send ------------------------------

def test_a_refused_body_names_each_field_as_sent_and_what_to_send(client: FlaskClient, world: World) -> None:
    answer = client.post(f"{API}/organisations", headers=world.roles["secretariat"],
                         json={"kind": "community_organisation", "nmae": "Sample CBO 07", "drop_in_centres": "two"})
    assert answer.status_code == 422
    assert answer.json["fields"] == {"name": ["required: send a value for it"],
                                     "network_id": ["required: send a value for it"],
                                     "nmae": ["not a field this takes: leave it out, or check its spelling"],
                                     "drop_in_centres": ["send a whole number"]}
    # One message per error, each with its field: never two reasons run into one.
    assert answer.json["message"] == (
        "the request was refused: drop_in_centres: send a whole number; name: required: send a value for it; "
        "network_id: required: send a value for it; nmae: not a field this takes: leave it out, or check its spelling")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_refused_body_in_the_reader_s_language(client: FlaskClient, world: World, locale: str) -> None:
    answer = client.post(f"{API}/organisations", headers={**world.roles["secretariat"], "Accept-Language": locale},
                         json={"kind": "community_organisation", "network_id": world.vnsw.public_id, "seats": 3})
    assert answer.status_code == 422
    assert answer.json["fields"] == {"name": [said(locale, "required: send a value for it")],
                                     "seats": [said(locale, "not a field this takes: leave it out, or check its "
                                                            "spelling")]}


def test_a_domain_refusal_names_the_field_as_the_body_does(client: FlaskClient, world: World) -> None:
    answer = client.post(f"{API}/tokens", headers=world.roles["secretariat"],
                         json={"role": "secretariat", "scope_id": world.cbo.public_id, "label": "Sample laptop"})
    assert answer.status_code == 422
    assert list(answer.json["fields"]) == ["scope_id"] and answer.json["message"].startswith("scope_id: ")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_domain_s_field_messages_are_each_said_in_the_reader_s_language(
        client: FlaskClient, world: World, locale: str) -> None:
    answer = client.post(f"{API}/organisations", headers={**world.roles["secretariat"], "Accept-Language": locale},
                         json={"kind": "community_organisation", "network_id": world.vnsw.public_id,
                               "name": "Sample CBO 95", "website": "sample.example.org",
                               "areas_served": ["Atlantis", "Lemuria"], "populations": ["sailors"],
                               "founding_date": "2012-13"})
    assert answer.status_code == 422
    fields = answer.json["fields"]
    assert fields["populations"] == [said(locale, "unknown population code(s): %(codes)s; GET /vocabularies lists the "
                                                  "known ones", codes="sailors")]
    assert fields["website"] == [said(locale, "a web address starting with https:// or http://")]
    assert fields["founding_date"] == [said(locale, "%(value)s is not a calendar date: use YYYY, YYYY-MM or "
                                                    "YYYY-MM-DD", value="2012-13")]
    unknown = "no place called %(text)r is known: check the spelling, or write its code"
    assert fields["areas_served"] == [said(locale, unknown, text="Atlantis"), said(locale, unknown, text="Lemuria")]
    assert answer.json["message"].startswith(said(locale, "%(what)s was refused (%(reasons)s)", what=said(
        locale, "the profile"), reasons="")[:-1])


@pytest.mark.parametrize("locale", LOCALES)
def test_412_and_428_say_what_to_do_in_the_reader_s_language(client: FlaskClient, world: World, locale: str) -> None:
    url = f"{API}/organisations/{world.cbo.public_id}"
    headers = {**world.roles["own_editor"], "Accept-Language": locale}
    missing = client.patch(url, json={"acronym": "S7"}, headers=headers)
    assert missing.status_code == 428
    assert missing.json["message"] == said(locale, "send If-Match with the ETag from your last GET of this resource")
    etag = etag_of(client, url, world.roles["own_editor"])
    assert client.patch(url, json={"acronym": "S7"}, headers={**headers, "If-Match": etag}).status_code == 200
    stale = client.patch(url, json={"acronym": "S8"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json["message"] == said(locale, "someone changed this since you read it: GET it again for its new "
                                                 "ETag and send that in If-Match")


# -- C: the registry's own refusals, in Vietnamese and Khmer -----------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_an_ambiguous_place_names_its_candidates_in_the_reader_s_language(app: Flask, locale: str) -> None:
    battambang = {"km": "បាត់ដំបង"}  # the names the data has in the reader's language are said in it
    places = PlaceNames([Place("KH-2", "Battambang", 1, "KH", "KH", battambang), Place("KH", "Cambodia", 0, "KH"),
                         Place("KH-0203", "Battambang", 2, "KH", "KH-2", battambang)])
    with pytest.raises(AmbiguousPlace) as refused:
        places.resolve("Battambang")
    assert ("Battambang (province of Cambodia, KH-2) or Battambang (district of Battambang, KH-0203)"
            in refused.value.said)
    with app.test_request_context(headers={"Accept-Language": locale}):
        text = i18n.say(refused.value.said)
    name = battambang.get(locale, "Battambang")
    province = said(locale, "%(name)s (province of %(parent)s, %(code)s)", name=name, parent="Cambodia", code="KH-2")
    district = said(locale, "%(name)s (district of %(parent)s, %(code)s)", name=name, parent=name, code="KH-0203")
    choices = said(locale, "%(one)s or %(other)s", one=province, other=district)
    assert text == said(locale, "%(text)r could be %(choices)s: write the code", text="Battambang", choices=choices)
    assert "write the code" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_page_and_number_bounds_are_said_in_the_reader_s_language(client: FlaskClient, app: Flask, world: World,
                                                                   locale: str) -> None:
    answer = client.get(f"{API}/organisations", query_string={"page_size": 1000}, headers={"Accept-Language": locale})
    assert answer.status_code == 422
    assert answer.json["fields"] == {"page_size": [said(locale, "send a number from %(least)s to %(most)s",
                                                        least=1, most=100)]}
    with pytest.raises(ValidationFailed) as refused:  # the registry's own bound, for the pages and the CLI
        check_page(0, 10)
    with app.test_request_context(headers={"Accept-Language": locale}):
        message, fields = in_reader_language(refused.value)
    assert fields == {"page": [said(locale, "give a page number from 1 to %(most)s", most=10_000)]}
    too_long = client.post(f"{API}/organisations", data='{"drop_in_centres": 1' + "0" * 30 + "}",
                           content_type="application/json",
                           headers={**world.roles["secretariat"], "Accept-Language": locale})
    assert too_long.status_code == 400
    assert said(locale, "the JSON body holds an integer longer than %(most)s digits: no field takes one",
                most=20) in too_long.json["message"]


def import_sheet(client: FlaskClient, world: World, sheet: bytes, locale: str, *, dry_run: bool):
    return post_file(client, f"{API}/networks/{world.vnsw.public_id}/members/import", sheet, "members.csv",
                     query={"dry_run": str(dry_run).lower()},
                     headers={**world.roles["secretariat"], "Accept-Language": locale})


@pytest.mark.parametrize("locale", LOCALES)
def test_an_import_s_warnings_and_problems_in_the_reader_s_language(client: FlaskClient, world: World,
                                                                     locale: str) -> None:
    sheet = "Name,Areas served,Favourite colour\nSample CBO 96,Atlantis,blue\n".encode()
    answer = import_sheet(client, world, sheet, locale, dry_run=True)
    assert answer.status_code == 200, answer.json
    assert answer.json["warnings"] == [said(locale, "column %(header)r is not one the registry knows; it was "
                                                    "ignored: name it as the template does, or leave it out",
                                            header="Favourite colour")]
    unknown = said(locale, "no place called %(text)r is known: check the spelling, or write its code", text="Atlantis")
    assert answer.json["rows"][0]["messages"] == [f"Areas served: {unknown}"]
    applied = import_sheet(client, world, sheet, locale, dry_run=False)
    assert applied.status_code == 422 and applied.json["fields"] == {"row 2": [f"Areas served: {unknown}"]}
    assert applied.json["message"].startswith(said(
        locale, "the import (%(errors)s of %(rows)s rows have errors; nothing was kept)", errors=1, rows=1))


@pytest.mark.parametrize("locale", LOCALES)
def test_an_election_s_rounds_in_the_reader_s_language(client: FlaskClient, world: World, session, locale: str) -> None:
    election = election_at(session, world, ElectionPhase.CERTIFIED)
    english = client.get(at(world, election, "/result"), headers=world.roles["board"]).json["text"]
    text = client.get(at(world, election, "/result"), headers={**world.roles["board"], "Accept-Language": locale}
                      ).json["text"]
    assert "Stage 1: first preferences" in english and "Elected:" in english
    stage = said(locale, "Stage %(stage)s: %(action)s", stage=1, action=said(locale, "first preferences"))
    assert stage in text and said(locale, "Elected:") in text
    result = published_result(session, SYSTEM, election)
    assert said(locale, "Turnout: %(voted)s of %(roll)s organisations on the roll (%(share)s); quorum "
                        "%(quorum)s%%: met", voted=result.turnout, roll=result.roll, share="100.0%", quorum=0) in text
    assert "first preferences" not in text and "Turnout" not in text


# -- The refusals of elections and governing bodies, said where they are made -------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_a_ballot_choosing_a_candidate_twice_is_refused_in_the_reader_s_language(
        client: FlaskClient, world: World, session, locale: str) -> None:
    election = election_at(session, world, ElectionPhase.VOTING_OPEN)
    ana = nominated_by(election, world.cbo).public_id
    answer = client.post(at(world, election, "/ballots"),
                         headers={**world.roles["own_editor"], "Accept-Language": locale},
                         json={"organisation_id": world.cbo.public_id, "choices": {"open": [ana, ana]}})
    assert answer.status_code == 422
    reason = said(locale, "%(group)s: a candidate is chosen more than once", group="open")
    assert reason != "open: a candidate is chosen more than once"
    assert answer.json["fields"] == {"choices": [reason]} and answer.json["message"] == f"choices: {reason}"


@pytest.mark.parametrize("locale", LOCALES)
def test_nominating_when_nominations_are_closed_is_refused_in_the_reader_s_language(
        client: FlaskClient, world: World, session, locale: str) -> None:
    election = election_at(session, world, ElectionPhase.NOMINATIONS_CLOSED)
    answer = client.post(at(world, election, "/nominations"),
                         headers={**world.roles["own_editor"], "Accept-Language": locale},
                         json={"organisation_id": world.cbo.public_id, "name": "Chau"})
    assert answer.status_code == 409
    assert answer.json["message"] == said(locale, "nominations for %(title)s are not open (%(phase)s)",
                                          title="Board election", phase="nominations_closed")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_governing_body_s_seat_counts_out_of_range_are_refused_in_the_reader_s_language(
        client: FlaskClient, world: World, locale: str) -> None:
    answer = client.post(f"{API}/networks/{world.vnsw.public_id}/bodies",
                         headers={**world.roles["secretariat"], "Accept-Language": locale},
                         json={"kind": "board", "name": "Board", "seats": 2, "term_months": 24, "term_classes": 3,
                               "reserved_seats": {"Sex workers living with HIV": 3}})
    assert answer.status_code == 422
    classes, reserved = (said(locale, "a whole number from 1 to the number of seats"),
                         said(locale, "more reserved seats than seats"))
    assert classes != "a whole number from 1 to the number of seats"
    assert answer.json["fields"] == {"term_classes": [classes], "reserved_seats": [reserved]}
    assert answer.json["message"] == said(locale, "%(what)s was refused (%(reasons)s)",
                                          what=said(locale, "the governing body"),
                                          reasons=f"reserved_seats: {reserved}; term_classes: {classes}")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_answer_to_may_we_vote_is_in_the_reader_s_language(
        client: FlaskClient, world: World, session, locale: str) -> None:
    election = election_at(session, world, ElectionPhase.VOTING_OPEN)
    answer = client.get(at(world, election, f"/roll/{world.cbo.public_id}"),
                        headers={**world.roles["own_editor"], "Accept-Language": locale})
    assert answer.status_code == 200
    assert answer.json["reason"] == said(locale, "on the roll") != "on the roll"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_file_the_import_cannot_read_is_refused_in_the_reader_s_language(client: FlaskClient, world: World,
                                                                            locale: str) -> None:
    answer = import_sheet(client, world, "Name,Areas served\nSample CBO 97,\x07\n".encode(), locale, dry_run=True)
    assert answer.status_code == 422, answer.json
    where = said(locale, "row %(row)s, column %(column)s (%(header)s)", row=2, column="B", header="Areas served")
    assert answer.json["fields"] == {"file": [said(
        locale, "%(where)s holds a control character or an invalid code point (%(character)s), which no text in "
                "the registry may hold", where=where, character="U+0007")]}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_profile_s_own_rules_are_said_in_the_reader_s_language(client: FlaskClient, world: World,
                                                                  locale: str) -> None:
    answer = client.post(f"{API}/organisations", headers={**world.roles["secretariat"], "Accept-Language": locale},
                         json={"kind": "community_organisation", "network_id": world.vnsw.public_id,
                               "name": "Sample CBO 98"})
    assert answer.status_code == 422
    reason = said(locale, "community organisations and national networks need a country")
    assert reason != "community organisations and national networks need a country"
    assert answer.json["fields"] == {"country": [reason]}
