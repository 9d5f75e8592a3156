"""sealed ballots and the ballot list root

Ballots are sealed at casting with the election's public key (registry/elections/ballot_keys.py),
whose private half is never in the database; the count opens them, and the root of the hash
chain over the published ballot list (registry/elections/publication.py) is fixed then. An
election also records when voting is due to close, which an extension moves later.

The sealed ballots lose their plain ballot hash (it is inside the sealed box now). A ballot
cast before this revision is plain JSON that no key opens, so the upgrade refuses while any
election has voting open: close or cancel it first with the previous version. Elections closed before this
revision keep their mixed ballots and are counted as they were.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    open_votes = op.get_bind().scalar(sa.text("SELECT count(*) FROM elections WHERE phase = 'voting_open'"))
    if open_votes:
        raise RuntimeError(f"{open_votes} election(s) have voting open: their ballots were cast unsealed. "
                           "Close and count, or cancel, them with the previous version, then upgrade.")
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_public_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sealed_root', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ballot_list_root', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('voting_closes_on', sa.Date(), nullable=True))
    # Empty whenever no election has voting open (a close moved its rows to `ballots`); made
    # anew rather than altered, as SQLite's batch copy would not keep it WITHOUT ROWID.
    _sealed_ballots(with_hash=False)


def downgrade() -> None:
    _sealed_ballots(with_hash=True)
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_column('voting_closes_on')
        batch_op.drop_column('ballot_list_root')
        batch_op.drop_column('sealed_root')
        batch_op.drop_column('ballot_public_key')


def _sealed_ballots(*, with_hash: bool) -> None:
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballots_election_id'))
    op.drop_table('sealed_ballots')
    op.create_table('sealed_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('locator', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    *([sa.Column('ballot_hash', sa.String(length=64), nullable=False)] if with_hash else []),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_sealed_ballots_election_id_elections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballots')),
    sa.UniqueConstraint('locator', name=op.f('uq_sealed_ballots_locator')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballots_election_id'), ['election_id'], unique=False)
