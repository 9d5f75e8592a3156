"""Spreadsheets through the API: the template, importing (dry run, all-or-nothing, bad files)
and the CSV/XLSX exports as each caller reads them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from registry.exchange.member_export import BOM
from registry.exchange.spreadsheets import COLUMNS
from registry.organisations.models import Organisation
from registry.networks.summaries import network_summary
from seeds.load import LoadReport, load_all, load_sample
from tests.factories import SYSTEM
from tests.hostile import HOSTILE_SPREADSHEETS, billion_laughs, row_counts

API = "/api/v1"


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.data.startswith(BOM.encode()), "Excel would read the file in a legacy code page"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def export(client, world, role, **query):
    return csv_rows(client.get(f"{API}/networks/{world.vnsw.public_id}/members.csv", query_string=query,
                               headers=world.roles[role]))


def by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def upload(client, world, data: bytes, filename: str = "members.csv", *, role: str = "secretariat",
           dry_run: bool | None = None, network=None):
    query = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    return post_file(client, f"{API}/networks/{(network or world.vnsw).public_id}/members/import", data, filename,
                     query=query, headers=world.roles[role])


def post_file(client, url: str, data: bytes, filename: str, *, query: dict[str, str], headers: dict[str, str]):
    # Encoded here, in memory: the test client would spool a large body to a temporary file
    # that it never closes when the request is refused unread.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(url, query_string=query, data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Organisation))


class TestExportsAsEachCallerSeesThem:
    def test_anonymous_callers_get_public_fields_provinces_and_no_contacts(self, client, world):
        rows = export(client, world, "anonymous")
        assert "Contact email" not in rows[0] and "Drop-in centres" not in rows[0] and "Member since" not in rows[0]
        assert set(by_name(rows)) == {"Nhóm Hà Nội", "Nhóm Hải Phòng"}
        assert "public@example.org" not in str(rows)

    def test_the_secretariat_gets_its_members_with_the_contacts_it_may_read(self, client, world):
        rows = by_name(export(client, world, "secretariat"))
        assert set(rows) == {"Nhóm Hà Nội", "Nhóm Hải Phòng"}
        cbo = rows["Nhóm Hà Nội"]
        assert cbo["Contact email"] == "public@example.org" and cbo["Drop-in centres"] == "2"
        assert cbo["How sex workers are involved"] == "run by sex workers" and cbo["Member since"]

    def test_another_networks_secretariat_gets_what_the_public_gets(self, client, world):
        assert export(client, world, "other_secretariat") == export(client, world, "anonymous")

    def test_an_editor_reads_its_fellows_at_the_network_tier_without_their_contacts(self, client, world):
        rows = by_name(export(client, world, "other_editor"))
        cbo = rows["Nhóm Hà Nội"]
        assert cbo["Drop-in centres"] == "2" and cbo["Contact email"] == "" and cbo["Member since"] == ""
        own = by_name(export(client, world, "own_editor"))["Nhóm Hà Nội"]
        assert own["Contact email"] == "public@example.org" and own["Member since"]

    def test_unlisted_members_are_left_out_for_the_public_and_kept_for_the_secretariat(
            self, client, world, make_org, member_of):
        member_of(world.vnsw, make_org(world.vnsw, name="Nhóm kín", public_listing=False))
        assert "Nhóm kín" not in by_name(export(client, world, "anonymous"))
        assert "Nhóm kín" in by_name(export(client, world, "secretariat"))

    def test_an_unlisted_network_is_not_found_for_the_public(self, client, world, make_org):
        hidden = make_org(name="Hidden network", kind="national_network", public_listing=False)
        response = client.get(f"{API}/networks/{hidden.public_id}/members.csv")
        assert response.status_code == 404 and response.json["error"] == "not_found"

    def test_hxl_row_and_xlsx(self, client, world):
        rows = export(client, world, "anonymous", hxl="true")
        assert rows[1][0] == "#org+name" and len(rows) == 4
        response = client.get(f"{API}/networks/{world.vnsw.public_id}/members.xlsx", headers=world.roles["secretariat"])
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert values[0][-2:] == ["Contact email", "Registry id"] and len(values) == 3
        assert {row[-1] for row in values[1:]} == {world.cbo.public_id, world.fellow.public_id}

    def test_formula_cells_are_neutralised(self, client, world, make_org, member_of):
        member_of(world.vnsw, make_org(world.vnsw, name="=cmd|' /C calc'!A0", acronym="+1", public_listing=True,
                                       published_fields=["networks"]))
        text = client.get(f"{API}/networks/{world.vnsw.public_id}/members.csv").get_data(as_text=True)
        assert "'=cmd" in text and ",'+1," in text and "\n=cmd" not in text


# What names stored before the registry refused these characters may hold: noncharacters and
# controls XML 1.0 forbids (PostgreSQL never stored a NUL).
OLD_NAME = "Nhóm \ufffe\uffff\x01\x0b\x1f\ufdd0\U0001fffe\x85 Sen"


def open_strictly(workbook: bytes) -> list[list[object]]:
    """The first sheet's cells, once every XML part has passed a strict XML parser too."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as parts:
        for name in parts.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(parts.read(name))  # raises on a character XML forbids
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("role", ["anonymous", "secretariat"])
def test_exports_of_names_stored_before_the_rule_open_in_any_reader(client, world, session, role):
    session.execute(update(Organisation).where(Organisation.id == world.cbo.id)
                    .values(name=OLD_NAME, acronym="\ufffe\x01"))
    session.flush()
    base = f"{API}/networks/{world.vnsw.public_id}/members"
    workbook = client.get(f"{base}.xlsx", headers=world.roles[role])
    assert workbook.status_code == 200, workbook.get_data(as_text=True)
    cells = [cell for row in open_strictly(workbook.data) for cell in row]
    assert "Nhóm \ufffd\ufffd\ufffd\ufffd\ufffd\ufdd0\U0001fffe\x85 Sen" in cells and "\ufffd\ufffd" in cells
    names = [row["Name"] for row in csv.DictReader(io.StringIO(
        client.get(f"{base}.csv", headers=world.roles[role]).data.decode("utf-8-sig")))]
    assert OLD_NAME in names
    popolo = client.get(f"{API}/networks/{world.vnsw.public_id}/popolo.json", headers=world.roles[role])
    assert OLD_NAME in {o["name"] for o in json.loads(popolo.get_data(as_text=True))["organizations"]}


def test_csv_without_a_byte_order_mark_for_other_tools(client, world):
    """Both files start with a byte-order mark unless asked for plain UTF-8; the import reads both."""
    for url in (f"{API}/networks/{world.vnsw.public_id}/members.csv", f"{API}/member-template.csv"):
        plain = client.get(url, query_string={"bom": "false"}, headers=world.roles["secretariat"])
        assert plain.status_code == 200 and not plain.data.startswith(BOM.encode())
        marked = client.get(url, headers=world.roles["secretariat"])
        assert marked.data == BOM.encode() + plain.data
    exported = client.get(f"{API}/networks/{world.vnsw.public_id}/members.csv", headers=world.roles["secretariat"]).data
    again = upload(client, world, exported, dry_run=True)
    assert again.status_code == 200 and set(again.json["counts"]) >= {"unchanged"}
    assert again.json["counts"]["unchanged"] == 2 and again.json["counts"]["error"] == 0, again.json


class TestNamesBesideCodes:
    """A person reading an export sees names beside the codes, in their language; the import reads
    the codes and passes over the names, whatever language the export was written in."""

    def test_an_export_in_vietnamese_names_areas_and_priority_areas(self, client, world):
        rows = export(client, world, "secretariat", hxl="true")
        assert rows[0][rows[0].index("Areas served") + 1] == "Areas served (names)"
        assert rows[1][rows[0].index("Areas served (names)")] == "#adm1+name+list"
        vietnamese = csv_rows(client.get(f"{API}/networks/{world.vnsw.public_id}/members.csv",
                                         headers={**world.roles["secretariat"], "Accept-Language": "vi"}))
        cbo = by_name(vietnamese)["Nhóm Hà Nội"]
        assert cbo["Khu vực hoạt động"] == "VN-HN" and cbo["Khu vực hoạt động (tên)"] == "Hà Nội"
        assert cbo["Lĩnh vực ưu tiên"] == "health"
        assert cbo["Lĩnh vực ưu tiên (tên)"].startswith("Vận động để mọi người được tiếp cận các dịch vụ y tế")

    @pytest.mark.parametrize("language", ["vi", "km", "en"])
    def test_an_export_in_any_language_reimports_as_unchanged_in_both_formats(self, client, world, language):
        for suffix in ("csv", "xlsx"):
            exported = client.get(f"{API}/networks/{world.vnsw.public_id}/members.{suffix}",
                                  headers={**world.roles["secretariat"], "Accept-Language": language})
            again = upload(client, world, exported.data, f"members.{suffix}", dry_run=False)
            assert again.status_code == 200, again.json
            assert again.json["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "error": 0}, again.json
            assert again.json["warnings"] == []

    def test_the_template_has_a_sheet_of_allowed_values_in_the_readers_language(self, client, world):
        response = client.get(f"{API}/member-template.xlsx", query_string={"network": world.vnsw.public_id},
                              headers={"Accept-Language": "vi"})
        assert response.status_code == 200, response.get_data(as_text=True)
        workbook = load_workbook(io.BytesIO(response.data), read_only=True)
        assert workbook.sheetnames == ["members", "help", "values"]
        header, *values = [tuple(row) for row in workbook["values"].iter_rows(values_only=True)]
        assert header == ("Cột", "Giá trị", "Ý nghĩa")
        assert ("Khu vực hoạt động", "VN-HN", "Hà Nội") in values
        assert not any(code.startswith("KH-") for _, code, _ in values)  # the network's country only
        assert ("Nhóm đối tượng", "female-sex-workers", "Phụ nữ bán dâm") in values
        assert {code for _, code, _ in values} >= {"yes", "partly", "no"}
        # Every value the sheet offers imports.
        row = {column: code for column, code, _ in values}
        sheet = "\n".join([",".join(["Tên", *row]), ",".join(["Nhóm Mới", *row.values()])])
        dry = upload(client, world, sheet.encode(), dry_run=True)
        assert dry.json["counts"]["created"] == 1, dry.json

    def test_without_a_network_the_template_lists_the_core_vocabularies(self, client, world):
        workbook = load_workbook(io.BytesIO(client.get(f"{API}/member-template.xlsx").data), read_only=True)
        values = [tuple(row) for row in workbook["values"].iter_rows(min_row=2, values_only=True)]
        assert ("Priority areas", "health", "Advocate for universal access to health services, including primary "
                "health care, HIV and sexual and reproductive health services") in values
        assert not any(column == "Areas served" for column, _, _ in values)

    def test_an_unlisted_network_is_not_found_for_the_template(self, client, make_org):
        hidden = make_org(name="Hidden network", kind="national_network", public_listing=False)
        response = client.get(f"{API}/member-template.xlsx", query_string={"network": hidden.public_id})
        assert response.status_code == 404


class TestTemplate:
    def test_the_template_documents_every_column_and_imports_as_nothing(self, client, world):
        rows = csv_rows(client.get(f"{API}/member-template.csv"))
        assert rows[0] == [c.header for c in COLUMNS]
        assert rows[1][0].startswith("#") and rows[1][1:] == [c.help for c in COLUMNS[1:]]
        workbook = client.get(f"{API}/member-template.xlsx")
        assert workbook.status_code == 200
        help_sheet = load_workbook(io.BytesIO(workbook.data), read_only=True)["help"]
        assert [r[0] for r in help_sheet.iter_rows(min_row=2, max_row=len(COLUMNS) + 1, values_only=True)] == \
            [c.header for c in COLUMNS]
        for data, name in ((client.get(f"{API}/member-template.csv").data, "t.csv"), (workbook.data, "t.xlsx")):
            report = upload(client, world, data, name, dry_run=False)
            assert report.status_code == 200 and report.json["rows"] == [], report.json


GOOD = "Name,Priority areas,Areas served\nNhóm Sen,health,VN-HN\nNhóm Cúc,health,Hà Nội\n".encode()


class TestImport:
    def test_a_dry_run_is_the_default_and_writes_nothing(self, client, world, session):
        before = count(session)
        response = upload(client, world, GOOD)
        assert response.status_code == 200, response.json
        assert response.json["applied"] is False
        assert response.json["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "error": 0}
        assert count(session) == before

    def test_applying_keeps_every_row_and_reports_unchanged_rows_the_second_time(self, client, world, session):
        before = count(session)
        response = upload(client, world, GOOD, dry_run=False)
        assert response.status_code == 200 and response.json["applied"] is True
        assert count(session) == before + 2
        again = upload(client, world, GOOD, dry_run=False)
        assert again.json["counts"]["unchanged"] == 2

    @pytest.mark.parametrize("role", ["other_secretariat", "own_editor", "board", "anonymous"])
    def test_only_the_networks_secretariat_imports(self, client, world, role, session):
        before = count(session)
        response = upload(client, world, GOOD, role=role, dry_run=False)
        assert response.status_code == (401 if role == "anonymous" else 403), response.json
        assert set(response.json) >= {"status", "error", "message"} and count(session) == before


class TestBadInput:
    """Each refused with the one error shape, and nothing written."""

    def refused(self, response, status=422):
        assert response.status_code == status, response.get_data(as_text=True)
        assert set(response.json) >= {"status", "error", "message"} and response.json["status"] == status
        return response.json

    def test_wrong_encoding(self, client, world, session):
        before = count(session)
        body = self.refused(upload(client, world, "Name\nNhóm é\n".encode("latin-1"), dry_run=False))
        assert "not UTF-8" in body["fields"]["file"][0] and count(session) == before
        assert "UTF-16" in self.refused(upload(client, world, "Name\nA\n".encode("utf-16")))["message"]

    def test_missing_columns(self, client, world):
        body = self.refused(upload(client, world, b"Acronym,Province\nA,VN-HN\n"))
        assert "no Name column" in body["fields"]["columns"][0]

    def test_unknown_codes_fail_the_whole_import_with_the_report(self, client, world, session):
        before = count(session)
        data = "Name,Priority areas,Areas served\nGood,health,VN-HN\nBad,world peace,Atlantis\n".encode()
        dry = upload(client, world, data)
        assert dry.status_code == 200 and dry.json["counts"]["error"] == 1
        bad = next(r for r in dry.json["rows"] if r["outcome"] == "error")
        assert bad["row"] == 3 and "world peace" in " ".join(bad["messages"])
        body = self.refused(upload(client, world, data, dry_run=False))
        assert "world peace" in " ".join(body["fields"]["row 3"]) and "Atlantis" in " ".join(body["fields"]["row 3"])
        assert "nothing was kept" in body["message"] and count(session) == before

    def test_duplicate_rows(self, client, world, session):
        before = count(session)
        body = self.refused(upload(client, world, b"Name\nGroup A\ngroup a\n", dry_run=False))
        assert body["fields"] == {"row 3": ["the same organisation as row 2"]} and count(session) == before

    def test_a_50_mb_upload_is_refused_before_it_is_read(self, client, world, session):
        before = count(session)
        data = b"Name\n" + b"x" * (50 * 1024 * 1024)
        body = self.refused(upload(client, world, data, dry_run=False), status=413)
        assert body["error"] == "payload_too_large" and count(session) == before

    def test_a_file_that_is_not_a_workbook(self, client, world):
        body = self.refused(upload(client, world, b"PK\x03\x04 not a workbook", "members.xlsx"))
        assert "not an XLSX" in body["message"]

    @pytest.mark.parametrize("dry_run", [True, False])
    @pytest.mark.parametrize("attack", HOSTILE_SPREADSHEETS)
    def test_a_hostile_file_is_refused_as_a_whole_and_writes_nothing(self, client, world, session, attack,
                                                                     dry_run):
        filename, make, words = HOSTILE_SPREADSHEETS[attack]
        before = row_counts(session)
        body = self.refused(upload(client, world, make(), filename, dry_run=dry_run))
        assert words in body["fields"]["file"][0] and words in body["message"]
        assert row_counts(session) == before

    @pytest.mark.parametrize("role", ["own_editor", "board", "other_secretariat"])
    def test_a_file_is_not_read_for_a_caller_who_may_not_import(self, client, world, session, role):
        # A file nobody could read is refused for not being the caller's to import, as a good one is.
        before = row_counts(session)
        body = self.refused(upload(client, world, billion_laughs(), "members.xlsx", role=role), status=403)
        assert "file" not in body.get("fields", {}) and row_counts(session) == before

    def test_no_file(self, client, world):
        response = client.post(f"{API}/networks/{world.vnsw.public_id}/members/import", data={},
                               headers=world.roles["secretariat"], content_type="multipart/form-data")
        assert "file" in self.refused(response)["fields"]


def test_the_sample_vnsw_network_survives_export_and_reimport_through_the_api(client, session, bearer):
    load_all(session, SYSTEM, sample=False)
    vnsw = session.scalars(select(Organisation).where(Organisation.acronym == "VNSW")).one()
    headers = bearer("secretariat", vnsw)
    sample = session.begin_nested()
    load_sample(session, SYSTEM, LoadReport(), progress=lambda *a: None)
    before = {on: network_summary(session, vnsw, on) for on in (dt.date(2012, 12, 31), None)}
    exported = {suffix: client.get(f"{API}/networks/{vnsw.public_id}/members.{suffix}", headers=headers,
                                   query_string={"hxl": "true"} if suffix == "csv" else {})
                for suffix in ("csv", "xlsx")}
    assert all(r.status_code == 200 for r in exported.values())
    assert len(csv_rows(exported["csv"])) == 2 + 32
    sample.rollback()  # the registry is empty of the sample again
    assert network_summary(session, vnsw).members == 0

    def send(suffix, dry_run):
        return post_file(client, f"{API}/networks/{vnsw.public_id}/members/import", exported[suffix].data,
                         f"members.{suffix}", query={"dry_run": str(dry_run).lower()}, headers=headers)

    assert "Areas served (names)" in csv_rows(exported["csv"])[0]
    for suffix in ("csv", "xlsx"):
        dry = send(suffix, True)
        assert dry.json["counts"] == {"created": 32, "updated": 0, "unchanged": 0, "error": 0}, dry.json
        assert dry.json["warnings"] == []  # the columns of names are the export's own
    assert network_summary(session, vnsw).members == 0
    applied = send("csv", False)
    assert applied.status_code == 200 and applied.json["applied"] is True
    for on, summary in before.items():
        again = network_summary(session, vnsw, on)
        assert (again.members, again.areas, again.priority_areas) == (summary.members, summary.areas,
                                                                      summary.priority_areas)
    again = csv_rows(client.get(f"{API}/networks/{vnsw.public_id}/members.csv", headers=headers,
                                query_string={"hxl": "true"}))
    before_rows = csv_rows(exported["csv"])
    id_column = before_rows[0].index("Registry id")
    # The same rows, each with the public id of the organisation registered anew (never reused).
    assert [row.pop(id_column) for row in again[:2]] == [row.pop(id_column) for row in before_rows[:2]]
    assert not {row.pop(id_column) for row in again[2:]} & {row.pop(id_column) for row in before_rows[2:]}
    assert again == before_rows
    assert send("xlsx", False).json["counts"]["unchanged"] == 32


class TestOpenFormatsAsEachCallerSeesThem:
    def popolo(self, client, world, role):
        response = client.get(f"{API}/networks/{world.vnsw.public_id}/popolo.json", headers=world.roles[role])
        assert response.status_code == 200, response.json
        return response.json

    def test_popolo_members_and_start_dates_by_caller(self, client, world, make_org, member_of):
        member_of(world.vnsw, make_org(world.vnsw, name="Nhóm kín", public_listing=False))
        names = {role: {o["name"] for o in self.popolo(client, world, role)["organizations"]}
                 for role in ("anonymous", "other_secretariat", "secretariat", "other_editor")}
        assert "Nhóm kín" not in names["anonymous"] and names["other_secretariat"] == names["anonymous"]
        assert "Nhóm kín" in names["secretariat"] and "Nhóm kín" in names["other_editor"]
        public = self.popolo(client, world, "anonymous")
        assert not any("start_date" in m for m in public["memberships"])
        assert all("drop_in_centres" not in o for o in public["organizations"])
        internal = self.popolo(client, world, "secretariat")
        assert all("start_date" in m for m in internal["memberships"])
        editor_view = self.popolo(client, world, "own_editor")
        dated = [m["member"]["id"] for m in editor_view["memberships"] if "start_date" in m]
        assert dated == [f"organization-{world.cbo.public_id}"]
        for document in (public, internal, editor_view):
            assert "example.org" not in str(document) and "self-only-handle" not in str(document)

    def test_geojson_public_callers_get_the_public_coverage(self, client, world, make_org, member_of):
        member_of(world.vnsw, make_org(world.vnsw, name="Nhóm kín", public_listing=False, areas_served=["VN-HN"]))
        def geojson(role):
            response = client.get(f"{API}/networks/{world.vnsw.public_id}/coverage.geojson", headers=world.roles[role])
            assert response.status_code == 200, response.json
            return response.json

        for role in ("anonymous", "other_secretariat", "own_editor"):
            document = geojson(role)
            assert document["public"] is True
            assert all("organisations" not in f["properties"] for f in document["features"])
            # The listed view counts the two listed members, exactly; the unlisted one not at all.
            assert (document["view"], document["not_on_map"]) == ("listed", 2)
        # The test gazetteer has no shapes, so the internal view counts every member "not on the map".
        internal = geojson("secretariat")
        assert internal["public"] is False and internal["not_on_map"] == 3


def test_an_import_writes_the_audit_entries_the_same_changes_through_the_api_write(client, world, session):
    from registry.access.models import AuditEntry

    secretariat, network = world.roles["secretariat"], world.vnsw
    since = session.scalar(select(func.max(AuditEntry.id)))
    reason = "imported from the network's spreadsheet"
    imported = upload(client, world, "Name,Priority areas,Areas served,Member since,Contact email\n"
                                     "Nhóm Sen,health,VN-HN,2015-01-01,sen@example.org\n".encode(), dry_run=False)
    assert imported.json["applied"] is True, imported.json
    registered = client.post(f"{API}/organisations", headers=secretariat, json={
        "network_id": network.public_id, "kind": "community_organisation", "name": "Nhóm Cúc", "country": "VN",
        "priority_areas": ["health"], "areas_served": ["VN-HN"]})
    assert registered.status_code == 201, registered.json
    by_hand = registered.json["id"]
    members = f"{API}/networks/{network.public_id}/members"
    applied = client.post(members, headers=secretariat,
                          json={"organisation_id": by_hand, "on": "2015-01-01", "reason": reason})
    assert applied.status_code == 201, applied.json
    tag = applied.headers["ETag"]
    for action in ("verify", "admit"):
        decided = client.patch(f"{members}/{by_hand}", headers={**secretariat, "If-Match": tag},
                               json={"action": action, "on": "2015-01-01", "reason": reason})
        assert decided.status_code == 200, decided.json
        tag = decided.headers["ETag"]
    contact = client.post(f"{API}/organisations/{by_hand}/contacts", headers=secretariat,
                          json={"kind": "email", "value": "cuc@example.org"})
    assert contact.status_code == 201, contact.json

    session.expire_all()
    entries = session.scalars(select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)).all()
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({e.organisation_id for e in entries}))).all())

    def written_for(name: str) -> list[tuple]:
        return [(e.actor, e.actor_role, e.action, e.object_type, {k: v for k, v in e.changes.items() if k != "name"})
                for e in entries if names.get(e.organisation_id) == name]

    assert [e[2] for e in written_for("Nhóm Sen")] == [
        "register_organisation", "membership_apply", "membership_verify", "membership_admit", "add_contact"]
    assert written_for("Nhóm Sen") == written_for("Nhóm Cúc")
