"""The network tree's table stays what the memberships and registrations say, through every
move a membership makes, and remembers when each link held."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry.memberships import services as memberships
from registry.networks import tree as network_tree
from registry.networks.models import NetworkLink
from tests.factories import SYSTEM

DAY = dt.date(2020, 1, 1)


def links(session, *, current=True):
    """(network, organisation, depth) for every link holding now (or every link ever)."""
    query = select(NetworkLink.ancestor_id, NetworkLink.descendant_id, NetworkLink.depth)
    if current:
        query = query.where(NetworkLink.current.is_(True))
    return sorted(tuple(row) for row in session.execute(query))


def worked_out_again(session):
    """The links a full rebuild from the memberships and registrations finds, on a copy."""
    nested = session.begin_nested()
    session.execute(NetworkLink.__table__.delete())
    network_tree.rebuild(session)
    found = links(session)
    nested.rollback()
    return found


def above_on(session, organisation, on):
    return set(session.scalars(select(NetworkLink.ancestor_id).where(
        NetworkLink.descendant_id == organisation.id, network_tree.held_on(on))))


def test_a_registration_puts_the_organisation_under_its_network_and_those_above(session, make_org, member_of):
    top = make_org(name="Global test network", kind="global_network", country=None)
    national = make_org(top, name="National test network", kind="national_network")
    member_of(top, national)
    cbo = make_org(national)
    assert (national.id, cbo.id, 1) in links(session)
    assert (top.id, cbo.id, 2) in links(session)
    assert links(session) == worked_out_again(session)


def test_an_application_links_nothing_until_it_is_admitted(session, make_org):
    network = make_org(name="Net", kind="national_network")
    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    memberships.apply(session, SYSTEM, network, cbo, on=DAY)
    memberships.verify(session, SYSTEM, network, cbo, on=DAY)
    assert (network.id, cbo.id, 1) not in links(session)
    memberships.admit(session, SYSTEM, network, cbo, on=dt.date(2020, 2, 1))
    assert (network.id, cbo.id, 1) in links(session)
    assert network.id not in above_on(session, cbo, dt.date(2020, 1, 15))
    assert network.id in above_on(session, cbo, dt.date(2020, 2, 1))


def test_suspended_and_lapsed_members_stay_linked_and_withdrawn_ones_leave(session, make_org):
    network = make_org(name="Net", kind="national_network")
    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    for action, day in (("apply", 1), ("verify", 2), ("admit", 3)):
        memberships.transition(session, SYSTEM, network, cbo, action, on=dt.date(2020, 1, day))
    memberships.suspend(session, SYSTEM, network, cbo, on=dt.date(2020, 2, 1), reason="dues")
    memberships.lapse(session, SYSTEM, network, cbo, on=dt.date(2020, 3, 1), reason="no reply")
    assert (network.id, cbo.id, 1) in links(session)
    memberships.withdraw(session, SYSTEM, network, cbo, on=dt.date(2020, 4, 1))
    assert (network.id, cbo.id, 1) not in links(session)
    assert network.id in above_on(session, cbo, dt.date(2020, 3, 31))
    assert network.id not in above_on(session, cbo, dt.date(2020, 4, 1))
    memberships.reinstate(session, SYSTEM, network, cbo, on=dt.date(2021, 1, 1), reason="came back")
    assert (network.id, cbo.id, 1) in links(session)
    assert network.id not in above_on(session, cbo, dt.date(2020, 6, 1))  # the gap is remembered
    assert network.id in above_on(session, cbo, dt.date(2021, 1, 1))
    assert links(session) == worked_out_again(session)


def test_an_organisation_that_leaves_its_registrar_is_no_longer_below_it(session, make_org, member_of):
    network = make_org(name="Net", kind="national_network")
    cbo = make_org(network)
    member_of(network, cbo)
    memberships.withdraw(session, SYSTEM, network, cbo)
    assert [link for link in links(session) if link[1] == cbo.id] == []
    memberships.reinstate(session, SYSTEM, network, cbo, reason="came back")
    assert (network.id, cbo.id, 1) in links(session)
    assert links(session) == worked_out_again(session)


def test_a_network_moving_takes_everything_below_it_along(session, make_org, member_of):
    top = make_org(name="Global test network", kind="global_network", country=None)
    national = make_org(name="National test network", kind="national_network")
    cbos = [make_org(national) for _ in range(3)]
    member_of(top, national)
    assert {(top.id, c.id, 2) for c in cbos} <= set(links(session))
    memberships.expel(session, SYSTEM, top, national, reason="left the movement")
    assert not {link for link in links(session) if link[0] == top.id}
    memberships.reinstate(session, SYSTEM, top, national, reason="back")
    assert {(top.id, c.id, 2) for c in cbos} <= set(links(session))
    assert links(session) == worked_out_again(session)


def test_two_ways_down_keep_the_shorter_and_one_ending_keeps_the_other(session, make_org, member_of):
    top = make_org(name="Global test network", kind="global_network", country=None)
    national = make_org(top, name="National test network", kind="national_network")
    member_of(top, national)
    cbo = make_org(national)
    member_of(top, cbo)  # also a direct member of the top network
    assert (top.id, cbo.id, 1) in links(session)
    memberships.withdraw(session, SYSTEM, top, cbo)
    assert (top.id, cbo.id, 2) in links(session)  # still below it, through its national network
    assert links(session) == worked_out_again(session)


def test_rebuilding_keeps_the_links_that_hold_and_their_dates(session, make_org):
    network = make_org(name="Net", kind="national_network")
    elsewhere = make_org(name="Elsewhere", kind="national_network")
    cbo = make_org(elsewhere)
    for action in ("apply", "verify", "admit"):
        memberships.transition(session, SYSTEM, network, cbo, action, on=DAY)
    before = session.execute(select(NetworkLink.id, NetworkLink.held_from)).all()
    network_tree.rebuild(session)
    assert session.execute(select(NetworkLink.id, NetworkLink.held_from)).all() == before


def test_many_moves_at_once_leave_the_links_and_their_dates_as_one_by_one(session, make_org):
    network = make_org(name="Net", kind="national_network")
    elsewhere = make_org(name="Elsewhere", kind="national_network")
    stays, leaves = make_org(elsewhere, name="Stays"), make_org(elsewhere, name="Leaves")
    Change = memberships.Change
    memberships.transitions(session, SYSTEM, network, [
        *(Change(cbo, action, on=dt.date(2020, 1, 1)) for cbo in (stays, leaves) for action in ("apply", "verify")),
        Change(stays, "admit", on=dt.date(2020, 2, 1)), Change(leaves, "admit", on=dt.date(2020, 3, 1)),
        Change(leaves, "withdraw", on=dt.date(2020, 5, 1)),  # moves again: its admission's links first
    ])
    assert (network.id, stays.id, 1) in links(session)
    assert (network.id, leaves.id, 1) not in links(session)
    assert network.id in above_on(session, stays, dt.date(2020, 2, 1))
    assert network.id not in above_on(session, stays, dt.date(2020, 1, 31))
    assert network.id in above_on(session, leaves, dt.date(2020, 4, 30))  # held while it was a member
    assert network.id not in above_on(session, leaves, dt.date(2020, 5, 1))
    assert links(session) == worked_out_again(session)
