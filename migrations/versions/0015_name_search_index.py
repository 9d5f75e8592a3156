"""name search index; no change counter

Organisations' names are searched through an index (registry/organisations/name_search.py):
on PostgreSQL a pg_trgm GIN index on organisations.search_text; on SQLite an FTS5 table with the
trigram tokenizer whose content is organisations.search_text, filled here from today's rows and
kept current by triggers. A later migration that rebuilds `organisations` on SQLite (a batch
alter: copy, drop, rename) drops these triggers with the old table, and must create them again.

The change counter (0006) goes: the API keeps no page of its own any more, so nothing reads it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Written out here, not imported: a migration keeps meaning what it meant when it was written.
SQLITE_UP = (
    "CREATE VIRTUAL TABLE organisation_names USING fts5(search_text, content='organisations', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')",
    "INSERT INTO organisation_names(organisation_names) VALUES ('rebuild')",
    "CREATE TRIGGER organisation_names_inserted AFTER INSERT ON organisations BEGIN "
    "INSERT INTO organisation_names(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER organisation_names_deleted AFTER DELETE ON organisations BEGIN "
    "INSERT INTO organisation_names(organisation_names, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER organisation_names_renamed AFTER UPDATE OF search_text ON organisations BEGIN "
    "INSERT INTO organisation_names(organisation_names, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO organisation_names(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_DOWN = ("DROP TRIGGER organisation_names_renamed", "DROP TRIGGER organisation_names_deleted",
               "DROP TRIGGER organisation_names_inserted", "DROP TABLE organisation_names")
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_organisations_search_text_trgm ON organisations USING gin (search_text gin_trgm_ops)",
)
POSTGRESQL_DOWN = ("DROP INDEX ix_organisations_search_text_trgm",)


def upgrade() -> None:
    op.drop_table('change_counter')
    for statement in SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL_DOWN:
        op.execute(statement)
    counter = op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter')),
    )
    op.bulk_insert(counter, [{'id': 1, 'value': 0}])
