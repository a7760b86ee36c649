"""Public holidays and Tết: Vietnam's official days computed for the coming years, and the organizers' edits.

A briefing falling on a holiday is flagged (Briefing.holiday_name) for the organizers to move; it is never moved
silently. The official days follow the Labour Code 2019, art. 112: Tết Dương lịch (1/1), Tết Nguyên đán (5 days; the
government fixes which each year, so the last day of the lunar year to mùng 4 is seeded and organizers adjust), Giỗ
Tổ Hùng Vương (10/3 lunar), 30/4, 1/5 and Quốc khánh (2/9 and the day before or after, also fixed each year).
A year is seeded once: what organizers removed or renamed afterwards stays as they left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.clock import local_day_bounds, local_zone
from meeting_hub.database import UTCDateTime, utcnow
from meeting_hub.errors import NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling.lunar_calendar import lunar_new_year, lunar_new_years_eve, lunar_to_solar
from meeting_hub.scheduling.models import Briefing, BriefingStatus, Holiday

MAX_NAME_LENGTH = 200
#: How many years `meeting-hub holidays seed` and the first migration fill, from the current one.
DEFAULT_SEED_YEARS = 5
TET_DAY_NAMES = ("mùng 1", "mùng 2", "mùng 3", "mùng 4")

# Plain table views for seeding: the migration that seeds the first years runs this code against the schema of its
# time, so it must name only the columns it needs, never the current models' full tables.
_holidays = sa.table("holidays", sa.column("id", sa.Integer), sa.column("day", sa.Date), sa.column("name", sa.String))
_seeded_years = sa.table(
    "holiday_seed_years", sa.column("year", sa.Integer), sa.column("seeded_at", UTCDateTime(timezone=True))
)
_briefings = sa.table(
    "briefings", sa.column("starts_at", UTCDateTime(timezone=True)), sa.column("holiday_name", sa.String)
)


@dataclass(frozen=True)
class OfficialHoliday:
    """A day off by law, as computed for a year (stored data, so its name is Vietnamese whatever the interface)."""

    day: date
    name: str


def _national_day_bridge(year: int) -> date:
    """Return the day next to 2/9 that is off with it: the one that joins the holiday to a weekend.

    The government fixes it each year (2/9 and 3/9 in 2021 and 2024, 1/9 and 2/9 in 2022, 2023 and 2025); this
    rule gives those years, and organizers correct a year it gets wrong.
    """
    national_day = date(year, 9, 2)
    # Monday or Thursday: the day after makes a longer break (Tuesday, Friday); else the day before.
    return national_day + timedelta(days=1) if national_day.weekday() in (0, 3) else national_day - timedelta(days=1)


def official_holidays(year: int) -> list[OfficialHoliday]:
    """Return the official holidays of a solar year, by date."""
    new_year = lunar_new_year(year)
    eve, eve_number = lunar_new_years_eve(year)
    eve_name = f"{eve_number} Tết"
    days = [
        OfficialHoliday(date(year, 1, 1), "Tết Dương lịch"),
        OfficialHoliday(eve, f"Tết Nguyên đán ({eve_name})"),
        *(
            OfficialHoliday(new_year + timedelta(days=offset), f"Tết Nguyên đán ({name})")
            for offset, name in enumerate(TET_DAY_NAMES)
        ),
        OfficialHoliday(lunar_to_solar(10, 3, year), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
        OfficialHoliday(date(year, 4, 30), "Ngày Giải phóng miền Nam, thống nhất đất nước"),
        OfficialHoliday(date(year, 5, 1), "Ngày Quốc tế Lao động"),
        OfficialHoliday(date(year, 9, 2), "Quốc khánh"),
        OfficialHoliday(_national_day_bridge(year), "Quốc khánh (nghỉ liền kề)"),
    ]
    return sorted(days, key=lambda holiday: holiday.day)


def _flag_briefings(connection: sa.Connection, day: date, name: str | None, zone: ZoneInfo) -> None:
    """Set (or clear, with None) the holiday name of the briefings starting on a local day."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    connection.execute(
        sa.update(_briefings)
        .where(_briefings.c.starts_at >= start, _briefings.c.starts_at < end)
        .values(holiday_name=name)
    )


def seed_years(connection: sa.Connection, years: Iterable[int], zone: ZoneInfo) -> list[OfficialHoliday]:
    """Add the official holidays of the years not seeded before; return the days added.

    A day that already has a holiday keeps it (an organizer's name wins), and a seeded year is never seeded again, so
    running it twice adds nothing and days organizers removed stay removed.
    """
    done = set(connection.scalars(sa.select(_seeded_years.c.year)))
    added: list[OfficialHoliday] = []
    for year in sorted(set(years) - done):
        official = official_holidays(year)
        taken = set(
            connection.scalars(
                sa.select(_holidays.c.day).where(_holidays.c.day.between(official[0].day, official[-1].day))
            )
        )
        for holiday in official:
            if holiday.day in taken:
                continue
            connection.execute(sa.insert(_holidays).values(day=holiday.day, name=holiday.name))
            _flag_briefings(connection, holiday.day, holiday.name, zone)
            added.append(holiday)
        connection.execute(sa.insert(_seeded_years).values(year=year, seeded_at=datetime.now(UTC)))
    return added


def seed_official_holidays(first_year: int, count: int, actor: User | None = None) -> list[OfficialHoliday]:
    """Seed the official holidays of `count` years from `first_year` (those not seeded before), for the CLI."""
    if not 1 <= count <= 50:
        raise ValidationFailed(_("Số năm từ 1 đến 50."), details={"years": _("Từ 1 đến 50.")})
    added = seed_years(db.session.connection(), range(first_year, first_year + count), local_zone())
    if added:
        audit.record(
            "holiday.seed",
            actor,
            actor_name="" if actor else "cli",
            target=f"holidays:{first_year}-{first_year + count - 1}",
            days=len(added),
        )
    db.session.expire_all()  # briefings flagged by the statements above
    return added


def restore_official_holidays(year: int, actor: User) -> list[OfficialHoliday]:
    """Add back the official days of a year that have no holiday now (after one was removed by mistake)."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("Năm phải từ 2000 đến 2100."), details={"year": _("Không hợp lệ.")})
    in_year = Holiday.day.between(date(year, 1, 1), date(year, 12, 31))
    taken = set(db.session.scalars(sa.select(Holiday.day).where(in_year)))
    added = [holiday for holiday in official_holidays(year) if holiday.day not in taken]
    connection = db.session.connection()
    for holiday in added:
        connection.execute(sa.insert(_holidays).values(day=holiday.day, name=holiday.name))
        _flag_briefings(connection, holiday.day, holiday.name, local_zone())
    if db.session.scalar(sa.select(_seeded_years.c.year).where(_seeded_years.c.year == year)) is None:
        connection.execute(sa.insert(_seeded_years).values(year=year, seeded_at=utcnow()))
    if added:
        audit.record("holiday.restore", actor, target=f"holidays:{year}", days=len(added))
    db.session.expire_all()
    return added


# One holiday at a time


def holiday_name(day: date) -> str | None:
    """Return the name of the holiday on a day, if any."""
    return db.session.scalar(sa.select(Holiday.name).where(Holiday.day == day))


def holiday_names(first_day: date, last_day: date) -> dict[date, str]:
    """Return {day: name} of the holidays between two dates (inclusive), in one query."""
    statement = sa.select(Holiday.day, Holiday.name).where(Holiday.day.between(first_day, last_day))
    return {day: name for day, name in db.session.execute(statement)}


def list_holidays(from_day: date | None = None) -> list[Holiday]:
    """Return the holidays, by date, from a day on."""
    statement = sa.select(Holiday).order_by(Holiday.day)
    if from_day is not None:
        statement = statement.where(Holiday.day >= from_day)
    return list(db.session.scalars(statement))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(_("Cần nhập tên ngày lễ."), details={"name": _("Bắt buộc.")})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("Tên ngày lễ dài tối đa %(n)d ký tự.", n=MAX_NAME_LENGTH), details={"name": _("Quá dài.")}
        )
    return name


def _set_briefing_flags(day: date, name: str | None) -> None:
    start, end = local_day_bounds(day, day)
    db.session.execute(
        sa.update(Briefing).where(Briefing.starts_at >= start, Briefing.starts_at < end).values(holiday_name=name)
    )


def add_holiday(day: date, name: str, actor: User) -> Holiday:
    """Add a holiday and flag the scheduled briefings that fall on it (never moved silently)."""
    name = _clean_name(name)
    existing = db.session.scalar(sa.select(Holiday).where(Holiday.day == day))
    if existing is not None:
        raise ValidationFailed(
            _("Ngày %(day)s đã có trong danh sách (%(name)s).", day=day.strftime("%d/%m/%Y"), name=existing.name),
            details={"day": _("Đã có.")},
        )
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    _set_briefing_flags(day, name)
    audit.record("holiday.add", actor, target=f"holiday:{day.isoformat()}", name=name)
    db.session.flush()
    return holiday


def rename_holiday(holiday_id: int, name: str, actor: User) -> Holiday:
    """Rename a holiday; the briefings flagged on its day show the new name."""
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None:
        raise NotFound(_("Không tìm thấy ngày lễ."))
    name = _clean_name(name)
    if name != holiday.name:
        audit.record("holiday.rename", actor, target=f"holiday:{holiday.day.isoformat()}", old=holiday.name, name=name)
        holiday.name = name
        _set_briefing_flags(holiday.day, name)
    return holiday


def remove_holiday(holiday_id: int, actor: User) -> Holiday:
    """Remove a holiday and clear the flag of the briefings on that day; return what was removed."""
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None:
        raise NotFound(_("Không tìm thấy ngày lễ."))
    _set_briefing_flags(holiday.day, None)
    audit.record("holiday.remove", actor, target=f"holiday:{holiday.day.isoformat()}", name=holiday.name)
    db.session.delete(holiday)
    return holiday


def flagged_briefings(now: datetime | None = None) -> list[Briefing]:
    """Return the future scheduled briefings that fall on a holiday, for organizers to move."""
    statement = (
        sa.select(Briefing)
        .where(
            Briefing.holiday_name.is_not(None),
            Briefing.status == BriefingStatus.SCHEDULED,
            Briefing.starts_at >= (now or utcnow()),
        )
        .order_by(Briefing.starts_at)
    )
    return list(db.session.scalars(statement))
