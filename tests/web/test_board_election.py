"""VNSW elects a board end to end on screens, in Vietnamese, and anyone can verify the count.

The secretariat (desktop) creates the election and moves it through its phases, each confirmed
on its own page; three member organisations nominate (and second) on phones; ten vote on phones,
one of them replacing its ballot with the receipt of the first; the board (desktop) watches the
turnout while voting is open; the secretariat counts and certifies; the elected candidates take
their seats on the board page; a voter checks its receipt against the published list. The file
downloaded from the result page passes `registry election verify`, and each tampered copy of it
(a ballot's content changed, a ballot deleted, the list reordered, the seed swapped) fails;
the voter's own check (`registry election check-ballot`) fails on the copy where its ballot changed.

The journeys share one live site, so this one records its own governing body (through the JSON
API, as the secretariat would: there is no screen for governing bodies) and names it, its
election and its candidates with a tag of its own. The ten voters are sample CBOs of VNSW's,
each signed in with an editor's code issued through the CLI, and all of them on the roll.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from api.cli import main
from tests.web.conftest import Site, sign_in
from tests.web.kit import Visit
from tests.web.test_console import said
from tests.web.test_elections import confirm
from tests.web.test_organisation import API, call

VOTERS = [f"Sample CBO {n}" for n in range(11, 21)]
NOMINATORS = VOTERS[:3]


def editor_code(site: Site, organisation: str, tag: str) -> str:
    """A sign-in code for `organisation`'s editor, issued as the secretariat would on the CLI."""
    made = CliRunner(env={"DATABASE_URL": site.database_url}).invoke(
        main, ["token", "create", "--role", "editor", "--for", organisation, "--label", f"board election {tag}"])
    assert made.exit_code == 0, made.output
    return made.output.strip().splitlines()[-1]


def member(site: Site, name: str, code: str, tag: str) -> Visit:
    """A member organisation's editor on a phone, in Vietnamese, signed in."""
    phone = Visit(site.browser, site.base, viewport="phone", language="vi", name=f"board-election-{tag}-{name}")
    sign_in(phone, code)
    return phone


def open_election(page: Visit, title: str) -> None:
    """From the member's list of elections to this one's page."""
    page.goto("/elections/")
    page.check("elections")
    page.page.click(f"main a:text-is('{title}')")
    page.check("election")


def rank(page: Visit, names: list[str]) -> None:
    """Tap the candidates in order of preference on the ballot, and read it back."""
    for name in names:
        page.page.locator("div.rank", has_text=name).locator("button.tap").click()
    page.page.click("button[name=intent][value=vote]")
    page.check("read back")
    assert page.page.locator(".read-back ol li").all_inner_texts() == names
    page.expect_status(201)


def cast(page: Visit, *, replacing: str = "") -> dict[str, str]:
    """Cast the ballot read back (replacing the one whose receipt is given): the receipt page's
    receipt, ballot as counted and hash."""
    if replacing:
        page.page.fill("form.cast input[name=receipt]", replacing)
    page.page.click("form.cast button")
    page.check("receipt")
    receipt, content, hashed = page.page.locator("code.receipt").all_inner_texts()
    heading = said("vi", "Your ballot is replaced" if replacing else "Your ballot is cast")
    assert page.page.locator("h1").inner_text() == heading
    return {"receipt": receipt, "content": content, "hash": hashed}


def verify(path: Path) -> int:
    return CliRunner().invoke(main, ["election", "verify", str(path)]).exit_code


def check_ballot(path: Path, receipt: dict[str, str]) -> int:
    return CliRunner().invoke(main, ["election", "check-ballot", str(path), "--receipt", receipt["receipt"],
                                     "--content", receipt["content"]]).exit_code


def test_vnsw_elects_its_board_on_screens_and_anyone_can_verify_the_count(web_site: Site, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    vnsw = call(web_site, "GET", f"{API}/organisations?q=VNSW&kind=national_network")[0]["items"][0]["id"]
    board_name, title = f"Sample board {tag}", f"Sample board election {tag}"
    body, _ = call(web_site, "POST", f"{API}/networks/{vnsw}/bodies", secret=web_site.codes["secretariat VNSW"],
                   body={"kind": "board", "name": board_name, "seats": 2, "term_months": 24})
    codes = {name: editor_code(web_site, name, tag) for name in VOTERS}
    ann, binh, chau = f"Ánh {tag}", f"Bình {tag}", f"Châu {tag}"
    office = f"/networks/{vnsw}/elections/"

    with ExitStack() as people:
        # One phone per member organisation, open from its first page to its last.
        phones: dict[str, Visit] = {}
        people.callback(lambda: [one.close() for one in phones.values()])

        def phone(name: str) -> Visit:
            if name not in phones:
                phones[name] = member(web_site, name, codes[name], tag)
            return phones[name]

        secretariat = people.enter_context(web_site.visit(f"board-election-{tag}-secretariat", viewport="desktop",
                                                          signed_in_as="secretariat VNSW"))
        secretariat.goto(office)
        secretariat.check("elections")
        secretariat.page.click("main p a.button")
        secretariat.check("new election")
        secretariat.page.select_option("select[name=body]", body["id"])
        secretariat.page.fill("input[name=title]", title)
        secretariat.page.select_option("select[name=method]", "scottish_stv")
        secretariat.page.fill("input[name=quorum_percent]", "20")
        secretariat.page.click("form.stacked button[type=submit]")
        secretariat.check("draft")
        election = secretariat.page.url.rstrip("/").rsplit("/", 1)[1]
        confirm(secretariat, "nominations_open")

        # Three organisations nominate a candidate each, and each after the first seconds the one before.
        for i, (name, candidate) in enumerate(zip(NOMINATORS, (ann, binh, chau), strict=True)):
            nominator = phone(name)
            open_election(nominator, title)
            nominator.page.fill("form.nominate input[name=name]", candidate)
            nominator.page.fill("form.nominate textarea[name=statement]", f"{candidate} sẽ phục vụ mạng lưới.")
            nominator.page.click("form.nominate button")
            nominator.check("nominated")
            assert said("vi", "%(name)s is nominated.", name=candidate) in nominator.page.inner_text("main")
            if i:
                before = (ann, binh)[i - 1]
                nominator.page.locator("article.candidate", has_text=before).locator("button").click()
                nominator.check("seconded")
                assert said("vi", "You seconded %(name)s's nomination.", name=before) in nominator.page.inner_text(
                    "main")
        confirm(secretariat, "nominations_closed")
        confirm(secretariat, "voting_open")
        roll = secretariat.page.locator("ul.not-voted li").all_inner_texts()
        assert set(VOTERS) <= set(roll), "the ten voters are on the roll"

        board = people.enter_context(web_site.visit(f"board-election-{tag}-board", viewport="desktop"))
        sign_in(board, web_site.codes["board VNSW"])
        board.check("board page", max_kb=None, max_requests=None)  # it shows maps

        def turnout(voted: list[str]) -> None:
            """The board reads the turnout: who has voted, never how."""
            board.goto(f"{office}{election}/")
            board.check(f"turnout {len(voted)}")
            line = board.page.inner_text("p.turnout")
            assert line.startswith(f"{len(voted)} ") and f" {len(roll)} " in line
            waiting = set(board.page.locator("ul.not-voted li").all_inner_texts())
            assert waiting == set(roll) - set(voted)
            assert board.page.locator("a[href*='/phase/']").count() == 0

        turnout([])
        # Six rank Ánh then Bình, three Bình then Châu, and the last Châu alone, then replaces
        # its ballot with Châu then Ánh: Ánh is elected on first preferences, and Bình with
        # Ánh's surplus.
        rankings = [[ann, binh]] * 6 + [[binh, chau]] * 3 + [[chau]]
        voted: list[str] = []
        for name, ranking in zip(VOTERS, rankings, strict=True):
            voter = phone(name)
            open_election(voter, title)
            voter.page.click("a.button[href$='/ballot']")
            voter.check("ballot")
            rank(voter, ranking)
            first = cast(voter)
            voted.append(name)
            if name != VOTERS[-1]:
                phones.pop(name).close()
            if len(voted) == 5:
                turnout(voted)
        replacer = phones[VOTERS[-1]]
        replacer.page.click("p.screen-only a")  # back to the election
        replacer.check("election again")
        replacer.page.click("a.button[href$='/ballot']")
        replacer.check("ballot again")
        rank(replacer, [chau, ann])
        second = cast(replacer, replacing=first["receipt"])
        assert second["receipt"] != first["receipt"] and second["content"] != first["content"]
        turnout(voted)

        # The secretariat closes voting, counts and certifies.
        secretariat.goto(f"{office}{election}/")
        secretariat.check("election")
        assert said("vi", "The quorum is met.") in secretariat.page.inner_text("p.turnout")
        for phase in ("voting_closed", "tallied", "certified"):
            confirm(secretariat, phase)
        elected = secretariat.page.locator(f"main h2:text-is('{said('vi', 'Result')}') + p").inner_text()
        assert elected.startswith(said("vi", "Elected:")) and ann in elected and binh in elected
        secretariat.page.click("main a[href$='/result']")
        secretariat.check("result")
        elected = secretariat.page.locator("ul.elected li").all_inner_texts()
        assert sorted(e.split(" (")[0] for e in elected) == sorted([ann, binh])
        assert secretariat.page.locator("svg.rounds").count() == 1
        with secretariat.page.expect_download() as downloading:
            secretariat.page.click("main a[href$='/published.json']")
        published_file = tmp_path / "published.json"
        downloading.value.save_as(published_file)
        secretariat.clean("download")

        # The elected take their seats on the board page.
        board.goto(f"/dashboard/board/{vnsw}")
        board.check("board page after the election", max_kb=None, max_requests=None)
        seats = board.page.locator(f"h3:text-is('{board_name}') + p + div.table-scroll")
        holders = seats.locator("tr td:nth-child(2)").all_inner_texts()
        assert sorted(holders) == sorted([ann, binh])

        # The voter that replaced its ballot checks the receipt of its ballot as counted; the
        # receipt of the one it replaced is not in the list.
        replacer.page.goto(web_site.base + f"/elections/{vnsw}/{election}/")
        replacer.check("election certified")
        replacer.page.click("main a[href$='/check']")
        replacer.check("check my ballot")
        replacer.page.fill("input[name=receipt]", second["receipt"])
        replacer.page.fill("textarea[name=content]", second["content"])
        replacer.page.click("main form button")
        replacer.check("ballot checked")
        assert replacer.page.locator("p.notice[role=status]").inner_text() == said(
            "vi", "Your ballot is in the published list, with the content you cast, and the list is the one the "
                  "result was counted from.")
        replacer.expect_status(422)
        replacer.page.fill("input[name=receipt]", first["receipt"])
        replacer.page.fill("textarea[name=content]", first["content"])
        replacer.page.click("main form button")
        replacer.check("replaced ballot checked")
        assert said("vi", "Your ballot is not in the published list.") in replacer.page.inner_text("div.error")

    # Anyone with the file recounts it; each tampered copy fails.
    published = json.loads(published_file.read_text(encoding="utf-8"))
    ballots = published["ballot_list"]["ballots"]
    assert len(ballots) == 10 and published["election"]["title"] == title
    assert verify(published_file) == 0

    def tampered(change: Callable[[dict[str, Any]], None]) -> Path:
        copied = copy.deepcopy(published)
        change(copied)
        path = tmp_path / f"{change.__name__}.json"
        path.write_text(json.dumps(copied), encoding="utf-8")
        return path

    def changed_content(file: dict[str, Any]) -> None:
        """The voter's own ballot (found by its hash) reads as another ballot does."""
        listed = file["ballot_list"]["ballots"]
        mine = next(b for b in listed if b["ballot_hash"] == second["hash"])
        mine["content"] = next(b["content"] for b in listed if b["content"] != mine["content"])

    def deleted(file: dict[str, Any]) -> None:
        del file["ballot_list"]["ballots"][0]

    def reordered(file: dict[str, Any]) -> None:
        file["ballot_list"]["ballots"].reverse()

    def seed_swapped(file: dict[str, Any]) -> None:
        file["result"]["seed"] = "0" * 64

    for change in (changed_content, deleted, reordered, seed_swapped):
        assert verify(tampered(change)) != 0, change.__name__
    # The voter's own check finds its ballot changed, and passes on the published file.
    assert check_ballot(published_file, second) == 0
    assert check_ballot(tampered(changed_content), second) != 0
