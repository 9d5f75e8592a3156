"""Governing bodies of networks."""

from __future__ import annotations

import pytest

from registry import governance
from registry.errors import Conflict, NotPermitted, ValidationFailed
from tests.factories import SYSTEM, editor, secretariat


def test_define_a_board(session, vnsw):
    body = governance.define_body(session, secretariat(vnsw), vnsw, kind="board", name="Board",
                                  seats=5, established="2012")
    assert [b.id for b in governance.bodies_of(session, vnsw.id)] == [body.id]
    with pytest.raises(Conflict):
        governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=5)


def test_bad_bodies_are_refused(session, vnsw, make_org):
    with pytest.raises(ValidationFailed) as refused:
        governance.define_body(session, SYSTEM, vnsw, kind="council", name="", seats=0,
                               term_months=0, established="Dec 2013")
    assert set(refused.value.fields) == {"kind", "name", "seats", "term_months", "established"}
    with pytest.raises(ValidationFailed, match="not a network"):
        governance.define_body(session, SYSTEM, make_org(vnsw), kind="board", name="B", seats=3)


def test_only_the_networks_secretariat_defines_bodies(session, vnsw, wnu, make_org):
    with pytest.raises(NotPermitted):
        governance.define_body(session, secretariat(wnu), vnsw, kind="board", name="B", seats=5)
    with pytest.raises(NotPermitted):
        governance.define_body(session, editor(make_org(vnsw)), vnsw, kind="board", name="B", seats=5)
