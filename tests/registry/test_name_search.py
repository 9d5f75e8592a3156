"""Names are found through the index (registry/organisations/name_search.py): the same
organisations a scan of every name would find, in every script, for words of any length, and
the index follows every registration, rename and removal at once."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from registry.names import fold
from registry.networks import directory
from registry.networks.directory import DirectoryQuery
from registry.organisations import services as organisations
from registry.organisations.models import Organisation
from registry.organisations.name_search import name_matches
from tests.factories import SYSTEM

NAMES = [
    dict(name="Nhóm Hà Nội", acronym="NHN", name_translations={"en": "Hanoi Group"}),
    dict(name="Nhóm Hải Phòng", name_translations={"km": "ក្រុមហៃផុង"}),
    dict(name="ក្រុមការងារភ្នំពេញ", acronym="KPP", name_translations={"en": "Phnom Penh Working Group"}),
    dict(name="Đồng Đẳng Sài Gòn"),
    dict(name="100% Sisters_Union", acronym="HSU"),
    dict(name="Women's Network \"Rainbow\""),
]
QUERIES = ["ha noi", "Hà Nội", "HANOI", "nhn", "hai phong", "ក្រុម", "ភ្នំពេញ", "ហៃ", "phnom penh", "group", "dong dang",
           "đồng", "sai", "100%", "s_u", "%", "_", "rainbow\"", "\"rain", "n", "nh", "a", "zz", "women's", "network r",
           "noi | nhn", "  ", "-", "ha-noi"]


@pytest.fixture
def named(make_org, session):
    found = [make_org(country="VN" if "Nhóm" in n["name"] else "KH", **n) for n in NAMES]
    session.flush()
    return found


NAME_SET = frozenset(n["name"] for n in NAMES)


def found(session, words: str, among: frozenset[str] = NAME_SET) -> list[str]:
    """The names among this module's that the directory finds for `words` (the world of other
    tests' organisations aside)."""
    page = directory.search(session, SYSTEM, DirectoryQuery(text=words), page=1, page_size=100)
    return sorted(seen.organisation.name for seen in page.items if seen.organisation.name in among)


def scanned(session, words: str) -> list[str]:
    """What a scan of every organisation's folded names finds: the answer before the index."""
    folded = fold(words)
    return sorted(o.name for o in session.scalars(select(Organisation)) if o.name in NAME_SET
                  and (not folded or folded in o.search_text))


@pytest.mark.parametrize("words", QUERIES)
def test_the_index_finds_what_a_scan_of_every_name_finds(session, named, words):
    assert found(session, words) == scanned(session, words)


def test_names_are_found_in_every_script_and_by_translation_and_acronym(session, named):
    assert found(session, "ha noi") == found(session, "HÀ NỘI") == ["Nhóm Hà Nội"]
    assert found(session, "hanoi group") == ["Nhóm Hà Nội"]  # an English translation
    assert found(session, "ហៃផុង") == ["Nhóm Hải Phòng"]  # a Khmer translation
    assert found(session, "ភ្នំពេញ") == ["ក្រុមការងារភ្នំពេញ"]
    assert found(session, "kpp") == ["ក្រុមការងារភ្នំពេញ"]
    assert found(session, "dong dang") == ["Đồng Đẳng Sài Gòn"]
    assert found(session, "100%") == ["100% Sisters_Union"] and found(session, "s_u") == ["100% Sisters_Union"]


def test_words_too_short_for_the_index_are_still_found(session, named):
    assert found(session, "nh") == ["Nhóm Hà Nội", "Nhóm Hải Phòng", "ក្រុមការងារភ្នំពេញ"]  # Phnom PeNH
    assert "Đồng Đẳng Sài Gòn" in found(session, "g")
    assert found(session, "%") == ["100% Sisters_Union"]


def test_the_index_follows_registration_rename_and_removal(session, named, make_org):
    among = NAME_SET | {"Nhóm Thủ Đô", "Nhóm Cần Thơ"}
    organisations.update_profile(session, SYSTEM, named[0], {"name": "Nhóm Thủ Đô", "name_translations": {}})
    session.flush()
    assert found(session, "ha noi", among) == [] and found(session, "thu do", among) == ["Nhóm Thủ Đô"]
    assert found(session, "nhn", among) == ["Nhóm Thủ Đô"]  # its acronym is kept
    make_org(name="Nhóm Cần Thơ", country="VN")
    session.flush()
    assert found(session, "can tho", among) == ["Nhóm Cần Thơ"]
    session.execute(delete(Organisation).where(Organisation.name == "Nhóm Cần Thơ"))
    assert found(session, "can tho", among) == []


def test_three_letters_or_more_are_looked_up_in_the_index(session, named):
    condition = name_matches(session, "phong")
    query = select(Organisation.id).where(condition)
    if session.get_bind().dialect.name == "sqlite":
        plan = " ".join(str(row) for row in session.execute(text(
            "EXPLAIN QUERY PLAN " + str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})))))
        assert "VIRTUAL TABLE INDEX" in plan and "organisation_names" in plan
    else:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in session.execute(text(
            "EXPLAIN " + str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})))))
        assert "ix_organisations_search_text_trgm" in plan
