"""Boundary sets and their areas: what a place code means on a date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.db import Base, Code, JSONDocument, Name, utcnow


AREA_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,6})?$")


class BoundarySet(Base):
    __tablename__ = "boundary_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Code, unique=True)
    title: Mapped[str] = mapped_column(Name)
    level: Mapped[int]
    country: Mapped[str | None] = mapped_column(String(2))
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]
    attribution: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    areas: Mapped[list[Area]] = relationship(back_populates="boundary_set", cascade="all, delete-orphan")


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("boundary_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    boundary_set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(Code, index=True)
    name: Mapped[str] = mapped_column(Name)
    names: Mapped[dict[str, str]] = mapped_column(default=dict)
    level: Mapped[int]
    country: Mapped[str] = mapped_column(String(2))
    parent_code: Mapped[str | None] = mapped_column(Code)
    # Set-level facts that vary per area, e.g. the provinces a 2025 province merged from.
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    geometry: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSONDocument))

    boundary_set: Mapped[BoundarySet] = relationship(back_populates="areas")


@dataclass(frozen=True)
class AreaRecord:
    """One area as a boundary reader (geo/) or a seed file hands it to the registry."""

    code: str
    name: str
    level: int
    country: str
    parent_code: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None
