"""poll options "other" and self-answers: allow_other, allow_self_answer, answer sources, other texts

Revision ID: 9d4a6c2e8b15
Revises: 7c3e9a5d1f42
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4a6c2e8b15'
down_revision = '7c3e9a5d1f42'
branch_labels = None
depends_on = None

_SOURCE = sa.Enum('operator', 'self', name='poll_answer_source', native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_other', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('allow_self_answer', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('poll_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('other_text', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('source', _SOURCE, server_default='operator', nullable=False))
    with op.batch_alter_table('poll_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', _SOURCE, server_default='operator', nullable=False))
    with op.batch_alter_table('poll_endpoint_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('other_text', sa.String(length=200), nullable=True))
    op.create_table('poll_other_texts',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_poll_other_texts_endpoint_id_endpoints')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_other_texts_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'endpoint_id', 'text', name=op.f('pk_poll_other_texts'))
    )


def _drop_source(table):
    """Drop the `source` column and its enum's CHECK constraint first: SQLite's table copy would keep the constraint
    and fail on the missing column. The constraint's name depends on the SQLAlchemy version that added it
    (`ck_<table>_poll_answer_source` or `poll_answer_source`), so it is read from the database."""
    checks = sa.inspect(op.get_bind()).get_check_constraints(table)
    names = [check['name'] for check in checks if check.get('name') and 'source' in (check.get('sqltext') or '')]
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_constraint(op.f(name), type_='check')
        batch_op.drop_column('source')


def downgrade():
    op.drop_table('poll_other_texts')
    with op.batch_alter_table('poll_endpoint_reports', schema=None) as batch_op:
        batch_op.drop_column('other_text')
    for table in ('poll_participants', 'poll_ballots'):
        _drop_source(table)
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_column('allow_self_answer')
        batch_op.drop_column('allow_other')
