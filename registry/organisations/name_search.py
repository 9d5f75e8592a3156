"""Free-text search of organisations' names through an index, not a scan of every row.

`Organisation.search_text` holds every name an organisation is found by (its name, acronym and
each translation, folded: registry.names), written by the service functions. Migration 0015
indexes it: on PostgreSQL a pg_trgm GIN index, which `LIKE '%words%'` uses as it is; on SQLite
an FTS5 table with the trigram tokenizer (`organisation_names`, its content read from
`organisations`), kept current by triggers on every insert, delete and change of search_text,
and asked for the words as one phrase, which with trigrams is "contains these characters in
this order": the same answer as the LIKE. Words of fewer than three characters have no trigram
to look up: they are matched by the LIKE alone, a scan as before the index.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, column, select, table
from sqlalchemy.orm import Session

from registry.names import fold
from registry.organisations.models import Organisation

# The index's own tables and index, which the models do not describe (migrations/env.py).
SQLITE_INDEX = "organisation_names"
POSTGRESQL_INDEX = "ix_organisations_search_text_trgm"
SHORTEST_INDEXED = 3  # characters: a trigram

_NAMES = table(SQLITE_INDEX, column("rowid"), column("search_text"))


def name_matches(session: Session, words: str) -> ColumnElement[bool] | None:
    """The condition "an organisation's names contain `words`" (folded), or None when the
    words fold to nothing."""
    folded = fold(words)
    if not folded:
        return None
    if len(folded) >= SHORTEST_INDEXED and session.get_bind().dialect.name == "sqlite":
        phrase = '"' + folded.replace('"', '""') + '"'
        return Organisation.id.in_(select(_NAMES.c.rowid).where(_NAMES.c.search_text.match(phrase)))
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return Organisation.search_text.like(pattern, escape="\\")


def outside_models(name: str | None, kind: str, _parents: object) -> bool:
    """For Alembic's comparison of the schema with the models (include_name): False for the
    name index's tables and index, which only migrations describe."""
    if kind == "table":
        return not (name or "").startswith(SQLITE_INDEX)
    return not (kind == "index" and name == POSTGRESQL_INDEX)
