"""web sessions and public ids for sign-in codes

A person signs in with a sign-in code (an access token) and gets a session of their own, so the
code never sits in a browser's cookie: only the session secret's hash is stored, with the code it
came from, its absolute and idle expiry and when it was ended. Access tokens get a random public
id, as organisations did in 0010, for the console's addresses; existing rows are given theirs here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:10:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

import registry.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# registry.public_ids when this revision was written.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=LENGTH), nullable=True))
    rows = sa.table('access_tokens', sa.column('id', sa.Integer()), sa.column('public_id', sa.String(LENGTH)))
    ids = connection.execute(sa.select(rows.c.id)).scalars().all()
    given: set[str] = set()
    if ids:
        connection.execute(rows.update().where(rows.c.id == sa.bindparam('row_id'))
                           .values(public_id=sa.bindparam('new_id')),
                           [{'row_id': row_id, 'new_id': _new(given)} for row_id in ids])
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=LENGTH), nullable=False)
        batch_op.create_index(batch_op.f('ix_access_tokens_public_id'), ['public_id'], unique=True)

    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('created_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idle_expires_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', registry.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['access_tokens.id'], name=op.f('fk_web_sessions_token_id_access_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_web_sessions_secret_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_token_id'), ['token_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_token_id'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_public_id'))
        batch_op.drop_column('public_id')


def _new(given: set[str]) -> str:
    while (public_id := "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) in given:
        pass
    given.add(public_id)
    return public_id
