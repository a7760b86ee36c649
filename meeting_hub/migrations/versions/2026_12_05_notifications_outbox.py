"""notifications: contact details and channel choices, secretaries' channels per endpoint, the outbox

Revision ID: 3a7c5e9b1d24
Revises: 8e4f1b6c9a20
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import meeting_hub.database


# revision identifiers, used by Alembic.
revision = '3a7c5e9b1d24'
down_revision = '8e4f1b6c9a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('channels', sa.JSON(), server_default='["email"]', nullable=False))
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secretary_channels', sa.JSON(), server_default='[]', nullable=False))
    op.create_table(
        'outbound_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.Enum('email', 'sms', 'zalo', name='message_channel', native_enum=False,
                                     create_constraint=True, length=32), nullable=False),
        sa.Column('event_kind', sa.String(length=40), nullable=False),
        sa.Column('event_key', sa.String(length=160), nullable=False),
        sa.Column('recipient_key', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('recipient_name', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('briefing_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=True),
        sa.Column('sms_text', sa.Text(), nullable=True),
        sa.Column('zalo_params', sa.JSON(), nullable=False),
        sa.Column('ics', sa.Text(), nullable=True),
        sa.Column('state', sa.Enum('pending', 'sending', 'sent', 'failed', 'unreachable', name='message_state',
                                   native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('provider_id', sa.String(length=200), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_outbound_messages_briefing_id_briefings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_outbound_messages_person_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbound_messages_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
        sa.UniqueConstraint('recipient_key', 'event_key', 'channel', name='uq_outbound_messages_recipient_event'),
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_messages_briefing_id'), ['briefing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_outbound_messages_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    op.drop_table('outbound_messages')
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.drop_column('secretary_channels')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('channels')
        batch_op.drop_column('phone')
        batch_op.drop_column('email')
