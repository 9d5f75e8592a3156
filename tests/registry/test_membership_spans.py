"""The spans of a membership's statuses answer as its events do: the status on any date, a
network's active members at each year-end and the areas they serve on each date are what the
events give when read one membership and one date at a time (Membership.status_on), over
histories with changes made the same day, backdated, undated, made today and dated out of
order, through member networks that come and go."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import insert, select

from registry.db import today
from registry.memberships import services as memberships, spans
from registry.memberships.models import (LIFECYCLE, REASON_REQUIRED, Membership, MembershipAction as A,
                                         MembershipEvent, MembershipSpan, MembershipStatus as S)
from registry.networks.summaries import growth, served_on
from tests.factories import SYSTEM

AREAS = ((), ("VN-HN",), ("VN-SG",), ("VN-HP", "VN-HN"), ("KH-12",))


def wander(session, rng, network, member, *, start):
    """A history of random moves the lifecycle allows, on dates that never go back: some the
    same day, some undated, the last perhaps today."""
    on, status = start, None
    for _ in range(rng.randint(1, 7)):
        action = rng.choice([a for a, (allowed, _) in LIFECYCLE.items() if status in allowed])
        on = min(on + dt.timedelta(days=rng.choice([0, 0, 40, 200, 366, 700])), today())
        undated = rng.random() < 0.15
        memberships.transition(session, SYSTEM, network, member, action, on=None if undated else on,
                               undated=undated, reason="decided at the meeting" if action in REASON_REQUIRED else "")
        status = LIFECYCLE[action][1]


def histories(session, make_org, seed):
    """A national network with a regional one among its members (and a national one below
    that), each with members of their own, some in two of them, some serving no area."""
    rng = random.Random(seed)
    national = make_org(name=f"Spanned national network {seed}", kind="national_network")
    regional = make_org(name=f"Spanned regional network {seed}", kind="regional_network", country=None)
    below = make_org(name=f"Spanned national network below {seed}", kind="national_network", country="KH")
    for network, member, start in ((national, regional, dt.date(2011, 3, 1)), (regional, below, dt.date(2012, 5, 1))):
        for action in (A.APPLY, A.VERIFY, A.ADMIT):
            memberships.transition(session, SYSTEM, network, member, action, on=start)
        memberships.suspend(session, SYSTEM, network, member, on=start.replace(year=start.year + 2), reason="late")
        memberships.reinstate(session, SYSTEM, network, member, on=start.replace(year=start.year + 3), reason="paid")
    members = [make_org(national, areas_served=list(rng.choice(AREAS))) for _ in range(14)]
    for member in members:
        networks = rng.sample([national, regional, below], rng.choice([1, 1, 2]))
        for network in networks:
            wander(session, rng, network, member, start=dt.date(rng.randint(2009, 2018), rng.randint(1, 12), 1))
    # Admitted today, and admitted on an undocumented day: both count only for today.
    for areas, undated in ((["VN-SG"], False), (["LA-VT"], True)):
        member = make_org(national, areas_served=areas)
        for action in (A.APPLY, A.VERIFY, A.ADMIT):
            memberships.transition(session, SYSTEM, regional, member, action, undated=undated)
    # Admitted on a day, suspended on an undocumented one: active on every date but today.
    suspended = make_org(below, areas_served=["KH-17"])
    for action in (A.APPLY, A.VERIFY, A.ADMIT):
        memberships.transition(session, SYSTEM, below, suspended, action, on=dt.date(2015, 2, 1))
    memberships.suspend(session, SYSTEM, below, suspended, undated=True, reason="late")
    # Changes older than the rule that refuses them: dated before the membership's last one.
    out_of_order = session.scalar(select(Membership).where(Membership.network_id == national.id)
                                  .order_by(Membership.id))
    session.execute(insert(MembershipEvent.__table__), [
        {"membership_id": out_of_order.id, "action": action, "from_status": None, "to_status": status,
         "effective_on": on, "actor": "tests", "actor_role": "system", "reason": ""}
        for action, status, on in ((A.LAPSE, S.LAPSED, dt.date(2010, 6, 30)), (A.REINSTATE, S.ACTIVE,
                                                                                dt.date(2009, 1, 1)))])
    spans.refresh(session, [out_of_order.id])
    session.flush()
    session.expire_all()
    return national, regional, below


def reference(session, network_id, on, *, recursive=True):
    """members_as_of, worked out in Python from each membership's events."""
    found, frontier, seen = set(), [network_id], {network_id}
    while frontier:
        below = []
        for membership in session.scalars(select(Membership).where(Membership.network_id.in_(frontier))):
            if membership.status_on(on) is S.ACTIVE:
                found.add(membership.member_id)
                if recursive and membership.member.is_network and membership.member_id not in seen:
                    seen.add(membership.member_id)
                    below.append(membership.member_id)
        frontier = below
    return found


def dates_to_ask(session):
    """Every day a change took effect, the days either side, every year-end, mid-years, today."""
    changed = {on for on in session.scalars(select(MembershipEvent.effective_on)) if on is not None}
    near = {on + dt.timedelta(days=d) for on in changed for d in (-1, 0, 1)}
    years = {dt.date(y, m, d) for y in range(2008, today().year + 1) for m, d in ((12, 31), (6, 30))}
    return sorted(on for on in near | years | {today()} if on <= today())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spans_answer_as_the_events_do(session, make_org, seed):
    national, regional, below = histories(session, make_org, seed)
    every = list(session.scalars(select(Membership).order_by(Membership.id)))
    # What the write path kept is what the events give, derived afresh.
    kept = sorted(session.execute(select(MembershipSpan.membership_id, MembershipSpan.held_from,
                                         MembershipSpan.held_until, MembershipSpan.network_id,
                                         MembershipSpan.member_id, MembershipSpan.status)).all())
    assert kept == sorted(session.execute(spans.derived()).all())
    dates = dates_to_ask(session)
    for on in dates:
        status = dict(session.execute(select(Membership.id, memberships.status_on(on))).all())
        assert status == {m.id: m.status_on(on) for m in every}, on
    for network in (national, regional, below):
        points = growth(session, network)
        first = min(on for m in every if m.network_id == network.id for on in
                    (e.effective_on for e in m.events) if on is not None)
        assert [p.on for p in points] == [dt.date(y, 12, 31) for y in range(first.year, today().year)] + [today()]
        assert [p.members for p in points] == [len(reference(session, network.id, p.on, recursive=False))
                                               for p in points]
        asked = [*dates[::7], today(), None, dt.date(2005, 1, 1)]
        found = served_on(session, network, asked)
        for on in asked:
            members = reference(session, network.id, on)
            codes = {link.area_code for m in every if m.member_id in members for link in m.member.area_links}
            assert found[on] == (frozenset(codes) if members else None), (network.name, on)
            assert {o.id for o in memberships.members_as_of(session, network.id, on, recursive=True)} == members


def test_a_membership_changed_only_on_undocumented_days_has_no_span(session, make_org):
    network = make_org(name="Undated national network", kind="national_network")
    member = make_org(network)
    for action in (A.APPLY, A.VERIFY, A.ADMIT):
        membership = memberships.transition(session, SYSTEM, network, member, action, undated=True)
    session.flush()
    assert session.scalars(select(MembershipSpan).where(MembershipSpan.membership_id == membership.id)).all() == []
    assert [(p.on, p.members) for p in growth(session, network)] == [(today(), 1)]
    assert served_on(session, network, [dt.date(2020, 12, 31), None]) == {dt.date(2020, 12, 31): None,
                                                                            None: frozenset()}
