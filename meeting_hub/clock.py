"""The network's clock: the configured time zone, and "now" and "today" in it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from meeting_hub.database import utcnow


def local_zone() -> ZoneInfo:
    """Return the configured time zone (Asia/Ho_Chi_Minh by default)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_iso(value: datetime | None) -> str | None:
    """Write a time as ISO 8601 in the network's time zone, with its offset ("2026-12-18T08:00:00+07:00").

    Every time the API and the socket events send goes through here, so clients read one offset whatever the stored
    (UTC) value, as docs/api.md promises.
    """
    return value.astimezone(local_zone()).isoformat() if value is not None else None


def local_today(now: datetime | None = None) -> date:
    """Return today's date in the network's time zone."""
    return (now or utcnow()).astimezone(local_zone()).date()


def local_datetime(day: date, at: time) -> datetime:
    """Return the aware datetime of a local date and wall-clock time."""
    return datetime.combine(day, at, tzinfo=local_zone())


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Return [start of `first`, start of the day after `last`) in local time, as aware datetimes."""
    return local_datetime(first, time(0)), local_datetime(last + timedelta(days=1), time(0))
