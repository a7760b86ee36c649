"""accounts: forced password change, per-user session version, demo accounts

Revision ID: 5d2c8a41e7b3
Revises: 5b1e0c7d2a94
Create Date: 2026-12-03 09:10:00

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '5d2c8a41e7b3'
down_revision = '5b1e0c7d2a94'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('demo_account', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('password_changed_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('demo_account')
        batch_op.drop_column('session_version')
        batch_op.drop_column('must_change_password')
