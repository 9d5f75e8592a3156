"""The network tree's table and the membership states, by stored value, that make its links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base


# The membership states, by their stored values, that put an organisation in a network's active
# subtree, that are a pending application, and that end a membership (memberships.py names them).
MEMBER_STATUSES = ("active", "suspended", "lapsed")
PENDING_STATUSES = ("applied", "verified")
ENDED_STATUSES = ("withdrawn", "expelled", "rejected")
# Where a session keeps what its readers remember of the tree (visibility.reader_for): relink
# forgets it, since who may see whom moves with the tree.
REMEMBERED = "registry.readers"
# Networks nest a few levels deep (NSWP → APNSW → VNSW → CBO); a walk stops here whatever the data.
MAX_DEPTH = 16


class NetworkLink(Base):
    __tablename__ = "network_links"
    __table_args__ = (
        # "Who is below N now" and "what is above X now", each answered from the index alone.
        Index("ix_network_links_below", "ancestor_id", "current", "descendant_id"),
        Index("ix_network_links_above", "descendant_id", "current", "ancestor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    descendant_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    depth: Mapped[int]  # 1: a direct member (or registered); the shortest way down when several
    held_from: Mapped[dt.date | None]
    held_until: Mapped[dt.date | None]
    current: Mapped[bool] = mapped_column(default=True)
