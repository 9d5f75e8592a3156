"""change counter

One row that every committed write moves forward (registry/changes.py), so the API can tell
with one indexed read whether a page it keeps is still true.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 15:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    counter = op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter')),
    )
    op.bulk_insert(counter, [{'id': 1, 'value': 0}])


def downgrade() -> None:
    op.drop_table('change_counter')
