"""Governing bodies of networks: boards and coordinating committees, with their seats.

VNSW's board of five and WNU's coordinating committee of five are elected by member
organisations; elections and officeholders build on the bodies defined here.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry import audit
from registry.db import Base, Name, str_enum
from registry.errors import Conflict, ValidationFailed
from registry.organisation_rules import PARTIAL_DATE_RULE
from registry.organisations import Organisation
from registry.permissions import Actor, Permission, require


class BodyKind(enum.StrEnum):
    BOARD = "board"
    COORDINATING_COMMITTEE = "coordinating_committee"


class GoverningBody(Base):
    __tablename__ = "governing_bodies"
    __table_args__ = (UniqueConstraint("network_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[BodyKind] = mapped_column(str_enum(BodyKind))
    name: Mapped[str] = mapped_column(Name)
    seats: Mapped[int]
    term_months: Mapped[int | None]
    established: Mapped[str | None] = mapped_column(String(10))  # YYYY, YYYY-MM or YYYY-MM-DD
    notes: Mapped[str] = mapped_column(Text, default="")


def define_body(
    session: Session,
    actor: Actor,
    network: Organisation,
    *,
    kind: BodyKind | str,
    name: str,
    seats: int,
    term_months: int | None = None,
    established: str | None = None,
    notes: str = "",
) -> GoverningBody:
    """Create a network's board or coordinating committee."""
    require(session, actor, Permission.MANAGE_GOVERNANCE, network.id)
    if not network.is_network:
        raise ValidationFailed.on("network", f"{network.name} is not a network")
    problems: dict[str, list[str]] = {}
    try:
        kind = BodyKind(kind)
    except ValueError:
        problems["kind"] = [f"one of: {', '.join(k.value for k in BodyKind)}"]
    if not name.strip() or len(name) > 300:
        problems["name"] = ["give a name of 1 to 300 characters"]
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= 100:
        problems["seats"] = ["a whole number from 1 to 100"]
    if term_months is not None and (isinstance(term_months, bool) or not 1 <= term_months <= 240):
        problems["term_months"] = ["a whole number of months from 1 to 240"]
    if established is not None and not PARTIAL_DATE_RULE.match(established):
        problems["established"] = ["use YYYY, YYYY-MM or YYYY-MM-DD"]
    if problems:
        raise ValidationFailed.of("the governing body", problems)
    if session.scalar(select(GoverningBody).where(GoverningBody.network_id == network.id,
                                                  GoverningBody.name == name.strip())):
        raise Conflict(f"{network.name} already has a body named {name!r}")
    body = GoverningBody(network_id=network.id, kind=kind, name=name.strip(), seats=seats,
                         term_months=term_months, established=established, notes=notes.strip())
    session.add(body)
    audit.record(session, actor, "define_body", body,
                 {"name": [None, body.name], "kind": [None, kind], "seats": [None, seats],
                  "term_months": [None, term_months], "established": [None, established]},
                 organisation_id=network.id)
    return body


def bodies_of(session: Session, network_id: int) -> list[GoverningBody]:
    return list(session.scalars(
        select(GoverningBody).where(GoverningBody.network_id == network_id).order_by(GoverningBody.id)
    ))
