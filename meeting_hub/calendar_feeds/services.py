"""Calendar feed operations: find a feed's owner by its secret token, and the feed's settings."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.errors import NotFound
from meeting_hub.extensions import db


def feed_owner(token: str) -> User:
    """Return the active user whose calendar feed token this is; raise NotFound otherwise (a reset token too)."""
    user = db.session.scalar(sa.select(User).where(User.feed_token == token)) if token else None
    if user is None or not user.active:
        raise NotFound(_("Không tìm thấy lịch này. Đường dẫn có thể đã được đổi."))
    return user


def reminder_offsets() -> list[timedelta]:
    """Return how long before a briefing its reminders fire (config CALENDAR_REMINDERS_MINUTES), earliest first."""
    minutes = {int(value) for value in current_app.config.get("CALENDAR_REMINDERS_MINUTES", [1440, 60])}
    # A zero or negative offset would remind after the start: leave those out rather than fail every feed.
    return [timedelta(minutes=value) for value in sorted(minutes, reverse=True) if value > 0]
