"""A network's elections on the member organisations' screens (/elections/): nominating,
seconding and withdrawing; the ballot confirmed before it is cast, replaced with its receipt;
the receipt checked against the published election; the result with every round; and who is
refused at each step (a member's editor, another member's, the secretariat, an organisation
outside the network, nobody signed in). Elections are created and moved with the registry's
service functions: the secretariat's own pages are not these."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.web import rounds
from registry.db import today
from registry.elections import nominations, phases
from registry.elections.models import Election, ElectionPhase, Nomination, SealedBallot, Voter
from registry.governance import services as governance
from tests.api.conftest import World
from tests.api.test_organisation_page import hidden, sign_in
from tests.factories import editor, secretariat

P = ElectionPhase
EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


@dataclass
class Vote:
    session: Session
    world: World
    election: Election
    url: str  # the election's page
    clients: dict[str, FlaskClient]  # signed in, by role

    def move(self, *to: ElectionPhase) -> None:
        for phase in to:
            phases.transition(self.session, secretariat(self.world.vnsw), self.election, phase)
        self.session.flush()

    def candidates(self) -> dict[str, Nomination]:
        return {n.name: n for n in self.election.nominations if n.standing}

    def voters(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Voter)
                                   .where(Voter.election_id == self.election.id))


@pytest.fixture
def vote(app: Flask, session, world, make_org, member_of, bearer) -> Vote:
    """VNSW's board election with nominations open; a browser signed in for each role."""
    outsider = make_org(world.wnu, name="Nhóm Phnom Penh", country="KH")
    member_of(world.wnu, outsider)
    roles = {**world.roles, "outsider_editor": bearer("editor", outsider)}
    sec = secretariat(world.vnsw)
    body = governance.define_body(session, sec, world.vnsw, kind="board", name="VNSW board", seats=2, term_months=24)
    election = phases.create_election(session, sec, body, title="VNSW board election", method="scottish_stv",
                                      roll_cutoff=today())
    phases.transition(session, sec, election, P.NOMINATIONS_OPEN)
    session.flush()
    clients = {}
    for role in ("own_editor", "other_editor", "secretariat", "board", "outsider_editor", "anonymous"):
        clients[role] = app.test_client()
        if role != "anonymous":
            sign_in(clients[role], roles[role])
    url = f"/elections/{world.vnsw.public_id}/{election.public_id}/"
    return Vote(session, world, election, url, clients)


def to_voting(vote: Vote) -> dict[str, Nomination]:
    """Ana and Binh (nominated by the CBO), Chau (by its fellow); voting opens."""
    world = vote.world
    for organisation, name in ((world.cbo, "Ana"), (world.cbo, "Binh"), (world.fellow, "Chau")):
        nominations.nominate(vote.session, editor(organisation), vote.election, organisation, name=name,
                             statement=f"{name} will serve")
    vote.move(P.NOMINATIONS_CLOSED, P.VOTING_OPEN)
    return vote.candidates()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def review(client: FlaskClient, vote: Vote, ranks: dict[str, str], *, intent: str = "vote", headers=EN):
    page = client.get(vote.url + "ballot", headers=headers).get_data(as_text=True)
    candidates = vote.candidates()
    form = {"csrf_token": hidden(page, "csrf_token"), "intent": intent}
    form.update({f"rank-0-{candidates[name].public_id}": rank for name, rank in ranks.items()})
    return client.post(vote.url + "ballot", data=form, headers=headers)


def cast(client: FlaskClient, vote: Vote, ranks: dict[str, str], *, receipt: str = "", headers=EN):
    confirmation = review(client, vote, ranks, headers=headers)
    assert confirmation.status_code == 200, text(confirmation)[:2000]
    page = confirmation.get_data(as_text=True)
    return client.post(vote.url + "ballot/cast", headers=headers, data={
        "csrf_token": hidden(page, "csrf_token"), "ballot": hidden(page, "ballot"), "receipt": receipt})


def receipt_of(page: str) -> tuple[str, str]:
    receipt, content, _hash = re.findall(r'<code class="receipt">([^<]+)</code>', page)
    return receipt, html.unescape(content)


# -- nominations ----------------------------------------------------------------------------------

def test_the_organisation_page_leads_to_its_networks_elections(vote):
    client = vote.clients["own_editor"]
    assert "/elections/" in client.get("/organisation/").get_data(as_text=True)
    listed = text(client.get("/elections/", headers=EN))
    assert vote.world.vnsw.name in listed and "VNSW board election" in listed and "nominations are open" in listed


def test_a_member_nominates_another_seconds_and_the_nominator_withdraws(vote):
    own, fellow = vote.clients["own_editor"], vote.clients["other_editor"]
    page = own.get(vote.url, headers=EN).get_data(as_text=True)
    assert "Nominate a candidate" in page and "/networks/" not in page  # the secretariat's page is not theirs
    made = own.post(vote.url + "nominations", data={"csrf_token": hidden(page, "csrf_token"), "name": "Ana",
                                                   "statement": "Ten years of outreach"})
    assert made.status_code == 302
    ana = vote.candidates()["Ana"]
    assert (ana.nominated_by_id, ana.statement) == (vote.world.cbo.id, "Ten years of outreach")

    page = text(fellow.get(vote.url, headers=EN))
    assert "Second Ana's nomination" in page and "Withdraw Ana" not in page
    seconded = fellow.post(vote.url + f"nominations/{ana.public_id}/seconding",
                           data={"csrf_token": hidden(page, "csrf_token")})
    vote.session.refresh(ana)
    assert seconded.status_code == 302 and ana.seconded_by_id == vote.world.fellow.id
    # The nominator cannot second its own; it withdraws before voting opens.
    page = own.get(vote.url, headers=EN).get_data(as_text=True)
    assert "Second Ana" not in page and "Seconded." in page
    withdrawn = own.post(vote.url + f"nominations/{ana.public_id}/withdrawal",
                         data={"csrf_token": hidden(page, "csrf_token")})
    vote.session.refresh(ana)
    assert withdrawn.status_code == 302 and ana.withdrawn_on == today()
    assert "Nobody is standing yet." in text(own.get(vote.url, headers=EN))


def test_a_refused_nomination_is_said_in_the_readers_language_and_nothing_is_saved(vote):
    own = vote.clients["own_editor"]
    page = own.get(vote.url).get_data(as_text=True)
    own.post(vote.url + "nominations", data={"csrf_token": hidden(page, "csrf_token"), "name": "Ana"})
    again = own.post(vote.url + "nominations", data={"csrf_token": hidden(page, "csrf_token"), "name": "Ana"},
                     headers=VI)
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)
    assert len(vote.election.nominations) == 1


@pytest.mark.parametrize("role,status", [("secretariat", 403), ("outsider_editor", 404), ("anonymous", 302)])
def test_who_may_not_nominate_is_refused_and_nothing_is_written(vote, role, status):
    client = vote.clients[role]
    token = hidden(client.get("/sign-in").get_data(as_text=True), "csrf_token")
    page = client.get(vote.url)
    assert page.status_code == {"secretariat": 200, "outsider_editor": 404, "anonymous": 302}[role]
    if role == "secretariat":
        assert "Nominate a candidate" not in page.get_data(as_text=True)
        office = f"/networks/{vote.world.vnsw.public_id}/elections/{vote.election.public_id}/"
        assert office in page.get_data(as_text=True) and client.get(office).status_code == 200
    refused = client.post(vote.url + "nominations", data={"csrf_token": token, "name": "Ana"})
    assert refused.status_code == status
    assert vote.election.nominations == []


# -- the ballot -----------------------------------------------------------------------------------

def test_a_member_ranks_confirms_and_casts_and_its_receipt_is_shown_once(vote, session):
    to_voting(vote)
    own = vote.clients["own_editor"]
    page = text(own.get(vote.url, headers=EN))
    assert "Open our ballot" in page and "replace your ballot" in page
    form = own.get(vote.url + "ballot", headers=EN).get_data(as_text=True)
    assert form.count('type="number"') == 3 and "ballot.js" in form and "We abstain" in form
    confirmation = review(own, vote, {"Chau": "1", "Ana": "2"})
    shown = text(confirmation)
    assert confirmation.status_code == 200 and vote.voters() == 0  # nothing is cast yet
    assert re.search(r"<ol><li>Chau</li><li>Ana</li></ol>", shown)
    cast_page = own.post(vote.url + "ballot/cast", headers=EN, data={
        "csrf_token": hidden(confirmation.get_data(as_text=True), "csrf_token"),
        "ballot": hidden(confirmation.get_data(as_text=True), "ballot")})
    assert cast_page.status_code == 201 and cast_page.headers["Cache-Control"] == "private, no-store"
    page = cast_page.get_data(as_text=True)
    receipt, content = receipt_of(page)
    assert re.fullmatch(r"[0-9a-f]{32}", receipt) and "How to check it" in page
    assert vote.voters() == 1
    # Nothing else shows it again: the election page and a fresh ballot hold no receipt.
    for later in (vote.url, vote.url + "ballot"):
        assert receipt not in own.get(later).get_data(as_text=True)


def test_a_ballot_posted_without_its_form_token_is_refused_and_nothing_is_cast(vote, session):
    to_voting(vote)
    own = vote.clients["own_editor"]
    confirmation = review(own, vote, {"Ana": "1"}).get_data(as_text=True)
    refused = own.post(vote.url + "ballot/cast", data={"ballot": hidden(confirmation, "ballot")}, headers=EN)
    assert refused.status_code == 400 and "security code" in text(refused)
    forged = own.post(vote.url + "ballot/cast", data={"csrf_token": hidden(confirmation, "csrf_token"),
                                                      "ballot": "forged"}, headers=EN)
    assert forged.status_code == 409
    assert vote.voters() == 0
    assert session.scalar(select(func.count()).select_from(SealedBallot)) == 0


@pytest.mark.parametrize("ranks,english,vietnamese", [
    ({"Ana": "1", "Binh": "1"}, "Rank 1 is given to more than one candidate: Ana, Binh",
     "Thứ hạng 1 được cho nhiều hơn một ứng viên: Ana, Binh"),
    ({"Ana": "1", "Binh": "3"}, "no candidate has rank 2", "không ứng viên nào có thứ hạng 2"),
    ({}, "Choose at least one candidate, or abstain", "Hãy chọn ít nhất một ứng viên"),
])
def test_ranks_that_do_not_read_as_an_order_are_said_in_the_readers_language(vote, ranks, english, vietnamese):
    to_voting(vote)
    own = vote.clients["own_editor"]
    refused = review(own, vote, ranks)
    assert refused.status_code == 422 and english in text(refused)
    assert 'value="1"' in refused.get_data(as_text=True) or not ranks  # what was typed is kept
    in_vietnamese = text(review(own, vote, ranks, headers=VI))
    assert vietnamese in in_vietnamese and english not in in_vietnamese
    assert vote.voters() == 0


def test_abstaining_is_a_choice_of_its_own_and_a_ballot_is_replaced_with_its_receipt(vote, session):
    to_voting(vote)
    own = vote.clients["own_editor"]
    abstained = review(own, vote, {}, intent="abstain")
    assert abstained.status_code == 200 and "Your organisation abstains" in text(abstained)
    first = own.post(vote.url + "ballot/cast", headers=EN, data={
        "csrf_token": hidden(abstained.get_data(as_text=True), "csrf_token"),
        "ballot": hidden(abstained.get_data(as_text=True), "ballot")})
    receipt, content = receipt_of(first.get_data(as_text=True))
    assert content == '{"open":[]}'
    # Again without the receipt: refused, saying how; with another receipt: refused.
    again = cast(own, vote, {"Binh": "1"})
    assert again.status_code == 409 and "give the receipt" in text(again)
    wrong = cast(own, vote, {"Binh": "1"}, receipt="0" * 32)
    assert wrong.status_code == 422 and "not the receipt" in text(wrong)
    replaced = cast(own, vote, {"Binh": "1"}, receipt=receipt)
    assert replaced.status_code == 201 and "Your ballot is replaced" in text(replaced)
    assert vote.voters() == 1 and session.scalar(select(func.count()).select_from(SealedBallot)) == 1


@pytest.mark.parametrize("role,status", [("secretariat", 403), ("board", 403), ("outsider_editor", 404),
                                         ("anonymous", 302)])
def test_only_a_members_own_editor_gets_a_ballot(vote, role, status):
    to_voting(vote)
    assert vote.clients[role].get(vote.url + "ballot").status_code == status
    assert vote.clients["other_editor"].get(vote.url + "ballot").status_code == 200


# -- the result and the voter's check -------------------------------------------------------------

def certified(vote: Vote) -> dict[str, tuple[str, str]]:
    """Three ballots cast through the pages, then counted and certified: receipts by role."""
    to_voting(vote)
    receipts = {"own_editor": receipt_of(cast(vote.clients["own_editor"], vote, {"Ana": "1", "Chau": "2"})
                                         .get_data(as_text=True)),
                "other_editor": receipt_of(cast(vote.clients["other_editor"], vote, {"Chau": "1", "Binh": "2"})
                                           .get_data(as_text=True))}
    vote.move(P.VOTING_CLOSED, P.TALLIED)
    return receipts


def check(client: FlaskClient, vote: Vote, receipt: str, content: str, headers=EN):
    token = hidden(client.get(vote.url + "check").get_data(as_text=True), "csrf_token")
    return client.post(vote.url + "check", data={"csrf_token": token, "receipt": receipt, "content": content},
                       headers=headers)


def test_the_result_shows_every_round_with_a_chart_and_the_same_figures_in_a_table(vote):
    certified(vote)
    member = vote.clients["own_editor"]
    assert member.get(vote.url + "result").status_code == 403  # counted, not yet certified
    assert "/result" not in member.get(vote.url).get_data(as_text=True)
    assert "/result" in vote.clients["secretariat"].get(vote.url).get_data(as_text=True)
    assert vote.clients["secretariat"].get(vote.url + "result").status_code == 200  # to check it first
    vote.move(P.CERTIFIED)
    for role in ("own_editor", "board", "secretariat"):
        page = text(vote.clients[role].get(vote.url + "result", headers=EN))
        assert "Elected" in page and "<svg" in page and "<title id=\"chart-title-0\">" in page
        assert re.search(r"<th scope=\"row\">Chau</th>", page) and "First preferences" in page
        assert vote.election.ballot_list_root in page
        assert re.search(r"<li>Chau \(Open seats\)</li>", page)
    in_vietnamese = text(member.get(vote.url + "result", headers=VI))
    assert "First preferences" not in in_vietnamese and "Số phiếu ưu tiên thứ nhất" in in_vietnamese
    assert vote.clients["outsider_editor"].get(vote.url + "result").status_code == 404
    anonymous = vote.clients["anonymous"].get(vote.url + "result")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    download = member.get(vote.url + "published.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.json["ballot_list"]["root"] == vote.election.ballot_list_root


def test_check_my_ballot_finds_the_ballot_as_cast_and_not_another(vote):
    receipts = certified(vote)
    vote.move(P.CERTIFIED)
    own = vote.clients["own_editor"]
    receipt, content = receipts["own_editor"]
    passed = check(own, vote, receipt, content)
    assert passed.status_code == 200 and "Your ballot is in the published list" in text(passed)
    other_content = receipts["other_editor"][1]
    failed = check(own, vote, receipt, other_content, headers=VI)
    assert failed.status_code == 422 and "Your ballot is in the published list" not in text(failed)
    assert "your ballot is not in the published list" not in text(failed)  # said in Vietnamese
    assert "Phiếu bầu của bạn không có trong danh sách đã công bố." in text(failed)
    # Nobody signed in is sent to sign in; an organisation outside the network finds nothing.
    assert vote.clients["anonymous"].get(vote.url + "check").status_code == 302
    outsider = vote.clients["outsider_editor"]
    token = hidden(outsider.get("/sign-in").get_data(as_text=True), "csrf_token")
    assert outsider.post(vote.url + "check", data={"csrf_token": token, "receipt": receipt,
                                                   "content": content}).status_code == 404


def test_a_block_plurality_ballot_is_a_checkbox_each_up_to_the_seats(vote, session):
    vote.election.method = "block_plurality"
    candidates = to_voting(vote)
    own = vote.clients["own_editor"]
    page = own.get(vote.url + "ballot", headers=EN).get_data(as_text=True)
    assert page.count('type="checkbox" name="choose-0"') == 3 and 'type="number"' not in page
    assert "Choose up to 2 candidates." in page
    chosen = [candidates[name].public_id for name in ("Ana", "Binh", "Chau")]
    token = hidden(page, "csrf_token")
    too_many = own.post(vote.url + "ballot", data={"csrf_token": token, "intent": "vote", "choose-0": chosen},
                        headers=VI)
    assert too_many.status_code == 422 and "Chọn tối đa 2 ứng viên." in text(too_many)
    assert text(too_many).count(" checked>") == 3  # what was ticked stays ticked
    confirmation = own.post(vote.url + "ballot", data={"csrf_token": token, "intent": "vote",
                                                       "choose-0": chosen[1:]}, headers=EN)
    assert re.search(r"<ul><li>Binh</li><li>Chau</li></ul>", text(confirmation))
    cast_page = own.post(vote.url + "ballot/cast", data={
        "csrf_token": token, "ballot": hidden(confirmation.get_data(as_text=True), "ballot")})
    assert cast_page.status_code == 201 and vote.voters() == 1


def test_a_tie_and_every_stage_are_worded_in_the_readers_language_by_name_never_by_key(app):
    """A count as the result stores it (keys as strings, whatever names candidates in the file)."""
    count = {"seats_for": "open", "method": "scottish_stv", "seats": 1, "quota": "2.00000", "valid_ballots": 3,
             "abstentions": 0, "unfilled_seats": 0, "elected": ["7"], "tie_breaks": [
                 {"stage": 2, "purpose": "exclusion", "rule": "rule 49", "method": "lot", "candidates": ["8", "9"],
                  "outcome": ["9"], "seed": "ab", "lookback_stage": None, "draw": 1}],
             "rounds": [
                 {"stage": 1, "action": "first_preferences", "candidate": None, "transfer_value": None,
                  "votes": {"7": "1.00000", "8": "1.00000", "9": "1.00000"}, "transfers": {},
                  "exhausted": "0.00000", "fractions_lost": "0.00000", "elected": []},
                 {"stage": 2, "action": "exclusion", "candidate": "9", "transfer_value": "1.00000",
                  "votes": {"7": "2.00000", "8": "1.00000"}, "transfers": {"7": "1.00000"},
                  "exhausted": "0.00000", "fractions_lost": "0.00000", "elected": ["7"]}]}
    with app.test_request_context(headers=VI):
        shown = rounds.shown(count, {7: "Ana", 8: "Binh", 9: "Chau"})
    assert [s["action"] for s in shown["stages"]] == ["Số phiếu ưu tiên thứ nhất", "Chau bị loại"]
    assert shown["ties"] == ["Ở vòng 2, Binh, Chau bằng phiếu nhau khi xét loại; Chau bị loại "
                             "(bằng lần bốc thăm số 1, rút với hạt giống của cuộc bầu cử)."]
    assert shown["stages"][1]["elected"] == {"Ana"} and shown["stages"][1]["moved"] == {"Ana": "1"}
    assert [bar.name for bar in shown["chart"].bars] == ["Ana", "Binh", "Chau", "Ana", "Binh"]
    assert shown["chart"].quota_y is not None and shown["quota"] == "2"
