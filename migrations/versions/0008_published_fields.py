"""published fields

Each organisation chooses which of its public-tier fields the public sees. Every organisation
already registered starts where a new one does: only its priority areas are published besides
its name, kind and country (privacy first). The real networks in the seeds get the fields their
own documents publish when `registry seed` runs again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:00:00
"""

import json

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# registry.organisation_rules.DEFAULT_PUBLISHED when this revision was written.
DEFAULT_PUBLISHED = ['priority_areas']


def upgrade() -> None:
    # A column with a default: every existing row takes it, and SQLite adds it in place (no
    # copy of a table that half the schema refers to).
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_fields', sa.JSON(none_as_null=True), nullable=False,
                                      server_default=sa.text(f"'{json.dumps(DEFAULT_PUBLISHED)}'")))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('published_fields')
