"""The organisations list, a network's member list and one organisation, pinned byte for byte
for every kind of caller: whatever reads and dumps the rows (ORM objects or plain rows, one
schema or another), each caller's answer stays exactly what it was.

The registry below has every field a profile shows, at every tier: district areas, terms of the
three vocabularies, translations, contacts of each visibility, memberships in several states and
networks, an unlisted member, a pending applicant, a dormant organisation and a network that
publishes its reach. Public ids and timestamps are fixed, so the answers are the same on every
run and on both databases; tests/api/pinned_pages.json holds them.

After a deliberate change of the answers, write the file again with
`REGISTRY_PIN_PAGES=write pytest tests/api/test_pinned_pages.py` and read its diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import update

from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.organisations.models import PUBLISHABLE_FIELDS, Contact, Organisation
from tests.factories import SYSTEM

API = "/api/v1"
PINNED = Path(__file__).with_name("pinned_pages.json")
WRITE = os.environ.get("REGISTRY_PIN_PAGES") == "write"
JOINED = dt.date(2024, 3, 1)
STAMPED = dt.datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)

# Who asks, by the organisation whose token it holds (None: anonymous).
CALLERS = {
    "anonymous": None,
    "vnsw secretariat": ("secretariat", "vnsw"),
    "vnsw board": ("board", "vnsw"),
    "region secretariat": ("secretariat", "region"),
    "wnu secretariat": ("secretariat", "wnu"),
    "cbo editor": ("editor", "cbo"),
    "fellow editor": ("editor", "fellow"),
    "applicant editor": ("editor", "applicant"),
}


@pytest.fixture
def registry(session, make_org, member_of):
    """Organisations named by a short key, with fixed public ids and timestamps."""
    made: dict[str, Organisation] = {}
    made["region"] = make_org(name="Test regional network", acronym="TRN", kind="regional_network", country=None,
                              public_listing=True, languages=["en"], website="https://region.example.org",
                              published_fields=list(PUBLISHABLE_FIELDS))
    made["vnsw"] = make_org(made["region"], name="Test national network VN", acronym="TVN",
                            kind="national_network", country="VN", public_listing=True,
                            name_translations={"vi": "Mạng lưới quốc gia", "en": "National network"},
                            founding_date="2012-05", sex_worker_led="yes", priority_areas=["violence", "health"],
                            areas_served=["VN-SG", "VN-HN"], languages=["vi", "en"], publishes_reach=True,
                            published_fields=list(PUBLISHABLE_FIELDS))
    made["wnu"] = make_org(made["region"], name="Test national network KH", acronym="TKH", kind="national_network",
                           country="KH", public_listing=True, areas_served=["KH-12"])
    made["cbo"] = make_org(made["vnsw"], name="Nhóm Hà Nội", acronym="NHN", country="VN", public_listing=True,
                           name_translations={"en": "Ha Noi group"}, founding_date="2015-03-08",
                           sex_worker_led="partly", sex_worker_involvement="run by sex workers\n\tsince 2015",
                           populations=["transgender-sex-workers", "female-sex-workers"],
                           services=["outreach", "drop-in-centre", "legal-aid"], priority_areas=["health"],
                           areas_served=["VN-HN", "KH-1201", "VN-HP"], languages=["vi"], drop_in_centres=2,
                           website="https://cbo.example.org", published_fields=list(PUBLISHABLE_FIELDS))
    made["fellow"] = make_org(made["vnsw"], name="Nhóm Hải Phòng", country="VN", public_listing=True,
                              priority_areas=["health"], populations=["female-sex-workers"], areas_served=["VN-HP"])
    made["quiet"] = make_org(made["vnsw"], name="Nhóm kín", country="VN", priority_areas=["health"],
                             areas_served=["VN-SG"], drop_in_centres=1)
    made["applicant"] = make_org(made["vnsw"], name="Nhóm mới", country="VN", priority_areas=["health"],
                                 areas_served=["VN-HN"])
    made["dormant"] = make_org(made["vnsw"], name="Nhóm ngủ", country="VN", public_listing=True,
                               priority_areas=["health"])
    made["khmer"] = make_org(made["wnu"], name="ក្រុម ភ្នំពេញ", country="KH", public_listing=True,
                             services=["outreach"], areas_served=["KH-1201"],
                             published_fields=["services", "areas_served", "networks"])
    for network, member in (("region", "vnsw"), ("region", "wnu"), ("vnsw", "cbo"), ("vnsw", "fellow"),
                            ("vnsw", "quiet"), ("vnsw", "dormant"), ("wnu", "khmer"), ("wnu", "cbo")):
        member_of(made[network], made[member], on=JOINED)
    memberships.transition(session, SYSTEM, made["vnsw"], made["applicant"], "apply", on=JOINED)
    memberships.transition(session, SYSTEM, made["wnu"], made["cbo"], "suspend", on=JOINED,
                           reason="Sample: dues unpaid.")
    organisations.set_status(session, SYSTEM, made["dormant"], "dormant", reason="Sample: no activity.")
    for key, kind, value, visibility in (("cbo", "email", "public@example.org", "public"),
                                         ("cbo", "phone", "+84 1 secretariat", "secretariat"),
                                         ("cbo", "messenger", "self-only-handle", "self"),
                                         ("vnsw", "postal", "12 Sample street, Hà Nội", "public"),
                                         ("khmer", "phone", "+855 12 345", "public")):
        organisations.add_contact(session, SYSTEM, made[key], kind=kind, value=value, visibility=visibility)
    session.flush()
    for n, (key, organisation) in enumerate(sorted(made.items())):
        session.execute(update(Organisation).where(Organisation.id == organisation.id).values(
            public_id=f"0RG{n:09d}", created_at=STAMPED, updated_at=STAMPED + dt.timedelta(days=n)))
    for n, contact in enumerate(session.query(Contact).order_by(Contact.id)):
        session.execute(update(Contact).where(Contact.id == contact.id).values(public_id=f"C0NTACT{n:05d}"))
    session.flush()
    session.expire_all()
    return made


def answers(client, bearer, registry) -> dict[str, str]:
    asked: dict[str, str] = {}
    for caller, token in CALLERS.items():
        headers = {} if token is None else bearer(token[0], registry[token[1]])
        vnsw, cbo = registry["vnsw"].public_id, registry["cbo"].public_id
        paths = [f"{API}/organisations?page_size=50", f"{API}/organisations?page_size=3&page=2&sort=-name",
                 f"{API}/organisations?page_size=50&country=VN&priority_area=health",
                 f"{API}/networks/{vnsw}/members?page_size=50", f"{API}/organisations/{cbo}"]
        if caller in ("vnsw secretariat", "vnsw board"):
            paths.append(f"{API}/networks/{vnsw}/members?page_size=50&status=applied&status=active"
                         f"&on={JOINED.isoformat()}")
        for path in paths:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (caller, path, response.json)
            asked[f"{caller} {path.replace(vnsw, '<vnsw>').replace(cbo, '<cbo>')}"] = response.get_data(as_text=True)
    return asked


def test_every_callers_pages_are_as_pinned(client, bearer, registry):
    found = answers(client, bearer, registry)
    if WRITE:
        PINNED.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    assert list(found) == list(pinned)
    for asked, body in found.items():
        assert body == pinned[asked], asked
