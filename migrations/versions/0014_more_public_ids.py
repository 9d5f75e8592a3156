"""public ids for every row an address or an answer names

Governing bodies, seats, officeholders, elections, nominations, contacts, contact reads and audit
entries get a random public id, as organisations and memberships did in 0010 and access tokens in 0013:
their sequential keys told a caller how many it could not see (other networks' bodies and
elections, other organisations' contacts, every token issued, every change made). Existing
rows are given theirs here. Text written before that names a token by its key ("token 17
(editor of ...)", in the audit log, membership and phase histories, contact reads and tokens'
creators) is rewritten to name it by its public id, and a contact read lists the public ids of
the contacts it showed (a contact removed since is left out: nothing names it any more).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:00:00
"""

import json
import re
import secrets

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# registry.public_ids when this revision was written.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
TABLES = ('governing_bodies', 'seats', 'officeholders', 'elections', 'nominations', 'contacts',
          'contact_reads', 'audit_entries')
# Columns holding an actor's label (registry.tokens.AccessToken.actor: "token <key> (...)").
LABELS = (('audit_entries', 'actor'), ('contact_reads', 'actor'), ('membership_events', 'actor'),
          ('election_phase_changes', 'actor'), ('access_tokens', 'created_by'))
_TOKEN_LABEL = re.compile(r'^token ([0-9A-Z]+) \(')  # a key, or a public id


def upgrade() -> None:
    connection = op.get_bind()
    given: set[str] = set()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('public_id', sa.String(length=LENGTH), nullable=True))
        rows = _rows(table, 'public_id')
        ids = connection.execute(sa.select(rows.c.id)).scalars().all()
        if ids:
            connection.execute(rows.update().where(rows.c.id == sa.bindparam('row_id'))
                               .values(public_id=sa.bindparam('new_id')),
                               [{'row_id': row_id, 'new_id': _new(given)} for row_id in ids])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('public_id', existing_type=sa.String(length=LENGTH), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_public_id'), ['public_id'], unique=True)
    tokens = _rows('access_tokens', 'public_id')
    _rename_tokens(connection, dict(connection.execute(sa.select(tokens.c.id, tokens.c.public_id)).all()))
    _name_read_contacts(connection)


def downgrade() -> None:
    connection = op.get_bind()
    tokens = _rows('access_tokens', 'public_id')
    _rename_tokens(connection, {public: str(key) for key, public in
                                connection.execute(sa.select(tokens.c.id, tokens.c.public_id)).all()})
    contacts = _rows('contacts', 'public_id')
    keys = {public: key for key, public in connection.execute(sa.select(contacts.c.id, contacts.c.public_id))}
    _rewrite_reads(connection, keys)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_public_id'))
            batch_op.drop_column('public_id')


def _rows(table: str, column: str) -> sa.TableClause:
    return sa.table(table, sa.column('id', sa.Integer()), sa.column(column, sa.String()))


def _rename_tokens(connection: sa.Connection, names: dict) -> None:
    """Rewrite "token <one name> (" to "token <the other> (" wherever an actor's label is kept."""
    names = {str(old): new for old, new in names.items()}
    for table, column in LABELS:
        rows = _rows(table, column)
        changed = []
        for row_id, label in connection.execute(sa.select(rows.c.id, rows.c[column])
                                                .where(rows.c[column].like('token %'))):
            found = _TOKEN_LABEL.match(label)
            if found and found.group(1) in names:
                changed.append({'row_id': row_id,
                                'label': f'token {names[found.group(1)]} (' + label[found.end():]})
        if changed:
            connection.execute(rows.update().where(rows.c.id == sa.bindparam('row_id'))
                               .values({column: sa.bindparam('label')}), changed)


def _name_read_contacts(connection: sa.Connection) -> None:
    contacts = _rows('contacts', 'public_id')
    _rewrite_reads(connection, {key: public for key, public in
                                connection.execute(sa.select(contacts.c.id, contacts.c.public_id))})


def _rewrite_reads(connection: sa.Connection, names: dict) -> None:
    """Each contact read's list of contacts, each named anew (one no longer named is left out)."""
    reads = sa.table('contact_reads', sa.column('id', sa.Integer()), sa.column('contact_ids', sa.JSON()))
    changed = [{'row_id': row_id, 'named': [names[c] for c in _listed(listed) if c in names]}
               for row_id, listed in connection.execute(sa.select(reads.c.id, reads.c.contact_ids))]
    if changed:
        connection.execute(reads.update().where(reads.c.id == sa.bindparam('row_id'))
                           .values(contact_ids=sa.bindparam('named', type_=sa.JSON())), changed)


def _listed(value: object) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _new(given: set[str]) -> str:
    while (public_id := "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) in given:
        pass
    given.add(public_id)
    return public_id
