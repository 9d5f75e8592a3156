"""ballot list root

The root of the hash chain over an election's published ballot list, fixed when voting closes
(registry/elections/publication.py): the count and `registry election verify` check the list
against it. Elections closed before this revision have none.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06 16:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_list_root', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_column('ballot_list_root')
