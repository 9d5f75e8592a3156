"""memberships by state, network and member

An index on memberships (status, network_id, member_id): a network's active members, and the
applications pending in the networks a secretariat reviews, are read from the index alone. Without
it, SQLite's planner read every membership of the registry to find the few networks below a
national network that have applications, and looked every member of a network up in the table
for its state.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 01:00:00
"""

from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_memberships_status_network', 'memberships', ['status', 'network_id', 'member_id'])


def downgrade() -> None:
    op.drop_index('ix_memberships_status_network', table_name='memberships')
