"""Factories for test data: actors, a small gazetteer, the core vocabularies, organisations."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import JSON, MetaData, String, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.areas import services as areas
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.areas.models import AreaRecord
from registry.organisations.models import Organisation
from registry.access.permissions import Actor, Role
from seeds.load import LoadReport, load_vocabularies

SYSTEM = Actor.system("tests")
_names = itertools.count(1)

SMALL_GAZETTEER = [
    AreaRecord("VN-HN", "Hà Nội", 1, "VN"),
    AreaRecord("VN-SG", "Hồ Chí Minh", 1, "VN"),
    AreaRecord("VN-HP", "Hải Phòng", 1, "VN"),
    AreaRecord("KH-12", "Phnom Penh", 1, "KH"),
    AreaRecord("KH-17", "Siemreap", 1, "KH"),
    AreaRecord("LA-VT", "Vientiane", 1, "LA"),
]


@pytest.fixture
def system() -> Actor:
    return SYSTEM


def lay_groundwork(session: Session) -> None:
    """The small gazetteer and the core vocabularies, as the `gazetteer` and `vocab` fixtures
    promise them: written once per run into a database of their own (tests/conftest.py)."""
    areas.import_boundary_set(session, SYSTEM, key="test-admin1", title="test provinces", level=1,
                              areas=SMALL_GAZETTEER)
    areas.import_boundary_set(session, SYSTEM, key="test-countries", title="test countries", level=0,
                              areas=[AreaRecord(c, c, 0, c) for c in ("VN", "KH", "LA")])
    areas.import_boundary_set(session, SYSTEM, key="test-khans", title="test khans", level=2,
                              areas=[AreaRecord("KH-1201", "Chamkar Mon", 2, "KH", "KH-12")])
    load_vocabularies(session, SYSTEM, LoadReport())


# A test that asks for one of these gets its `session` on the database lay_groundwork wrote.
GROUNDWORK = frozenset({"gazetteer", "vocab"})


@pytest.fixture
def gazetteer(session: Session) -> None:
    """The small gazetteer: already there, in the database `session` chose for this test."""


@pytest.fixture
def vocab(session: Session) -> None:
    """The core vocabularies: already there, in the database `session` chose for this test."""


@pytest.fixture
def make_org(session: Session, gazetteer: None, vocab: None) -> Callable[..., Organisation]:
    """make_org(network=None, kind=..., **profile): register through the service function."""

    def make(network: Organisation | None = None, *, actor: Actor = SYSTEM, **profile: Any) -> Organisation:
        kind = profile.pop("kind", "community_organisation" if network else "national_network")
        profile.setdefault("name", f"Test organisation {next(_names):03d}")
        profile.setdefault("country", "VN")
        return organisations.register_organisation(session, actor, network=network, kind=kind, **profile)

    return make


@pytest.fixture
def vnsw(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(name="Test national network VN", acronym="TVN", kind="national_network", country="VN")


@pytest.fixture
def wnu(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(name="Test national network KH", acronym="TKH", kind="national_network", country="KH")


@pytest.fixture
def member_of(session: Session) -> Callable[..., memberships.Membership]:
    """member_of(network, organisation): apply, verify and admit (today)."""

    def make(network: Organisation, organisation: Organisation, **kw: Any) -> memberships.Membership:
        for action in ("apply", "verify", "admit"):
            membership = memberships.transition(session, SYSTEM, network, organisation, action, **kw)
        session.flush()  # for the app's sessions on the same connection to read
        return membership

    return make


def secretariat(network: Organisation) -> Actor:
    return Actor(Role.SECRETARIAT, f"secretariat of {network.acronym}", network_id=network.id)


def editor(organisation: Organisation) -> Actor:
    return Actor(Role.EDITOR, f"editor of {organisation.name}", organisation_id=organisation.id)


def board(network: Organisation) -> Actor:
    return Actor(Role.BOARD, f"board of {network.acronym}", network_id=network.id)


def stored_text(connection: Connection) -> str:
    """Every text and JSON value of every row of every table, as the schema is now (reflected):
    what a reader of the database would find."""
    schema = MetaData()
    schema.reflect(connection)
    found = []
    for table in schema.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        for row in connection.execute(select(*columns)) if columns else ():
            found += [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in row]
    return "\n".join(found)
