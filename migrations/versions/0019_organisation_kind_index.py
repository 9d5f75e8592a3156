"""organisations by kind

An index on organisations (kind): the networks among a network's members, which say whose
members its coverage counts as its own, are found from the few networks of the registry
rather than by reading every member's row for its kind (3,480 rows for one national network at
100,000 organisations).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:00:00
"""

from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_organisations_kind', 'organisations', ['kind'])


def downgrade() -> None:
    op.drop_index('ix_organisations_kind', table_name='organisations')
