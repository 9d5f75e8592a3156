"""governance and elections

Governing bodies get staggered term classes and a term limit; their seats (optionally
reserved for a constituency) and officeholders get tables; elections get theirs: phases,
nominations, the roll, the record of who voted, and ballots (sealed while voting is open,
mixed when it closes; both without rowid on SQLite, see registry/elections/ballots.py).
Existing bodies get seats 1..n, all open and in class 1.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import registry.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PHASES = ('draft', 'nominations_open', 'nominations_closed', 'voting_open', 'voting_closed',
          'tallied', 'certified', 'cancelled')


def _phase_type() -> sa.Enum:
    return sa.Enum(*PHASES, name='electionphase', native_enum=False, length=32)


def upgrade() -> None:
    # Existing bodies are unstaggered (class 1); the default is then dropped, as the ORM sets it.
    with op.batch_alter_table('governing_bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_classes', sa.Integer(), nullable=False, server_default=sa.text('1')))
        batch_op.add_column(sa.Column('term_limit', sa.Integer(), nullable=True))
    with op.batch_alter_table('governing_bodies', schema=None) as batch_op:
        batch_op.alter_column('term_classes', server_default=None)

    seats = op.create_table('seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('term_class', sa.Integer(), nullable=False),
    sa.Column('constituency', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['governing_bodies.id'], name=op.f('fk_seats_body_id_governing_bodies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seats')),
    sa.UniqueConstraint('body_id', 'number', name=op.f('uq_seats_body_id_number'))
    )
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seats_body_id'), ['body_id'], unique=False)
    bodies = op.get_bind().execute(sa.text('SELECT id, seats FROM governing_bodies ORDER BY id')).all()
    rows = [{'body_id': body_id, 'number': n, 'term_class': 1, 'constituency': None}
            for body_id, count in bodies for n in range(1, count + 1)]
    if rows:
        op.bulk_insert(seats, rows)

    op.create_table('elections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('method', sa.Enum('block_plurality', 'scottish_stv', name='method', native_enum=False, length=32), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('term_class', sa.Integer(), nullable=True),
    sa.Column('seat_groups', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('quorum_percent', sa.Integer(), nullable=False),
    sa.Column('sex_worker_led_only', sa.Boolean(), nullable=False),
    sa.Column('roll_cutoff', sa.Date(), nullable=False),
    sa.Column('term_starts', sa.Date(), nullable=True),
    sa.Column('phase', _phase_type(), nullable=False),
    sa.Column('phase_since', sa.Date(), nullable=False),
    sa.Column('result', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['governing_bodies.id'], name=op.f('fk_elections_body_id_governing_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections'))
    )
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_body_id'), ['body_id'], unique=False)

    op.create_table('election_phase_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('from_phase', _phase_type(), nullable=True),
    sa.Column('to_phase', _phase_type(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_phase_changes_election_id_elections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_phase_changes'))
    )
    with op.batch_alter_table('election_phase_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_election_phase_changes_election_id'), ['election_id'], unique=False)

    op.create_table('nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('constituency', sa.String(length=100), nullable=True),
    sa.Column('nominated_by_id', sa.Integer(), nullable=False),
    sa.Column('seconded_by_id', sa.Integer(), nullable=True),
    sa.Column('nominated_on', sa.Date(), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_nominations_election_id_elections')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['organisations.id'], name=op.f('fk_nominations_nominated_by_id_organisations')),
    sa.ForeignKeyConstraint(['seconded_by_id'], ['organisations.id'], name=op.f('fk_nominations_seconded_by_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominations'))
    )
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominations_election_id'), ['election_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nominations_nominated_by_id'), ['nominated_by_id'], unique=False)

    op.create_table('officeholders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('left_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['governing_bodies.id'], name=op.f('fk_officeholders_body_id_governing_bodies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_officeholders_election_id_elections')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['organisations.id'], name=op.f('fk_officeholders_nominated_by_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_officeholders_seat_id_seats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officeholders'))
    )
    with op.batch_alter_table('officeholders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officeholders_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_officeholders_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_officeholders_seat_id'), ['seat_id'], unique=False)

    op.create_table('roll_entries',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_roll_entries_election_id_elections')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_roll_entries_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('election_id', 'organisation_id', name=op.f('pk_roll_entries'))
    )
    with op.batch_alter_table('roll_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_entries_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('voters',
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['election_id', 'organisation_id'], ['roll_entries.election_id', 'roll_entries.organisation_id'], name=op.f('fk_voters_election_id_roll_entries')),
    sa.PrimaryKeyConstraint('election_id', 'organisation_id', name=op.f('pk_voters'))
    )

    op.create_table('sealed_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('locator', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('ballot_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_sealed_ballots_election_id_elections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballots')),
    sa.UniqueConstraint('locator', name=op.f('uq_sealed_ballots_locator')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballots_election_id'), ['election_id'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('ballot_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_ballots_election_id_elections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_election_id'), ['election_id'], unique=False)


def downgrade() -> None:
    for table in ('ballots', 'sealed_ballots'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_election_id'))
        op.drop_table(table)
    op.drop_table('voters')
    with op.batch_alter_table('roll_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_entries_organisation_id'))
    op.drop_table('roll_entries')
    with op.batch_alter_table('officeholders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officeholders_seat_id'))
        batch_op.drop_index(batch_op.f('ix_officeholders_name_key'))
        batch_op.drop_index(batch_op.f('ix_officeholders_body_id'))
    op.drop_table('officeholders')
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominations_nominated_by_id'))
        batch_op.drop_index(batch_op.f('ix_nominations_election_id'))
    op.drop_table('nominations')
    with op.batch_alter_table('election_phase_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_election_phase_changes_election_id'))
    op.drop_table('election_phase_changes')
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elections_body_id'))
    op.drop_table('elections')
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seats_body_id'))
    op.drop_table('seats')
    with op.batch_alter_table('governing_bodies', schema=None) as batch_op:
        batch_op.drop_column('term_limit')
        batch_op.drop_column('term_classes')
