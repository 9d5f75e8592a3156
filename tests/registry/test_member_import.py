"""Spreadsheet import and export of a network's members: round trip, mapping, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from registry.memberships import services as memberships
from registry.errors import NotPermitted, ValidationFailed
from registry.exchange.member_export import member_rows, neutralise, to_csv, to_xlsx
from registry.exchange.spreadsheets import MAX_BYTES, MAX_ROWS, read_table
from registry.exchange.member_import import MAX_REGISTERED_ROWS, import_file, import_members
from registry.organisations.models import Organisation
from registry.access.sealing import open_contacts
from registry.access.permissions import Actor
from registry.networks.summaries import network_summary
from seeds.load import LoadReport, load_all, load_sample
from tests.factories import SYSTEM, board, editor, secretariat
from tests.hostile import HOSTILE_SPREADSHEETS, billion_laughs, row_counts, workbook_of


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
    # The same rows, each with the id of the organisation it registered anew.
    again = member_rows(session, secretariat(vnsw), vnsw)
    assert [row.pop("Registry id") != old.pop("Registry id") for row, old in zip(again, exported, strict=True)] \
        == [True] * 32
    assert again == exported
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


def test_khmer_place_names_as_written_and_ambiguous_names_named(session):
    """WNU's secretariat writes its khans in Khmer with "ខណ្ឌ" (khan) and no space, or in a
    romanisation the data does not use; a name that fits two places says which they are."""
    load_all(session, SYSTEM, sample=False)
    wnu = by_acronym(session, "WNU")
    data = csv_bytes("Name,Areas served",
                     "Sample khan group A,ខណ្ឌចំការមន",
                     "Sample khan group B,Khan Daun Penh")
    report = import_members(session, secretariat(wnu), wnu, read_table("x.csv", data), apply=True)
    assert report.counts()["created"] == 2, report.rows
    served = {o.name: o.areas_served for o in session.scalars(
        select(Organisation).where(Organisation.name.like("Sample khan group %")))}
    assert served == {"Sample khan group A": ["KH-1201"], "Sample khan group B": ["KH-1202"]}

    unknown = import_members(session, secretariat(wnu), wnu,
                             read_table("x.csv", csv_bytes("Name,Areas served", "Sample khan group C,Nowhere")),
                             apply=False)
    assert unknown.rows[0].messages == ["Areas served: no place called 'Nowhere' is known: check the spelling, or "
                                        "write its code"]


def test_unknown_columns_are_reported_not_silently_used(session, vnsw):
    report = import_members(session, secretariat(vnsw), vnsw,
                            read_table("x.csv", csv_bytes("Name,Notes", "Group A,met in May")), apply=True)
    assert report.applied and report.warnings == ["column 'Notes' is not one the registry knows; it was ignored: "
                                                  "name it as the template does, or leave it out"]


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


class TestWrittenTogetherAsOneByOne:
    """An import goes through the service functions inside one transaction, each service once for
    all the rows it concerns: the registry must end up exactly as if each row had gone through
    the service functions one at a time, audit log included, each organisation's entries in the
    same order. (The log interleaves organisations by service rather than by row, and a
    membership's version counts its flushes, fewer when its moves are written together.)"""

    FILE = csv_bytes(
        "Name,Acronym,Areas served,Priority areas,Populations served,Services,Languages,Drop-in centres,"
        "Founded,Public,Member since,Contact email",
        "Nhóm Hoa Sen,NHS,Hà Nội,health; stigma,Female sex workers,,vi; en,2,2009,yes,2013-04-01,hoasen@example.org",
        "Existing renamed,,VN-SG,violence,,,,,,no,2014-01-01,",
        "Existing verified,,VN-HN,health,,,,,,no,2015-06-01,again@example.org",
        "Existing applied,,VN-HP,health,,,,,,no,2016-01-01,",
        "Existing unchanged,,VN-HN,health,,,,,,no,,",
        "Registered never joined,,VN-HN,,,,,,,no,2017-01-01,",
        "Nhóm Cúc,,Hải Phòng,,,,,,,,2018-01-01,",
        "Nhóm Mai,,VN-SG,violence,,,,0,2010-05,no,,mai@example.org",
    )

    @pytest.fixture
    def network(self, session, vnsw, make_org, member_of):
        renamed = make_org(vnsw, name="EXISTING RENAMED", areas_served=["VN-HN"])
        member_of(vnsw, renamed, on=dt.date(2012, 1, 1))
        verified = make_org(vnsw, name="Existing verified", areas_served=["VN-HN"], priority_areas=["health"])
        memberships.apply(session, SYSTEM, vnsw, verified, on=dt.date(2012, 1, 1))
        memberships.verify(session, SYSTEM, vnsw, verified, on=dt.date(2012, 2, 1))
        applied = make_org(vnsw, name="Existing applied", areas_served=["VN-HP"], priority_areas=["health"])
        memberships.apply(session, SYSTEM, vnsw, applied, on=dt.date(2012, 1, 1))
        unchanged = make_org(vnsw, name="Existing unchanged", areas_served=["VN-HN"], priority_areas=["health"])
        member_of(vnsw, unchanged, on=dt.date(2012, 1, 1))
        make_org(vnsw, name="Registered never joined", areas_served=["VN-HN"])
        session.flush()
        return vnsw

    def one_by_one(self, session, actor, network, table):
        """The import as it wrote before batches: every row through the service functions."""
        from registry.organisations import services as organisations
        from registry.exchange.member_import import _Lookups, _map_headers, _path_to_active
        from registry.names import fold

        fields, _ = _map_headers(table.headers)
        lookups = _Lookups(session, network)
        for _number, cells in table.rows:
            profile, since, emails = lookups.convert({fields[h]: v for h, v in cells.items() if h in fields})
            member = session.scalars(select(Organisation).where(
                Organisation.name_key == fold(profile["name"]), Organisation.registered_by_id == network.id)).first()
            kind = profile.pop("kind", "community_organisation")
            if member is None:
                member = organisations.register_organisation(session, actor, network=network, kind=kind, **profile)
            else:
                organisations.update_profile(session, actor, member, profile)
            membership = memberships.get_membership(session, network, member)
            if membership is None or membership.status is not memberships.MembershipStatus.ACTIVE:
                for action in _path_to_active(membership.status if membership else None):
                    memberships.transition(session, actor, network, member, action, on=since,
                                           reason="imported from the network's spreadsheet")
            for email in emails:
                if not organisations.has_contact(session, member, "email", email):
                    organisations.add_contact(session, actor, member, kind="email", value=email)
        session.flush()

    def snapshot(self, session, network, since_entry):
        from registry.access.models import AuditEntry
        from registry.organisations.models import Contact
        from registry.access.sealing import open_contacts

        session.expire_all()
        organisations = session.scalars(select(Organisation).where(Organisation.registered_by_id == network.id)
                                        .order_by(Organisation.id)).all()
        names = {o.id: o.name for o in organisations}
        # Ids differ between the two runs on PostgreSQL (sequences do not roll back); they are
        # compared through the names they stand for. A contact is sealed with a random nonce, and
        # its blind index names its organisation's id: it is compared opened. Public ids are random.
        unstable = ("id", "public_id", "created_at", "updated_at", "recorded_at", "at", "membership_id", "member_id",
                    "object_id", "organisation_id", "sealed_value", "value_index")

        def columns(row):
            values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in unstable}
            if isinstance(row, memberships.Membership):
                values.pop("version")  # counts the flushes that wrote it
            assert all(getattr(row, t) is not None for t in ("created_at", "updated_at", "recorded_at", "at")
                       if hasattr(row, t))
            return values

        state = []
        for o in organisations:
            membership = memberships.get_membership(session, network, o)
            state.append({
                "organisation": columns(o), "terms": sorted(t.code for t in o.terms), "areas": o.areas_served,
                "contacts": [(columns(c), opened.value) for c, opened in zip(o.contacts, open_contacts(
                    session, o.contacts), strict=True)],
                "membership": membership and columns(membership),
                "events": membership and [columns(e) for e in membership.events],
            })
        contact_owner = {c.id: names[c.organisation_id] for c in session.scalars(select(Contact))
                         if c.organisation_id in names}
        member_of = {m.id: names.get(m.member_id) for m in session.scalars(select(memberships.Membership))}
        owner = {"organisations": names, "contacts": contact_owner, "memberships": member_of}
        log = [(columns(e), owner[e.object_type][e.object_id], names.get(e.organisation_id))
               for e in session.scalars(select(AuditEntry).where(AuditEntry.id > since_entry).order_by(AuditEntry.id))]
        return state, log

    @pytest.mark.parametrize("filename", ["members.csv", "members.xlsx"])
    def test_the_same_rows_and_audit_entries_in_the_same_order(self, session, network, filename):
        from registry.access.models import AuditEntry
        from registry.exchange.member_export import to_xlsx

        data = self.FILE
        if filename.endswith(".xlsx"):
            rows = list(csv.reader(io.StringIO(data.decode())))
            data = to_xlsx([dict(zip(rows[0], r, strict=True)) for r in rows[1:]])
        table = read_table(filename, data)
        actor = secretariat(network)
        last = session.scalar(select(func.max(AuditEntry.id)))
        written = {}
        for how in ("one by one", "import"):
            savepoint = session.begin_nested()
            if how == "import":
                report = import_members(session, actor, network, table, apply=True)
                assert report.applied, report.errors
                assert report.counts() == {"created": 3, "updated": 4, "unchanged": 1, "error": 0}
            else:
                self.one_by_one(session, actor, network, table)
            written[how] = self.snapshot(session, network, last)
            savepoint.rollback()
        state, log = written["import"]
        assert len(state) == 8 and len(log) > 20
        assert state == written["one by one"][0]
        assert self.by_organisation(log) == self.by_organisation(written["one by one"][1])

    @staticmethod
    def by_organisation(log):
        entries = {}
        for entry in log:
            entries.setdefault(entry[2], []).append(entry)
        return entries

    def test_a_refused_row_leaves_nothing_behind_for_the_rows_after_it(self, session, network):
        lines = self.FILE.decode().splitlines()
        bad = "Nhóm Lỗi,,VN-HN,health,,,,,,no,2013-01-01," + "x" * 301  # a contact too long
        table = read_table("x.csv", "\n".join([lines[0], bad, *lines[1:]]).encode())
        report = import_members(session, secretariat(network), network, table, apply=False)
        assert [r.outcome for r in report.rows] == ["error", "created", "updated", "updated", "updated",
                                                      "unchanged", "updated", "created", "created"]
        assert "1 to 300 characters" in " ".join(report.rows[0].messages)
        good = read_table("x.csv", "\n".join([lines[0], bad.replace("x" * 301, "ok@example.org"), *lines[1:]]).encode())
        assert import_members(session, secretariat(network), network, good, apply=True).applied
        group = session.scalars(select(Organisation).where(Organisation.name == "Nhóm Lỗi")).one()
        assert [c.value for c in open_contacts(session, group.contacts)] == ["ok@example.org"]

    def test_an_email_already_a_contact_is_found_without_opening_any(self, session, network):
        table = read_table("x.csv", self.FILE)
        assert import_members(session, secretariat(network), network, table, apply=True).applied
        shouting = self.FILE.replace(b"mai@example.org", b" MAI@Example.ORG ")
        again = import_members(session, secretariat(network), network, read_table("x.csv", shouting), apply=True)
        assert again.counts() == {"created": 0, "updated": 0, "unchanged": 8, "error": 0}
        mai = session.scalars(select(Organisation).where(Organisation.name == "Nhóm Mai")).one()
        assert len(mai.contacts) == 1

    def test_an_organisation_that_withdrew_is_brought_back_only_by_itself_or_the_operators(
            self, session, network, make_org, member_of):
        left = make_org(network, name="Existing withdrawn", areas_served=["VN-HN"], priority_areas=["health"])
        member_of(network, left, on=dt.date(2012, 1, 1))
        memberships.withdraw(session, SYSTEM, network, left, on=dt.date(2013, 1, 1))
        table = read_table("x.csv", csv_bytes("Name,Areas served,Member since",
                                              "Existing withdrawn,VN-SG,2015-06-01"))
        refused = import_members(session, secretariat(network), network, table, apply=True)
        assert not refused.applied and [r.outcome for r in refused.rows] == ["error"]
        assert "applies again itself" in " ".join(refused.rows[0].messages)
        assert memberships.get_membership(session, network, left).status is memberships.MembershipStatus.WITHDRAWN
        assert left.areas_served == ["VN-HN"]
        operators = import_members(session, SYSTEM, network, table, apply=True)  # the `registry` command
        assert operators.applied and operators.counts()["updated"] == 1
        assert memberships.get_membership(session, network, left).status is memberships.MembershipStatus.ACTIVE

    def test_importing_the_same_file_again_changes_nothing(self, session, network):
        from registry.access.models import AuditEntry

        table = read_table("x.csv", self.FILE)
        assert import_members(session, secretariat(network), network, table, apply=True).applied
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
        before = [(o.version, o.updated_at) for o in session.scalars(select(Organisation).order_by(Organisation.id))]
        again = import_members(session, secretariat(network), network, table, apply=True)
        assert again.counts() == {"created": 0, "updated": 0, "unchanged": 8, "error": 0}
        session.expire_all()
        assert [(o.version, o.updated_at) for o in session.scalars(select(Organisation).order_by(Organisation.id))] \
            == before
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries


class TestHostileFiles:
    """Each refused as a whole, saying where, before any row is looked at or anything written."""

    @pytest.mark.parametrize("attack", HOSTILE_SPREADSHEETS)
    def test_a_hostile_file_is_refused_by_its_first_bound(self, session, vnsw, attack):
        filename, make, words = HOSTILE_SPREADSHEETS[attack]
        before = row_counts(session)
        with pytest.raises(ValidationFailed) as refused:
            import_members(session, secretariat(vnsw), vnsw, read_table(filename, make()), apply=False)
        assert list(refused.value.fields) == ["file"] and words in refused.value.fields["file"][0]
        assert row_counts(session) == before

    def test_a_file_at_the_row_bound_is_read_with_its_hashtag_row(self):
        data = csv_bytes("Name", "#org+name", *(f"Group {n}" for n in range(MAX_ROWS)))
        table = read_table("x.csv", data)
        assert len(table.rows) == MAX_ROWS and table.rows[-1] == (MAX_ROWS + 2, {"Name": f"Group {MAX_ROWS - 1}"})

    def test_rows_keep_their_spreadsheet_numbers_across_empty_rows(self):
        for filename, data in (("x.csv", csv_bytes("Name", "", "Group A", ",", "Group B")),
                               ("x.xlsx", workbook_of([["Name"], [""], ["Group A"], [""], ["Group B"]]))):
            assert [n for n, _ in read_table(filename, data).rows] == [3, 5], filename

    def test_a_cell_past_the_csv_module_s_bound_is_placed_by_its_row_not_its_line(self):
        data = csv_bytes("Name,How sex workers are involved", 'Group A,"run by\nsex workers"',
                         f'Group B,"{"x" * 140_000}"')
        with pytest.raises(ValidationFailed, match="row 3 holds a cell of more than"):
            read_table("x.csv", data)

    def test_workbooks_are_refused_if_openpyxl_would_expand_their_entities(self, monkeypatch):
        import openpyxl

        monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)  # OPENPYXL_DEFUSEDXML=False, or defusedxml missing
        with pytest.raises(ValidationFailed, match="cannot read XLSX files safely"):
            read_table("x.xlsx", workbook_of([["Name"], ["Group A"]]))
        assert read_table("x.csv", csv_bytes("Name", "Group A")).rows == [(2, {"Name": "Group A"})]

    def test_quotes_in_a_cell_survive_export_and_import(self, session, vnsw, make_org, member_of):
        member_of(vnsw, make_org(vnsw, name='Nhóm "Hoa Sen"', acronym="NHS"))
        exported = to_csv(member_rows(session, secretariat(vnsw), vnsw))
        assert [cells["Name"] for _, cells in read_table("x.csv", exported).rows] == ['Nhóm "Hoa Sen"']

    def test_a_semicolon_separated_file_is_read_by_its_header(self):
        table = read_table("x.csv", csv_bytes("Name;Areas served", "Group A;VN-HN"))
        assert table.rows == [(2, {"Name": "Group A", "Areas served": "VN-HN"})]

    def test_a_file_changing_more_registered_members_than_the_bound_is_refused_before_any_row(self, session,
                                                                                             vnsw):
        names = [f"Group {n}" for n in range(MAX_REGISTERED_ROWS + 1)]
        assert import_members(session, secretariat(vnsw), vnsw, read_table("x.csv", csv_bytes("Name", *names)),
                              apply=True).applied
        before = row_counts(session)
        changed = read_table("x.csv", csv_bytes("Name,Acronym", *(f"{name},G" for name in names)))
        with pytest.raises(ValidationFailed, match=f"at most {MAX_REGISTERED_ROWS:,} of them"):
            import_members(session, secretariat(vnsw), vnsw, changed, apply=False)
        assert row_counts(session) == before
        within = read_table("x.csv", csv_bytes("Name,Acronym", *(f"{name},G" for name in names[1:])))
        assert import_members(session, secretariat(vnsw), vnsw, within, apply=False).counts()["updated"] == \
            MAX_REGISTERED_ROWS

    def test_a_non_importer_cannot_make_the_registry_read_a_file(self, session, vnsw, make_org):
        with pytest.raises(NotPermitted):
            import_file(session, editor(make_org(vnsw)), vnsw, "members.xlsx", billion_laughs(), apply=False)
