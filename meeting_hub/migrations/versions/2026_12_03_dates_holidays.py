"""dates: the years whose official holidays were seeded, and the official holidays of this year and the next four

Revision ID: 5d1c0a7e2b94
Revises: a7c3e91d2b40
Create Date: 2026-12-03 09:40:00

"""
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

import meeting_hub.database

# revision identifiers, used by Alembic.
revision = '5d1c0a7e2b94'
down_revision = 'a7c3e91d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday_seed_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seeded_at', meeting_hub.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_holiday_seed_years'))
    )
    # Vietnam's holidays are there from the start: this year and the next four (Tết computed by the lunar calendar).
    # `meeting-hub holidays seed` adds later years; seeding names only the columns it needs (see holidays.py).
    from meeting_hub.scheduling.holidays import DEFAULT_SEED_YEARS, seed_years

    zone = ZoneInfo(current_app.config.get('TIMEZONE', 'Asia/Ho_Chi_Minh'))
    this_year = date.today().year
    seed_years(op.get_bind(), range(this_year, this_year + DEFAULT_SEED_YEARS), zone)


def downgrade():
    # The seeded holidays stay: they are ordinary holidays now, perhaps edited; only the record of seeding goes.
    op.drop_table('holiday_seed_years')
