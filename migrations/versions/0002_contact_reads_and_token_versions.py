"""contact reads and token versions

The contact_reads table logs every read of an organisation's contacts; access tokens get a
version counter so a stale revocation or change is refused (412) like any other update.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:25:04.759454
"""

from alembic import op
import sqlalchemy as sa
import registry.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('contact_ids', sa.JSON(none_as_null=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contact_reads_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_reads'))
    )
    with op.batch_alter_table('contact_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_reads_organisation_id'), ['organisation_id'], unique=False)

    # Existing tokens start at version 1; the default is then dropped, as the ORM sets it.
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default=sa.text('1')))
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('contact_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_reads_organisation_id'))

    op.drop_table('contact_reads')
