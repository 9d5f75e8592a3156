"""how an election's ballots name it and its candidates

Ballots, their hashes, the published ballot list and the result named the election and its
candidates by integer keys, which count rows (security issue #12, item 7); from now on they name
them by public ids (published format "registry-published-election/2"). An election's hashes and
roots are fixed by what its ballots were cast under, so every election whose voting has opened
keeps format 1 and is published and verified as before; one still being prepared (draft,
nominations) has no ballot yet and takes format 2.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NO_BALLOT_YET = ('draft', 'nominations_open', 'nominations_closed')


def upgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_format', sa.Integer(), nullable=True))
    elections = sa.table('elections', sa.column('phase', sa.String()), sa.column('ballot_format', sa.Integer()))
    op.execute(elections.update().values(
        ballot_format=sa.case((elections.c.phase.in_(NO_BALLOT_YET), 2), else_=1)))
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.alter_column('ballot_format', existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_column('ballot_format')
