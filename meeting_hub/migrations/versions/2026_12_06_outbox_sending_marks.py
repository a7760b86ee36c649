"""notifications: who is sending an outbox row, and when it was handed to the provider (recovery after a crash)

Revision ID: 5d2f8a7c3b61
Revises: 3a7c5e9b1d24
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '5d2f8a7c3b61'
down_revision = '3a7c5e9b1d24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('handed_over_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('handed_over_at')
        batch_op.drop_column('claimed_by')
