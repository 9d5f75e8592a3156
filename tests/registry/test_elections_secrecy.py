"""Ballot secrecy and one ballot per organisation, tested the way they would be broken: with
real transactions committed on separate connections, racing threads, and a reader of every
table who is not bound by the registry's functions.

These tests need real commits, so they run on a private database of their own (SQLite or
PostgreSQL, like the rest of the suite), not inside the rolled-back transaction of a test.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.settings import ELECTION_KEYS_DIR
from registry.governance import services as governance
from registry.memberships import services as memberships
from registry.organisations import services as organisations
from registry.all_models import metadata
from registry.db import make_engine, today
from registry.elections import ballots, nominations, phases
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.elections.models import Ballot, Election, ElectionPhase, SealedBallot, Voter
from registry.errors import Conflict, RegistryError
from registry.migrate import upgrade
from registry.organisations.models import Organisation
from tests.conftest import fresh_database
from tests.factories import SYSTEM, editor, secretariat

P = ElectionPhase
HOLD = 0.5  # seconds a transaction stays open after writing, so the other one meets it
_runs = itertools.count(1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("secrecy")) as url:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@dataclass(frozen=True)
class Committed:
    network_id: int
    member_ids: list[int]
    election_id: int
    candidates: dict[str, str]  # name -> public id


def keyed_session(engine: Engine) -> Session:
    """A session as a request or command makes it: with the folder of private ballot keys."""
    return use_ballot_keys(Session(engine, expire_on_commit=False), BallotKeyFolder(os.environ[ELECTION_KEYS_DIR]))


def committed_election(engine: Engine, members: int = 4) -> Committed:
    """A network, its members and an election open for voting, all committed."""
    run = next(_runs)
    with keyed_session(engine) as session:
        network = organisations.register_organisation(
            session, SYSTEM, network=None, kind="national_network", name=f"Secrecy network {run}", country="VN")
        orgs = [organisations.register_organisation(
            session, SYSTEM, network=network, kind="community_organisation", name=f"Secrecy CBO {run}-{i}",
            country="VN", sex_worker_led="yes") for i in range(members)]
        for org in orgs:
            for action in ("apply", "verify", "admit"):
                memberships.transition(session, SYSTEM, network, org, action)
        body = governance.define_body(session, SYSTEM, network, kind="board", name="Board", seats=2)
        election = phases.create_election(session, secretariat(network), body, title=f"Election {run}",
                                          method="scottish_stv", roll_cutoff=today())
        phases.open_nominations(session, secretariat(network), election)
        candidates = {name: nominations.nominate(session, editor(orgs[i]), election, orgs[i], name=name).public_id
                      for i, name in enumerate(("Ana", "Binh", "Chau"))}
        phases.close_nominations(session, secretariat(network), election)
        phases.open_voting(session, secretariat(network), election)
        session.commit()
        return Committed(network.id, [o.id for o in orgs], election.id, candidates)


def in_transaction(engine: Engine, work: Cast | Close | Count, *, before: Callable[[], None] = lambda: None,
                   hold: float = 0.0, wrote: threading.Event | None = None) -> Any:
    """Run `work` in a transaction of its own and commit; a refusal is returned, not raised."""
    with keyed_session(engine) as session:
        election = session.get_one(Election, work.election_id)
        before()
        try:
            outcome = work(session, election)
        except RegistryError as refused:
            session.rollback()
            return refused
        finally:
            if wrote is not None:
                wrote.set()
        time.sleep(hold)
        session.commit()
        return outcome


class Cast:
    """Cast a ballot for one organisation, as its editor."""

    def __init__(self, c: Committed, member: int, names: tuple[str, ...], receipt: str | None = None) -> None:
        self.election_id, self.org_id = c.election_id, c.member_ids[member]
        self.choices, self.receipt = [c.candidates[n] for n in names], receipt

    def __call__(self, session: Session, election: Election) -> ballots.CastReceipt:
        org = session.get_one(Organisation, self.org_id)
        return ballots.cast_ballot(session, editor(org), election, org, self.choices, receipt=self.receipt)


class Close:
    def __init__(self, c: Committed) -> None:
        self.election_id, self.network_id = c.election_id, c.network_id

    def __call__(self, session: Session, election: Election) -> Election:
        network = session.get_one(Organisation, self.network_id)
        return phases.close_voting(session, secretariat(network), election)


class Count(Close):
    def __call__(self, session: Session, election: Election) -> Election:
        network = session.get_one(Organisation, self.network_id)
        return phases.count_votes(session, secretariat(network), election)


def race(engine: Engine, first: Cast | Close, second: Cast | Close, *, second_waits_for_first: bool) -> tuple[Any, Any]:
    """Run two transactions at once on two connections. The first holds its transaction open
    for HOLD seconds after writing; the second starts once both have begun (or, with
    `second_waits_for_first`, once the first has written)."""
    both_started, wrote = threading.Barrier(2), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(in_transaction, engine, first, before=both_started.wait, hold=HOLD, wrote=wrote)
        two = pool.submit(in_transaction, engine, second,
                          before=lambda: (both_started.wait(), wrote.wait(10) if second_waits_for_first else None))
        return one.result(timeout=60), two.result(timeout=60)


def count(engine: Engine, model: Any, election_id: int) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(model.election_id == election_id)) or 0


def close_when_free(engine: Engine, c: Committed) -> None:
    """Close voting, retrying while SQLite reports another writer (PostgreSQL just waits)."""
    for _ in range(50):
        if not isinstance(outcome := in_transaction(engine, Close(c)), Conflict):
            return
        time.sleep(0.1)
    raise AssertionError(outcome)


# --- one ballot per organisation, under concurrency ---------------------------------------------


def test_two_ballots_cast_at_once_by_one_organisation_leave_exactly_one(engine):
    c = committed_election(engine)
    outcomes = race(engine, Cast(c, 0, ("Ana",)), Cast(c, 0, ("Binh",)), second_waits_for_first=False)
    assert sorted(type(o).__name__ for o in outcomes) == ["CastReceipt", "Conflict"]
    assert (count(engine, Voter, c.election_id), count(engine, SealedBallot, c.election_id)) == (1, 1)


def test_two_replacements_with_one_receipt_at_once_leave_exactly_one_ballot(engine):
    c = committed_election(engine)
    cast = in_transaction(engine, Cast(c, 0, ("Ana",)))
    outcomes = race(engine, Cast(c, 0, ("Binh",), cast.receipt), Cast(c, 0, ("Chau",), cast.receipt),
                    second_waits_for_first=True)
    assert sum(isinstance(o, ballots.CastReceipt) for o in outcomes) == 1
    assert (count(engine, Voter, c.election_id), count(engine, SealedBallot, c.election_id)) == (1, 1)


def test_a_ballot_cast_while_voting_closes_is_counted_or_refused_never_lost(engine):
    c = committed_election(engine)
    cast, closing = race(engine, Cast(c, 1, ("Ana",)), Close(c), second_waits_for_first=True)
    assert isinstance(cast, ballots.CastReceipt)
    if isinstance(closing, Conflict):  # SQLite: one writer at a time, so close again
        close_when_free(engine, c)
    assert (count(engine, SealedBallot, c.election_id), count(engine, Ballot, c.election_id)) == (1, 0)
    assert isinstance(in_transaction(engine, Count(c)), Election)
    with Session(engine) as session:
        election = session.get_one(Election, c.election_id)
        assert cast.ballot_hash in ballots.published_ballot_hashes(session, SYSTEM, election)


def test_a_ballot_cast_once_voting_is_closing_or_closed_is_refused(engine):
    c = committed_election(engine)
    in_transaction(engine, Cast(c, 0, ("Ana",)))
    closing, late = race(engine, Close(c), Cast(c, 1, ("Binh",)), second_waits_for_first=True)
    assert isinstance(closing, Election) and isinstance(late, Conflict)
    assert isinstance(in_transaction(engine, Cast(c, 2, ("Chau",))), Conflict)  # and after it closed
    assert (count(engine, Voter, c.election_id), count(engine, SealedBallot, c.election_id)) == (1, 1)


# --- nobody can tell how an organisation voted ---------------------------------------------------


def table_dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in metadata.sorted_tables}


def wal_position(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))


WAL_PAGE = 8192  # wal_block_size
SHORT_PAGE_HEADER, LONG_PAGE_HEADER, XLP_LONG_HEADER = 24, 40, 0x0002


def wal_bytes(engine: Engine, start: str, end: str) -> bytes:
    """The write-ahead log's records between two positions, read from its files as a superuser can.

    Each 8 kB page of the log begins with a header, and a record that crosses a page is split by
    it: the headers are taken out, so a value written across a page boundary reads whole. The
    pages are read from the one holding `start`, so a few records before it may be included."""
    with engine.connect() as connection:
        assert connection.scalar(text("SHOW wal_block_size")) == str(WAL_PAGE)
        (first, start_at), (last, end_at) = (connection.execute(text(
            "SELECT file_name, file_offset FROM pg_walfile_name_offset(CAST(:lsn AS pg_lsn))"), {"lsn": lsn}).one()
            for lsn in (start, end))
        names = [n for n in connection.scalars(text("SELECT name FROM pg_ls_waldir() ORDER BY name"))
                 if first <= n <= last]
        assert names[0] == first and names[-1] == last, "the log between the two positions was recycled"
        files = [connection.scalar(text("SELECT pg_read_binary_file('pg_wal/' || :n)"), {"n": n}) for n in names]
    log = b"".join(files)[start_at - start_at % WAL_PAGE:sum(len(f) for f in files[:-1]) + end_at]
    pages = (log[at:at + WAL_PAGE] for at in range(0, len(log), WAL_PAGE))
    return b"".join(page[LONG_PAGE_HEADER if int.from_bytes(page[2:4], "little") & XLP_LONG_HEADER
                         else SHORT_PAGE_HEADER:] for page in pages)


@pytest.fixture
def wal_kept(engine: Engine) -> Iterator[None]:
    """Keep the write-ahead log from here on: a checkpoint during the test must not recycle it."""
    if engine.dialect.name != "postgresql":
        yield
        return
    slot = f"secrecy_test_{os.getpid()}"
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_create_physical_replication_slot(:s, true)"), {"s": slot})
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_drop_replication_slot(:s)"), {"s": slot})


def test_nobody_who_reads_the_database_can_tell_how_any_organisation_voted(engine, wal_kept):
    c = committed_election(engine, members=5)
    wal_start = wal_position(engine)
    rankings = [("Ana",), ("Binh", "Ana"), ("Chau", "Binh", "Ana"), ("Ana", "Chau"), ()]
    receipts, polled = [], []
    for i, ranking in enumerate(rankings):
        receipts.append(in_transaction(engine, Cast(c, i, ranking)))
        # A reader polling after each cast ties each new box to the organisation that just voted.
        polled.append([b for b in table_dump(engine)["sealed_ballots"] if b["election_id"] == c.election_id])
    replaced = in_transaction(engine, Cast(c, 0, ("Binh",), receipts[0].receipt))
    spent, receipts[0] = receipts[0], replaced
    close_when_free(engine, c)

    # What a reader of the database holds before the count (a snapshot, a dump, the polls): boxes.
    before_count = repr(table_dump(engine)) + repr(polled)
    for receipt in [spent, *receipts]:
        assert receipt.ballot_hash not in before_count and receipt.content not in before_count
        assert receipt.receipt not in before_count
    boxes = {b["content"] for poll in polled for b in poll}
    wal_before_count = wal_position(engine)
    assert isinstance(in_transaction(engine, Count(c)), Election)
    wal_end = wal_position(engine)

    # The private key was destroyed with the count: no box kept anywhere can be opened now.
    with pytest.raises(Conflict, match="private ballot key"):
        BallotKeyFolder(os.environ[ELECTION_KEYS_DIR]).opener(c.election_id)
    assert not list(Path(os.environ[ELECTION_KEYS_DIR]).glob(f"election-{c.election_id}.*"))

    dump = table_dump(engine)
    everything = repr(dump)
    # Ballot rows hold content and hash only; the voter record says only who voted.
    assert set(dump["ballots"][0]) == {"id", "election_id", "content", "ballot_hash"}
    assert set(dump["voters"][0]) == {"election_id", "organisation_id"}
    assert [b for b in dump["sealed_ballots"] if b["election_id"] == c.election_id] == []
    mine = [b for b in dump["ballots"] if b["election_id"] == c.election_id]
    assert len(mine) == 5 and not {b["id"] for poll in polled for b in poll} & {b["id"] for b in mine}
    assert not any(box in everything for box in boxes)
    # No receipt, and no locator derived from one, is stored anywhere.
    for receipt, org_id in zip([spent, *receipts], [c.member_ids[0], *c.member_ids]):
        locator = hashlib.sha256(f"locator:{c.election_id}:{org_id}:{receipt.receipt}".encode()).hexdigest()
        assert receipt.receipt not in everything and locator not in everything
    # A ballot's hash appears only beside its own content.
    for ballot in mine:
        assert everything.count(ballot["ballot_hash"]) == 1
    # The audit log names who voted and when, and nothing about any ballot.
    casts = [e for e in dump["audit_entries"] if e["action"] in ("ballot_cast", "ballot_replaced")
             and e["object_id"] == c.election_id]
    assert len(casts) == 6 and all(e["changes"] == {} and e["object_type"] == "elections" for e in casts)

    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Every ballot was written by the count's transaction, which wrote no voter record
            # and no cast's audit entry: transaction ids tie no ballot to a voter.
            def xmins(table: str, where: str) -> set[str]:
                return set(connection.scalars(text(f"SELECT xmin::text FROM {table} WHERE {where}"),
                                              {"e": c.election_id}))
            opened = xmins("ballots", "election_id = :e")
            counted = xmins("election_phase_changes", "election_id = :e AND to_phase = 'tallied'")
            assert len(opened) == 1 and opened == counted
            assert not opened & xmins("voters", "election_id = :e")
            assert not opened & xmins("audit_entries", "object_type = 'elections' AND object_id = :e "
                                                       "AND action IN ('ballot_cast', 'ballot_replaced')")
            # The write-ahead log of the voting holds boxes, never a hash or a content...
            wal = wal_bytes(engine, wal_start, wal_before_count)
            assert boxes
            for receipt in [spent, *receipts]:
                assert receipt.ballot_hash.encode() not in wal
            # ...and, as pg_walinspect reads it, the only transaction that wrote to `ballots`
            # is the count's, which wrote no voter.
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_walinspect"))
            ballots_file, voters_file = (connection.scalar(text(f"SELECT pg_relation_filenode('{t}')::text"))
                                         for t in ("ballots", "voters"))
            records = connection.execute(text(
                "SELECT xid::text, block_ref FROM pg_get_wal_records_info(CAST(:s AS pg_lsn), CAST(:e AS pg_lsn))"
            ), {"s": wal_start, "e": wal_end}).all()

            def writers(filenode: str) -> set[str]:
                return {xid for xid, ref in records if re.search(rf"rel \d+/\d+/{filenode}\b", ref or "")}
            assert writers(ballots_file) == opened
            assert writers(voters_file) and not writers(voters_file) & opened
            published = {b["ballot_hash"].encode() for b in mine}
            assert all(h in wal_bytes(engine, wal_before_count, wal_end) for h in published)
        else:
            # No rowid numbers the ballots in the order they were cast...
            with pytest.raises(OperationalError, match="rowid"):
                connection.execute(text("SELECT rowid FROM ballots"))
            # ...and the deleted boxes left no bytes behind in the database file.
            raw = Path(engine.url.database).read_bytes()
            for box in boxes:
                assert box[:40].encode() not in raw
            assert receipts[0].ballot_hash.encode() in raw  # the search itself works

    # Only the receipt, which the organisation alone holds, finds its ballot.
    with Session(engine) as session:
        published = ballots.published_ballot_hashes(session, SYSTEM, session.get_one(Election, c.election_id))
    assert all(r.ballot_hash in published for r in receipts) and spent.ballot_hash not in published


def test_scrubbing_rewrites_the_sealed_ballots_left_by_a_count(engine):
    c = committed_election(engine)
    in_transaction(engine, Cast(c, 0, ("Ana",)))
    close_when_free(engine, c)
    in_transaction(engine, Count(c))

    def table_file() -> str | None:
        with engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                return None
            return connection.scalar(text("SELECT pg_relation_filenode('sealed_ballots')::text"))

    before = table_file()
    ballots.scrub_sealed_ballots(engine)
    # PostgreSQL wrote a new file for the table (dropping the dead row versions); SQLite had
    # already zeroed them (see the test above), so nothing is done there.
    assert (table_file() != before) if before is not None else table_file() is None
    assert count(engine, Ballot, c.election_id) == 1
