"""Governing bodies of networks: their seats, staggered terms, reserved seats and officeholders."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.governance import services as governance
from registry.db import today
from registry.elections import phases
from registry.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from registry.access.permissions import Actor
from tests.factories import SYSTEM, board, editor, secretariat


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


# --- seats, terms and officeholders ------------------------------------------------------------

def test_staggered_classes_and_reserved_seats(session, vnsw):
    body = governance.define_body(session, secretariat(vnsw), vnsw, kind="board", name="Board", seats=5,
                                  term_months=24, term_classes=2, term_limit=2,
                                  reserved_seats={"North": 1, "Central": 1})
    # Reserved seats take the lowest numbers, constituencies in name order; classes of 3 and 2.
    assert [(s.number, s.term_class, s.constituency) for s in body.seat_plan] == [
        (1, 1, "Central"), (2, 1, "North"), (3, 1, None), (4, 2, None), (5, 2, None)]
    assert (body.term_classes, body.term_limit) == (2, 2)


def test_bad_seat_plans_are_refused(session, vnsw):
    with pytest.raises(ValidationFailed) as refused:
        governance.define_body(session, SYSTEM, vnsw, kind="board", name="B", seats=3, term_classes=4,
                               term_limit=0, reserved_seats={"North": 2, "South": 2})
    assert set(refused.value.fields) == {"term_classes", "term_limit", "reserved_seats"}
    with pytest.raises(ValidationFailed, match="need a term length"):
        governance.define_body(session, SYSTEM, vnsw, kind="board", name="B", seats=3, term_classes=2)
    with pytest.raises(ValidationFailed, match="reserved_seats"):
        governance.define_body(session, SYSTEM, vnsw, kind="board", name="B", seats=3, reserved_seats={"Open": 1})


def test_a_seat_is_moved_to_another_class_or_reserved(session, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=4,
                                  term_months=24, term_classes=2)
    seat = governance.configure_seat(session, secretariat(vnsw), body, 4, term_class=1, constituency="North")
    assert (seat.term_class, seat.constituency) == (1, "North")
    governance.configure_seat(session, secretariat(vnsw), body, 4, open_seat=True)
    assert seat.constituency is None
    with pytest.raises(ValidationFailed, match="term_class"):
        governance.configure_seat(session, SYSTEM, body, 4, term_class=3)
    with pytest.raises(NotFound):
        governance.configure_seat(session, SYSTEM, body, 9, term_class=1)
    with pytest.raises(NotPermitted):
        governance.configure_seat(session, board(vnsw), body, 4, term_class=2)


def test_seats_are_not_re_planned_during_an_election(session, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=3)
    election = phases.create_election(session, SYSTEM, body, title="E", method="block_plurality",
                                      roll_cutoff=today())
    with pytest.raises(Conflict, match="election under way"):
        governance.configure_seat(session, SYSTEM, body, 1, constituency="North")
    phases.cancel(session, SYSTEM, election, reason="re-plan the seats first")
    governance.configure_seat(session, SYSTEM, body, 1, constituency="North")


def test_officeholders_and_the_body_as_of_a_date(session, vnsw, make_org, member_of):
    cbo = make_org(vnsw)
    member_of(vnsw, cbo)
    body = governance.define_body(session, secretariat(vnsw), vnsw, kind="coordinating_committee",
                                  name="Coordinating committee", seats=2, term_months=24)
    hoa = governance.record_officeholder(session, secretariat(vnsw), body, name="Hoa", nominated_by=cbo,
                                         starts_on=dt.date(2013, 12, 15), ends_on=dt.date(2015, 12, 14))
    lan = governance.record_officeholder(session, SYSTEM, body, name="Lan", starts_on=dt.date(2013, 12, 15))
    mai = governance.record_officeholder(session, SYSTEM, body, name="Mai", starts_on=dt.date(2015, 12, 15))
    assert (hoa.seat.number, lan.seat.number, mai.seat.number) == (1, 2, 1)  # Mai took Hoa's seat
    assert hoa.nominated_by is cbo
    with pytest.raises(Conflict, match="every seat"):
        governance.record_officeholder(session, SYSTEM, body, name="Nga", starts_on=dt.date(2014, 1, 1))
    with pytest.raises(Conflict, match="seat 2"):
        governance.record_officeholder(session, SYSTEM, body, name="Nga", starts_on=dt.date(2010, 1, 1),
                                       seat_number=2)

    def on(day):
        return [(h.seat.number, h.holder.name if h.holder else None)
                for h in governance.composition(session, board(vnsw), body, day)]

    assert on(dt.date(2013, 12, 1)) == [(1, None), (2, None)]
    assert on(dt.date(2015, 12, 14)) == [(1, "Hoa"), (2, "Lan")]  # the last day is still in office
    assert on(dt.date(2015, 12, 15)) == [(1, "Mai"), (2, "Lan")]
    governance.end_term(session, SYSTEM, lan, last_day=dt.date(2016, 6, 30), reason="resigned")
    assert on(dt.date(2016, 7, 1)) == [(1, "Mai"), (2, None)]
    assert [h.name for h in governance.officeholders_of(session, editor(cbo), body)] == ["Hoa", "Lan", "Mai"]
    with pytest.raises(ValidationFailed, match="already ends"):
        governance.end_term(session, SYSTEM, hoa, last_day=dt.date(2016, 1, 1))
    with pytest.raises(ValidationFailed, match="before it starts"):
        governance.end_term(session, SYSTEM, mai, last_day=dt.date(2015, 1, 1))


@pytest.mark.parametrize("name", ["hoa@example.org", "Hoa, tel 0912 345 678", "www.hoa.example"])
def test_an_officeholder_is_recorded_by_name_or_pseudonym_only(session, vnsw, name):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=1)
    with pytest.raises(ValidationFailed, match="name or pseudonym only"):
        governance.record_officeholder(session, SYSTEM, body, name=name, starts_on=dt.date(2020, 1, 1))


def test_counting_consecutive_terms(session, vnsw):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=2, term_months=24)
    for start, end in ((dt.date(2014, 1, 1), dt.date(2015, 12, 31)),   # term 1
                       (dt.date(2016, 2, 1), dt.date(2017, 12, 31)),   # a month's gap: still consecutive
                       (dt.date(2020, 1, 1), dt.date(2021, 12, 31)),   # two years off: a new run
                       (dt.date(2022, 1, 1), None)):                    # still serving
        governance.record_officeholder(session, SYSTEM, body, name="Lê Thị Hoa", starts_on=start, ends_on=end)

    def served(before):
        return governance.consecutive_terms(session, body, "le thi HOA", before=before)

    assert served(dt.date(2018, 1, 1)) == 2
    assert served(dt.date(2019, 12, 31)) == 2  # off for less than a whole term
    assert served(dt.date(2020, 1, 1)) == 0  # off for a whole term (2018-01-01 to 2019-12-31)
    assert served(dt.date(2024, 1, 1)) == 2  # the open-ended term counts as running
    assert governance.consecutive_terms(session, body, "Mai", before=dt.date(2024, 1, 1)) == 0


def test_term_dates():
    assert governance.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert governance.add_months(dt.date(2023, 11, 15), 14) == dt.date(2025, 1, 15)
    assert governance.term_end(dt.date(2024, 1, 1), 24) == dt.date(2025, 12, 31)
    assert governance.term_end(dt.date(2024, 1, 1), None) is None


def test_who_may_record_and_read_officeholders(session, vnsw, wnu, make_org):
    body = governance.define_body(session, SYSTEM, vnsw, kind="board", name="Board", seats=1)
    for outsider in (secretariat(wnu), board(vnsw), editor(make_org(vnsw))):
        with pytest.raises(NotPermitted):
            governance.record_officeholder(session, outsider, body, name="Hoa", starts_on=dt.date(2020, 1, 1))
    holder = governance.record_officeholder(session, secretariat(vnsw), body, name="Hoa",
                                            starts_on=dt.date(2020, 1, 1))
    with pytest.raises(NotPermitted):
        governance.end_term(session, board(vnsw), holder, last_day=dt.date(2021, 1, 1))
    for outsider in (secretariat(wnu), board(wnu), editor(make_org(wnu)), Actor.anonymous()):
        with pytest.raises(NotPermitted):
            governance.composition(session, outsider, body)
