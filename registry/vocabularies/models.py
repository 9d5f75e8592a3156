"""The controlled vocabularies and their terms, in every language the registry speaks."""

from __future__ import annotations

import enum
import re

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, Code, str_enum


# NSWP's five working languages, then the languages of the networks in the seeds.
LANGUAGES = ("en", "fr", "es", "ru", "zh", "vi", "km", "lo")
FALLBACK_LANGUAGE = "en"
CODE_RULE = re.compile(r"^[a-z0-9]+(?:[-:][a-z0-9]+)*$")


class Vocabulary(enum.StrEnum):
    PRIORITY_AREA = "priority_area"
    POPULATION = "population"
    SERVICE = "service"


EXTENSIBLE = frozenset({Vocabulary.POPULATION, Vocabulary.SERVICE})


class Term(Base):
    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("vocabulary", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary: Mapped[Vocabulary] = mapped_column(str_enum(Vocabulary))
    code: Mapped[str] = mapped_column(Code)
    labels: Mapped[dict[str, str]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)
    # None for the core vocabulary; otherwise the network that extended it.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    def label(self, language: str | None) -> str:
        """The label in `language`, falling back to English."""
        return self.labels.get(language or FALLBACK_LANGUAGE) or self.labels[FALLBACK_LANGUAGE]
