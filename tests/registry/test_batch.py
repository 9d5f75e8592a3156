"""Batches: many new rows written at once must land as the ORM would write them one by one,
with every reference to a row not yet written pointing at the row it became."""

from __future__ import annotations

import gc

from sqlalchemy import select

from registry import audit, memberships, organisations
from registry.audit import AuditEntry
from registry.batch import Batch, insert_rows
from registry.known import Known
from registry.memberships import Membership, MembershipEvent, MembershipStatus
from registry.organisations import Contact, Organisation, OrganisationKind, OrganisationStatus
from tests.factories import SYSTEM


def test_rows_written_together_read_back_as_the_orm_writes_them(session, vnsw, make_org):
    one = make_org(vnsw, name="Written by the ORM", languages=["vi"], name_translations={"en": "By the ORM"})
    [other_id] = insert_rows(session, Organisation.__table__, [{
        "kind": OrganisationKind.COMMUNITY_ORGANISATION, "name": "Written together", "name_key": "written together",
        "country": "VN", "languages": ["vi"], "name_translations": {"en": "Together"}, "registered_by_id": vnsw.id,
        "status": OrganisationStatus.ACTIVE, "search_text": "written together",
    }], return_ids=True)
    session.expire_all()
    other = session.get(Organisation, other_id)
    assert other.id > one.id and other.kind is OrganisationKind.COMMUNITY_ORGANISATION
    assert other.status is OrganisationStatus.ACTIVE and other.languages == ["vi"]
    assert other.name_translations == {"en": "Together"} and other.version == 1 and other.public_listing is False
    assert other.created_at.tzinfo is not None and other.sex_worker_involvement == ""


def test_other_databases_get_the_same_rows_through_sqlalchemy(session, vnsw):
    from registry.batch import _insert_portably

    rows = [{"kind": OrganisationKind.COMMUNITY_ORGANISATION, "name": f"Portable {n}", "name_key": f"portable {n}",
             "search_text": "", "country": "VN", "registered_by_id": vnsw.id, "status": OrganisationStatus.ACTIVE}
            for n in range(3)]
    ids = _insert_portably(session.connection(), Organisation.__table__, rows, return_ids=True)
    assert [session.get(Organisation, i).name for i in ids] == ["Portable 0", "Portable 1", "Portable 2"]
    assert session.get(Organisation, ids[0]).version == 1 and session.get(Organisation, ids[0]).languages == []


def test_provisional_ids_become_the_written_rows_ids(session, vnsw):
    batch = Batch(session, SYSTEM)
    with batch.running():
        organisation = batch.insert(Organisation, kind=OrganisationKind.COMMUNITY_ORGANISATION, name="New group",
                                    name_key="new group", search_text="new group", country="VN",
                                    registered_by_id=vnsw.id, status=OrganisationStatus.ACTIVE)
        membership = batch.insert(Membership, network_id=vnsw.id, member_id=organisation,
                                  status=MembershipStatus.APPLIED, version=1)
        batch.add(MembershipEvent, membership_id=membership, action="apply", from_status=None,
                  to_status=MembershipStatus.APPLIED, effective_on=None, actor="tests", actor_role="system", reason="")
        batch.record("membership_apply", Membership, membership, {"status": [None, MembershipStatus.APPLIED]},
                     organisation_id=organisation)
        audit.record(session, SYSTEM, "set_status", vnsw, {"status": ["active", "active"]}, organisation_id=vnsw.id)
        assert organisation < 0 and membership < 0
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "set_status")).all() == []
        batch.write()
    written = session.scalars(select(Organisation).where(Organisation.name == "New group")).one()
    row = memberships.get_membership(session, vnsw, written)
    assert row.status is MembershipStatus.APPLIED and [e.to_status for e in row.events] == [MembershipStatus.APPLIED]
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()[::-1]
    assert [(e.action, e.object_id, e.organisation_id) for e in entries] == [
        ("membership_apply", row.id, written.id), ("set_status", vnsw.id, vnsw.id)]
    assert entries[0].changes == {"status": [None, "applied"]}


def test_what_a_failed_row_made_is_forgotten(session, vnsw):
    batch = Batch(session, SYSTEM)

    def group(name):
        return batch.insert(Organisation, kind=OrganisationKind.COMMUNITY_ORGANISATION, name=name,
                            name_key=name.lower(), search_text=name.lower(), country="VN", registered_by_id=vnsw.id,
                            status=OrganisationStatus.ACTIVE)

    with batch.running():
        kept = group("Kept")
        mark = batch.mark()
        failed = group("Failed")
        organisations.add_contact_in_batch(batch, Known(session, batch), failed, kind="email", value="x@example.org")
        batch.drafts["failed"] = failed
        batch.record("register_organisation", Organisation, failed, {}, organisation_id=failed)
        batch.discard(mark)
        assert "failed" not in batch.drafts
        again = group("Kept too")
        assert again == failed  # the provisional id is free again
        batch.write()
    names = set(session.scalars(select(Organisation.name).where(Organisation.registered_by_id == vnsw.id)))
    assert {"Kept", "Kept too"} <= names and "Failed" not in names
    assert kept < 0 and session.scalars(select(Contact)).all() == []


def test_a_batch_holds_the_cycle_collector_only_while_it_runs(session):
    assert gc.isenabled()
    with Batch(session, SYSTEM).running():
        assert not gc.isenabled()
    assert gc.isenabled()
