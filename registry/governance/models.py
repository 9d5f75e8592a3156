"""Governing bodies, their seats and officeholders."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.access.public_ids import PubliclyNamed
from registry.db import Base, Name, str_enum
from registry.organisations.models import Organisation


class BodyKind(enum.StrEnum):
    BOARD = "board"
    COORDINATING_COMMITTEE = "coordinating_committee"


# Ballots and counts call the unreserved seats "open"; no constituency may take that name.
OPEN_SEATS = "open"
# Without a term length, someone who has been off a body this long has broken their run of terms.
DEFAULT_BREAK_MONTHS = 12


class GoverningBody(PubliclyNamed, Base):
    __tablename__ = "governing_bodies"
    __table_args__ = (UniqueConstraint("network_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[BodyKind] = mapped_column(str_enum(BodyKind))
    name: Mapped[str] = mapped_column(Name)
    seats: Mapped[int]
    term_months: Mapped[int | None]
    term_classes: Mapped[int] = mapped_column(default=1)  # >1: staggered terms
    term_limit: Mapped[int | None]  # most consecutive terms one person may serve
    established: Mapped[str | None] = mapped_column(String(10))  # YYYY, YYYY-MM or YYYY-MM-DD
    notes: Mapped[str] = mapped_column(Text, default="")

    network: Mapped[Organisation] = relationship()
    seat_plan: Mapped[list[Seat]] = relationship(
        back_populates="body", cascade="all, delete-orphan", order_by="Seat.number"
    )


class Seat(PubliclyNamed, Base):
    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("body_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("governing_bodies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    term_class: Mapped[int] = mapped_column(default=1)
    constituency: Mapped[str | None] = mapped_column(String(100))  # None: an open seat

    body: Mapped[GoverningBody] = relationship(back_populates="seat_plan")


class Officeholder(PubliclyNamed, Base):
    __tablename__ = "officeholders"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("governing_bodies.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # a name or pseudonym, nothing else
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # fold(name): the same person
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)  # last day in office; None: open-ended
    election_id: Mapped[int | None] = mapped_column(ForeignKey("elections.id"))
    left_reason: Mapped[str] = mapped_column(Text, default="")

    seat: Mapped[Seat] = relationship()
    nominated_by: Mapped[Organisation | None] = relationship()

    def holds_on(self, on: dt.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


@dataclass(frozen=True)
class SeatHolding:
    """One seat on a date, and who held it (None: vacant)."""

    seat: Seat
    holder: Officeholder | None
