"""Registering organisations and keeping their profiles: validation, rights, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.organisations import services as organisations
from registry.vocabularies import services as vocabularies
from registry.access.models import AuditEntry
from registry.access.audit import history
from registry.errors import Conflict, NotPermitted, ValidationFailed
from registry.names import fold
from registry.organisations.models import Organisation, OrganisationStatus, Visibility
from registry.access.permissions import Actor
from registry.vocabularies.models import Vocabulary
from tests.factories import SYSTEM, board, editor, secretariat


def counts(session):
    return (session.scalar(select(func.count()).select_from(Organisation)),
            session.scalar(select(func.count()).select_from(AuditEntry)))


def test_register_stores_the_profile_and_audits_it(session, vnsw):
    cbo = organisations.register_organisation(
        session, secretariat(vnsw), network=vnsw, kind="community_organisation",
        name="  Sample CBO Hà Nội ", acronym="SCH", country="vn", founding_date="2012-07",
        sex_worker_led="yes", sex_worker_involvement="Run by sex workers.",
        populations=["female-sex-workers"], services=["outreach", "legal-aid"],
        priority_areas=["health", "stigma"], areas_served=["VN-HN", "vn-sg"],
        languages=["vi", "EN"], drop_in_centres=1, website="https://example.org/cbo",
        name_translations={"vi": "Nhóm mẫu Hà Nội"},
    )
    assert cbo.name == "Sample CBO Hà Nội" and cbo.country == "VN" and cbo.registered_by_id == vnsw.id
    assert cbo.services == ["outreach", "legal-aid"] and cbo.areas_served == ["VN-HN", "VN-SG"]
    assert cbo.languages == ["vi", "en"] and cbo.public_listing is False  # listing is opt-in
    assert cbo.status is OrganisationStatus.ACTIVE and cbo.version == 1
    assert "ha noi" in cbo.search_text and "nhom mau ha noi" in cbo.search_text
    entry = history(session, organisation_id=cbo.id)[0]
    assert entry.action == "register_organisation" and entry.actor == "secretariat of TVN"
    assert entry.changes["name"] == [None, "Sample CBO Hà Nội"]
    assert entry.changes["priority_areas"] == [None, ["health", "stigma"]]


def test_areas_are_given_by_code_or_by_name_in_any_script_and_stored_as_codes(session, vnsw):
    """As the import takes them: "TP. Hồ Chí Minh", "ha noi", "Khan Chamkar Mon", a code in
    lower case; what is stored is the code, once."""
    organisation = organisations.register_organisation(
        session, SYSTEM, network=vnsw, kind="community_organisation", name="Sample CBO by place names",
        country="VN", areas_served=["TP. Hồ Chí Minh", "ha noi", "vn-hn", "Khan Chamkar Mon"])
    assert organisation.areas_served == ["KH-1201", "VN-HN", "VN-SG"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("country", "XX", "ISO 3166-1"),
    ("founding_date", "2012-13", "calendar"),
    ("founding_date", "3000", "plausible"),
    ("founding_date", "12/2012", "YYYY"),
    ("priority_areas", ["health", "world-peace"], "world-peace"),
    ("populations", ["sailors"], "sailors"),
    ("services", "outreach", "list"),
    ("areas_served", ["VN-ZZ"], "no place called 'VN-ZZ' is known"),
    ("areas_served", ["Atlantis"], "no place called 'Atlantis' is known"),
    ("languages", ["xx"], "ISO 639"),
    ("drop_in_centres", -1, "whole number"),
    ("drop_in_centres", 2.5, "whole number"),
    ("drop_in_centres", True, "whole number"),
    ("website", "javascript:alert(1)", "https://"),
    ("sex_worker_led", "maybe", "yes, partly, no"),
    ("name", "", "empty"),
    ("name", "x" * 301, "300"),
    ("name", "bad\x00name", "control"),
    ("name", "lone \ud800 surrogate", "invalid code points"),
    ("public_listing", "yes", "true or false"),
    ("name_translations", {"vi": ""}, "empty"),
    ("name_translations", {"zz": "x"}, "ISO 639"),
])
def test_invalid_values_are_refused_and_nothing_is_written(session, vnsw, field, value, message):
    before = counts(session)
    profile = {"name": "Valid name", "country": "VN", field: value}
    with pytest.raises(ValidationFailed) as refused:
        organisations.register_organisation(session, SYSTEM, network=vnsw,
                                            kind="community_organisation", **profile)
    assert message in " ".join(refused.value.fields[field])
    assert counts(session) == before


def test_every_problem_is_reported_at_once(session, vnsw):
    with pytest.raises(ValidationFailed) as refused:
        organisations.register_organisation(session, SYSTEM, network=vnsw, kind="community_organisation",
                                            name="X", country="XX", website="ftp://x", drop_in_centres=-3)
    assert set(refused.value.fields) == {"country", "website", "drop_in_centres"}


def test_community_organisations_need_a_country(session, vnsw):
    with pytest.raises(ValidationFailed, match="country"):
        organisations.register_organisation(session, SYSTEM, network=vnsw,
                                            kind="community_organisation", name="No country")


def test_duplicate_names_within_a_network_are_refused_ignoring_case_and_diacritics(
        session, vnsw, wnu, make_org):
    make_org(vnsw, name="Nhóm Hoa Sen")
    with pytest.raises(Conflict, match="already"):
        make_org(vnsw, name="nhom hoa sen")
    assert make_org(wnu, name="Nhóm Hoa Sen", country="KH").name == "Nhóm Hoa Sen"


def test_many_registered_at_once_each_checked_the_refused_told_by_index_and_left_out(session, vnsw, make_org):
    def cbo(name, **more):
        return {"kind": "community_organisation", "country": "VN", "name": name, **more}

    make_org(vnsw, name="Nhóm Hoa Sen")
    refused = {}
    made = organisations.register_organisations(
        session, secretariat(vnsw), network=vnsw, refused=lambda index, error: refused.setdefault(index, error),
        profiles=[cbo("Nhóm Cúc", areas_served=["VN-HN"]),
                  cbo("nhom hoa sen"),  # taken in the network
                  cbo("Nhóm Mai", drop_in_centres=-1),
                  cbo("NHÓM CÚC"),  # taken by the first of these
                  cbo("Nhóm Lan", priority_areas=["health"])])
    assert [o and o.name for o in made] == ["Nhóm Cúc", None, None, None, "Nhóm Lan"]
    assert {i: type(e) for i, e in refused.items()} == {1: Conflict, 2: ValidationFailed, 3: Conflict}
    assert made[0].areas_served == ["VN-HN"] and made[4].priority_areas == ["health"] and made[4].contacts == []
    assert [e.action for e in history(session, organisation_id=made[4].id)] == ["register_organisation"]
    before = counts(session)
    with pytest.raises(Conflict):  # without `refused`, the first refusal raises and nothing is written
        organisations.register_organisations(session, secretariat(vnsw), network=vnsw,
                                             profiles=[cbo("Nhóm Đào"), cbo("Nhóm Cúc")])
    assert counts(session) == before


def test_renaming_into_a_clash_is_refused(session, vnsw, make_org, member_of):
    first, second = make_org(vnsw, name="First group"), make_org(vnsw, name="Second group")
    member_of(vnsw, first)
    member_of(vnsw, second)
    with pytest.raises(Conflict):
        organisations.update_profile(session, editor(second), second, {"name": "FIRST GROUP"})
    assert second.name == "Second group"


def test_only_the_system_registers_top_level_networks(session, vnsw):
    with pytest.raises(NotPermitted):
        organisations.register_organisation(session, secretariat(vnsw), network=None,
                                            kind="global_network", name="Another global network")


def test_a_secretariat_registers_only_into_its_own_subtree(session, vnsw, wnu):
    with pytest.raises(NotPermitted):
        organisations.register_organisation(session, secretariat(wnu), network=vnsw,
                                            kind="community_organisation", name="X", country="VN")
    cbo = organisations.register_organisation(session, secretariat(vnsw), network=vnsw,
                                              kind="community_organisation", name="X", country="VN")
    with pytest.raises(ValidationFailed, match="not a network"):
        organisations.register_organisation(session, SYSTEM, network=cbo,
                                            kind="community_organisation", name="Y", country="VN")


class TestUpdateProfile:
    def test_the_editor_updates_allowed_fields_and_the_change_is_audited(self, session, vnsw, make_org):
        cbo = make_org(vnsw, priority_areas=["health"])
        organisations.update_profile(session, editor(cbo), cbo, {
            "priority_areas": ["health", "violence"], "public_listing": True, "drop_in_centres": 2})
        session.flush()
        assert cbo.priority_areas == ["health", "violence"] and cbo.public_listing is True
        assert cbo.version == 2
        entry = history(session, organisation_id=cbo.id)[0]
        assert entry.action == "update_profile" and entry.actor == f"editor of {cbo.name}"
        assert entry.changes == {"priority_areas": [["health"], ["health", "violence"]],
                                 "drop_in_centres": [None, 2], "public_listing": [False, True]}

    def test_an_unchanged_update_writes_nothing(self, session, vnsw, make_org):
        cbo = make_org(vnsw, drop_in_centres=1)
        before = counts(session)
        organisations.update_profile(session, editor(cbo), cbo, {"drop_in_centres": 1})
        session.flush()
        assert counts(session) == before and cbo.version == 1

    @pytest.mark.parametrize("field", ["kind", "country", "status", "is_sample", "registered_by_id"])
    def test_the_editor_cannot_change_fields_off_the_allow_list(self, session, vnsw, make_org, field):
        cbo = make_org(vnsw)
        with pytest.raises(ValidationFailed) as refused:
            organisations.update_profile(session, editor(cbo), cbo, {field: "national_network"})
        assert field in refused.value.fields

    def test_the_secretariat_may_change_admin_fields(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        organisations.update_profile(session, secretariat(vnsw), cbo, {"country": "KH"})
        assert cbo.country == "KH"

    @pytest.mark.parametrize("who", ["other_editor", "other_secretariat", "board", "anonymous"])
    def test_others_cannot_change_the_profile(self, session, vnsw, wnu, make_org, who):
        cbo, other = make_org(vnsw), make_org(vnsw)
        actor = {"other_editor": editor(other), "other_secretariat": secretariat(wnu),
                 "board": board(vnsw), "anonymous": Actor.anonymous()}[who]
        with pytest.raises(NotPermitted):
            organisations.update_profile(session, actor, cbo, {"drop_in_centres": 3})
        assert cbo.drop_in_centres is None

    def test_a_refused_update_leaves_every_field_as_it_was(self, session, vnsw, make_org):
        cbo = make_org(vnsw, drop_in_centres=1, services=["outreach"])
        with pytest.raises(ValidationFailed):
            organisations.update_profile(session, editor(cbo), cbo,
                                         {"drop_in_centres": 4, "services": ["unknown-service"]})
        assert cbo.drop_in_centres == 1 and cbo.services == ["outreach"]


def test_a_networks_extension_terms_are_for_its_own_members_only(session, vnsw, wnu, make_org):
    vocabularies.define_term(session, secretariat(vnsw), Vocabulary.SERVICE, "vnsw-harm-reduction",
                             {"en": "Harm reduction", "vi": "Giảm tác hại"}, network_id=vnsw.id)
    assert make_org(vnsw, services=["vnsw-harm-reduction"]).services == ["vnsw-harm-reduction"]
    with pytest.raises(ValidationFailed, match="vnsw-harm-reduction"):
        make_org(wnu, country="KH", services=["vnsw-harm-reduction"])


class TestStatus:
    def test_delisting_also_unpublishes_and_needs_a_reason(self, session, vnsw, make_org):
        cbo = make_org(vnsw, public_listing=True)
        with pytest.raises(ValidationFailed, match="reason"):
            organisations.set_status(session, secretariat(vnsw), cbo, OrganisationStatus.DELISTED, reason="")
        organisations.set_status(session, secretariat(vnsw), cbo, OrganisationStatus.DELISTED,
                                 reason="closed in 2020")
        assert cbo.status is OrganisationStatus.DELISTED and cbo.public_listing is False
        assert history(session, organisation_id=cbo.id)[0].changes["public_listing"] == [True, False]

    def test_the_editor_cannot_change_the_status(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        with pytest.raises(NotPermitted):
            organisations.set_status(session, editor(cbo), cbo, OrganisationStatus.DORMANT, reason="x")


class TestContacts:
    def test_add_update_remove(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        contact = organisations.add_contact(session, editor(cbo), cbo, kind="phone", value="+84 000")
        assert contact.visibility is Visibility.SECRETARIAT  # contacts default to the narrow tier
        organisations.update_contact(session, editor(cbo), contact, {"visibility": "public"})
        assert contact.visibility is Visibility.PUBLIC
        organisations.remove_contact(session, editor(cbo), contact)
        assert cbo.contacts == []
        actions = [e.action for e in history(session, organisation_id=cbo.id)][:3]
        assert actions == ["remove_contact", "update_contact", "add_contact"]

    @pytest.mark.parametrize("tier", ["network", "board", "everyone"])
    def test_contacts_go_only_to_the_organisation_and_its_secretariat(self, session, vnsw, make_org, tier):
        cbo = make_org(vnsw)
        with pytest.raises(ValidationFailed, match="visibility"):
            organisations.add_contact(session, editor(cbo), cbo, kind="email", value="a@example.org",
                                      visibility=tier)

    def test_a_self_only_contact_stays_out_of_the_audit_log(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        organisations.add_contact(session, editor(cbo), cbo, kind="postal", value="secret address",
                                  visibility="self")
        assert "secret address" not in str(history(session, organisation_id=cbo.id)[0].changes)

    @pytest.mark.parametrize(("field", "text"), [("value", "a\x00b@example.org"), ("label", "x\ud800")])
    def test_contacts_that_no_database_can_store_are_refused(self, session, vnsw, make_org, field, text):
        cbo = make_org(vnsw)
        values = {"value": "a@example.org", "label": "", field: text}
        with pytest.raises(ValidationFailed) as refused:
            organisations.add_contact(session, editor(cbo), cbo, kind="email", **values)
        assert "invalid code points" in refused.value.fields[field][0]

    def test_others_cannot_add_contacts(self, session, vnsw, wnu, make_org):
        cbo = make_org(vnsw)
        with pytest.raises(NotPermitted):
            organisations.add_contact(session, secretariat(wnu), cbo, kind="email", value="a@example.org")

    def test_bad_contacts_are_refused(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        with pytest.raises(ValidationFailed) as refused:
            organisations.add_contact(session, editor(cbo), cbo, kind="pigeon", value="")
        assert set(refused.value.fields) == {"kind", "value"}
        contact = organisations.add_contact(session, editor(cbo), cbo, kind="email", value="a@example.org")
        with pytest.raises(ValidationFailed):
            organisations.update_contact(session, editor(cbo), contact, {"colour": "red"})


def test_get_organisation_raises_not_found(session):
    from registry.errors import NotFound

    with pytest.raises(NotFound):
        organisations.get_organisation(session, 999_999)


@pytest.mark.parametrize(("a", "b"), [("Hà Nội", "Ha Noi"), ("Đà Nẵng", "da nang"),
                                      ("TP. Hồ Chí Minh", "tp ho chi minh"), ("  Sample   CBO ", "sample cbo")])
def test_names_fold_to_the_same_key(a, b):
    assert fold(a) == fold(b)


class TestPublishedFields:
    """Which public-tier fields the public sees is the organisation's own choice."""

    def test_a_new_organisation_publishes_its_priority_areas_only(self, session, vnsw, make_org):
        assert make_org(vnsw).published_fields == ["priority_areas"]

    def test_the_choice_is_kept_in_one_order_and_only_of_public_tier_fields(self, session, vnsw, make_org):
        cbo = make_org(vnsw)
        organisations.update_profile(session, editor(cbo), cbo, {"published_fields": [
            "networks", "website", "networks", "sex_worker_led"]})
        assert cbo.published_fields == ["sex_worker_led", "website", "networks"]
        for chosen in (["drop_in_centres"], ["sex_worker_involvement"], ["contacts"], "website", [1]):
            with pytest.raises(ValidationFailed) as refused:
                organisations.update_profile(session, editor(cbo), cbo, {"published_fields": chosen})
            assert list(refused.value.fields) == ["published_fields"], chosen

    def test_a_network_above_a_member_network_may_only_narrow_its_choice(self, session, vnsw, make_org, member_of):
        regional = make_org(name="Test regional network", kind="regional_network", country=None)
        member_of(regional, vnsw)
        organisations.update_profile(session, secretariat(vnsw), vnsw, {"published_fields": ["website", "networks"]})
        with pytest.raises(ValidationFailed, match="only the organisation itself may publish more"):
            organisations.update_profile(session, secretariat(regional), vnsw, {
                "published_fields": ["website", "networks", "sex_worker_led"]})
        organisations.update_profile(session, secretariat(regional), vnsw, {"published_fields": ["networks"]})
        assert vnsw.published_fields == ["networks"]
        organisations.update_profile(session, SYSTEM, vnsw, {"published_fields": ["founding_date", "networks"]})
        assert vnsw.published_fields == ["founding_date", "networks"]


def test_only_the_network_itself_chooses_to_publish_its_reach(session, vnsw, make_org, member_of):
    apnsw = make_org(name="Test regional network", acronym="TRN", kind="regional_network", country=None)
    member_of(apnsw, vnsw)
    with pytest.raises(ValidationFailed) as refused:  # a secretariat above it may only publish less
        organisations.update_profile(session, secretariat(apnsw), vnsw, {"publishes_reach": True})
    assert "publishes_reach" in refused.value.fields
    assert vnsw.publishes_reach is False
    organisations.update_profile(session, secretariat(vnsw), vnsw, {"publishes_reach": True})
    assert vnsw.publishes_reach is True
    organisations.update_profile(session, secretariat(apnsw), vnsw, {"publishes_reach": False})
    assert vnsw.publishes_reach is False
    with pytest.raises(ValidationFailed):  # nor may a registering network choose it for a new one
        make_org(apnsw, actor=secretariat(apnsw), name="Test national network LA", kind="national_network",
                 country="LA", publishes_reach=True)
