"""The bulletin's form: month, title, the briefing it is presented at, and its PDF."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from meeting_hub.clock import local_day_bounds, local_today
from meeting_hub.date_fields import VietnameseMonthField
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.text_input import CheckedForm
from meeting_hub.web import format_date

REQUIRED = _l("Trường này là bắt buộc.")
#: How far around today the briefing choices reach (a bulletin is presented at a briefing near its month).
BRIEFING_CHOICE_DAYS = 200


def _optional_id(value: object) -> int | None:
    return int(str(value)) if value not in (None, "", "None") else None


class BulletinForm(CheckedForm):
    """A bulletin: its month, title, optional briefing and PDF (required when created)."""

    month = VietnameseMonthField(_l("Tháng"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Tiêu đề"), validators=[DataRequired(REQUIRED), Length(max=300)])
    briefing_id = SelectField(_l("Giới thiệu tại buổi giao ban"), coerce=_optional_id, validate_choice=False)
    file = FileField(_l("Tệp PDF"))


def briefing_choices(current: int | None) -> list[tuple[str, str]]:
    """Return the select's choices: none, then the briefings near today (and the current one), newest first."""
    today = local_today()
    since, until = local_day_bounds(
        today - timedelta(days=BRIEFING_CHOICE_DAYS), today + timedelta(days=BRIEFING_CHOICE_DAYS)
    )
    near = sa.and_(Briefing.starts_at >= since, Briefing.starts_at < until, Briefing.status != BriefingStatus.CANCELLED)
    condition = near if current is None else sa.or_(near, Briefing.id == current)
    briefings = db.session.scalars(sa.select(Briefing).where(condition).order_by(Briefing.starts_at.desc()))
    return [("", str(_l("— Không gắn với buổi giao ban —")))] + [
        (str(b.id), f"{format_date(b.starts_at)} · {b.title}") for b in briefings
    ]
