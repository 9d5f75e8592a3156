"""A network on each date, read once for many dates: the growth series and the members on
each year-end agree with the members as of each date, read one date at a time."""

from __future__ import annotations

import datetime as dt

from registry.memberships import services as memberships
from registry.memberships.models import MembershipAction as A
from registry.networks.summaries import growth, network_summary, served_on
from tests.factories import SYSTEM

REASON = "decided at the members' meeting"


def history(session, make_org):
    """A national network whose members join, are suspended, come back and are expelled over
    four years, one of them a network with a member of its own."""
    national = make_org(name="Summarised national network", kind="national_network")
    early, late, gone, back = (make_org(national, areas_served=[area]) for area in ("VN-HN", "VN-SG", "VN-HP", "VN-HN"))
    for member, joined in ((early, dt.date(2012, 6, 1)), (late, dt.date(2014, 3, 1)),
                           (gone, dt.date(2012, 7, 1)), (back, dt.date(2013, 2, 1))):
        for action in (A.APPLY, A.VERIFY, A.ADMIT):
            memberships.transition(session, SYSTEM, national, member, action, on=joined)
    memberships.suspend(session, SYSTEM, national, gone, on=dt.date(2013, 1, 15), reason=REASON)
    memberships.expel(session, SYSTEM, national, gone, on=dt.date(2013, 6, 1), reason=REASON)
    memberships.suspend(session, SYSTEM, national, back, on=dt.date(2013, 5, 1), reason=REASON)
    memberships.reinstate(session, SYSTEM, national, back, on=dt.date(2015, 1, 10), reason=REASON)
    session.flush()
    return national


def test_growth_counts_each_year_end_as_the_members_on_that_day(session, make_org):
    national = history(session, make_org)
    points = growth(session, national)
    assert [p.on.year for p in points] == list(range(2012, dt.date.today().year + 1))
    assert [p.members for p in points] == [
        len(memberships.members_as_of(session, national.id, p.on)) for p in points]
    assert [p.members for p in points[:4]] == [2, 1, 2, 3]
    assert network_summary(session, national).statuses == {"active": 3, "expelled": 1}


def test_served_on_many_dates_is_each_dates_members_areas(session, make_org, member_of):
    national = history(session, make_org)
    regional = make_org(name="Summarised regional network", kind="regional_network", country=None)
    member_of(regional, national)
    dates = [dt.date(2012, 12, 31), dt.date(2013, 12, 31), dt.date(2014, 12, 31), None]
    for network in (national, regional):
        found = served_on(session, network, dates)
        for on in dates:
            members = memberships.members_as_of(session, network.id, on, recursive=True)
            assert found[on] == (frozenset(c for m in members for c in m.areas_served) if members else None)
    assert found[None] and found[dt.date(2012, 12, 31)] is None  # the regional network admitted it today


def test_the_summary_counts_the_members_on_the_date(session, make_org):
    national = history(session, make_org)
    then, now = network_summary(session, national, dt.date(2012, 12, 31)), network_summary(session, national)
    assert (then.members, then.areas) == (2, ("VN-HN", "VN-HP"))
    assert (now.members, now.areas, now.member_networks) == (3, ("VN-HN", "VN-SG"), 0)


def test_the_summary_counts_priority_areas_most_common_first_and_ties_in_the_order_met(session, make_org):
    """Counted in SQL, as the members' profiles read one by one give them: by count, and a tie
    in the order met (members by name, each member's terms in the vocabulary's order)."""
    from collections import Counter

    network = make_org(name="Prioritised national network", kind="national_network")
    chosen = [["stigma", "health"], ["violence"], ["health", "decriminalisation"], ["violence", "stigma"],
              ["economic-empowerment"], []]
    for number, areas in zip((5, 3, 1, 4, 2, 6), chosen, strict=True):
        member = make_org(network, name=f"Prioritised member {number}", priority_areas=areas, country="KH")
        for action in (A.APPLY, A.VERIFY, A.ADMIT):
            memberships.transition(session, SYSTEM, network, member, action, on=dt.date(2020, 1, 1))
    session.flush()
    members = memberships.members_as_of(session, network.id)
    expected = Counter(code for member in sorted(members, key=lambda o: (o.name_key, o.id))
                       for code in member.priority_areas)
    summary = network_summary(session, network)
    assert list(summary.priority_areas.items()) == expected.most_common()
    assert (summary.members, summary.countries, summary.member_networks, summary.sample_members) == (6, ("KH",), 0, 0)
