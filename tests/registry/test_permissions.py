"""The subtree rule: a secretariat administers its network and everything below it."""

from __future__ import annotations

import pytest

from registry.access.permissions import Actor, Lineage, Permission, administers, ancestor_network_ids, can, subtree_ids
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
    from registry.memberships import services as memberships
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
    from registry.memberships import services as memberships
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


# --- the active subtree: applying grants the network nothing until it admits -----------------

READS_AND_ACTS = (Permission.EDIT_PROFILE, Permission.ADMINISTER_ORGANISATION, Permission.READ_CONTACTS,
                  Permission.READ_AUDIT, Permission.ISSUE_TOKENS, Permission.WITHDRAW_MEMBERSHIP)


def test_an_application_grants_the_network_nothing_over_the_applicant(session, vnsw, wnu, make_org, member_of):
    from registry.memberships import services as memberships
    from registry.errors import NotPermitted

    group = make_org(wnu, country="KH")
    member_of(wnu, group)
    memberships.apply(session, secretariat(wnu), vnsw, wnu)  # WNU's own secretariat applies
    for state in ("applied", "verified"):
        for obj in (wnu, group):
            assert not [p for p in READS_AND_ACTS if can(session, secretariat(vnsw), p, obj.id)], state
        assert wnu.id not in subtree_ids(session, vnsw.id) and group.id not in subtree_ids(session, vnsw.id)
        if state == "applied":
            memberships.verify(session, secretariat(vnsw), vnsw, wnu)
    with pytest.raises(NotPermitted):  # the applicant withdraws; the network rejects
        memberships.withdraw(session, secretariat(vnsw), vnsw, wnu)
    memberships.admit(session, secretariat(vnsw), vnsw, wnu)
    assert all(can(session, secretariat(vnsw), p, group.id) for p in READS_AND_ACTS)


def test_suspended_and_lapsed_members_stay_in_the_networks_care(session, vnsw, make_org, member_of):
    from registry.memberships import services as memberships
    from tests.factories import SYSTEM

    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    member_of(vnsw, cbo)
    memberships.suspend(session, SYSTEM, vnsw, cbo, reason="dues")
    assert administers(session, secretariat(vnsw), cbo.id)
    memberships.lapse(session, SYSTEM, vnsw, cbo, reason="no report")
    assert administers(session, secretariat(vnsw), cbo.id)
    memberships.expel(session, SYSTEM, vnsw, cbo, reason="misconduct")
    assert not administers(session, secretariat(vnsw), cbo.id)


@pytest.mark.parametrize("ending", ["withdraw", "reject"])
def test_a_registration_holds_until_the_membership_it_led_to_ends(session, vnsw, make_org, ending):
    from registry.memberships import services as memberships
    from tests.factories import SYSTEM

    cbo = make_org(vnsw)
    assert administers(session, secretariat(vnsw), cbo.id)  # registered, not yet applied
    memberships.apply(session, editor(cbo), vnsw, cbo)
    assert administers(session, secretariat(vnsw), cbo.id)  # applying to the network that registered it
    memberships.transition(session, SYSTEM, vnsw, cbo, ending, reason="no longer working together")
    assert not administers(session, secretariat(vnsw), cbo.id)
    assert cbo.id not in subtree_ids(session, vnsw.id) and vnsw.id not in ancestor_network_ids(session, cbo.id)


def test_only_the_organisation_or_a_secretariat_it_is_under_applies_for_it(session, vnsw, wnu, make_org,
                                                                         member_of):
    from registry.memberships import services as memberships
    from registry.errors import NotPermitted

    regional = make_org(name="Test regional network", kind="regional_network", country=None)
    member_of(regional, vnsw)
    independent = make_org(regional, name="Independent group", country="LA")
    memberships.apply(session, secretariat(regional), regional, independent)
    outsider = make_org(wnu, name="Cambodian group", country="KH")
    member_of(wnu, outsider)
    for network, organisation in ((vnsw, wnu), (vnsw, outsider), (vnsw, independent), (wnu, vnsw)):
        with pytest.raises(NotPermitted):
            memberships.apply(session, secretariat(network), network, organisation)
        assert memberships.get_membership(session, network, organisation) is None
    memberships.apply(session, secretariat(wnu), vnsw, wnu)  # a network applies itself
    memberships.apply(session, editor(outsider), vnsw, outsider)  # an organisation applies itself
    cbo = make_org(vnsw)
    member_of(vnsw, cbo)
    memberships.apply(session, secretariat(vnsw), regional, cbo)  # VNSW puts its member forward


def test_reinstating_a_membership_that_ended_needs_the_organisations_consent(session, vnsw, make_org, member_of):
    from registry.memberships import services as memberships
    from registry.errors import NotPermitted
    from tests.factories import SYSTEM

    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    member_of(vnsw, cbo)
    memberships.suspend(session, secretariat(vnsw), vnsw, cbo, reason="dues")
    memberships.reinstate(session, secretariat(vnsw), vnsw, cbo, reason="paid")  # never left: the network's call
    memberships.withdraw(session, editor(cbo), vnsw, cbo)
    with pytest.raises(NotPermitted, match="only the organisation itself"):
        memberships.reinstate(session, secretariat(vnsw), vnsw, cbo, reason="we want it back")
    with pytest.raises(NotPermitted):
        memberships.reinstate(session, editor(cbo), vnsw, cbo, reason="back")  # nor is it its own call alone
    assert memberships.get_membership(session, vnsw, cbo).status is memberships.MembershipStatus.WITHDRAWN
    memberships.reinstate(session, SYSTEM, vnsw, cbo, reason="from the minutes")  # the operators may
    memberships.withdraw(session, editor(cbo), vnsw, cbo)
    memberships.apply(session, editor(cbo), vnsw, cbo)  # or it comes back by applying


def test_two_pending_applications_cannot_be_admitted_into_a_loop(session, make_org):
    from registry.memberships import services as memberships
    from registry.errors import ValidationFailed

    first = make_org(name="First network", kind="national_network")
    second = make_org(name="Second network", kind="national_network", country="KH")
    memberships.apply(session, secretariat(first), second, first)
    with pytest.raises(ValidationFailed, match="above"):
        memberships.apply(session, secretariat(second), first, second)


def test_an_applicant_reads_the_networks_governance_only_once_admitted(session, vnsw, wnu, make_org, member_of):
    from registry.memberships import services as memberships

    cbo = make_org(wnu, country="KH")
    member_of(wnu, cbo)
    memberships.apply(session, editor(cbo), vnsw, cbo)
    memberships.verify(session, secretariat(vnsw), vnsw, cbo)
    assert can(session, editor(cbo), Permission.READ_GOVERNANCE, wnu.id)
    assert not can(session, editor(cbo), Permission.READ_GOVERNANCE, vnsw.id)
    memberships.admit(session, secretariat(vnsw), vnsw, cbo)
    assert can(session, editor(cbo), Permission.READ_GOVERNANCE, vnsw.id)
