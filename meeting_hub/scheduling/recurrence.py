"""Monthly recurrence rules: "the Nth weekday of the month" and "day D of the month"."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: The contract's weekday codes, Monday first (Python's date.weekday() numbering).
WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAY_NAMES_VI = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
WEEKDAY_LABELS = [
    _l("Thứ Hai"),
    _l("Thứ Ba"),
    _l("Thứ Tư"),
    _l("Thứ Năm"),
    _l("Thứ Sáu"),
    _l("Thứ Bảy"),
    _l("Chủ Nhật"),
]
WEEK_LABELS = {1: _l("thứ nhất"), 2: _l("thứ hai"), 3: _l("thứ ba"), 4: _l("thứ tư"), -1: _l("cuối cùng")}


@dataclass(frozen=True)
class MonthlyRule:
    """Either weekday + week (week 1..4, or -1 for the last) or day (1..31)."""

    weekday: int | None = None
    week: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        by_weekday = self.weekday is not None or self.week is not None
        if by_weekday == (self.day is not None):
            raise ValueError("a monthly rule is either weekday+week or day")
        if by_weekday:
            if self.weekday is None or not 0 <= self.weekday <= 6:
                raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
            if self.week not in (1, 2, 3, 4, -1):
                raise ValueError("week must be 1, 2, 3, 4 or -1")
        elif self.day is None or not 1 <= self.day <= 31:
            raise ValueError("day must be 1 to 31")

    def date_in(self, year: int, month: int) -> date:
        """Return the date this rule gives in a month."""
        days_in_month = calendar.monthrange(year, month)[1]
        if self.day is not None:
            # Stated rule: a month shorter than D holds the briefing on its last day (30/4, 28 or 29/2).
            return date(year, month, min(self.day, days_in_month))
        assert self.weekday is not None and self.week is not None
        if self.week == -1:
            last = date(year, month, days_in_month)
            return date(year, month, days_in_month - (last.weekday() - self.weekday) % 7)
        first = date(year, month, 1)
        return date(year, month, 1 + (self.weekday - first.weekday()) % 7 + 7 * (self.week - 1))

    def describe(self) -> str:
        """Describe the rule in the user's language: "Thứ Ba thứ hai của tháng"."""
        if self.day is not None:
            return str(_("Ngày %(day)d hằng tháng (tháng ít ngày hơn: ngày cuối tháng)", day=self.day))
        assert self.weekday is not None and self.week is not None
        return str(
            _("%(weekday)s %(week)s của tháng", weekday=WEEKDAY_LABELS[self.weekday], week=WEEK_LABELS[self.week])
        )


def add_months(month: date, count: int) -> date:
    """Return the first day of the month `count` months after `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Return how many months from the month of `first` to the month of `last` (0 when the same)."""
    return (last.year - first.year) * 12 + last.month - first.month


def occurrence_months(first_month: date, count: int) -> list[date]:
    """Return the first days of `count` consecutive months starting at first_month."""
    return [add_months(first_month.replace(day=1), offset) for offset in range(count)]


def format_vietnamese_date(day: date) -> str:
    """Return "Thứ Ba, 10/03/2026"."""
    return f"{WEEKDAY_NAMES_VI[day.weekday()]}, {day.strftime('%d/%m/%Y')}"


def format_long_date(day: date) -> str:
    """Return the weekday and date in the user's language: "Thứ Ba, 10/03/2026" or "Tuesday, 10/03/2026"."""
    return f"{WEEKDAY_LABELS[day.weekday()]}, {day.strftime('%d/%m/%Y')}"
