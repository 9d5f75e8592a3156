"""The member export as each caller reads it: rows and columns narrowed by registry.access.visibility."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.organisations import services as organisations
from registry.access.contact_reads import read_contacts
from registry.access.models import ContactRead
from registry.errors import NotFound
from registry.exchange.member_export import member_rows, to_csv, to_xlsx
from registry.exchange.member_import import import_members
from registry.exchange.spreadsheets import read_table
from registry.access.permissions import Actor
from tests.factories import SYSTEM, board, editor, secretariat


@pytest.fixture
def network(session, make_org, member_of):
    vnsw = make_org(name="Test network VN", acronym="TVN", kind="national_network", public_listing=True)
    listed = make_org(vnsw, name="Listed group", public_listing=True, areas_served=["KH-1201"],
                      published_fields=["priority_areas", "areas_served", "networks"],
                      drop_in_centres=1, sex_worker_involvement="run by sex workers")
    unlisted = make_org(vnsw, name="Unlisted group", public_listing=False, areas_served=["VN-HN"])
    for member in (listed, unlisted):
        member_of(vnsw, member)
    organisations.add_contact(session, SYSTEM, listed, kind="email", value="public@example.org",
                              visibility="public")
    organisations.add_contact(session, SYSTEM, listed, kind="email", value="office@example.org",
                              visibility="secretariat")
    organisations.add_contact(session, SYSTEM, listed, kind="email", value="own@example.org", visibility="self")
    session.flush()
    return vnsw, listed, unlisted


def test_anonymous_callers_get_listed_members_public_fields_and_provinces(session, network):
    vnsw, _, _ = network
    rows = member_rows(session, Actor.anonymous(), vnsw)
    assert [r["Name"] for r in rows] == ["Listed group"]
    assert rows[0]["Areas served"] == "KH-12"  # the khan rolled up to its province
    assert not {"Contact email", "Drop-in centres", "Member since", "Public listing",
                "How sex workers are involved"} & set(rows[0])
    header = next(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert "Contact email" not in header and "Drop-in centres" not in header


def test_anonymous_callers_get_only_what_each_member_published(session, network, make_org, member_of):
    vnsw, listed, _ = network
    quiet = make_org(vnsw, name="Quiet group", public_listing=True, sex_worker_led="yes", areas_served=["VN-HN"])
    member_of(vnsw, quiet)  # it does not publish that it belongs to VNSW
    organisations.update_profile(session, SYSTEM, listed, {"published_fields": ["networks"]})
    rows = member_rows(session, Actor.anonymous(), vnsw)
    assert rows == [{"Name": "Listed group", "Acronym": "", "Kind": "community_organisation", "Country": "VN",
                     "Registry id": listed.public_id}]
    assert {r["Name"] for r in member_rows(session, secretariat(vnsw), vnsw)} == {
        "Listed group", "Quiet group", "Unlisted group"}


def test_the_secretariat_gets_every_member_exact_areas_and_the_contacts_it_may_read(session, network):
    vnsw, listed, _ = network
    before = session.scalar(select(ContactRead.id).order_by(ContactRead.id.desc()))
    rows = {r["Name"]: r for r in member_rows(session, secretariat(vnsw), vnsw)}
    assert set(rows) == {"Listed group", "Unlisted group"}
    assert rows["Listed group"]["Areas served"] == "KH-1201" and rows["Listed group"]["Drop-in centres"] == "1"
    assert rows["Listed group"]["Contact email"] == "public@example.org; office@example.org"
    assert rows["Unlisted group"]["Public listing"] == "no" and rows["Unlisted group"]["Member since"]
    reads = session.scalars(select(ContactRead).where(ContactRead.organisation_id == listed.id)).all()
    assert reads and reads[-1].id != before  # reading the emails is logged


def test_another_networks_secretariat_reads_as_the_public(session, network, make_org):
    vnsw, _, _ = network
    wnu = make_org(name="Other network", acronym="ON", kind="national_network", country="KH")
    assert member_rows(session, secretariat(wnu), vnsw) == member_rows(session, Actor.anonymous(), vnsw)


def test_a_members_editor_reads_fellows_at_the_network_tier_and_its_own_row_in_full(session, network):
    vnsw, listed, unlisted = network
    rows = {r["Name"]: r for r in member_rows(session, editor(unlisted), vnsw)}
    assert set(rows) == {"Listed group", "Unlisted group"}
    fellow = rows["Listed group"]
    assert fellow["Drop-in centres"] == "1" and fellow["Areas served"] == "KH-12"
    assert "Contact email" not in fellow and "Member since" not in fellow
    assert "Contact email" in rows["Unlisted group"]


def test_the_board_sees_exact_areas_and_dates_but_no_contacts(session, network):
    vnsw, _, _ = network
    rows = member_rows(session, board(vnsw), vnsw)
    assert len(rows) == 2 and all("Member since" in r and "Contact email" not in r for r in rows)


def test_an_unlisted_network_does_not_exist_for_the_public(session, vnsw):
    with pytest.raises(NotFound):
        member_rows(session, Actor.anonymous(), vnsw)


def test_formula_cells_are_neutralised_in_every_callers_csv_and_xlsx(session, network, make_org, member_of):
    vnsw, _, _ = network
    member_of(vnsw, make_org(vnsw, name="@SUM(1+1)", acronym="=1+2", public_listing=True,
                             published_fields=["networks"]))
    for actor in (Actor.anonymous(), secretariat(vnsw)):
        rows = member_rows(session, actor, vnsw)
        text = to_csv(rows, hxl=True).decode()
        assert "'@SUM(1+1)" in text and "'=1+2" in text and "\n@SUM" not in text
        sheet = load_workbook(io.BytesIO(to_xlsx(rows)), read_only=True).worksheets[0]
        cells = {c for row in sheet.iter_rows(values_only=True) for c in row if c}
        assert "'@SUM(1+1)" in cells and "'=1+2" in cells and "=1+2" not in cells


@pytest.mark.parametrize("name", ["Nhóm \ufffe Sen", "Nhóm \uffff Sen", "Nhóm \x0b Sen", "Nhóm \x00 Sen"])
def test_a_workbook_replaces_what_xml_cannot_carry_and_keeps_the_rest(name):
    # openpyxl refuses some of these and writes others into XML no reader opens.
    workbook = to_xlsx([{"Name": name, "Acronym": "\ufdd0\x85\U0001fffe"}])
    with zipfile.ZipFile(io.BytesIO(workbook)) as parts:
        ElementTree.fromstring(parts.read("xl/worksheets/sheet1.xml"))
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).worksheets[0]
    assert list(sheet.iter_rows(min_row=2, values_only=True))[0][:2] == ("Nhóm \ufffd Sen", "\ufdd0\x85\U0001fffe")


def test_a_row_of_an_export_finds_its_organisation_by_id_after_a_rename(session, network):
    vnsw, listed, _ = network
    exported = member_rows(session, secretariat(vnsw), vnsw)
    for row in exported:
        if row["Name"] == "Listed group":
            row["Name"] = "Listed group, renamed"
    report = import_members(session, secretariat(vnsw), vnsw, read_table("members.csv", to_csv(exported)),
                            apply=True)
    assert report.counts()["created"] == 0 and report.counts()["updated"] == 1, report.rows
    assert listed.name == "Listed group, renamed"


def test_codes_have_their_names_beside_them_in_the_readers_language(session, network):
    vnsw, listed, unlisted = network
    rows = {row["Name"]: row for row in member_rows(session, secretariat(vnsw), vnsw, language="vi")}
    unlisted_row = rows["Unlisted group"]
    assert unlisted_row["Areas served"] == "VN-HN" and unlisted_row["Areas served (names)"] == "Hà Nội"
    header = next(csv.reader(io.StringIO(to_csv(list(rows.values()), bom=False).decode())))
    assert header.index("Areas served (names)") == header.index("Areas served") + 1


def test_the_columns_of_names_change_nothing_an_import_does_in_either_format(session, network):
    vnsw, _, _ = network
    exported = member_rows(session, secretariat(vnsw), vnsw, language="vi")
    without_names = [{header: cell for header, cell in row.items() if not header.endswith("(names)")}
                     for row in exported]
    for row in exported:
        row["Areas served (names)"] = "somewhere else entirely"

    def outcomes(filename, data):
        report = import_members(session, secretariat(vnsw), vnsw, read_table(filename, data), apply=False)
        assert report.warnings == []
        return [(r.name, r.outcome, r.messages) for r in report.rows]

    for filename, write in (("members.csv", to_csv), ("members.xlsx", to_xlsx)):
        assert outcomes(filename, write(exported)) == outcomes(filename, write(without_names))


def test_the_secretariats_own_export_reimports_as_unchanged_contacts_included(session, network):
    """A row's "Contact email" cell lists every email the reader may see, "a@x; b@y": the import
    reads each as one contact, so it neither adds a contact made of both nor reports a change."""
    vnsw, listed, _ = network
    before = sorted(c.value for c in read_contacts(session, SYSTEM, listed))
    exported = member_rows(session, secretariat(vnsw), vnsw)
    assert any("; " in row["Contact email"] for row in exported)
    for filename, write in (("members.csv", to_csv), ("members.xlsx", to_xlsx)):
        report = import_members(session, secretariat(vnsw), vnsw, read_table(filename, write(exported)), apply=True)
        assert [r.outcome for r in report.rows] == ["unchanged", "unchanged"], report.rows
    assert sorted(c.value for c in read_contacts(session, SYSTEM, listed)) == before
