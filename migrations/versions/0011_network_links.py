"""network links

The network tree as a closure table (registry/networks/tree.py): one row per network above an
organisation, for as long as the link held. Filled from today's memberships and registrations;
the day each link began is not recorded anywhere before this, so the links found here hold
from an undocumented day (held_from NULL) and are current.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 16:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The active subtree (registry/networks/tree.py): members in these states, and what a network
# registered until it ended a membership of it. Spelt out: a migration keeps the rule of its day.
FILL = """
WITH RECURSIVE edges(child, parent) AS (
    SELECT member_id, network_id FROM memberships WHERE status IN ('active', 'suspended', 'lapsed')
    UNION ALL
    SELECT o.id, o.registered_by_id FROM organisations o
    WHERE o.registered_by_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships e WHERE e.network_id = o.registered_by_id AND e.member_id = o.id
        AND e.status IN ('withdrawn', 'expelled', 'rejected'))
), path(descendant_id, ancestor_id, depth) AS (
    SELECT child, parent, 1 FROM edges
    UNION
    SELECT path.descendant_id, edges.parent, path.depth + 1 FROM path JOIN edges ON edges.child = path.ancestor_id
    WHERE path.depth < 16
)
INSERT INTO network_links (ancestor_id, descendant_id, depth, held_from, held_until, current)
SELECT ancestor_id, descendant_id, MIN(depth), NULL, NULL, :current FROM path
WHERE descendant_id <> ancestor_id GROUP BY descendant_id, ancestor_id
"""


def upgrade() -> None:
    op.create_table(
        'network_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ancestor_id', sa.Integer(), nullable=False),
        sa.Column('descendant_id', sa.Integer(), nullable=False),
        sa.Column('depth', sa.Integer(), nullable=False),
        sa.Column('held_from', sa.Date(), nullable=True),
        sa.Column('held_until', sa.Date(), nullable=True),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['ancestor_id'], ['organisations.id'],
                                name=op.f('fk_network_links_ancestor_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['descendant_id'], ['organisations.id'],
                                name=op.f('fk_network_links_descendant_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_network_links')),
    )
    op.create_index('ix_network_links_below', 'network_links', ['ancestor_id', 'current', 'descendant_id'])
    op.create_index('ix_network_links_above', 'network_links', ['descendant_id', 'current', 'ancestor_id'])
    op.get_bind().execute(sa.text(FILL), {"current": True})


def downgrade() -> None:
    op.drop_index('ix_network_links_above', table_name='network_links')
    op.drop_index('ix_network_links_below', table_name='network_links')
    op.drop_table('network_links')
