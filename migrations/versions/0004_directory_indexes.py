"""directory indexes

The organisations list filters by country and pages in name order: one index walks a
country's organisations in that order, so a page stops after its rows instead of sorting
them all; another holds what the list's count tests (status, public listing), so counting
reads no rows. Both start with the country, so the country's own index goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:00:00
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index('ix_organisations_country_name', ['country', 'name_key', 'id'], unique=False)
        batch_op.create_index('ix_organisations_country_listing', ['country', 'status', 'public_listing'],
                              unique=False)
        batch_op.drop_index(batch_op.f('ix_organisations_country'))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_country'), ['country'], unique=False)
        batch_op.drop_index('ix_organisations_country_listing')
        batch_op.drop_index('ix_organisations_country_name')
