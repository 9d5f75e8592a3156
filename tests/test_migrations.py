"""Alembic owns the schema: the migrated database must match the models exactly."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect as sa_inspect, select, text
from sqlalchemy.orm import Session

from registry.organisations import services as organisations
from registry.all_models import metadata
from registry.db import make_engine
from registry.migrate import alembic_config, current_revision, upgrade
from registry.organisations.models import Organisation
from registry.organisations.name_search import outside_models
from registry.access.permissions import Actor
from tests.conftest import fresh_database


def test_the_migrations_reach_head_and_match_the_models(engine, database_url):
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        assert current_revision(connection) == head
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": outside_models})
        assert compare_metadata(context, metadata) == []


# 0007: contacts written in the clear before it are sealed by it.
PLAIN = [("email", "Desk@Example.org", "secretariat", "office"), ("phone", "+84 24 3999 1234", "public", ""),
         ("email", "desk@example.org ", "self", "again"),  # the first one again, once normalised
         ("postal", "12 Ngõ Huế, back door", "self", "")]


def write_at_0006(url):
    """Two organisations with contacts in the clear, and the audit entries add_contact wrote then."""
    from sqlalchemy import text

    from registry.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        # Raw rows: the models describe the newest schema, not revision 0006's.
        ids = [session.execute(text(
            "INSERT INTO organisations (kind, name, name_key, name_translations, search_text, country, "
            "sex_worker_involvement, languages, public_listing, status, is_sample, created_at, updated_at, version) "
            "VALUES ('national_network', :n, :k, '{}', :s, 'VN', '', '[]', false, 'active', false, "
            ":at, :at, 1) RETURNING id"), {"n": name, "k": name.lower(), "s": name.lower(),
                                           "at": "2025-01-01 00:00:00"}).scalar_one()
            for name in ("Old one", "Old two")]
        for organisation_id in ids:
            for kind, value, visibility, label in PLAIN:
                contact_id = session.execute(text(
                    "INSERT INTO contacts (organisation_id, kind, value, label, visibility) "
                    "VALUES (:o, :k, :v, :l, :vis) RETURNING id"),
                    {"o": organisation_id, "k": kind, "v": value, "l": label, "vis": visibility}).scalar_one()
                session.execute(text(
                    "INSERT INTO audit_entries (at, actor, actor_role, action, object_type, object_id, "
                    "organisation_id, changes) VALUES (:at, 'tests', 'system', 'add_contact', 'contacts', :c, :o, "
                    ":changes)"), {"at": "2025-01-01 00:00:00", "c": contact_id, "o": organisation_id,
                                   "changes": json.dumps({"kind": [None, kind], "value": [None, value]})})
        session.commit()
    engine.dispose()
    return ids


def everything_stored(url):
    from registry.db import make_engine
    from tests.factories import stored_text

    engine = make_engine(url)
    with engine.connect() as connection:
        found = stored_text(connection)
    engine.dispose()
    return found


def test_0007_seals_the_contacts_a_database_held_in_the_clear(tmp_path):
    from sqlalchemy import select

    from registry.access.models import AuditEntry
    from registry.db import make_engine
    from registry.errors import Conflict
    from registry.migrate import downgrade, upgrade
    from registry.organisations.models import Contact, Organisation
    from registry.organisations.services import add_contact
    from registry.access.sealing import open_contacts
    from registry.access.sealing import KeyRing, KeysUnavailable, use_keys
    from tests.conftest import fresh_database
    from tests.factories import SYSTEM

    ring = KeyRing.generate()
    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        ids = write_at_0006(url)
        with pytest.raises(KeysUnavailable, match="8 contact\\(s\\) to seal and no contact key ring"):
            upgrade(url)
        assert "Desk@Example.org" in everything_stored(url)  # refused before changing anything

        upgrade(url, keys=lambda: ring)
        stored = everything_stored(url)
        for _, value, _, _ in PLAIN:
            assert value.strip() not in stored and value.strip().lower() not in stored
        engine = make_engine(url)
        with use_keys(Session(engine), ring) as session:
            for organisation_id in ids:
                organisation = session.get(Organisation, organisation_id)
                opened = open_contacts(session, organisation.contacts)
                assert [(c.kind, c.value, c.visibility, c.label) for c in opened] == [
                    (k, v, vis, label) for k, v, vis, label in PLAIN if label != "again"]
                with pytest.raises(Conflict):  # the blind index works on what the migration sealed
                    add_contact(session, SYSTEM, organisation, kind="phone", value="+84 (24) 3999-1234")
            removed = session.scalars(select(AuditEntry).where(AuditEntry.actor.like("migration 0007%"))).all()
            assert [e.organisation_id for e in removed] == ids and all(
                "the same contact as contact" in e.changes["reason"][1] for e in removed)
            logged = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "contacts")).all()
            assert all(e.changes["value"][1] in (None, "(not logged: contact values are kept sealed, in the "
                                                        "contact only)") for e in logged)
            assert session.scalar(select(Contact.id).where(Contact.organisation_id == ids[0])) is not None
        engine.dispose()

        downgrade(url, "0006", keys=lambda: ring)
        assert "+84 24 3999 1234" in everything_stored(url)


def test_organisations_registered_before_publishing_was_chosen_publish_only_their_priority_areas(tmp_path):
    """An upgraded registry behaves as a new one: every organisation it held starts with a new
    listing's choice (privacy first), whatever it showed before."""
    import datetime as dt

    from sqlalchemy import Column, MetaData, Table, insert, select
    from sqlalchemy.orm import Session

    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.organisations.models import Organisation
    from registry.access.permissions import Actor
    from registry.access.profiles import profile_view
    from registry.access.visibility import reader_for
    from tests.conftest import fresh_database

    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        engine = make_engine(url)
        now = dt.datetime.now(dt.timezone.utc)
        with engine.begin() as connection:
            row = {"kind": "community_organisation", "name": "Nhóm cũ", "name_key": "nhom cu", "name_translations": {},
                   "search_text": "nhom cu", "country": "VN", "sex_worker_led": "yes", "sex_worker_involvement": "",
                   "languages": ["vi"], "website": "https://old.example.org", "public_listing": True,
                   "status": "active", "is_sample": False, "created_at": now, "updated_at": now, "version": 1}
            # The table as revision 0006 left it: the model's columns but the new one.
            before = Table("organisations", MetaData(), *(Column(c.key, c.type) for c in Organisation.__table__.columns
                                                          if c.key in row))
            connection.execute(insert(before).values(row))
        upgrade(url, "head")
        with Session(engine) as session:
            old = session.scalars(select(Organisation)).one()
            assert old.published_fields == ["priority_areas"]
            seen = profile_view(session, reader_for(session, Actor.anonymous()), old)
            assert "sex_worker_led" not in seen and "website" not in seen and "languages" not in seen
            assert seen["name"] == "Nhóm cũ" and seen["priority_areas"] == []
        engine.dispose()


def test_an_upgraded_database_keeps_its_organisations_and_none_publishes_its_reach(tmp_path):
    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            network_id = insert_old_organisation(connection, "national_network", "Old network", now)
        upgrade(url)
        with Session(engine) as session:
            network = session.get(Organisation, network_id)
            assert network.publishes_reach is False  # as for a network registered today
            organisations.update_profile(session, Actor.system("migration test"), network, {"publishes_reach": True})
            session.commit()
        engine.dispose()
        command.downgrade(alembic_config(url), "0006")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM organisations")).scalar_one() == "Old network"
        engine.dispose()
        engine.dispose()


def insert_old_organisation(connection, kind, name, now, public_id=None):
    """An organisation row as revisions 0006 to 0009 hold it (raw: the models describe the newest
    schema), or with `public_id` as 0010 to 0012 do; its id."""
    given = ("public_id, ", ":public_id, ") if public_id else ("", "")
    return connection.execute(text(
        f"INSERT INTO organisations ({given[0]}kind, name, name_key, name_translations, search_text, country, "
        "sex_worker_involvement, languages, public_listing, status, is_sample, created_at, "
        f"updated_at, version) VALUES ({given[1]}:kind, :name, :key, '{{}}', :search, 'VN', '', '[]', true, "
        "'active', false, :now, :now, 1) RETURNING id"),
        {"kind": kind, "name": name, "key": name.lower(), "search": name.lower(), "now": now,
         "public_id": public_id}).scalar_one()


def test_0010_gives_every_organisation_and_membership_a_public_id_of_its_own(tmp_path):
    from registry.memberships.models import Membership
    from registry.access.public_ids import is_public_id

    with fresh_database(tmp_path) as url:
        upgrade(url, "0009")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            kinds = ("national_network", "community_organisation", "community_organisation")
            ids = [insert_old_organisation(connection, kind, f"Old {number}", now) for number, kind in enumerate(kinds)]
            for member in ids[1:]:
                connection.execute(text(
                    "INSERT INTO memberships (network_id, member_id, status, created_at, updated_at, version) "
                    "VALUES (:network, :member, 'active', :now, :now, 1)"),
                    {"network": ids[0], "member": member, "now": now})
        upgrade(url)
        with Session(engine) as session:
            given = [*session.scalars(select(Organisation.public_id)), *session.scalars(select(Membership.public_id))]
            assert len(given) == 5 and len(set(given)) == 5
            assert all(is_public_id(public_id) for public_id in given)
            # A row written after the upgrade gets one from the model, unlike the others.
            network = session.get(Organisation, ids[0])
            added = organisations.register_organisation(session, Actor.system("migration test"), network=network,
                                                        kind="community_organisation", name="New one", country="VN")
            session.flush()
            assert is_public_id(added.public_id) and added.public_id not in given
            session.rollback()
        with engine.begin() as connection, pytest.raises(Exception):  # noqa: B017 (each driver names it its way)
            connection.execute(text("UPDATE organisations SET public_id = NULL"))
        with engine.begin() as connection, pytest.raises(Exception):  # noqa: B017
            connection.execute(text("UPDATE memberships SET public_id = '0123456789AB'"))
        engine.dispose()
        command.downgrade(alembic_config(url), "0009")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM memberships")).scalar_one() == 2
        engine.dispose()


def test_0011_finds_the_network_tree_the_memberships_and_registrations_make(tmp_path):
    """Global network → national network (active) → its members; a suspended member stays below,
    a pending applicant and one that left its registrar do not."""
    from registry.networks.models import NetworkLink

    with fresh_database(tmp_path) as url:
        upgrade(url, "0009")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        names = ["Global", "National", "Member", "Suspended", "Applicant", "Left"]
        registered_by = [None, 1, 2, 2, None, 2]
        with engine.begin() as connection:
            for number, (name, registrar) in enumerate(zip(names, registered_by), start=1):
                connection.execute(text(
                    "INSERT INTO organisations (id, kind, name, name_key, name_translations, search_text, "
                    "country, sex_worker_involvement, languages, public_listing, status, is_sample, "
                    "registered_by_id, created_at, updated_at, version) VALUES (:id, 'national_network', :n, :k, "
                    "'{}', :s, 'VN', '', '[]', false, 'active', false, :r, :c, :u, 1)"),
                    {"id": number, "n": name, "k": name.lower(), "s": name.lower(), "r": registrar, "c": now,
                     "u": now})
            for network, member, status in [(1, 2, "active"), (2, 3, "active"), (2, 4, "suspended"),
                                            (2, 5, "applied"), (2, 6, "withdrawn")]:
                connection.execute(text(
                    "INSERT INTO memberships (network_id, member_id, status, created_at, updated_at, version) "
                    "VALUES (:n, :m, :s, :c, :u, 1)"), {"n": network, "m": member, "s": status, "c": now, "u": now})
        upgrade(url, "0011")
        with Session(engine) as session:
            found = sorted((link.ancestor_id, link.descendant_id, link.depth, link.current, link.held_from)
                           for link in session.query(NetworkLink))
        assert found == [(1, 2, 1, True, None), (1, 3, 2, True, None), (1, 4, 2, True, None),
                         (2, 3, 1, True, None), (2, 4, 1, True, None)]
        engine.dispose()
        command.downgrade(alembic_config(url), "0009")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM organisations")).scalar_one() == 6
        engine.dispose()


def test_0014_names_every_addressed_row_by_a_public_id_and_tokens_in_text_by_theirs(tmp_path):
    from registry.access.models import AuditEntry
    from registry.access.models import ContactRead
    from registry.governance.models import GoverningBody
    from registry.organisations.models import Contact
    from registry.access.public_ids import is_public_id
    from registry.access.models import AccessToken

    with fresh_database(tmp_path) as url:
        upgrade(url, "0012")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            network = insert_old_organisation(connection, "national_network", "Old network", now, "0LDNETW0RK01")
            token = connection.execute(text(
                "INSERT INTO access_tokens (role, network_id, label, secret_hash, hint, created_at, created_by, version) "
                "VALUES ('secretariat', :n, 'laptop', 'x', 'swr_abcd', :now, 'token 1 (secretariat of Old: first)', 1) "
                "RETURNING id"), {"n": network, "now": now}).scalar_one()
            label = f"token {token} (secretariat of Old network: laptop)"
            connection.execute(text(
                "INSERT INTO audit_entries (at, actor, actor_role, token_id, action, object_type, object_id, "
                "organisation_id, changes) VALUES (:now, :actor, 'secretariat', :t, 'define_body', "
                "'governing_bodies', 1, :n, '{}')"), {"now": now, "actor": label, "t": token, "n": network})
            connection.execute(text(
                "INSERT INTO governing_bodies (network_id, kind, name, seats, term_classes, notes) "
                "VALUES (:n, 'board', 'Board', 3, 1, '')"), {"n": network})
            contact = connection.execute(text(
                "INSERT INTO contacts (organisation_id, kind, sealed_value, value_index, label, visibility) "
                "VALUES (:n, 'email', 'v1:k:x', 'k:y', '', 'secretariat') RETURNING id"), {"n": network}).scalar_one()
            connection.execute(text(
                "INSERT INTO contact_reads (at, actor, actor_role, token_id, organisation_id, contact_ids) "
                "VALUES (:now, :actor, 'secretariat', :t, :n, :ids)"),
                {"now": now, "actor": label, "t": token, "n": network, "ids": json.dumps([contact, contact + 1])})
        upgrade(url)
        with Session(engine) as session:
            given = [public_id for model in (AccessToken, AuditEntry, GoverningBody, Contact, ContactRead)
                     for public_id in session.scalars(select(model.public_id))]
            assert len(given) == len(set(given)) == 5 and all(map(is_public_id, given))
            named = session.get_one(AccessToken, token).public_id
            assert session.scalars(select(AuditEntry.actor)).one() == f"token {named} (secretariat of Old network: laptop)"
            read = session.scalars(select(ContactRead)).one()
            # The removed contact is named by nothing any more, so it is no longer listed.
            assert (read.actor, read.contact_ids) == (f"token {named} (secretariat of Old network: laptop)",
                                                      [session.get_one(Contact, contact).public_id])
        with engine.begin() as connection, pytest.raises(Exception):  # noqa: B017 (each driver names it its way)
            connection.execute(text("UPDATE contacts SET public_id = NULL"))
        engine.dispose()
        command.downgrade(alembic_config(url), "0012")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT actor FROM audit_entries")).scalar_one() == label
            listed = connection.execute(text("SELECT contact_ids FROM contact_reads")).scalar_one()
            assert (listed if isinstance(listed, list) else json.loads(listed)) == [contact]  # PostgreSQL: json
        engine.dispose()


def test_0015_indexes_the_names_already_held_and_drops_the_change_counter(tmp_path):
    from registry.names import fold
    from registry.networks import directory
    from registry.networks.directory import DirectoryQuery

    def names_found(engine, words):
        with Session(engine) as session:
            page = directory.search(session, Actor.system("tests"), DirectoryQuery(text=words), page=1, page_size=50)
            return sorted(seen.organisation.name for seen in page.items)

    with fresh_database(tmp_path) as url:
        upgrade(url, "0014")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            for number, (name, also) in enumerate([("Nhóm Hà Nội", "NHN | hanoi group"), ("ក្រុមភ្នំពេញ", "kpp"),
                                                   ("Đồng Đẳng Sài Gòn", "")]):
                made = insert_old_organisation(connection, "community_organisation", name, now, f"0LDC8O{number:06d}")
                connection.execute(text("UPDATE organisations SET search_text = :s WHERE id = :id"),
                                   {"s": " | ".join(filter(None, [fold(name), also.lower()])), "id": made})
        engine.dispose()
        upgrade(url, "0015")
        engine = make_engine(url)
        assert names_found(engine, "ha noi") == ["Nhóm Hà Nội"] == names_found(engine, "hanoi group")
        assert names_found(engine, "ភ្នំពេញ") == ["ក្រុមភ្នំពេញ"] and names_found(engine, "dong dang") == ["Đồng Đẳng Sài Gòn"]
        assert names_found(engine, "n") == ["Nhóm Hà Nội", "Đồng Đẳng Sài Gòn"]  # too short for the index: a scan
        with Session(engine) as session:  # a rename written afterwards is found at once
            organisation = session.scalars(select(Organisation).where(Organisation.name == "Nhóm Hà Nội")).one()
            organisations.update_profile(session, Actor.system("tests"), organisation, {"name": "Nhóm Thủ Đô"})
            session.commit()
        assert names_found(engine, "thu do") == ["Nhóm Thủ Đô"] and names_found(engine, "ha noi") == []
        with engine.connect() as connection:
            assert "change_counter" not in sa_inspect(connection).get_table_names()
        engine.dispose()
        command.downgrade(alembic_config(url), "0014")
        engine = make_engine(url)
        with engine.connect() as connection:
            tables = sa_inspect(connection).get_table_names()
            assert "change_counter" in tables and not any(t.startswith("organisation_names") for t in tables)
            assert connection.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one() == 0
            assert "ix_organisations_search_text_trgm" not in {
                i["name"] for i in sa_inspect(connection).get_indexes("organisations")}
        engine.dispose()


def test_0016_keeps_elections_already_voting_on_the_integer_keys_their_ballots_were_cast_with(tmp_path):
    from registry.elections.models import Election

    with fresh_database(tmp_path) as url:
        upgrade(url, "0014")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            network = insert_old_organisation(connection, "national_network", "Old network", now, "0LDNETW0RK01")
            body = connection.execute(text(
                "INSERT INTO governing_bodies (public_id, network_id, kind, name, seats, term_classes, notes) "
                "VALUES ('0LDB0DY00001', :n, 'board', 'Board', 3, 1, '') RETURNING id"), {"n": network}).scalar_one()
            for public_id, phase in (("0LDE1ECT10N1", "certified"), ("0LDE1ECT10N2", "voting_open"),
                                     ("0LDE1ECT10N3", "cancelled"), ("0LDE1ECT10N4", "nominations_open")):
                connection.execute(text(
                    "INSERT INTO elections (public_id, body_id, title, method, seats, seat_groups, quorum_percent, "
                    "sex_worker_led_only, roll_cutoff, phase, phase_since, created_at, version) VALUES "
                    "(:p, :b, :p, 'scottish_stv', 3, '{\"open\": 3}', 0, false, '2026-01-01', :phase, '2026-01-01', "
                    ":now, 1)"), {"p": public_id, "b": body, "phase": phase, "now": now})
        upgrade(url)
        with Session(engine) as session:
            formats = dict(session.execute(select(Election.public_id, Election.ballot_format)).all())
        # Whatever may have ballots (voting opened, or it was cancelled, perhaps after) keeps
        # format 1: their hashes and roots were made with integer keys. One not yet voting has none.
        assert formats == {"0LDE1ECT10N1": 1, "0LDE1ECT10N2": 1, "0LDE1ECT10N3": 1, "0LDE1ECT10N4": 2}
        engine.dispose()
        command.downgrade(alembic_config(url), "0014")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM elections")).scalar_one() == 4
        engine.dispose()


def test_0018_derives_each_membership_s_spans_from_the_changes_it_recorded(tmp_path):
    """Changes the same day leave the last; an undated one makes no span; one dated before an
    earlier-made change (data older than the rule refusing it) ends that one before it began."""
    from registry.memberships import spans
    from registry.memberships.models import MembershipSpan

    with fresh_database(tmp_path) as url:
        upgrade(url, "0017")
        engine = make_engine(url)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        with engine.begin() as connection:
            network = insert_old_organisation(connection, "national_network", "Old network", now, "0LDNETW0RK01")
            members = [insert_old_organisation(connection, "community_organisation", f"Old member {n}", now,
                                               f"0LDMEMBER{n:03d}") for n in range(3)]
            changes = [[("applied", "2012-03-01"), ("verified", "2012-03-01"), ("active", "2012-03-01"),
                        ("suspended", "2014-05-01"), ("active", None), ("lapsed", "2016-01-01")],
                       [("applied", None), ("verified", None), ("active", None)],
                       [("active", "2015-06-01"), ("lapsed", "2013-01-01"), ("active", "2018-01-01")]]
            for number, (member, moves) in enumerate(zip(members, changes, strict=True)):
                membership = connection.execute(text(
                    "INSERT INTO memberships (public_id, network_id, member_id, status, created_at, updated_at, "
                    "version) VALUES (:p, :n, :m, :s, :at, :at, 1) RETURNING id"),
                    {"p": f"0LDMSHIP{number:04d}", "n": network, "m": member, "s": moves[-1][0],
                     "at": now}).scalar_one()
                for status, on in moves:
                    connection.execute(text(
                        "INSERT INTO membership_events (membership_id, action, to_status, effective_on, recorded_at, "
                        "actor, actor_role, reason) VALUES (:m, 'admit', :s, :on, :at, 'tests', 'system', '')"),
                        {"m": membership, "s": status, "on": on and dt.date.fromisoformat(on), "at": now})
        engine.dispose()
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            found = sorted((member, str(span.held_from), span.held_until and str(span.held_until), span.status.value)
                           for span in session.scalars(select(MembershipSpan))
                           for member in [members.index(span.member_id)])
            assert found == [(0, "2012-03-01", "2014-05-01", "active"), (0, "2014-05-01", "2016-01-01", "suspended"),
                             (0, "2016-01-01", None, "lapsed"),
                             (2, "2013-01-01", "2018-01-01", "lapsed"), (2, "2018-01-01", None, "active")]
            written = sorted(session.execute(select(MembershipSpan.membership_id, MembershipSpan.held_from,
                                                    MembershipSpan.held_until, MembershipSpan.network_id,
                                                    MembershipSpan.member_id, MembershipSpan.status)).all())
            assert written == sorted(session.execute(spans.derived()).all())  # as the write path derives them
        engine.dispose()
        command.downgrade(alembic_config(url), "0017")
        engine = make_engine(url)
        with engine.connect() as connection:
            assert "membership_spans" not in sa_inspect(connection).get_table_names()
        engine.dispose()
