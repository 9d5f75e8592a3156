"""Membership lifecycle: every legal and illegal transition, dates, as-of queries, nesting."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.memberships import services as memberships
from registry.access.models import AuditEntry
from registry.errors import InvalidTransition, NotPermitted, ValidationFailed
from registry.organisations.known import lookups
from registry.memberships.models import LIFECYCLE, MembershipAction, MembershipEvent, MembershipStatus
from tests.factories import SYSTEM, board, editor, secretariat

A, S = MembershipAction, MembershipStatus
REASON = "decided at the members' meeting"

# The shortest path of actions from no membership to each state.
PATH_TO: dict[MembershipStatus | None, list[MembershipAction]] = {
    None: [],
    S.APPLIED: [A.APPLY],
    S.VERIFIED: [A.APPLY, A.VERIFY],
    S.ACTIVE: [A.APPLY, A.VERIFY, A.ADMIT],
    S.SUSPENDED: [A.APPLY, A.VERIFY, A.ADMIT, A.SUSPEND],
    S.LAPSED: [A.APPLY, A.VERIFY, A.ADMIT, A.LAPSE],
    S.WITHDRAWN: [A.APPLY, A.VERIFY, A.ADMIT, A.WITHDRAW],
    S.EXPELLED: [A.APPLY, A.VERIFY, A.ADMIT, A.EXPEL],
    S.REJECTED: [A.APPLY, A.REJECT],
}
ALL_STATES = list(PATH_TO)
LEGAL = [(action, state) for action, (froms, _) in LIFECYCLE.items() for state in froms]
ILLEGAL = [(action, state) for action, (froms, _) in LIFECYCLE.items()
           for state in ALL_STATES if state not in froms]


def bring_to(session, network, member, state):
    for action in PATH_TO[state]:
        memberships.transition(session, SYSTEM, network, member, action, reason=REASON)


def events(session):
    return session.scalar(select(func.count()).select_from(MembershipEvent))


def test_every_state_is_reachable_and_the_paths_are_right(session, vnsw, make_org):
    for state in ALL_STATES:
        member = make_org(vnsw)
        bring_to(session, vnsw, member, state)
        found = memberships.get_membership(session, vnsw, member)
        assert (found.status if found else None) == state


@pytest.mark.parametrize(("action", "state"), LEGAL, ids=lambda v: getattr(v, "value", str(v)))
def test_legal_transition(session, vnsw, make_org, action, state):
    member = make_org(vnsw)
    bring_to(session, vnsw, member, state)
    membership = memberships.transition(session, SYSTEM, vnsw, member, action, reason=REASON)
    assert membership.status == LIFECYCLE[action][1]
    last = membership.events[-1]
    assert (last.action, last.from_status, last.to_status) == (action, state, LIFECYCLE[action][1])
    assert last.effective_on == dt.date.today() and last.actor == SYSTEM.label and last.reason == REASON


@pytest.mark.parametrize(("action", "state"), ILLEGAL, ids=lambda v: getattr(v, "value", str(v)))
def test_illegal_transition_is_refused_and_writes_nothing(session, vnsw, make_org, action, state):
    member = make_org(vnsw)
    bring_to(session, vnsw, member, state)
    before_events = events(session)
    before_audit = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(InvalidTransition, match=action.value):
        memberships.transition(session, SYSTEM, vnsw, member, action, reason=REASON)
    assert events(session) == before_events
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before_audit
    found = memberships.get_membership(session, vnsw, member)
    assert (found.status if found else None) == state


@pytest.mark.parametrize("verb", ["apply", "verify", "admit", "reject", "suspend", "lapse",
                                  "reinstate", "withdraw", "expel"])
def test_each_verb_is_the_transition_of_its_name(session, vnsw, make_org, verb):
    action = MembershipAction(verb)
    state = next(iter(s for s in LIFECYCLE[action][0]))
    member = make_org(vnsw)
    bring_to(session, vnsw, member, state)
    membership = getattr(memberships, verb)(session, SYSTEM, vnsw, member, reason=REASON)
    assert membership.status == LIFECYCLE[action][1]


@pytest.mark.parametrize("action", sorted(memberships.REASON_REQUIRED))
def test_decisions_need_a_reason(session, vnsw, make_org, action):
    member = make_org(vnsw)
    state = sorted(s for s in LIFECYCLE[action][0] if s is not None)[0]
    bring_to(session, vnsw, member, state)
    with pytest.raises(ValidationFailed, match="reason"):
        memberships.transition(session, SYSTEM, vnsw, member, action, reason="  ")


def test_dates_cannot_be_in_the_future_or_go_backwards(session, vnsw, make_org):
    member = make_org(vnsw)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed, match="future"):
        memberships.apply(session, SYSTEM, vnsw, member, on=tomorrow)
    memberships.apply(session, SYSTEM, vnsw, member, on=dt.date(2015, 5, 1))
    with pytest.raises(ValidationFailed, match="2015-05-01"):
        memberships.verify(session, SYSTEM, vnsw, member, on=dt.date(2015, 4, 30))
    assert memberships.get_membership(session, vnsw, member).status is S.APPLIED


def test_members_as_of_a_date(session, vnsw, make_org):
    early, late, gone = make_org(vnsw), make_org(vnsw), make_org(vnsw)
    for member, joined in ((early, dt.date(2012, 6, 1)), (late, dt.date(2014, 3, 1)),
                           (gone, dt.date(2012, 7, 1))):
        for action in (A.APPLY, A.VERIFY, A.ADMIT):
            memberships.transition(session, SYSTEM, vnsw, member, action, on=joined)
    memberships.suspend(session, SYSTEM, vnsw, gone, on=dt.date(2013, 1, 15), reason=REASON)
    memberships.expel(session, SYSTEM, vnsw, gone, on=dt.date(2013, 6, 1), reason=REASON)

    def ids(on):
        return {o.id for o in memberships.members_as_of(session, vnsw.id, on)}

    assert ids(dt.date(2012, 5, 31)) == set()
    assert ids(dt.date(2012, 12, 31)) == {early.id, gone.id}
    assert ids(dt.date(2013, 2, 1)) == {early.id}
    assert {o.id for o in memberships.members_as_of(
        session, vnsw.id, dt.date(2013, 2, 1), statuses=[S.ACTIVE, S.SUSPENDED])} == {early.id, gone.id}
    assert ids(None) == {early.id, late.id}


def test_undated_changes_count_only_for_now(session, vnsw, make_org):
    member = make_org(vnsw)
    for action in (A.APPLY, A.VERIFY, A.ADMIT):
        memberships.transition(session, SYSTEM, vnsw, member, action, undated=True)
    assert [o.id for o in memberships.members_as_of(session, vnsw.id)] == [member.id]
    assert memberships.members_as_of(session, vnsw.id, dt.date(2020, 1, 1)) == []
    assert memberships.get_membership(session, vnsw, member).status_since is None


def test_networks_nest_and_recursive_queries_reach_the_bottom(session, make_org, member_of):
    nswp = make_org(name="Global test network", kind="global_network", country=None)
    apnsw = make_org(nswp, name="Regional test network", kind="regional_network", country=None)
    national = make_org(apnsw, name="National test network", kind="national_network")
    cbo = make_org(national, name="Test CBO")
    member_of(nswp, apnsw)
    member_of(apnsw, national)
    member_of(national, cbo)
    assert [o.id for o in memberships.members_as_of(session, nswp.id)] == [apnsw.id]
    nested = {o.id for o in memberships.members_as_of(session, nswp.id, recursive=True)}
    assert nested == {apnsw.id, national.id, cbo.id}


def test_no_cycles_and_only_networks_have_members(session, vnsw, make_org, member_of):
    cbo = make_org(vnsw)
    member_of(vnsw, cbo)
    other = make_org(vnsw)
    with pytest.raises(ValidationFailed, match="not a network"):
        memberships.apply(session, SYSTEM, cbo, other)
    with pytest.raises(ValidationFailed, match="above"):
        memberships.apply(session, SYSTEM, vnsw, vnsw)
    regional = make_org(name="Regional test network", kind="regional_network", country=None)
    member_of(regional, vnsw)
    with pytest.raises(ValidationFailed, match="above"):
        memberships.apply(session, SYSTEM, vnsw, regional)


def test_a_name_already_in_the_network_cannot_join_it(session, vnsw, wnu, make_org, member_of):
    member_of(vnsw, make_org(vnsw, name="Hoa Sen Group"))
    twin = make_org(wnu, name="Hòa Sen group", country="KH")
    with pytest.raises(Exception, match="already"):
        memberships.apply(session, SYSTEM, vnsw, twin)



def test_of_two_alike_names_applying_in_one_load_the_second_is_refused(session, vnsw, wnu, make_org):
    first = make_org(wnu, name="Hoa Sen Group", country="KH")
    laos = make_org(name="Lao test network", kind="national_network", country="LA")
    second = make_org(laos, name="Hòa Sen group", country="LA")
    lookups(session).load_names([vnsw.id], SYSTEM)  # as a bulk load reads them, once for the lot
    refusals = []
    memberships.transitions(session, SYSTEM, vnsw, [memberships.Change(first, A.APPLY),
                                                    memberships.Change(second, A.APPLY)],
                            refused=lambda index, error: refusals.append((index, str(error))))
    assert [index for index, _ in refusals] == [1] and "already" in refusals[0][1]
    assert memberships.get_membership(session, vnsw, second) is None


def test_of_two_alike_names_applying_in_one_call_the_second_is_refused_where_the_names_are_read_from_sql(
        session, vnsw, wnu, make_org):
    """A secretariat applying for two of its organisations: the names in the network were not read
    beforehand, so each check reads them from the database, which holds the first application by
    then (transitions writes the memberships it begins before such a check)."""
    first = make_org(wnu, name="Hoa Sen Group", country="KH")
    below = make_org(wnu, name="Lao test network", kind="national_network", country="LA")
    second = make_org(below, name="Hòa Sen group", country="LA")
    actor = secretariat(wnu)
    assert not lookups(session).names_read([vnsw.id], actor)
    refusals = []
    memberships.transitions(session, actor, vnsw, [memberships.Change(first, A.APPLY),
                                                   memberships.Change(second, A.APPLY)],
                            refused=lambda index, error: refusals.append((index, str(error))))
    assert [index for index, _ in refusals] == [1] and "already" in refusals[0][1]
    assert memberships.get_membership(session, vnsw, first).status is S.APPLIED
    assert memberships.get_membership(session, vnsw, second) is None


class TestWhoMayMoveMemberships:
    def test_an_editor_applies_and_withdraws_its_own_organisation(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        memberships.apply(session, editor(cbo), vnsw, cbo)
        memberships.withdraw(session, editor(cbo), vnsw, cbo)
        assert memberships.get_membership(session, vnsw, cbo).status is S.WITHDRAWN

    def test_an_editor_cannot_verify_or_admit(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        memberships.apply(session, editor(cbo), vnsw, cbo)
        with pytest.raises(NotPermitted):
            memberships.verify(session, editor(cbo), vnsw, cbo)

    def test_another_organisations_editor_cannot_apply_for_it(self, session, vnsw, make_org):
        cbo, other = make_org(vnsw), make_org(vnsw)
        with pytest.raises(NotPermitted):
            memberships.apply(session, editor(other), vnsw, cbo)

    def test_the_networks_secretariat_runs_the_whole_lifecycle(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        actor = secretariat(vnsw)
        for action in (A.APPLY, A.VERIFY, A.ADMIT, A.SUSPEND, A.REINSTATE):
            memberships.transition(session, actor, vnsw, cbo, action, reason=REASON)
        assert memberships.get_membership(session, vnsw, cbo).status is S.ACTIVE

    def test_another_networks_secretariat_cannot_touch_it(self, session, vnsw, wnu, make_org):
        cbo = make_org(vnsw)
        memberships.apply(session, SYSTEM, vnsw, cbo)
        for action in (A.VERIFY, A.REJECT, A.WITHDRAW):
            with pytest.raises(NotPermitted):
                memberships.transition(session, secretariat(wnu), vnsw, cbo, action, reason=REASON)

    def test_a_board_member_only_reads(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        with pytest.raises(NotPermitted):
            memberships.apply(session, board(vnsw), vnsw, cbo)

    def test_anonymous_cannot_apply(self, session, vnsw, make_org):
        from registry.access.permissions import Actor

        with pytest.raises(NotPermitted):
            memberships.apply(session, Actor.anonymous(), vnsw, make_org(vnsw))


def test_every_transition_is_audited(session, vnsw, make_org):
    cbo = make_org(vnsw)
    memberships.apply(session, secretariat(vnsw), vnsw, cbo, on=dt.date(2020, 1, 2))
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "membership_apply" and entry.organisation_id == cbo.id
    assert entry.actor == "secretariat of TVN"
    assert entry.changes["status"] == [None, "applied"]
    assert entry.changes["effective_on"] == [None, "2020-01-02"]
