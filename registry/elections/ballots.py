"""Casting, replacing, sealing and opening ballots, so that nobody can tell how an
organisation voted.

Where sex work is criminalised, a leaked vote can expose an organisation, so the design
assumes a reader of everything the database keeps: every table, its write-ahead log, its
snapshots and backups (the secretariat, a database administrator, a leaked dump):

* `voters` says only that an organisation voted: (election, organisation), no time, no
  ballot, no receipt. Its primary key makes a second ballot from the same organisation fail.
* A ballot is sealed as it is cast: its content and its hash, padded to one length for the
  whole election, go into a sealed box under the election's public key
  (registry/elections/ballot_keys.py), whose private key is never in the database. The box
  and the voter record are written in one transaction, so a reader of the database or its
  WAL can tie a box to its organisation, and the box is all it gets: no content, no hash, no
  length that differs from any other ballot's.
* The count (moving to tallied) opens every box with the private key, in memory, and writes
  the contents and hashes into `ballots` in a random order, under fresh random ids, in its
  one transaction; it deletes the boxes, and the private key is destroyed once the count is
  committed. A published ballot row therefore shares its transaction id (PostgreSQL's xmin)
  with every other ballot and with no voter record or cast's audit entry, is stored in
  shuffled order, and no box in an old backup or WAL segment can be opened to match it.
  Both ballot tables are WITHOUT ROWID on SQLite, which would otherwise number rows in order.
* The audit entry for a cast names the organisation and the election, nothing about the ballot.
* The receipt (128 random bits, returned once) is never stored. The ballot hash,
  sha256("<election id>:<receipt>:<content>"), lets the voter find its ballot in the
  published list; the locator on a box, sha256("locator:<election id>:<organisation id>:
  <receipt>"), lets only that organisation holding that receipt replace it. Neither can be
  reversed or matched without the receipt. Ids here are public ids (the content names
  candidates by their nominations' public ids too); an election begun before they were
  (`Election.ballot_format` 1) keeps the integer keys it was cast under: see `ballot_ids`.

What this does not prevent, stated plainly (see also README.md, "Elections"):

* Whoever holds the private key during voting (the server's operator: the key file is in
  its instance folder) and reads the database can open each box as it is cast and tie it to
  its voter; so can whoever watches the server's memory or requests while ballots are cast.
  After the count the key is gone, and with it that possibility for the copies kept.
* Whoever holds a receipt can find that ballot's content, so a receipt handed over proves how
  its organisation voted: the design is not coercion-resistant, and organisations should
  keep receipts as secret as passwords.
* The public key is public: someone who can write to the database can add or swap a box.
  The count refuses boxes other than those fixed when voting closed, and more or fewer
  boxes than voters, but a box swapped during voting is found only by its voter's check.
* With very few voters, the published counts alone may reveal votes (e.g. a unanimous roll).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nacl.public import SealedBox
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.access import audit
from registry.access.permissions import Actor, Permission, require
from registry.elections.ballot_keys import seal, unseal
from registry.elections.methods import BallotKind, counting_method
from registry.elections.models import (
    Ballot, Election, ElectionPhase, Nomination, RollEntry, SealedBallot, Voter, one_writer_at_a_time
)
from registry.errors import N_, Conflict, NotPermitted, ValidationFailed
from registry.governance.models import OPEN_SEATS
from registry.organisations.models import Organisation

# Candidates named by their nominations' public ids (as the API names them) or, by callers inside
# the registry, by their integer keys; the content names them as the election's format does.
Choices = Sequence[int | str] | Mapping[str, Sequence[int | str]]
# How a ballot names a candidate or an election: a public id, or (format 1) an integer key.
BallotId = int | str
# Once the ballots are counted, the list of ballot hashes is there for every voter to check.
PUBLISHED_PHASES = (ElectionPhase.TALLIED, ElectionPhase.CERTIFIED)
# Refusals a caller tells apart by their message id (the ballot page says each its own way).
VOTING_NOT_OPEN = N_("voting is not open in %(title)s (%(phase)s)")
ALREADY_VOTED = N_("%(organisation)s has already voted; give the receipt to replace its ballot")
WRONG_RECEIPT = N_("this is not the receipt of your current ballot")
NOT_A_CANDIDATE = N_("%(group)s: %(candidate)s is not a candidate for these seats")


@dataclass(frozen=True)
class CastReceipt:
    """Shown to the voter once. Keep `receipt` secret: it replaces the ballot while voting is
    open, and with `content` it recomputes `ballot_hash`."""

    receipt: str
    ballot_hash: str
    content: str


def ballot_hash(election_id: BallotId, receipt: str, content: str) -> str:
    """The published hash of a ballot: what a voter recomputes to check its ballot is counted.
    `election_id` as the ballots name the election (`election_ballot_id`)."""
    return hashlib.sha256(f"{election_id}:{receipt}:{content}".encode()).hexdigest()


def election_ballot_id(election: Election) -> BallotId:
    """How the election's ballots, their hashes and the published list name it: its public id,
    or its integer key for an election cast in format 1 (whose hashes are fixed by it)."""
    return election.id if election.ballot_format == 1 else election.public_id


def ballot_ids(election: Election) -> dict[BallotId, Nomination]:
    """Every nomination of the election by how its ballots and count name it: the nomination's
    public id, or its integer key in format 1."""
    if election.ballot_format == 1:
        return {n.id: n for n in election.nominations}
    return {n.public_id: n for n in election.nominations}


def canonical_ballot(election: Election, choices: Choices) -> str:
    """The ballot as stored and hashed: JSON with every seat group (the constituencies of
    reserved seats, and "open"), each naming nominations by public id (format 1: by integer
    key) in order of preference (STV) or in ascending order (block plurality); an empty list is
    an abstention in that group.

    A plain list of ids is the open seats' part. A candidate standing for a constituency may
    be chosen in that constituency's part and in the open part. A public id that names no
    standing candidate of this election is refused as one naming nobody, whatever it names
    elsewhere. Integer keys (from callers inside the registry) are taken too, and written as
    the format names candidates: no content of format 2 holds one.
    """
    groups: dict[str, int] = election.seat_groups
    if isinstance(choices, Mapping):
        parts = {str(group): ids for group, ids in choices.items()}
    elif OPEN_SEATS in groups:
        parts = {OPEN_SEATS: choices}
    else:
        raise ValidationFailed.on("choices", N_("every seat is reserved: give a part for each of %(groups)s"),
                                  groups=str(sorted(groups)))
    standing = {i: n for i, n in ballot_ids(election).items() if n.standing}
    # What the content names each standing candidate by, from its public id or its integer key.
    named_by: dict[BallotId, BallotId] = {n.public_id: i for i, n in standing.items()}
    named_by.update({n.id: i for i, n in standing.items()})
    content: dict[str, list[BallotId]] = {}
    for group in sorted(groups):
        given = parts.pop(group, ())
        if not isinstance(given, list | tuple) or not all(
                isinstance(i, str) or (isinstance(i, int) and not isinstance(i, bool)) for i in given):
            raise ValidationFailed.on("choices", N_("%(group)s: a list of nominations' public ids"), group=group)
        if (unknown := next((i for i in given if i not in named_by), None)) is not None:
            raise ValidationFailed.on("choices", NOT_A_CANDIDATE, group=group, candidate=unknown)
        ids = [named_by[i] for i in given]
        if len(set(ids)) != len(ids):
            raise ValidationFailed.on("choices", N_("%(group)s: a candidate is chosen more than once"), group=group)
        for i in ids:
            if group != OPEN_SEATS and standing[i].constituency != group:
                # Named by its public id, as the API names candidates.
                raise ValidationFailed.on("choices", NOT_A_CANDIDATE, group=group,
                                          candidate=standing[i].public_id)
        if counting_method(election.method).ballot_kind is BallotKind.CHOOSE_UP_TO:
            if len(ids) > groups[group]:
                raise ValidationFailed.on("choices", N_("%(group)s: choose at most %(most)s"), group=group,
                                          most=groups[group])
            ids.sort()
        content[group] = ids
    if parts:
        raise ValidationFailed.on("choices", N_("no seats are up for election for %(groups)s"),
                                  groups=str(sorted(parts)))
    return json.dumps(content, separators=(",", ":"), sort_keys=True)


def cast_ballot(
    session: Session,
    actor: Actor,
    election: Election,
    organisation: Organisation,
    choices: Choices,
    *,
    receipt: str | None = None,
) -> CastReceipt:
    """Cast `organisation`'s ballot (empty choices: an abstention), or replace it by giving the
    receipt of the one cast before. Returns a new receipt, to be shown once."""
    require(session, actor, Permission.CAST_BALLOT, organisation.id)
    with one_writer_at_a_time(session):
        session.flush()
        # FOR SHARE: casts run side by side, while closing (FOR UPDATE) waits for them to end.
        session.refresh(election, with_for_update={"read": True})
        if election.phase is not ElectionPhase.VOTING_OPEN:
            raise Conflict(VOTING_NOT_OPEN, params={"title": election.title, "phase": election.phase.value})
        if session.get(RollEntry, (election.id, organisation.id)) is None:
            raise NotPermitted(N_("%(organisation)s is not on the roll of %(title)s"),
                               params={"organisation": organisation.name, "title": election.title})
        content = canonical_ballot(election, choices)
        voted = session.get(Voter, (election.id, organisation.id)) is not None
        if receipt is None:
            if voted:
                raise Conflict(ALREADY_VOTED, params={"organisation": organisation.name})
            _record_voter(session, election, organisation)
        else:
            if not voted:
                raise ValidationFailed.on("receipt", N_("%(organisation)s has no ballot to replace"),
                                          organisation=organisation.name)
            _zero_deleted_rows(session)
            removed = session.execute(
                delete(SealedBallot).where(
                    SealedBallot.election_id == election.id,
                    SealedBallot.locator == _locator(election, organisation, receipt.strip().lower()),
                ).execution_options(synchronize_session=False)
            ).rowcount
            if removed != 1:
                raise ValidationFailed.on("receipt", WRONG_RECEIPT)
        if election.ballot_public_key is None:
            raise Conflict(N_("%(title)s has no key to seal ballots with; cancel it and start again"),
                           params={"title": election.title})
        fresh = secrets.token_hex(16)
        hashed = ballot_hash(election_ballot_id(election), fresh, content)
        box = seal(election.ballot_public_key, _padded(election, {"ballot_hash": hashed, "content": content}))
        session.add(SealedBallot(id=secrets.token_hex(16), election_id=election.id,
                                 locator=_locator(election, organisation, fresh),
                                 content=base64.b64encode(box).decode("ascii")))
        audit.record(session, actor, "ballot_replaced" if receipt else "ballot_cast", election, {},
                     organisation_id=organisation.id)
    return CastReceipt(fresh, hashed, content)


def sealed_root(session: Session, election: Election) -> str:
    """A hash over the election's sealed boxes, in sorted order: fixed as voting closes, so the
    count opens those boxes and no others."""
    chained = hashlib.sha256(f"sealed ballots:{election.id}".encode())
    for box in sorted(session.scalars(select(SealedBallot.content).where(SealedBallot.election_id == election.id))):
        chained.update(f"\n{box}".encode())
    return chained.hexdigest()


def open_sealed_ballots(session: Session, election: Election, opener: SealedBox) -> int:
    """Open every sealed box of the election (the count), and write contents and hashes into
    `ballots`, shuffled and under new ids, in the caller's transaction; the boxes are deleted.
    Returns how many. See the module docstring for why."""
    if election.sealed_root is not None and sealed_root(session, election) != election.sealed_root:
        raise Conflict(N_("the sealed ballots of %(title)s are not those there when voting closed: "
                          "they were changed in the database; do not count them"), params={"title": election.title})
    boxes = session.scalars(select(SealedBallot.content).where(SealedBallot.election_id == election.id)).all()
    if len(boxes) != turnout(session, election):
        raise Conflict(N_("%(title)s has %(sealed)s sealed ballots for %(voted)s organisations that voted: the "
                          "database was changed; do not count"),
                       params={"title": election.title, "sealed": len(boxes), "voted": turnout(session, election)})
    opened = []
    for box in boxes:
        ballot = json.loads(unseal(opener, base64.b64decode(box)))
        opened.append({"id": secrets.token_hex(16), "election_id": election.id,
                       "content": ballot["content"], "ballot_hash": ballot["ballot_hash"]})
    discard_sealed_ballots(session, election)
    secrets.SystemRandom().shuffle(opened)
    if opened:
        session.execute(insert(Ballot), opened)
    return len(opened)


def discard_sealed_ballots(session: Session, election: Election) -> int:
    """Delete the election's sealed boxes (opened by the count, or never, on a cancel)."""
    _zero_deleted_rows(session)
    return session.execute(delete(SealedBallot).where(SealedBallot.election_id == election.id)
                           .execution_options(synchronize_session=False)).rowcount


def scrub_sealed_ballots(engine: Engine) -> None:
    """Rewrite PostgreSQL's sealed_ballots file without the dead rows a count or a cancel left
    behind (run outside any transaction, after it is committed; a moment's exclusive lock on
    that table only). SQLite needs nothing: its deleted rows were zeroed as they went."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM FULL sealed_ballots"))


def ballot_contents(session: Session, election: Election) -> list[dict[str, list[BallotId]]]:
    """Every opened ballot's content, for the count."""
    return [json.loads(content) for content in session.scalars(
        select(Ballot.content).where(Ballot.election_id == election.id).order_by(Ballot.id))]


def turnout(session: Session, election: Election) -> int:
    """How many organisations voted (abstentions included)."""
    return session.scalar(select(func.count()).select_from(Voter).where(Voter.election_id == election.id)) or 0


def published_ballot_hashes(session: Session, actor: Actor, election: Election) -> list[str]:
    """The hash of every ballot counted, in hash order, once the ballots are counted."""
    require(session, actor, Permission.READ_GOVERNANCE, election.network_id)
    if election.phase not in PUBLISHED_PHASES and not (
        election.phase is ElectionPhase.CANCELLED and election.ballot_list_root is not None
    ):
        raise Conflict(N_("the ballot hashes of %(title)s are published once the ballots are counted"),
                       params={"title": election.title})
    return list(session.scalars(select(Ballot.ballot_hash).where(Ballot.election_id == election.id)
                                .order_by(Ballot.ballot_hash)))


def _record_voter(session: Session, election: Election, organisation: Organisation) -> None:
    try:
        with session.begin_nested():
            session.add(Voter(election_id=election.id, organisation_id=organisation.id))
    except IntegrityError:
        # Another ballot from the same organisation was cast at the same moment and won.
        raise Conflict(ALREADY_VOTED, params={"organisation": organisation.name}) from None


def _zero_deleted_rows(session: Session) -> None:
    # SQLite otherwise leaves a deleted row's bytes in the file's free pages; PostgreSQL keeps
    # dead row versions until VACUUM, which no transaction can run (see the module docstring).
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def _locator(election: Election, organisation: Organisation, receipt: str) -> str:
    voter = organisation.id if election.ballot_format == 1 else organisation.public_id
    return hashlib.sha256(f"locator:{election_ballot_id(election)}:{voter}:{receipt}".encode()).hexdigest()


def _padded(election: Election, ballot: dict[str, str]) -> bytes:
    """The ballot as JSON, padded with spaces to one length for the whole election: the longest
    ballot it allows (every standing candidate in every group), rounded up to 256 bytes."""
    everyone = [i for i, n in ballot_ids(election).items() if n.standing]
    longest = json.dumps({"ballot_hash": "0" * 64, "content": json.dumps(
        {group: everyone for group in election.seat_groups}, separators=(",", ":"))}, separators=(",", ":"))
    text = json.dumps(ballot, separators=(",", ":"))
    return text.ljust(-(-len(longest) // 256) * 256).encode()
