"""The seeds: real organisations with only documented facts, and the labelled sample network
reproducing VNSW's documented growth (11 CBOs in 7 provinces in 2012, 32 in 21 now)."""

from __future__ import annotations

import datetime as dt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.areas import services as areas
from registry.governance import services as governance
from registry.access.models import AuditEntry
from registry.memberships.services import members_as_of
from registry.organisations.models import Organisation
from registry.access.sealing import open_contacts
from registry.access.permissions import Actor
from registry.networks.summaries import network_summary
from seeds.load import load_all

END_OF_2012 = dt.date(2012, 12, 31)


def org(session: Session, acronym: str) -> Organisation:
    return session.scalars(select(Organisation).where(Organisation.acronym == acronym)).one()


def test_vnsw_documented_growth(seeded):
    vnsw = org(seeded, "VNSW")
    then, now = network_summary(seeded, vnsw, END_OF_2012), network_summary(seeded, vnsw)
    assert (then.members, len(then.areas)) == (11, 7)
    assert (now.members, len(now.areas)) == (32, 21)
    assert now.countries == ("VN",)


def test_the_21_provinces_are_21_provinces_on_the_2025_map_too(seeded):
    vnsw = org(seeded, "VNSW")
    for on, expected in ((END_OF_2012, 7), (None, 21)):
        codes = network_summary(seeded, vnsw, on).areas
        old = areas.areas_by_code(seeded, codes, on=dt.date(2020, 1, 1))
        assert {old[c].boundary_set.key for c in codes} == {"vn-63-2008"}
        assert len({old[c].properties["vn2025_gso_code"] for c in codes}) == expected


def test_wnu_sample_members_cover_its_7_khans_and_7_provinces(seeded):
    wnu = org(seeded, "WNU")
    served = sorted(c for m in members_as_of(seeded, wnu.id) for c in m.areas_served)
    khans = [c for c in served if len(c) == 7]
    provinces = [c for c in served if len(c) < 7]
    assert len(khans) == 7 and all(c.startswith("KH-12") for c in khans)
    assert len(provinces) == 7 and "KH-12" not in provinces
    assert sorted(wnu.areas_served) == served


def test_samples_are_labelled_everywhere(seeded):
    samples = seeded.scalars(select(Organisation).where(Organisation.is_sample.is_(True))).all()
    assert len(samples) == 32 + 14
    for sample in samples:
        assert sample.name.startswith("Sample ")
        assert all(c.value.endswith("@example.org") for c in open_contacts(seeded, sample.contacts))
    real = seeded.scalars(select(Organisation).where(Organisation.is_sample.is_(False))).all()
    assert sorted(o.acronym for o in real) == ["APNSW", "NSWP", "VNSW", "WLIC", "WNU"]
    assert not any(o.contacts for o in real)  # the documents publish no contacts: none invented


def test_real_organisations_carry_the_documented_facts(seeded):
    vnsw, wnu, wlic, nswp = (org(seeded, a) for a in ("VNSW", "WNU", "WLIC", "NSWP"))
    assert vnsw.founding_date == "2012" and vnsw.country == "VN"
    assert [(b.kind.value, b.seats, b.established) for b in governance.bodies_of(seeded, vnsw.id)] == [
        ("board", 5, "2012")]
    assert [(b.kind.value, b.seats, b.established) for b in governance.bodies_of(seeded, wnu.id)] == [
        ("coordinating_committee", 5, "2013-12")]
    assert wnu.drop_in_centres == 2 and "legal-aid" in wnu.services and len(wnu.priority_areas) == 7
    assert wlic.sex_worker_led.value == "yes" and wlic.country == "LA" and len(wlic.priority_areas) == 5
    assert sorted(nswp.languages) == ["en", "es", "fr", "ru", "zh"]
    assert nswp.founding_date is None and nswp.country is None  # not in the documents: not guessed


def test_the_hierarchy_reaches_from_nswp_to_the_cbos(seeded):
    nswp = org(seeded, "NSWP")
    direct = {o.acronym for o in members_as_of(seeded, nswp.id)}
    assert direct == {"APNSW", "VNSW", "WNU", "WLIC"}
    everyone = members_as_of(seeded, nswp.id, recursive=True)
    assert sum(o.is_sample for o in everyone) == 46
    # Real memberships have no documented dates, so they count for "now" only.
    assert members_as_of(seeded, nswp.id, END_OF_2012) == []


def test_loading_goes_through_the_service_functions(seeded):
    registered = seeded.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "register_organisation"))
    assert registered == seeded.scalar(select(func.count()).select_from(Organisation))


def test_loading_twice_changes_nothing(seeded):
    assert seeded.info["first_report"].changed
    entries = seeded.scalar(select(func.count()).select_from(AuditEntry))
    again = load_all(seeded, Actor.system("seed test"))
    assert not again.changed, again.lines()
    assert seeded.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_real_organisations_publish_what_their_documents_publish(seeded):
    from registry.organisations.models import PUBLISHABLE_FIELDS
    from registry.access.profiles import profile_view
    from registry.access.visibility import reader_for

    public = reader_for(seeded, Actor.anonymous())
    wnu = org(seeded, "WNU")
    seen = profile_view(seeded, public, wnu)
    assert seen["sex_worker_led"].value == "partly" and "legal-aid" in seen["services"]
    assert seen["areas_served"] == ["KH-1", "KH-12", "KH-17", "KH-18", "KH-4", "KH-5", "KH-7", "KH-8"]  # provinces
    assert "drop_in_centres" not in seen and "website" not in seen  # not documented: not published
    assert org(seeded, "VNSW").published_fields == [
        "founding_date", "sex_worker_led", "services", "priority_areas", "areas_served", "networks"]
    assert all(set(org(seeded, a).published_fields) <= set(PUBLISHABLE_FIELDS)
               for a in ("NSWP", "APNSW", "VNSW", "WNU", "WLIC"))


def test_sample_organisations_publish_a_varied_mix(seeded):
    samples = seeded.scalars(select(Organisation).where(Organisation.is_sample.is_(True))).all()
    choices = {tuple(o.published_fields) for o in samples}
    assert ("priority_areas",) in choices and len(choices) >= 4
    listed_on_maps = [o for o in samples if o.public_listing and {"networks", "areas_served"} <= set(o.published_fields)]
    assert 0 < len(listed_on_maps) < sum(o.public_listing for o in samples)
