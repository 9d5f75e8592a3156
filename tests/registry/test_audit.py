"""Audit entries queue on the session and are written together, once per flush."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from registry.access import audit
from registry.organisations import services as organisations
from registry.access.models import AuditEntry
from registry.memberships.models import Membership, MembershipStatus
from tests.factories import SYSTEM


@contextmanager
def audit_inserts(session: Session) -> Iterator[list[int]]:
    """The number of rows of each INSERT into the audit log the session sends, as it sends them."""
    sent: list[int] = []
    engine = session.get_bind()

    def count(_conn, _cursor, statement, parameters, _context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            sent.append(len(parameters) if executemany else 1 + statement.upper().count("), ("))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def logged(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


def test_the_entries_of_many_changes_are_written_in_one_statement_at_the_flush(session, vnsw, make_org):
    members = [make_org(vnsw) for _ in range(5)]
    session.flush()
    before = logged(session)
    with audit_inserts(session) as sent, session.no_autoflush:  # the checks' reads would flush each
        for number, member in enumerate(members):
            organisations.update_profile(session, SYSTEM, member, {"acronym": f"S{number}"})
        assert sent == []  # queued, not yet written
        session.flush()
    assert sent == [5]
    assert logged(session) == before + 5
    acronyms = [e.changes["acronym"][1] for e in audit.history(session, limit=5)]
    assert acronyms == ["S4", "S3", "S2", "S1", "S0"]  # in the order they were made


def test_an_entry_about_an_object_that_did_not_change_is_written_all_the_same(session, vnsw):
    session.flush()
    before = logged(session)
    audit.record(session, SYSTEM, "looked_at", vnsw, {}, organisation_id=vnsw.id)
    session.flush()
    assert logged(session) == before + 1


def test_the_entries_of_a_rolled_back_savepoint_are_forgotten(session, vnsw, make_org):
    member = make_org(vnsw)
    session.flush()
    before = logged(session)
    organisations.update_profile(session, SYSTEM, member, {"acronym": "KEPT"})
    savepoint = session.begin_nested()
    organisations.update_profile(session, SYSTEM, vnsw, {"acronym": "GONE"})
    savepoint.rollback()
    session.flush()
    assert [e.action for e in audit.history(session, limit=logged(session) - before)] == ["update_profile"]
    assert audit.history(session, limit=1)[0].changes["acronym"] == [None, "KEPT"]


def test_an_entry_about_an_object_not_yet_written_waits_for_it_and_keeps_its_place(session, vnsw, make_org):
    """A flush that does not write the object (out of the session while another path writes it)
    leaves its entry, and those queued after it, for the flush that does: never an entry
    without its object."""
    member = make_org(vnsw)
    session.flush()
    before = logged(session)
    other = Membership(network_id=vnsw.id, member_id=member.id, status=MembershipStatus.APPLIED)
    session.add(other)
    audit.record(session, SYSTEM, "membership_apply", other, {}, organisation_id=member.id)
    audit.record(session, SYSTEM, "looked_at", vnsw, {}, organisation_id=vnsw.id)
    session.expunge(other)
    organisations.update_profile(session, SYSTEM, member, {"acronym": "LATER"})
    session.flush()  # writes the profile's change, not the membership: its entry and the next wait
    assert logged(session) == before
    session.add(other)
    session.flush()
    entries = audit.history(session, limit=logged(session) - before)[::-1]
    assert [e.action for e in entries] == ["membership_apply", "looked_at", "update_profile"]
    assert entries[0].object_id == other.id and other.id is not None


def test_a_commit_refuses_an_entry_whose_object_was_never_written(session, vnsw):
    never = Membership(network_id=vnsw.id, member_id=vnsw.id, status=MembershipStatus.APPLIED)
    audit.record(session, SYSTEM, "membership_apply", never, {}, organisation_id=vnsw.id)
    with pytest.raises(RuntimeError, match="never written"):
        audit.write_queued(session, final=True)
