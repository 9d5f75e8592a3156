"""public ids

Organisations and memberships get a random public id, the only id the API, maps and exports
give: sequential integer keys told a caller how many organisations it could not see. Existing
rows are given theirs here, then the column becomes required and unique.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:00:00
"""

import secrets

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# registry.public_ids when this revision was written.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
TABLES = ('organisations', 'memberships')


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('public_id', sa.String(length=LENGTH), nullable=True))
        rows = sa.table(table, sa.column('id', sa.Integer()), sa.column('public_id', sa.String(LENGTH)))
        ids = connection.execute(sa.select(rows.c.id)).scalars().all()
        given: set[str] = set()
        if ids:
            connection.execute(rows.update().where(rows.c.id == sa.bindparam('row_id'))
                               .values(public_id=sa.bindparam('new_id')),
                               [{'row_id': row_id, 'new_id': _new(given)} for row_id in ids])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('public_id', existing_type=sa.String(length=LENGTH), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_public_id'), ['public_id'], unique=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_public_id'))
            batch_op.drop_column('public_id')


def _new(given: set[str]) -> str:
    while (public_id := "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) in given:
        pass
    given.add(public_id)
    return public_id
