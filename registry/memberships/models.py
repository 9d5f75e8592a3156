"""The memberships' tables, their statuses and the moves between them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.access.public_ids import PublicId, new_public_id
from registry.db import Base, Code, str_enum, today, utcnow
from registry.networks import models as network_tree
from registry.organisations.models import Organisation


class MembershipStatus(enum.StrEnum):
    APPLIED = "applied"
    VERIFIED = "verified"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    EXPELLED = "expelled"
    REJECTED = "rejected"


S = MembershipStatus
# States in which the organisation is the network's member, under its secretariat's care (the
# network's active subtree, permissions.py): a suspended or lapsed member is still a member.
MEMBER_STATUSES = tuple(S(s) for s in network_tree.MEMBER_STATUSES)
# States of an application the network has yet to decide: they grant the network nothing.
PENDING_STATUSES = tuple(S(s) for s in network_tree.PENDING_STATUSES)
# States in which the organisation is tied to the network, applications included: the names
# used in a network, and the shape of the tree, which a new membership must not loop in.
ATTACHED_STATUSES = (*PENDING_STATUSES, *MEMBER_STATUSES)
# States in which a membership has ended; the organisation consents again to come back.
ENDED_STATUSES = tuple(S(s) for s in network_tree.ENDED_STATUSES)


class MembershipAction(enum.StrEnum):
    APPLY = "apply"
    VERIFY = "verify"
    ADMIT = "admit"
    REJECT = "reject"
    SUSPEND = "suspend"
    LAPSE = "lapse"
    REINSTATE = "reinstate"
    WITHDRAW = "withdraw"
    EXPEL = "expel"


A = MembershipAction


# action -> (states it may start from (None: no membership yet), state it leads to)
LIFECYCLE: dict[MembershipAction, tuple[frozenset[MembershipStatus | None], MembershipStatus]] = {
    A.APPLY: (frozenset({None, S.WITHDRAWN, S.REJECTED, S.EXPELLED}), S.APPLIED),
    A.VERIFY: (frozenset({S.APPLIED}), S.VERIFIED),
    A.ADMIT: (frozenset({S.VERIFIED}), S.ACTIVE),
    A.REJECT: (frozenset({S.APPLIED, S.VERIFIED}), S.REJECTED),
    A.SUSPEND: (frozenset({S.ACTIVE}), S.SUSPENDED),
    A.LAPSE: (frozenset({S.ACTIVE, S.SUSPENDED}), S.LAPSED),
    A.REINSTATE: (frozenset({S.SUSPENDED, S.LAPSED, S.WITHDRAWN, S.EXPELLED}), S.ACTIVE),
    A.WITHDRAW: (frozenset({S.APPLIED, S.VERIFIED, S.ACTIVE, S.SUSPENDED, S.LAPSED}), S.WITHDRAWN),
    A.EXPEL: (frozenset({S.ACTIVE, S.SUSPENDED, S.LAPSED}), S.EXPELLED),
}


# Decisions that need a stated reason in the record.
REASON_REQUIRED = frozenset({A.REJECT, A.SUSPEND, A.LAPSE, A.REINSTATE, A.EXPEL})


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("network_id", "member_id"),
        # A network's members in one state (its active ones, above all), and the applications
        # pending anywhere, read from the index alone (visibility.py, area_counts.py, spans.py).
        Index("ix_memberships_status_network", "status", "network_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and made here, so it tells apart the rows of one INSERT: SQLite's RETURNING then
    # hands a flush's new ids back for many rows at once (insertmanyvalues' sentinel).
    public_id: Mapped[str] = mapped_column(PublicId, default=new_public_id, unique=True, index=True,
                                           insert_sentinel=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(str_enum(MembershipStatus))
    status_since: Mapped[dt.date | None]  # None: the date was not documented
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    network: Mapped[Organisation] = relationship(foreign_keys=[network_id])
    member: Mapped[Organisation] = relationship(foreign_keys=[member_id])
    events: Mapped[list[MembershipEvent]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", order_by="MembershipEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def status_on(self, on: dt.date | None) -> MembershipStatus | None:
        """The status on `on`; None or today: the current one. Undated events count only for now."""
        if on is None or on >= today():
            return self.status
        status = None
        for event in self.events:
            if event.effective_on is not None and event.effective_on <= on:
                status = event.to_status
        return status


class MembershipEvent(Base):
    __tablename__ = "membership_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    action: Mapped[MembershipAction] = mapped_column(str_enum(MembershipAction))
    from_status: Mapped[MembershipStatus | None] = mapped_column(str_enum(MembershipStatus))
    to_status: Mapped[MembershipStatus] = mapped_column(str_enum(MembershipStatus))
    effective_on: Mapped[dt.date | None]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(Code)
    reason: Mapped[str] = mapped_column(Text, default="")

    membership: Mapped[Membership] = relationship(back_populates="events")


class MembershipSpan(Base):
    """A stretch of days a membership held one status, as its dated changes tell it: from the
    day one took effect until the day a later one did (None: it still holds). Undated changes
    count only for now (Membership.status_on), so they make no span. Derived from the events by
    registry.memberships.spans, which the one write path calls: "which status on this date" is
    then one range lookup, and a network's members on every year-end one scan of its index."""

    __tablename__ = "membership_spans"
    __table_args__ = (
        # A network's memberships in a status over time, answered from the index alone.
        Index("ix_membership_spans_network", "network_id", "status", "held_from", "held_until", "member_id"),
    )

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    held_from: Mapped[dt.date] = mapped_column(primary_key=True)  # a membership's spans never overlap
    held_until: Mapped[dt.date | None]  # the first day it no longer held
    network_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # the membership's, copied
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # likewise
    status: Mapped[MembershipStatus] = mapped_column(str_enum(MembershipStatus))
