"""lifecycle: briefings reopened after they ended by mistake, with the reason and the minutes version of the reclosing

Revision ID: 5b1e0c7d2a94
Revises: 5d1c0a7e2b94
Create Date: 2026-12-03 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '5b1e0c7d2a94'
down_revision = '5d1c0a7e2b94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('briefing_reopenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('ended_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reopened_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('minutes_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_briefing_reopenings_briefing_id_briefings')),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_briefing_reopenings_reopened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_reopenings'))
    )
    with op.batch_alter_table('briefing_reopenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_reopenings_briefing_id'), ['briefing_id'], unique=False)


def downgrade():
    with op.batch_alter_table('briefing_reopenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_reopenings_briefing_id'))

    op.drop_table('briefing_reopenings')
