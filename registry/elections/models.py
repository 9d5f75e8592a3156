"""The tables of an election: the election and its dated phases, nominations, the roll, the
record of who voted, and the ballots, sealed while voting is open and mixed once it closes.

Ballots are kept apart from voters on purpose: see registry/elections/ballots.py for what
each table may and may not hold, and why.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Date, ForeignKey, ForeignKeyConstraint, String, Text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, backref, mapped_column, relationship

from registry.access.public_ids import PubliclyNamed
from registry.db import Base, Code, Name, str_enum, utcnow
from registry.elections.methods import Method
from registry.errors import N_, Conflict
from registry.governance.models import GoverningBody, Officeholder
from registry.organisations.models import Organisation


class ElectionPhase(enum.StrEnum):
    DRAFT = "draft"
    NOMINATIONS_OPEN = "nominations_open"
    NOMINATIONS_CLOSED = "nominations_closed"
    VOTING_OPEN = "voting_open"
    VOTING_CLOSED = "voting_closed"
    TALLIED = "tallied"
    CERTIFIED = "certified"
    CANCELLED = "cancelled"


P = ElectionPhase
# How ballots name the election and its candidates (their content, hash, the published list and
# the result): 2, by public ids; 1, by integer keys, as every election begun before 0016 was cast
# and published (its hashes and roots are fixed by what it was cast under, so it keeps them).
BALLOT_FORMAT = 2
# Phases in which an election still holds its body's seats open (seats may not be re-planned).
UNDECIDED_PHASES = (P.DRAFT, P.NOMINATIONS_OPEN, P.NOMINATIONS_CLOSED, P.VOTING_OPEN,
                    P.VOTING_CLOSED, P.TALLIED)


class Election(PubliclyNamed, Base):
    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("governing_bodies.id"), index=True)
    title: Mapped[str] = mapped_column(Name)
    method: Mapped[Method] = mapped_column(str_enum(Method))
    seats: Mapped[int]
    term_class: Mapped[int | None]  # None: every seat of the body is up for election
    # Seats up for election per constituency, and "open" for the unreserved: fixed at creation.
    seat_groups: Mapped[dict[str, Any]]
    quorum_percent: Mapped[int]  # minimum turnout, as a share of the roll
    sex_worker_led_only: Mapped[bool]
    roll_cutoff: Mapped[dt.date] = mapped_column(Date)
    term_starts: Mapped[dt.date | None] = mapped_column(Date)  # None: the day of certification
    phase: Mapped[ElectionPhase] = mapped_column(str_enum(ElectionPhase), default=P.DRAFT)
    phase_since: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[dict[str, Any] | None]  # counts, turnout and seed, once tallied
    # When voting is due to close, as announced and extended while open (elections/turnout.py).
    voting_closes_on: Mapped[dt.date | None] = mapped_column(Date)
    # The public key that seals ballots, made when voting opens; its private half is never here
    # (elections/ballot_keys.py). None: opened before ballots were sealed.
    ballot_public_key: Mapped[str | None] = mapped_column(String(64))
    # The chain over the sealed ballots as voting closed: the count opens those and no others.
    sealed_root: Mapped[str | None] = mapped_column(String(64))
    # The published ballot list's chain root, fixed by the count (elections/publication.py).
    ballot_list_root: Mapped[str | None] = mapped_column(String(64))
    ballot_format: Mapped[int] = mapped_column(default=BALLOT_FORMAT)  # see BALLOT_FORMAT
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    body: Mapped[GoverningBody] = relationship()
    phase_changes: Mapped[list[ElectionPhaseChange]] = relationship(
        back_populates="election", cascade="all, delete-orphan", order_by="ElectionPhaseChange.id"
    )
    nominations: Mapped[list[Nomination]] = relationship(
        back_populates="election", order_by="Nomination.id"
    )
    # The terms it filled; gives each Officeholder its `election` (governance sits below elections).
    terms: Mapped[list[Officeholder]] = relationship(
        viewonly=True, backref=backref("election", viewonly=True, lazy="selectin")
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def network_id(self) -> int:
        return self.body.network_id

    @property
    def network(self) -> Organisation:
        return self.body.network


class ElectionPhaseChange(Base):
    __tablename__ = "election_phase_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), index=True)
    from_phase: Mapped[ElectionPhase | None] = mapped_column(str_enum(ElectionPhase))
    to_phase: Mapped[ElectionPhase] = mapped_column(str_enum(ElectionPhase))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(Code)
    reason: Mapped[str] = mapped_column(Text, default="")

    election: Mapped[Election] = relationship(back_populates="phase_changes")


class Nomination(PubliclyNamed, Base):
    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)  # the candidate's id in every count
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # a name or pseudonym, nothing else
    name_key: Mapped[str] = mapped_column(String(200))  # fold(name): the same person
    statement: Mapped[str] = mapped_column(Text, default="")
    constituency: Mapped[str | None] = mapped_column(String(100))  # None: stands for open seats
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    seconded_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    nominated_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)

    election: Mapped[Election] = relationship(back_populates="nominations")
    nominated_by: Mapped[Organisation] = relationship(foreign_keys=[nominated_by_id])
    seconded_by: Mapped[Organisation | None] = relationship(foreign_keys=[seconded_by_id])

    @property
    def standing(self) -> bool:
        return self.withdrawn_on is None


class RollEntry(Base):
    """An organisation entitled to one ballot: written when voting opens, then never changed."""

    __tablename__ = "roll_entries"

    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True, index=True)


class Voter(Base):
    """That an organisation on the roll has voted: no time, no ballot, no receipt. Its primary
    key is what lets an organisation vote only once."""

    __tablename__ = "voters"
    __table_args__ = (
        ForeignKeyConstraint(["election_id", "organisation_id"],
                             ["roll_entries.election_id", "roll_entries.organisation_id"]),
    )

    election_id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(primary_key=True)


class SealedBallot(Base):
    """A ballot as cast, until the count: its content and hash sealed together with the
    election's public key, padded to one length per election. `locator` (a hash of the
    election, the voter and its receipt) lets the voter replace it. The count opens and deletes it."""

    __tablename__ = "sealed_ballots"
    __table_args__ = {"sqlite_with_rowid": False}  # no rowid: SQLite would number rows in cast order

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, never sequential
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    locator: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)  # the sealed box, base64 (see ballots.cast_ballot)


class Ballot(Base):
    """A ballot as the count opened it: its content and published hash, nothing else."""

    __tablename__ = "ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, never sequential
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    ballot_hash: Mapped[str] = mapped_column(String(64))


@contextmanager
def one_writer_at_a_time(session: Session) -> Iterator[None]:
    """Turn SQLite's "database is locked" into a Conflict the caller can retry.

    SQLite lets one connection write at a time; a transaction that already read and then
    wants to write while another holds the write lock is refused at once (waiting could
    deadlock). PostgreSQL waits on the row locks instead and never gets here.
    """
    try:
        yield
    except OperationalError as failed:
        if session.get_bind().dialect.name == "sqlite" and "locked" in str(failed.orig):
            raise Conflict(N_("another change to this election is being saved at this moment; "
                              "try again")) from None
        raise
