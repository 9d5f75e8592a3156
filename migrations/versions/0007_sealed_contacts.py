"""sealed contacts

Contact values are kept sealed (registry/access/sealing.py) under keys kept outside the database, with
a blind index for equality; the plaintext column goes. Every existing value is sealed, the
audit log's copies of contact values are replaced by a note, and contacts that the blind index
finds twice in one organisation (same kind, equal once normalised) are kept once, the first
written, as the new unique constraint requires: each removal is written to the audit log.

The key ring comes from whoever upgrades (registry.migrate.upgrade(keys=...)); with contacts to
seal and no key ring, the migration refuses before changing anything.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import context, op

from registry.db import UTCDateTime
from registry.migrate import CONTACT_KEYS
from registry.organisations.rules import VALUE_NOT_LOGGED
from registry.access.sealing import KeysUnavailable, normalised, open_contact, seal_contact

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ACTOR = "migration 0007 (sealed contacts)"

contacts = sa.table(
    'contacts', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('value', sa.String), sa.column('label', sa.String), sa.column('visibility', sa.String),
    sa.column('sealed_value', sa.Text), sa.column('value_index', sa.String))
audit_entries = sa.table(
    'audit_entries', sa.column('id', sa.Integer), sa.column('at', UTCDateTime()), sa.column('actor', sa.String),
    sa.column('actor_role', sa.String), sa.column('token_id', sa.Integer), sa.column('action', sa.String),
    sa.column('object_type', sa.String), sa.column('object_id', sa.Integer),
    sa.column('organisation_id', sa.Integer), sa.column('changes', sa.JSON))


def _ring(what: str):  # type: ignore[no-untyped-def]
    keys = context.config.attributes.get(CONTACT_KEYS)
    if keys is None:
        raise KeysUnavailable(f"the database holds {what} and no contact key ring was given: upgrade with "
                              "`registry db upgrade`, which reads (or creates) the key file; nothing was changed")
    return keys()


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(contacts.c.id, contacts.c.organisation_id, contacts.c.kind, contacts.c.value,
                                  contacts.c.label, contacts.c.visibility).order_by(contacts.c.id)).all()
    ring = _ring(f"{len(rows)} contact(s) to seal") if rows else None

    first: dict[tuple[int, str, str], int] = {}
    duplicates = []  # (row, the contact it repeats)
    for row in rows:
        kept = first.setdefault((row.organisation_id, row.kind, normalised(row.kind, row.value)), row.id)
        if kept != row.id:
            duplicates.append((row, kept))
    if duplicates:
        now = dt.datetime.now(dt.timezone.utc)
        op.bulk_insert(audit_entries, [
            {"at": now, "actor": ACTOR, "actor_role": "system", "token_id": None, "action": "remove_contact",
             "object_type": "contacts", "object_id": row.id, "organisation_id": row.organisation_id,
             "changes": {"kind": [row.kind, None], "label": [row.label, None], "visibility": [row.visibility, None],
                         "value": [VALUE_NOT_LOGGED, None], "reason": [None, f"the same contact as contact {kept}"]}}
            for row, kept in duplicates])
        gone = {row.id for row, _ in duplicates}
        bind.execute(contacts.delete().where(contacts.c.id.in_(sorted(gone))))
        rows = [row for row in rows if row.id not in gone]

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_value', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('value_index', sa.String(length=64), nullable=True))
    if rows:
        sealed = [seal_contact(ring, row.organisation_id, row.kind, row.visibility, row.value) for row in rows]
        bind.execute(contacts.update().where(contacts.c.id == sa.bindparam('row_id')).values(
            sealed_value=sa.bindparam('sealed'), value_index=sa.bindparam('index')),
            [{"row_id": row.id, "sealed": s.value, "index": s.index} for row, s in zip(rows, sealed, strict=True)])

    logged = bind.execute(sa.select(audit_entries.c.id, audit_entries.c.changes)
                          .where(audit_entries.c.object_type == 'contacts')).all()
    cleaned = [{"entry_id": entry_id, "cleaned": {**changes, "value": [None if v is None else VALUE_NOT_LOGGED
                                                                       for v in changes["value"]]}}
               for entry_id, changes in logged if changes and "value" in changes]
    if cleaned:
        bind.execute(audit_entries.update().where(audit_entries.c.id == sa.bindparam('entry_id'))
                     .values(changes=sa.bindparam('cleaned')), cleaned)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('sealed_value', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('value_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('value')
        batch_op.create_unique_constraint(batch_op.f('uq_contacts_organisation_id_kind_value_index'),
                                          ['organisation_id', 'kind', 'value_index'])


def downgrade() -> None:
    """Back to plaintext values (with the key ring); the audit log's values stay notes, and the
    duplicates removed stay removed."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(contacts.c.id, contacts.c.organisation_id, contacts.c.visibility,
                                  contacts.c.sealed_value)).all()
    ring = _ring(f"{len(rows)} sealed contact(s) to open") if rows else None
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contacts_organisation_id_kind_value_index'), type_='unique')
        batch_op.add_column(sa.Column('value', sa.String(length=300), nullable=True))
    if rows:
        bind.execute(contacts.update().where(contacts.c.id == sa.bindparam('row_id')).values(
            value=sa.bindparam('plain')),
            [{"row_id": row.id, "plain": open_contact(ring, row.organisation_id, row.visibility, row.sealed_value,
                                                      contact_id=row.id)} for row in rows])
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('value_index')
        batch_op.drop_column('sealed_value')
