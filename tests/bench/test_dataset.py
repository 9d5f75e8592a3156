"""The benchmarks' synthetic registry is written through the service functions, as the import
writes: it must hold what they write, audit log included, or the benchmarks measure a registry
that cannot exist."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bench import dataset
from registry.access.models import AuditEntry
from registry.access.permissions import Actor
from registry.access.sealing import open_contacts, use_keys
from registry.db import make_engine
from registry.memberships.models import LIFECYCLE, REASON_REQUIRED, Membership, MembershipEvent
from registry.names import fold
from registry.organisations import services as organisations
from registry.organisations.models import PROFILE_FIELDS, Contact, Organisation, OrganisationKind
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def bench_session(tmp_path_factory: pytest.TempPathFactory, contact_keys):
    with fresh_database(tmp_path_factory.mktemp("bench")) as url:
        # By its command line, as the benchmarks' runner builds it (at a size of its own).
        built = dataset.main([url, "--organisations", "80", "--events", "600", "--keys", str(contact_keys.path)])
        engine = make_engine(url)
        with use_keys(Session(engine), contact_keys) as session:
            session.info["built"] = built
            yield session
            session.rollback()
        engine.dispose()


def sample_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.name.like("Sample bench %"))
                                .order_by(Organisation.id)))


def audited(session: Session, action: str, ids: list[int]) -> Counter[int]:
    """How many entries of `action` each of these objects has in the audit log."""
    return Counter(session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == action,
                                                                       AuditEntry.object_id.in_(ids))))


def test_the_large_size_is_one_option_away():
    asked = dataset.parse(["--organisations", "100000"])
    assert (asked.organisations, asked.events) == (100_000, None)  # events: ten per organisation
    with pytest.raises(SystemExit):
        dataset.parse(["--organisations", "10"])  # fewer than the sample networks themselves


def test_it_holds_the_organisations_and_events_asked_for_every_one_labelled_sample(bench_session):
    built = bench_session.info["built"]
    found = sample_organisations(bench_session)
    assert (built.organisations, built.events) == (80, 600)
    assert len(found) == 80
    assert all(o.is_sample for o in found)
    for o in found:
        opened = open_contacts(bench_session, o.contacts)  # sealed in their place, as add_contact seals
        assert all(c.value.endswith("@example.org") for c in opened)
        assert all(organisations.has_contact(bench_session, o, c.kind, c.value) for c in opened)  # blind index


def test_every_registration_contact_and_membership_move_is_in_the_audit_log(bench_session):
    found = sample_organisations(bench_session)
    assert audited(bench_session, "register_organisation", [o.id for o in found]) == Counter({o.id: 1 for o in found})
    contacts = [c.id for o in found for c in o.contacts]
    assert contacts and audited(bench_session, "add_contact", contacts) == Counter(dict.fromkeys(contacts, 1))
    samples = select(Membership.id).join(Organisation, Organisation.id == Membership.member_id).where(
        Organisation.is_sample.is_(True))
    moves = Counter(bench_session.scalars(select(MembershipEvent.membership_id).where(
        MembershipEvent.membership_id.in_(samples))))
    entries = Counter(bench_session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.action.like("membership_%"), AuditEntry.object_type == Membership.__tablename__,
        AuditEntry.object_id.in_(samples))))
    assert sum(moves.values()) == 600 and entries == moves  # one entry per move, of the membership it moved
    assert bench_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.actor == dataset.ACTOR.label, AuditEntry.object_type == Contact.__tablename__)) == len(contacts)


def test_an_organisation_reads_as_if_registered_through_the_service_functions(bench_session):
    cbos = [o for o in sample_organisations(bench_session) if o.kind is OrganisationKind.COMMUNITY_ORGANISATION]
    for cbo in cbos[:10]:
        network = bench_session.get(Organisation, cbo.registered_by_id)
        profile = {f: getattr(cbo, f) for f in PROFILE_FIELDS if f != "name"}
        twin = organisations.register_organisation(
            bench_session, Actor.system("test"), network=network, kind=cbo.kind, country=cbo.country,
            name=f"{cbo.name} twin", is_sample=True, **profile)
        assert {**twin.profile(), "name": cbo.name} == cbo.profile()
        assert (twin.name_key, twin.search_text) == (fold(twin.name), fold(twin.name))
        assert (cbo.name_key, cbo.search_text) == (fold(cbo.name), fold(cbo.name))
        assert (twin.is_sample, twin.registered_by_id) == (cbo.is_sample, cbo.registered_by_id)
    bench_session.rollback()


def test_every_membership_moved_only_as_the_lifecycle_allows(bench_session):
    memberships = bench_session.scalars(select(Membership).options(selectinload(Membership.events))).all()
    checked = 0
    for membership in memberships:
        state, last_day = None, None
        for event in membership.events:
            allowed_from, target = LIFECYCLE[event.action]
            assert event.from_status == state and state in allowed_from and event.to_status is target
            assert last_day is None or event.effective_on >= last_day
            assert bool(event.reason) or event.action not in REASON_REQUIRED
            state, last_day = target, event.effective_on
        assert (membership.status, membership.status_since) == (state, last_day)
        checked += len(membership.events)
    assert checked >= 600  # the seeds' own memberships come on top
