"""Hostile input, and how a test sees that it wrote nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.all_models import metadata


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table: equal before and after a refused request means nothing was written."""
    return {table.name: session.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables}
