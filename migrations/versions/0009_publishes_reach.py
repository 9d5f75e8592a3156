"""publishes reach

A network's choice to publish its reach: counts of all its active members, listed or not, per
province, with small counts withheld (geo/disclosure.py). Existing organisations have not made
that choice, so every existing row starts at false, as a new organisation does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publishes_reach', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('publishes_reach')
