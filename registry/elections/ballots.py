"""Casting, replacing and mixing ballots, so that nobody can tell how an organisation voted.

Where sex work is criminalised, a leaked vote can expose an organisation, so the design
assumes a reader of every table (the secretariat, a database administrator, a leaked dump):

* `voters` says only that an organisation voted: (election, organisation), no time, no
  ballot, no receipt. Its primary key makes a second ballot from the same organisation fail.
* A ballot row holds its content and its hash, never an organisation, a time or a
  sequential id: ids are random, and both ballot tables are WITHOUT ROWID on SQLite, which
  would otherwise number rows in the order they were cast.
* The audit entry for a cast names the organisation and the election, nothing about the ballot.
* While voting is open a ballot sits in `sealed_ballots`, written in the same transaction as
  the voter record. When voting closes (or an election is cancelled while voting is open),
  `mix_sealed_ballots` copies every sealed ballot, in a random order and under fresh random
  ids, into `ballots` in one transaction, and deletes the sealed rows. Every mixed ballot is
  then written by that one transaction (one PostgreSQL xmin for all) and stored in shuffled
  order, so neither transaction id, physical position (ctid) nor insertion order ties a
  ballot to a voter record or an audit entry any more.
* The receipt (128 random bits, returned once) is never stored. What is stored: the ballot
  hash sha256("<election id>:<receipt>:<content>"), which the voter can recompute and find in
  the published list; and, until voting closes, a locator sha256("locator:<election id>:
  <organisation id>:<receipt>") on the sealed row, so that only that organisation holding
  that receipt can replace its ballot. Neither hash can be reversed or matched without the
  receipt.

What this does not prevent, stated plainly:

* While voting is open, someone reading the database (or its WAL, a replica, a backup or a
  log of statements taken during voting) can link a sealed ballot to its voter record by
  transaction id or timing; from such a copy, the ballot hash links the mixed ballot too.
  Dead row versions of deleted sealed ballots stay in PostgreSQL's table file until it is
  rewritten: run `scrub_sealed_ballots` after the close is committed. On SQLite
  secure_delete is switched on wherever a sealed ballot is deleted, so its bytes are zeroed;
  SQLite's rollback journal held them during the transaction.
* Whoever holds a receipt can find that ballot's content (the hash over the few possible
  ballots), so a receipt handed over proves how its organisation voted: the design is not
  coercion-resistant, and organisations should keep receipts as secret as passwords.
* With very few voters, the published counts alone may reveal votes (e.g. a unanimous roll).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import audit
from registry.elections.models import (
    Ballot,
    Election,
    ElectionPhase,
    RollEntry,
    SealedBallot,
    Voter,
    one_writer_at_a_time,
)
from registry.elections.tally import Method
from registry.errors import Conflict, NotPermitted, ValidationFailed
from registry.governance import OPEN_SEATS
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, require

Choices = Sequence[int] | Mapping[str, Sequence[int]]
# Once voting has closed, the list of ballot hashes is there for every voter to check.
PUBLISHED_PHASES = (ElectionPhase.VOTING_CLOSED, ElectionPhase.TALLIED, ElectionPhase.CERTIFIED)


@dataclass(frozen=True)
class CastReceipt:
    """Shown to the voter once. Keep `receipt` secret: it replaces the ballot while voting is
    open, and with `content` it recomputes `ballot_hash`."""

    receipt: str
    ballot_hash: str
    content: str


def ballot_hash(election_id: int, receipt: str, content: str) -> str:
    """The published hash of a ballot: what a voter recomputes to check its ballot is counted."""
    return hashlib.sha256(f"{election_id}:{receipt}:{content}".encode()).hexdigest()


def canonical_ballot(election: Election, choices: Choices) -> str:
    """The ballot as stored and hashed: JSON with every seat group (the constituencies of
    reserved seats, and "open"), each naming nomination ids in order of preference (STV) or
    in ascending order (block plurality); an empty list is an abstention in that group.

    A plain list of ids is the open seats' part. A candidate standing for a constituency may
    be chosen in that constituency's part and in the open part.
    """
    groups: dict[str, int] = election.seat_groups
    if isinstance(choices, Mapping):
        parts = {str(group): ids for group, ids in choices.items()}
    elif OPEN_SEATS in groups:
        parts = {OPEN_SEATS: choices}
    else:
        raise ValidationFailed.on("choices", f"every seat is reserved: give a part for each of {sorted(groups)}")
    standing = {n.id: n for n in election.nominations if n.standing}
    content: dict[str, list[int]] = {}
    for group in sorted(groups):
        ids = parts.pop(group, ())
        if not isinstance(ids, list | tuple) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValidationFailed.on("choices", f"{group}: a list of nomination ids")
        ids = list(ids)
        if len(set(ids)) != len(ids):
            raise ValidationFailed.on("choices", f"{group}: a candidate is chosen more than once")
        for i in ids:
            if i not in standing or (group != OPEN_SEATS and standing[i].constituency != group):
                raise ValidationFailed.on("choices", f"{group}: {i} is not a candidate for these seats")
        if election.method is Method.BLOCK_PLURALITY:
            if len(ids) > groups[group]:
                raise ValidationFailed.on("choices", f"{group}: choose at most {groups[group]}")
            ids.sort()
        content[group] = ids
    if parts:
        raise ValidationFailed.on("choices", f"no seats are up for election for {sorted(parts)}")
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
            raise Conflict(f"voting is not open in {election.title} ({election.phase.value})")
        if session.get(RollEntry, (election.id, organisation.id)) is None:
            raise NotPermitted(f"{organisation.name} is not on the roll of {election.title}")
        content = canonical_ballot(election, choices)
        voted = session.get(Voter, (election.id, organisation.id)) is not None
        if receipt is None:
            if voted:
                raise Conflict(f"{organisation.name} has already voted; give the receipt to replace its ballot")
            _record_voter(session, election, organisation)
        else:
            if not voted:
                raise ValidationFailed.on("receipt", f"{organisation.name} has no ballot to replace")
            _zero_deleted_rows(session)
            removed = session.execute(
                delete(SealedBallot).where(
                    SealedBallot.election_id == election.id,
                    SealedBallot.locator == _locator(election.id, organisation.id, receipt.strip().lower()),
                ).execution_options(synchronize_session=False)
            ).rowcount
            if removed != 1:
                raise ValidationFailed.on("receipt", "this is not the receipt of your current ballot")
        fresh = secrets.token_hex(16)
        sealed = SealedBallot(id=secrets.token_hex(16), election_id=election.id,
                              locator=_locator(election.id, organisation.id, fresh), content=content,
                              ballot_hash=ballot_hash(election.id, fresh, content))
        session.add(sealed)
        audit.record(session, actor, "ballot_replaced" if receipt else "ballot_cast", election, {},
                     organisation_id=organisation.id)
    return CastReceipt(fresh, sealed.ballot_hash, content)


def mix_sealed_ballots(session: Session, election: Election) -> int:
    """Move the sealed ballots into `ballots`, shuffled and under new ids, in the caller's
    (closing) transaction; returns how many. See the module docstring for why."""
    _zero_deleted_rows(session)
    sealed = session.execute(select(SealedBallot.content, SealedBallot.ballot_hash)
                             .where(SealedBallot.election_id == election.id)).all()
    session.execute(delete(SealedBallot).where(SealedBallot.election_id == election.id)
                    .execution_options(synchronize_session=False))
    mixed = [{"id": secrets.token_hex(16), "election_id": election.id, "content": content,
              "ballot_hash": hashed} for content, hashed in sealed]
    secrets.SystemRandom().shuffle(mixed)
    if mixed:
        session.execute(insert(Ballot), mixed)
    return len(mixed)


def scrub_sealed_ballots(engine: Engine) -> None:
    """Rewrite PostgreSQL's sealed_ballots file without the dead rows a close left behind (run
    outside any transaction, after the close is committed; a moment's exclusive lock on that
    table only). SQLite needs nothing: its deleted rows were zeroed as they went."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM FULL sealed_ballots"))


def ballot_contents(session: Session, election: Election) -> list[dict[str, list[int]]]:
    """Every mixed ballot's content, for the count."""
    return [json.loads(content) for content in session.scalars(
        select(Ballot.content).where(Ballot.election_id == election.id).order_by(Ballot.id))]


def turnout(session: Session, election: Election) -> int:
    """How many organisations voted (abstentions included)."""
    return session.scalar(select(func.count()).select_from(Voter).where(Voter.election_id == election.id)) or 0


def published_ballot_hashes(session: Session, actor: Actor, election: Election) -> list[str]:
    """The hash of every ballot counted, in hash order, once voting has closed."""
    require(session, actor, Permission.READ_GOVERNANCE, election.network_id)
    if election.phase not in PUBLISHED_PHASES and not (
        election.phase is ElectionPhase.CANCELLED and turnout(session, election)
    ):
        raise Conflict(f"the ballot hashes of {election.title} are published once voting closes")
    return list(session.scalars(select(Ballot.ballot_hash).where(Ballot.election_id == election.id)
                                .order_by(Ballot.ballot_hash)))


def _record_voter(session: Session, election: Election, organisation: Organisation) -> None:
    try:
        with session.begin_nested():
            session.add(Voter(election_id=election.id, organisation_id=organisation.id))
    except IntegrityError:
        # Another ballot from the same organisation was cast at the same moment and won.
        raise Conflict(f"{organisation.name} has already voted; give the receipt to replace its ballot") from None


def _zero_deleted_rows(session: Session) -> None:
    # SQLite otherwise leaves a deleted row's bytes in the file's free pages; PostgreSQL keeps
    # dead row versions until VACUUM, which no transaction can run (see the module docstring).
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def _locator(election_id: int, organisation_id: int, receipt: str) -> str:
    return hashlib.sha256(f"locator:{election_id}:{organisation_id}:{receipt}".encode()).hexdigest()
