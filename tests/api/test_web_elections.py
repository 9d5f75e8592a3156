"""Running an election on screens (api/web/elections.py): who opens which page, the new election
form and its refusals field by field, each phase move confirmed on its own page and carrying the
election's version, the live turnout that names who has not voted (never how anyone did), and a
whole election from draft to certified through the forms. Nominations and ballots are the
members' own, made here through the service functions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from registry.access.models import AuditEntry
from registry.db import today
from registry.elections import ballots, nominations, phases
from registry.elections.models import Election, ElectionPhase
from registry.governance import services as governance
from tests.api.conftest import form_token
from tests.api.test_console import signed_in
from tests.factories import SYSTEM, editor

HTML = {"Accept": "text/html"}


@pytest.fixture
def body(session, world):
    board = governance.define_body(session, SYSTEM, world.vnsw, kind="board", name="VNSW board", seats=2,
                                   term_months=24, reserved_seats={"youth": 1})
    session.flush()
    return board


@pytest.fixture
def base(world):
    return f"/networks/{world.vnsw.public_id}/elections"


def new_election(client, base, body, **fields):
    token = form_token(client, f"{base}/new")
    data = {"csrf_token": token, "body": body.public_id, "title": "VNSW board election 2027",
            "method": "scottish_stv", "quorum_percent": "50", "roll_cutoff": today().isoformat(), **fields}
    return client.post(f"{base}/new", data=data, headers=HTML)


def election_in(session):
    session.expire_all()
    return session.scalars(select(Election)).one()


def move(client, base, election, phase, **fields):
    page = f"{base}/{election.public_id}/phase/{phase}"
    confirm = client.get(page, headers=HTML)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)[:500]
    version = re.search(r'name="version" value="(\d+)"', confirm.get_data(as_text=True)).group(1)
    return client.post(page, headers=HTML, data={
        "csrf_token": form_token(client, page), "version": version, "on": today().isoformat(), **fields})


def nominate(session, world, election, organisation, name, constituency=None):
    nominations.nominate(session, editor(organisation), election, organisation, name=name, constituency=constituency)
    session.flush()


class TestWhoMayOpenIt:
    def test_anonymous_people_are_sent_to_sign_in(self, client, base):
        response = client.get(f"{base}/", headers=HTML)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")

    @pytest.mark.parametrize("role", ["own_editor", "other_editor"])
    def test_a_member_s_editor_reads_a_refusal_in_its_language_and_moves_nothing(
            self, client, world, base, body, session, role):
        election = _created(session, world, body)
        response = signed_in(client, world, role).get(f"{base}/", headers={"Accept-Language": "vi", **HTML})
        assert response.status_code == 403 and response.mimetype == "text/html"
        assert "secretariat" not in response.get_data(as_text=True)
        refused = client.post(f"{base}/{election.public_id}/phase/cancelled", headers=HTML, data={
            "csrf_token": form_token(client), "version": str(election.version), "on": "", "reason": "forged"})
        assert refused.status_code == 403 and election_in(session).phase is ElectionPhase.DRAFT

    def test_another_network_s_secretariat_finds_no_such_network(self, client, world, base, body, session):
        signed_in(client, world, "secretariat")
        assert new_election(client, base, body).status_code == 302
        client.post("/sign-out", data={"csrf_token": form_token(client)})
        other = signed_in(client, world, "other_secretariat")
        assert other.get(f"{base}/", headers=HTML).status_code in (403, 404)
        election = election_in(session)
        assert other.get(f"{base}/{election.public_id}/", headers=HTML).status_code in (403, 404)

    def test_the_board_reads_elections_but_neither_creates_nor_moves_them(self, client, world, base, body, session):
        election = _created(session, world, body)
        phase_move = f"{base}/{election.public_id}/phase/nominations_open"
        board = signed_in(client, world, "board")
        listed = board.get(f"{base}/", headers=HTML).get_data(as_text=True)
        assert "VNSW board election" not in listed  # a draft is the secretariat's alone
        assert board.get(f"{base}/new", headers=HTML).status_code == 403
        token = form_token(board, "/sign-in")
        refused = board.post(phase_move, headers=HTML, data={"csrf_token": token, "version": "1", "on": ""})
        assert refused.status_code == 403 and election_in(session).phase is ElectionPhase.DRAFT

    def test_the_console_and_the_board_page_link_here(self, client, world, base):
        console = signed_in(client, world, "secretariat").get("/console/").get_data(as_text=True)
        assert f'href="{base}/"' in console
        client.post("/sign-out", data={"csrf_token": form_token(client)})
        board = signed_in(client, world, "board").get(f"/dashboard/board/{world.vnsw.public_id}")
        assert f'href="{base}/"' in board.get_data(as_text=True)


class TestNewElection:
    def test_the_form_lists_every_method_by_its_name_in_the_reader_s_language(self, client, world, base, body):
        page = signed_in(client, world, "secretariat").get(f"{base}/new", headers={"Accept-Language": "fr", **HTML})
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        for method in ("block_plurality", "scottish_stv", "meek_stv"):
            assert f'value="{method}"' in text
        assert "Single transferable vote" not in text  # said in French
        assert "VNSW board" in text and "youth" in text  # the body and its reserved seats

    def test_refusals_are_shown_field_by_field_and_nothing_is_written(self, client, world, base, body, session):
        signed_in(client, world, "secretariat")
        refused = new_election(client, base, body, title="", quorum_percent="150", roll_cutoff="31/12/2026",
                               method="coin_toss")
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422
        for field in ("title", "quorum_percent", "roll_cutoff", "method"):
            assert f'id="{field}-problem"' in page
        assert session.scalar(select(func.count()).select_from(Election)) == 0

    def test_a_second_election_for_the_same_seats_is_refused_in_words(self, client, world, base, body, session):
        signed_in(client, world, "secretariat")
        assert new_election(client, base, body).status_code == 302
        again = new_election(client, base, body, title="Again")
        assert again.status_code == 409 and "already under way" in again.get_data(as_text=True)
        assert session.scalar(select(func.count()).select_from(Election)) == 1

    def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(self, client, world, base, body, session):
        signed_in(client, world, "secretariat")
        refused = client.post(f"{base}/new", headers=HTML, data={
            "body": body.public_id, "title": "Forged", "method": "scottish_stv", "roll_cutoff": today().isoformat()})
        assert refused.status_code == 400
        assert session.scalar(select(func.count()).select_from(Election)) == 0

    def test_a_move_without_its_csrf_token_is_refused(self, client, world, base, body, session):
        election = _created(session, world, body)
        signed_in(client, world, "secretariat")
        refused = client.post(f"{base}/{election.public_id}/phase/nominations_open", headers=HTML,
                              data={"version": str(election.version), "on": ""})
        assert refused.status_code == 400 and election_in(session).phase is ElectionPhase.DRAFT


class TestMoves:
    def test_a_stale_form_says_someone_changed_the_election_and_does_nothing(self, client, world, base, body, session):
        election = _created(session, world, body)
        signed_in(client, world, "secretariat")
        page = f"{base}/{election.public_id}/phase/cancelled"
        token = form_token(client, page)
        stale_version = str(election.version)
        assert move(client, base, election, "nominations_open").status_code == 302
        stale = client.post(page, headers=HTML, data={"csrf_token": token, "version": stale_version,
                                                      "on": today().isoformat(), "reason": "mistake"})
        assert stale.status_code == 409 and "Someone else changed this election first" in stale.get_data(as_text=True)
        assert election_in(session).phase is ElectionPhase.NOMINATIONS_OPEN

    def test_a_cancel_without_a_reason_is_refused_on_its_field(self, client, world, base, body, session):
        election = _created(session, world, body)
        signed_in(client, world, "secretariat")
        refused = move(client, base, election, "cancelled", reason="")
        assert refused.status_code == 422 and 'id="reason-problem"' in refused.get_data(as_text=True)
        assert election_in(session).phase is ElectionPhase.DRAFT
        assert move(client, base, election, "cancelled", reason="the board decided to wait").status_code == 302
        assert election_in(session).phase is ElectionPhase.CANCELLED

    def test_opening_voting_with_nobody_standing_is_refused_and_said(self, client, world, base, body, session):
        election = _created(session, world, body)
        signed_in(client, world, "secretariat")
        move(client, base, election, "nominations_open")
        move(client, base, election, "nominations_closed")
        refused = move(client, base, election, "voting_open")
        assert refused.status_code == 409 and "nobody is standing" in refused.get_data(as_text=True)
        assert election_in(session).phase is ElectionPhase.NOMINATIONS_CLOSED
        page = f"{base}/{election.public_id}/phase/voting_open"
        in_vietnamese = client.post(page, headers={"Accept-Language": "vi", **HTML}, data={
            "csrf_token": form_token(client, page), "version": str(election_in(session).version),
            "on": today().isoformat()}).get_data(as_text=True)
        assert "không có ai ứng cử" in in_vietnamese and "nobody is standing" not in in_vietnamese


def _created(session, world, body, quorum_percent=0):
    election = phases.create_election(session, SYSTEM, body, title="VNSW board election 2027", method="scottish_stv",
                                      roll_cutoff=today(), quorum_percent=quorum_percent)
    session.flush()
    return election


def test_a_whole_election_through_the_forms_with_turnout_an_extension_and_the_result(
        client, world, base, body, session):
    signed_in(client, world, "secretariat")
    assert new_election(client, base, body).status_code == 302
    election = election_in(session)
    page = f"{base}/{election.public_id}/"
    assert "Open nominations" in client.get(page).get_data(as_text=True)
    assert move(client, base, election, "nominations_open").status_code == 302
    election = election_in(session)
    nominate(session, world, election, world.cbo, "Ana")
    nominate(session, world, election, world.fellow, "Binh", constituency="youth")
    for phase in ("nominations_closed", "voting_open"):
        assert move(client, base, election_in(session), phase).status_code == 302, phase

    # Before anyone votes both are listed as not voted; one ballot of two meets the 50% quorum.
    election = election_in(session)
    live = client.get(page).get_data(as_text=True)
    assert "0 of 2" in live.replace("\xa0", " ") and world.cbo.name in live and world.fellow.name in live
    ballots.cast_ballot(session, editor(world.cbo), election, world.cbo,
                        {"open": [election.nominations[0].public_id], "youth": [election.nominations[1].public_id]})
    session.flush()
    for role in ("secretariat", "board"):
        client.post("/sign-out", data={"csrf_token": form_token(client)})
        signed_in(client, world, role)
        live = client.get(page, headers=HTML).get_data(as_text=True)
        assert "1 of 2" in live and world.fellow.name in live and "The quorum is met." in live
        assert world.cbo.name not in live.split("Not voted yet", 1)[1].split("</ul>", 1)[0]
        assert "Ana" in live  # the candidates, never a ballot's content
    client.post("/sign-out", data={"csrf_token": form_token(client)})
    signed_in(client, world, "secretariat")

    # Extending voting: dated, with a reason, audited.
    extension = f"{base}/{election.public_id}/extension"
    version = re.search(r'name="version" value="(\d+)"', client.get(extension).get_data(as_text=True)).group(1)
    until = (today() + dt.timedelta(days=7)).isoformat()
    refused = client.post(extension, headers=HTML, data={"csrf_token": form_token(client, extension),
                                                         "version": version, "until": until, "reason": ""})
    assert refused.status_code == 422 and 'id="reason-problem"' in refused.get_data(as_text=True)
    extended = client.post(extension, headers=HTML, data={"csrf_token": form_token(client, extension),
                                                          "version": version, "until": until,
                                                          "reason": "floods in the Mekong delta"})
    assert extended.status_code == 302
    assert election_in(session).voting_closes_on == today() + dt.timedelta(days=7)
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "election_voting_extended")) == 1

    for phase in ("voting_closed", "tallied"):
        assert move(client, base, election_in(session), phase).status_code == 302, phase
    counted = client.get(page).get_data(as_text=True)
    assert "Certify the result" in counted and f"/elections/{election.network.public_id}/{election.public_id}/result" in counted
    assert "Ana" in counted.split("Elected:", 1)[1].split("</p>", 1)[0]
    assert move(client, base, election_in(session), "certified").status_code == 302
    certified = client.get(page).get_data(as_text=True)
    assert election_in(session).phase is ElectionPhase.CERTIFIED
    assert "Certify the result: done" in certified and "/phase/" not in certified  # nothing more to move
