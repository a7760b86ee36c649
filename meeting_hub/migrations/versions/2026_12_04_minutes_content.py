"""reports: a frozen version keeps its content; its PDF is laid out by a job afterwards

Revision ID: 8c4f2d19a6b1
Revises: 5d2c8a41e7b3
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c4f2d19a6b1'
down_revision = '5d2c8a41e7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))
        batch_op.alter_column('stored_name', existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column('size_bytes', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)


def downgrade():
    # The older schema needs a file for every version: let the worker lay out the waiting ones first.
    waiting = op.get_bind().scalar(sa.text('SELECT COUNT(*) FROM minutes_versions WHERE stored_name IS NULL'))
    if waiting:
        raise RuntimeError(
            f'{waiting} minutes version(s) still wait for their PDF: run `meeting-hub worker` until they are laid '
            'out, then downgrade'
        )
    with op.batch_alter_table('minutes_versions', schema=None) as batch_op:
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('size_bytes', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('stored_name', existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_column('content_sha256')
        batch_op.drop_column('content')
