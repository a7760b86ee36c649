"""polls: live polls, named ballots, secret-ballot participants and anonymous tallies, endpoint counts

Revision ID: 7c3e9a5d1f42
Revises: 3b7e5d91c2a4
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '7c3e9a5d1f42'
down_revision = '3b7e5d91c2a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.Enum('named', 'secret', 'endpoint', name='poll_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='poll_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_polls_briefing_id_briefings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_polls_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls'))
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_briefing_id'), ['briefing_id'], unique=False)

    op.create_table('poll_ballots',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_poll_ballots_endpoint_id_endpoints')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_poll_ballots_person_id_people')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ballots_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_poll_ballots_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('poll_id', 'person_id', name=op.f('pk_poll_ballots'))
    )
    with op.batch_alter_table('poll_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_ballots_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('poll_endpoint_reports',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_poll_endpoint_reports_endpoint_id_endpoints')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_endpoint_reports_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_poll_endpoint_reports_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('poll_id', 'endpoint_id', name=op.f('pk_poll_endpoint_reports'))
    )
    op.create_table('poll_participants',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_poll_participants_endpoint_id_endpoints')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_poll_participants_person_id_people')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_participants_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'person_id', name=op.f('pk_poll_participants'))
    )
    with op.batch_alter_table('poll_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_participants_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('poll_tallies',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('option_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_poll_tallies_endpoint_id_endpoints')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_tallies_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'endpoint_id', 'option_index', name=op.f('pk_poll_tallies'))
    )


def downgrade():
    op.drop_table('poll_tallies')
    with op.batch_alter_table('poll_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_participants_endpoint_id'))

    op.drop_table('poll_participants')
    op.drop_table('poll_endpoint_reports')
    with op.batch_alter_table('poll_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_ballots_endpoint_id'))

    op.drop_table('poll_ballots')
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polls_briefing_id'))

    op.drop_table('polls')
