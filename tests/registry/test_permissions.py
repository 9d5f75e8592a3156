"""The subtree rule: a secretariat administers its network and everything below it."""

from __future__ import annotations

from registry.permissions import Actor, Lineage, Permission, administers, ancestor_network_ids, can
from tests.factories import board, editor, secretariat


def test_subtree(session, make_org, member_of):
    top = make_org(name="Global test network", kind="global_network", country=None)
    national = make_org(top, name="National test network", kind="national_network")
    other = make_org(top, name="Other national network", kind="national_network", country="KH")
    cbo = make_org(national)
    member_of(top, national)
    member_of(national, cbo)
    assert administers(session, secretariat(top), cbo.id)  # two levels down
    assert administers(session, secretariat(national), cbo.id)
    assert not administers(session, secretariat(national), top.id)  # never upwards
    assert not administers(session, secretariat(other), cbo.id)  # nor sideways
    assert not administers(session, editor(cbo), cbo.id)


def test_withdrawn_members_leave_the_subtree(session, make_org, member_of):
    from registry import memberships
    from tests.factories import SYSTEM

    network = make_org(name="Net", kind="national_network")
    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    member_of(network, cbo)
    assert administers(session, secretariat(network), cbo.id)
    memberships.withdraw(session, SYSTEM, network, cbo)
    assert not administers(session, secretariat(network), cbo.id)


def test_reading_rights(session, vnsw, wnu, make_org):
    cbo = make_org(vnsw)
    assert can(session, editor(cbo), Permission.READ_CONTACTS, cbo.id)
    assert can(session, secretariat(vnsw), Permission.READ_CONTACTS, cbo.id)
    assert not can(session, secretariat(wnu), Permission.READ_CONTACTS, cbo.id)
    assert not can(session, board(vnsw), Permission.READ_CONTACTS, cbo.id)
    assert can(session, board(vnsw), Permission.READ_INTERNAL, vnsw.id)
    assert not can(session, board(vnsw), Permission.READ_INTERNAL, wnu.id)
    assert not can(session, Actor.anonymous(), Permission.READ_AUDIT, cbo.id)


def test_a_lineage_read_for_many_answers_as_ancestor_network_ids(session, vnsw, make_org, member_of):
    from registry import memberships
    from tests.factories import SYSTEM

    regional = make_org(name="Test regional network", kind="regional_network", country=None)
    member_of(regional, vnsw)
    cbo, other = make_org(vnsw), make_org(vnsw)
    member_of(vnsw, cbo)
    lineage = Lineage(session)
    lineage.load([cbo.id, other.id, vnsw.id, regional.id])
    for organisation in (cbo, other, vnsw, regional):
        assert lineage.of(organisation.id) == ancestor_network_ids(session, organisation.id)
    assert lineage.of(cbo.id) == {vnsw.id, regional.id}
    lineage.assume(-1, registered_by=vnsw.id)
    assert lineage.of(-1) == {vnsw.id, regional.id}
    memberships.withdraw(session, SYSTEM, regional, vnsw)
    assert lineage.of(cbo.id) == {vnsw.id, regional.id}  # remembered, as told
    lineage.forget()
    assert lineage.of(cbo.id) == {vnsw.id} == ancestor_network_ids(session, cbo.id)
