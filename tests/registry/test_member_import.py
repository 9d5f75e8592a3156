"""Spreadsheet import and export of a network's members: round trip, mapping, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import memberships
from registry.errors import NotPermitted, ValidationFailed
from registry.member_export import member_rows, neutralise, to_csv, to_xlsx
from registry.member_import import MAX_BYTES, import_members, read_table
from registry.organisations import Organisation
from registry.permissions import Actor
from registry.summaries import network_summary
from seeds.load import LoadReport, load_all, load_sample
from tests.factories import SYSTEM, board, editor, secretariat


def count(session):
    return session.scalar(select(func.count()).select_from(Organisation))


def by_acronym(session, acronym):
    return session.scalars(select(Organisation).where(Organisation.acronym == acronym)).one()


def test_the_sample_vnsw_network_survives_export_and_reimport(session):
    load_all(session, SYSTEM, sample=False)
    vnsw = by_acronym(session, "VNSW")
    sample = session.begin_nested()
    load_sample(session, SYSTEM, LoadReport(), progress=lambda *a: None)
    exported = member_rows(session, secretariat(vnsw), vnsw)
    before = {on: network_summary(session, vnsw, on) for on in (dt.date(2012, 12, 31), None)}
    files = {"members.csv": to_csv(exported, hxl=True), "members.xlsx": to_xlsx(exported)}
    sample.rollback()  # the registry is empty of the sample again
    assert network_summary(session, vnsw).members == 0 and len(exported) == 32

    for filename, data in files.items():
        dry = import_members(session, secretariat(vnsw), vnsw, read_table(filename, data), apply=False)
        assert dry.counts() == {"created": 32, "updated": 0, "unchanged": 0, "error": 0}, dry.errors
        assert not dry.applied and network_summary(session, vnsw).members == 0
    report = import_members(session, secretariat(vnsw), vnsw, read_table("members.csv", files["members.csv"]),
                            apply=True)
    assert report.applied
    for on, summary in before.items():
        again = network_summary(session, vnsw, on)
        assert (again.members, again.areas, again.priority_areas) == (summary.members, summary.areas,
                                                                      summary.priority_areas)
    assert member_rows(session, secretariat(vnsw), vnsw) == exported
    same_again = import_members(session, secretariat(vnsw), vnsw,
                                read_table("members.xlsx", files["members.xlsx"]), apply=True)
    assert same_again.counts()["unchanged"] == 32


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_header_variants_labels_in_any_language_and_area_names(session, vnsw):
    data = csv_bytes(
        "Organisation name;Provinces;NSWP priority areas;Populations served;Public;Joined",
        "Nhóm Hoa Sen;TP. Hồ Chí Minh; Ha Noi;"
        "Vận động để mọi người được tiếp cận các dịch vụ y tế, bao gồm chăm sóc sức khỏe ban đầu, "
        "dịch vụ HIV và sức khỏe sinh sản, tình dục;Female sex workers;yes;2013-04-01",
    )
    # ";" separates columns here, so the area list uses "," within its cell.
    data = data.replace("TP. Hồ Chí Minh; Ha Noi".encode(), "TP. Hồ Chí Minh, Ha Noi".encode())
    report = import_members(session, secretariat(vnsw), vnsw, read_table("x.csv", data), apply=True)
    assert report.counts()["created"] == 1, report.rows
    cbo = session.scalars(select(Organisation).where(Organisation.name == "Nhóm Hoa Sen")).one()
    assert cbo.areas_served == ["VN-HN", "VN-SG"] and cbo.priority_areas == ["health"]
    assert cbo.populations == ["female-sex-workers"] and cbo.public_listing is True
    assert memberships.get_membership(session, vnsw, cbo).status_since == dt.date(2013, 4, 1)


def test_unknown_columns_are_reported_not_silently_used(session, vnsw):
    report = import_members(session, secretariat(vnsw), vnsw,
                            read_table("x.csv", csv_bytes("Name,Notes", "Group A,met in May")), apply=True)
    assert report.applied and report.warnings == ["column 'Notes' is not one the registry knows; it was ignored"]


class TestBadInputWritesNothing:
    @pytest.mark.parametrize(("filename", "data", "message"), [
        ("x.csv", "Name,Areas served\nNhóm é,VN-HN\n".encode("latin-1"), "not UTF-8"),
        ("x.csv", "Name\nA\n".encode("utf-16"), "UTF-16"),
        ("x.xlsx", b"PK\x03\x04 not really a workbook", "not an XLSX"),
        ("x.csv", b"", "empty"),
        ("x.csv", b"Name" + b"\n" + b"x" * (50 * 1024 * 1024), "limit is"),
    ])
    def test_files_that_cannot_be_read(self, filename, data, message):
        with pytest.raises(ValidationFailed, match=message):
            read_table(filename, data)

    def test_missing_name_column(self, session, vnsw):
        with pytest.raises(ValidationFailed, match="no Name column"):
            import_members(session, secretariat(vnsw), vnsw,
                           read_table("x.csv", csv_bytes("Acronym,Province", "A,VN-HN")), apply=True)

    def test_unknown_codes_and_duplicate_rows_fail_their_rows_and_keep_nothing(self, session, vnsw):
        before = count(session)
        data = csv_bytes("Name,Priority areas,Areas served,Drop-in centres",
                         "Good group,health,VN-HN,1",
                         "Bad code group,world peace,VN-HN,1",
                         "Bad area group,health,Atlantis,1",
                         "Bad number group,health,VN-HN,2.5",
                         "good GROUP,health,VN-HN,1")
        report = import_members(session, secretariat(vnsw), vnsw, read_table("x.csv", data), apply=True)
        outcomes = {r.name: (r.outcome, " ".join(r.messages)) for r in report.rows}
        assert outcomes["Good group"][0] == "created"
        assert "world peace" in outcomes["Bad code group"][1]
        assert "Atlantis" in outcomes["Bad area group"][1]
        assert "whole number" in outcomes["Bad number group"][1]
        assert "row 2" in outcomes["good GROUP"][1]
        assert not report.applied and count(session) == before


def test_spreadsheet_formulas_are_neutralised_on_export_and_restored_on_import(session, vnsw, make_org,
                                                                                member_of):
    member_of(vnsw, make_org(vnsw, name="=HYPERLINK(\"http://x\",\"click\")", website="https://example.org"))
    rows = member_rows(session, secretariat(vnsw), vnsw)
    exported = to_csv(rows).decode()
    assert "'=HYPERLINK" in exported and "\n=HYPERLINK" not in exported
    assert [neutralise(v) for v in ("+1", "-1", "@x", "ok")] == ["'+1", "'-1", "'@x", "ok"]
    table = read_table("x.csv", exported.encode())
    assert table.rows[0][1]["Name"].startswith("=HYPERLINK")


class TestWhoMay:
    def test_only_the_networks_secretariat_imports(self, session, vnsw, wnu, make_org):
        table = read_table("x.csv", csv_bytes("Name", "A"))
        for actor in (secretariat(wnu), editor(make_org(vnsw)), board(vnsw), Actor.anonymous()):
            with pytest.raises(NotPermitted):
                import_members(session, actor, vnsw, table, apply=False)
