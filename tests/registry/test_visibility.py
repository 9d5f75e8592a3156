"""The Reader answers alike in SQL and for one organisation at a time: the organisations a list
may hold are exactly those whose tier is not None, for every role, in a tree with a global
network, national networks, members in every state, unlisted and delisted organisations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.networks.directory import memberships_of_member
from registry.errors import NotFound
from registry.organisations.models import PUBLISHABLE_FIELDS
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from registry.access.visibility import FIELD_TIERS, Visibility, audience, reader_for
from tests.factories import SYSTEM, board, editor, secretariat


@pytest.fixture
def tree(session, make_org, member_of):
    top = make_org(name="Global test network", kind="global_network", country=None)
    vn = make_org(top, name="National VN", kind="national_network", public_listing=True)
    kh = make_org(top, name="National KH", kind="national_network", country="KH")
    member_of(top, vn)
    member_of(top, kh)
    listed = make_org(vn, name="Listed", public_listing=True)
    unlisted = make_org(vn, name="Unlisted")
    suspended = make_org(vn, name="Suspended")
    applicant = make_org(kh, name="Applicant of VN")
    left = make_org(vn, name="Left", public_listing=True)
    delisted = make_org(kh, name="Delisted")
    for member in (listed, unlisted, suspended, left):
        member_of(vn, member)
    member_of(kh, delisted)
    memberships.suspend(session, SYSTEM, vn, suspended, reason="dues")
    memberships.withdraw(session, SYSTEM, vn, left)
    memberships.apply(session, SYSTEM, vn, applicant)
    organisations.set_status(session, SYSTEM, delisted, "delisted", reason="closed")
    session.flush()
    return {"top": top, "vn": vn, "kh": kh, "listed": listed, "unlisted": unlisted, "suspended": suspended,
            "applicant": applicant, "left": left, "delisted": delisted}


def actors(tree):
    yield Actor.anonymous()
    yield SYSTEM
    for name in ("top", "vn", "kh"):
        yield secretariat(tree[name])
        yield board(tree[name])
    for name in ("listed", "unlisted", "suspended", "applicant", "left", "delisted"):
        yield editor(tree[name])


def test_a_list_holds_exactly_what_the_reader_sees_of_each(session, tree):
    everyone = session.scalars(select(Organisation)).all()
    for actor in actors(tree):
        reader = reader_for(session, actor)
        listed = set(session.scalars(select(Organisation.id).where(reader.may_see())))
        assert listed == {o.id for o in everyone if reader.tier(o) is not None}, actor.label
        assert set(session.scalars(select(Organisation.id).where(reader.may_see(row_by_row=True)))) == listed
        for field in ("priority_areas", "networks", "areas_served"):
            matching = set(session.scalars(select(Organisation.id).where(reader.may_see(), reader.sees_field(field))))
            assert matching == {o.id for o in everyone if reader.shows(o, field)}, (actor.label, field)


def test_a_list_counts_exactly_what_it_holds(session, tree):
    """count_seen counts the listed and the others the reader sees apart: together, exactly the
    organisations may_see lets a list hold, with or without other conditions."""
    tree["unlisted"].published_fields = ["networks"]
    session.flush()
    for actor in actors(tree):
        reader = reader_for(session, actor)
        for query in (select(Organisation), select(Organisation).where(Organisation.status != "delisted"),
                      select(Organisation).where(reader.sees_field("networks"))):
            held = len(session.scalars(query.where(reader.may_see())).all())
            assert session.scalar(reader.count_seen(query)) == held, actor.label


def test_what_each_reader_sees_of_the_tree(session, tree):
    def seen(actor):
        reader = reader_for(session, actor)
        return {name for name, o in tree.items() if reader.tier(o) is not None}

    assert seen(Actor.anonymous()) == {"vn", "listed", "left"}
    # VNSW's secretariat: its subtree (a suspended member too), and the applicant it reviews.
    assert seen(secretariat(tree["vn"])) >= {"vn", "listed", "unlisted", "suspended", "applicant", "top"}
    assert "delisted" not in seen(secretariat(tree["vn"]))
    # The global network's secretariat reads everything below it, not what left its subtree.
    assert seen(secretariat(tree["top"])) >= {"vn", "kh", "listed", "unlisted", "suspended", "delisted"}
    # An applicant has no fellows in the network it applied to until admitted.
    assert "unlisted" not in seen(editor(tree["applicant"]))
    assert "unlisted" in seen(editor(tree["listed"]))


def test_a_profile_form_says_who_reads_each_field_as_the_reader_decides(session, tree):
    """`audience` agrees with the Reader: the public reads a field exactly when it says everyone."""
    anonymous = reader_for(session, Actor.anonymous())
    for name in ("listed", "unlisted"):
        organisation = tree[name]
        organisation.published_fields = ["priority_areas", "website"]
        for field in FIELD_TIERS:
            public = audience(organisation, field) is Visibility.PUBLIC
            assert public == (anonymous.tier(organisation) is not None and anonymous.shows(organisation, field)), field
    assert audience(tree["listed"], "populations") is Visibility.NETWORK  # not published
    assert audience(tree["listed"], "memberships") is Visibility.BOARD
    assert set(PUBLISHABLE_FIELDS) <= set(FIELD_TIERS)


def test_an_organisation_reads_its_own_memberships_and_nobody_else_but_its_secretariats(session, tree):
    own = memberships_of_member(session, editor(tree["suspended"]), tree["suspended"])
    assert [(m.network.name, m.status.value) for m in own] == [("National VN", "suspended")]
    assert [e.action.value for e in own[0].events] == ["apply", "verify", "admit", "suspend"]
    assert memberships_of_member(session, secretariat(tree["vn"]), tree["suspended"]) == own
    for outsider in (editor(tree["listed"]), board(tree["vn"]), secretariat(tree["kh"]), Actor.anonymous()):
        with pytest.raises(NotFound):
            memberships_of_member(session, outsider, tree["suspended"])


def test_a_count_in_sql_sees_each_public_field_as_the_reader_shows_it(session, tree):
    tree["listed"].published_fields = ["networks", "priority_areas"]  # its areas kept to itself
    tree["vn"].published_fields = ["networks", "areas_served"]
    session.flush()
    everyone = session.scalars(select(Organisation)).all()
    for actor in actors(tree):
        reader = reader_for(session, actor)
        for field in ("networks", "areas_served", "priority_areas", "name"):
            counted = set(session.scalars(select(Organisation.id).where(reader.shown(field))))
            assert counted == {o.id for o in everyone if reader.shows(o, field)}, (actor.label, field)
    with pytest.raises(ValueError):
        reader_for(session, Actor.anonymous()).shown("drop_in_centres")
