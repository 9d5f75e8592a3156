"""The controlled vocabularies: core terms, network extensions, labels in eight languages."""

from __future__ import annotations

import pytest

from registry.vocabularies import services as vocabularies
from registry.errors import Conflict, NotPermitted, ValidationFailed
from registry.vocabularies.models import LANGUAGES, Vocabulary
from tests.factories import SYSTEM, editor, secretariat

SEED_WORDING = {
    "decriminalisation": "Oppose the criminalisation and other legal oppression of sex work and "
                         "support its recognition as work",
    "economic-empowerment": "Advocate for the economic empowerment and social inclusion of sex "
                            "workers as sex workers",
}


def test_the_seven_priority_areas_in_nswp_wording_and_eight_languages(session, vocab):
    areas = vocabularies.terms(session, Vocabulary.PRIORITY_AREA)
    assert len(areas) == 7
    for term in areas:
        assert set(term.labels) == set(LANGUAGES)
    by_code = {t.code: t for t in areas}
    for code, wording in SEED_WORDING.items():
        assert by_code[code].label("en") == wording
    assert by_code["health"].label("vi").startswith("Vận động")
    assert by_code["health"].label("xx") == by_code["health"].label("en")  # falls back to English


def test_core_terms_are_defined_by_the_system_only(session, vocab, vnsw):
    with pytest.raises(NotPermitted):
        vocabularies.define_term(session, secretariat(vnsw), Vocabulary.SERVICE, "x", {"en": "X"})


def test_a_secretariat_extends_populations_and_services_but_not_priority_areas(session, vocab, vnsw):
    term = vocabularies.define_term(session, secretariat(vnsw), Vocabulary.POPULATION, "vnsw-x",
                                    {"en": "X"}, network_id=vnsw.id)
    assert term.network_id == vnsw.id
    assert "vnsw-x" in [t.code for t in vocabularies.terms(session, Vocabulary.POPULATION,
                                                           network_ids=[vnsw.id])]
    assert "vnsw-x" not in [t.code for t in vocabularies.terms(session, Vocabulary.POPULATION)]
    with pytest.raises(ValidationFailed, match="cannot be extended"):
        vocabularies.define_term(session, secretariat(vnsw), Vocabulary.PRIORITY_AREA, "y",
                                 {"en": "Y"}, network_id=vnsw.id)


def test_another_network_or_an_editor_cannot_extend(session, vocab, vnsw, wnu, make_org):
    with pytest.raises(NotPermitted):
        vocabularies.define_term(session, secretariat(wnu), Vocabulary.SERVICE, "z", {"en": "Z"},
                                 network_id=vnsw.id)
    cbo = make_org(vnsw)
    with pytest.raises(NotPermitted):
        vocabularies.define_term(session, editor(cbo), Vocabulary.SERVICE, "z", {"en": "Z"},
                                 network_id=vnsw.id)


@pytest.mark.parametrize(("code", "labels", "message"), [
    ("Bad Code", {"en": "x"}, "lowercase"),
    ("ok", {"vi": "x"}, "English"),
    ("ok", {"en": "x", "tlh": "y"}, "unsupported"),
])
def test_bad_terms_are_refused(session, vocab, code, labels, message):
    with pytest.raises(ValidationFailed, match=message):
        vocabularies.define_term(session, SYSTEM, Vocabulary.SERVICE, code, labels)


def test_duplicate_codes_conflict(session, vocab):
    with pytest.raises(Conflict):
        vocabularies.define_term(session, SYSTEM, Vocabulary.SERVICE, "outreach", {"en": "Outreach"})


def test_relabel(session, vocab, vnsw):
    term = vocabularies.resolve(session, Vocabulary.SERVICE, ["outreach"])[0]
    vocabularies.relabel_term(session, SYSTEM, term, {**term.labels, "vi": "Tiếp cận"})
    assert term.label("vi") == "Tiếp cận"
    with pytest.raises(NotPermitted):
        vocabularies.relabel_term(session, secretariat(vnsw), term, {"en": "x"})


def test_resolve_refuses_unknown_codes(session, vocab):
    with pytest.raises(ValidationFailed, match="nope"):
        vocabularies.resolve(session, Vocabulary.SERVICE, ["outreach", "nope"])
