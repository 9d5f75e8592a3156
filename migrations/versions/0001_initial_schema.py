"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 08:12:20.772822
"""

from alembic import op
import sqlalchemy as sa
import registry.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('boundary_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('attribution', sa.Text(), nullable=False),
    sa.Column('licence', sa.String(length=100), nullable=False),
    sa.Column('imported_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boundary_sets')),
    sa.UniqueConstraint('key', name=op.f('uq_boundary_sets_key'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('community_organisation', 'national_network', 'regional_network', 'global_network', name='organisationkind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('name_translations', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('acronym', sa.String(length=30), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('founding_date', sa.String(length=10), nullable=True),
    sa.Column('sex_worker_led', sa.Enum('yes', 'partly', 'no', name='sexworkerled', native_enum=False, length=32), nullable=True),
    sa.Column('sex_worker_involvement', sa.Text(), nullable=False),
    sa.Column('languages', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('drop_in_centres', sa.Integer(), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('public_listing', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('active', 'dormant', 'delisted', name='organisationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('is_sample', sa.Boolean(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['registered_by_id'], ['organisations.id'], name=op.f('fk_organisations_registered_by_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisations_name_key'), ['name_key'], unique=False)

    op.create_table('access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('system', 'secretariat', 'editor', 'board', 'anonymous', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=64), nullable=False),
    sa.Column('created_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('expires_at', registry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', registry.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['organisations.id'], name=op.f('fk_access_tokens_network_id_organisations')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_access_tokens_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_access_tokens_secret_hash'))
    )
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('boundary_set_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('names', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('properties', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('geometry', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['boundary_set_id'], ['boundary_sets.id'], name=op.f('fk_areas_boundary_set_id_boundary_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('boundary_set_id', 'code', name=op.f('uq_areas_boundary_set_id_code'))
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_areas_code'), ['code'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(none_as_null=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_entries_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('email', 'phone', 'messenger', 'postal', 'other', name='contactkind', native_enum=False, length=32), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'network', 'board', 'secretariat', 'self', name='visibility', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_contacts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_table('governing_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('board', 'coordinating_committee', name='bodykind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('established', sa.String(length=10), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['organisations.id'], name=op.f('fk_governing_bodies_network_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governing_bodies')),
    sa.UniqueConstraint('network_id', 'name', name=op.f('uq_governing_bodies_network_id_name'))
    )
    with op.batch_alter_table('governing_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governing_bodies_network_id'), ['network_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('applied', 'verified', 'active', 'suspended', 'lapsed', 'withdrawn', 'expelled', 'rejected', name='membershipstatus', native_enum=False, length=32), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=True),
    sa.Column('created_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['organisations.id'], name=op.f('fk_memberships_member_id_organisations')),
    sa.ForeignKeyConstraint(['network_id'], ['organisations.id'], name=op.f('fk_memberships_network_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('network_id', 'member_id', name=op.f('uq_memberships_network_id_member_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_network_id'), ['network_id'], unique=False)

    op.create_table('organisation_areas',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_areas_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'area_code', name=op.f('pk_organisation_areas'))
    )
    with op.batch_alter_table('organisation_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_areas_area_code'), ['area_code'], unique=False)

    op.create_table('terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vocabulary', sa.Enum('priority_area', 'population', 'service', name='vocabulary', native_enum=False, length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('labels', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['organisations.id'], name=op.f('fk_terms_network_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms')),
    sa.UniqueConstraint('vocabulary', 'code', name=op.f('uq_terms_vocabulary_code'))
    )
    op.create_table('membership_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('apply', 'verify', 'admit', 'reject', 'suspend', 'lapse', 'reinstate', 'withdraw', 'expel', name='membershipaction', native_enum=False, length=32), nullable=False),
    sa.Column('from_status', sa.Enum('applied', 'verified', 'active', 'suspended', 'lapsed', 'withdrawn', 'expelled', 'rejected', name='membershipstatus', native_enum=False, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('applied', 'verified', 'active', 'suspended', 'lapsed', 'withdrawn', 'expelled', 'rejected', name='membershipstatus', native_enum=False, length=32), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('recorded_at', registry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_membership_events_membership_id_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_events'))
    )
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_events_membership_id'), ['membership_id'], unique=False)

    op.create_table('organisation_terms',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_terms_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['terms.id'], name=op.f('fk_organisation_terms_term_id_terms')),
    sa.PrimaryKeyConstraint('organisation_id', 'term_id', name=op.f('pk_organisation_terms'))
    )
    with op.batch_alter_table('organisation_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_terms_term_id'), ['term_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('organisation_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_terms_term_id'))

    op.drop_table('organisation_terms')
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_events_membership_id'))

    op.drop_table('membership_events')
    op.drop_table('terms')
    with op.batch_alter_table('organisation_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_areas_area_code'))

    op.drop_table('organisation_areas')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_network_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_member_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('governing_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governing_bodies_network_id'))

    op.drop_table('governing_bodies')
    op.drop_table('contacts')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_organisation_id'))
        batch_op.drop_index('ix_audit_entries_object')

    op.drop_table('audit_entries')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_areas_code'))

    op.drop_table('areas')
    op.drop_table('access_tokens')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_name_key'))
        batch_op.drop_index(batch_op.f('ix_organisations_country'))

    op.drop_table('organisations')
    op.drop_table('boundary_sets')
