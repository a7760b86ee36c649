"""notifications: what people were last told of each briefing (moved, cancelled and invited notices)

Revision ID: 5d2b8f4e6a13
Revises: 5d2f8a7c3b61
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '5d2b8f4e6a13'
down_revision = '5d2f8a7c3b61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'briefing_announcements',
        sa.Column('briefing_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('starts_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.Column('invited_endpoint_ids', sa.JSON(), nullable=False),
        sa.Column('changed_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('announced_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'],
                                name=op.f('fk_briefing_announcements_briefing_id_briefings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('briefing_id', name=op.f('pk_briefing_announcements')),
    )


def downgrade():
    op.drop_table('briefing_announcements')
