"""membership spans

A membership's statuses over time as spans of days (registry/memberships/spans.py), so that its
status on a date is one range lookup and a network's members on every year-end one scan of an
index, not a read of every change it ever made. Filled here from the dated changes recorded so
far; the write path keeps it from now on.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 01:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# A dated change holds from its day until the earliest day of any change made after it (by id),
# as the status on a date is read from the events; one that never held (a later change the same
# day or dated earlier) makes no span. Spelt out: a migration keeps the rule of its day.
FILL = """
INSERT INTO membership_spans (membership_id, held_from, held_until, network_id, member_id, status)
SELECT membership_id, held_from, held_until, network_id, member_id, status FROM (
    SELECT e.membership_id, e.effective_on AS held_from,
           MIN(e.effective_on) OVER (PARTITION BY e.membership_id ORDER BY e.id
                                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS held_until,
           m.network_id, m.member_id, e.to_status AS status
    FROM membership_events e JOIN memberships m ON m.id = e.membership_id
    WHERE e.effective_on IS NOT NULL
) dated
WHERE held_until IS NULL OR held_until > held_from
"""


def upgrade() -> None:
    op.create_table(
        'membership_spans',
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('held_from', sa.Date(), nullable=False),
        sa.Column('held_until', sa.Date(), nullable=True),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('applied', 'verified', 'active', 'suspended', 'lapsed', 'withdrawn', 'expelled',
                                    'rejected', name='membershipstatus', native_enum=False, length=32),
                  nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['organisations.id'],
                                name=op.f('fk_membership_spans_member_id_organisations')),
        sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'],
                                name=op.f('fk_membership_spans_membership_id_memberships'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['network_id'], ['organisations.id'],
                                name=op.f('fk_membership_spans_network_id_organisations')),
        sa.PrimaryKeyConstraint('membership_id', 'held_from', name=op.f('pk_membership_spans')),
    )
    op.create_index('ix_membership_spans_network', 'membership_spans',
                    ['network_id', 'status', 'held_from', 'held_until', 'member_id'])
    op.execute(FILL)


def downgrade() -> None:
    op.drop_index('ix_membership_spans_network', table_name='membership_spans')
    op.drop_table('membership_spans')
