"""contact and registration indexes

Two foreign keys that are searched by had no index, so each search read the whole table:
contacts by organisation (every profile and every page of the list reads them) and
organisations by the network that registered them (every secretariat's and board's subtree).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:10:00
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_organisation_id'), ['organisation_id'], unique=False)
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_registered_by_id'), ['registered_by_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_registered_by_id'))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_organisation_id'))
