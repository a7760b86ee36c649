"""Monthly rules: Nth weekday, last weekday, and day D with the short-month rule."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meeting_hub.scheduling.recurrence import MonthlyRule, add_months, format_vietnamese_date, months_between


def _dates(rule: MonthlyRule, first: date, count: int) -> list[date]:
    return [rule.date_in(m.year, m.month) for m in (add_months(first, k) for k in range(count))]


def test_second_tuesday_from_march_2026() -> None:
    dates = _dates(MonthlyRule(weekday=1, week=2), date(2026, 3, 1), 3)
    assert dates == [date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12)]
    assert [format_vietnamese_date(d) for d in dates] == [
        "Thứ Ba, 10/03/2026",
        "Thứ Ba, 14/04/2026",
        "Thứ Ba, 12/05/2026",
    ]


def test_day_31_uses_the_last_day_of_shorter_months() -> None:
    rule = MonthlyRule(day=31)
    assert rule.date_in(2026, 2) == date(2026, 2, 28)
    assert rule.date_in(2028, 2) == date(2028, 2, 29)  # leap year
    assert rule.date_in(2026, 4) == date(2026, 4, 30)
    assert rule.date_in(2026, 1) == date(2026, 1, 31)


@given(year=st.integers(1990, 2100), month=st.integers(1, 12), weekday=st.integers(0, 6))
def test_last_weekday_is_right_in_every_month(year: int, month: int, weekday: int) -> None:
    found = MonthlyRule(weekday=weekday, week=-1).date_in(year, month)
    assert found.weekday() == weekday
    assert (found.month, found.year) == (month, year)
    assert found.day + 7 > calendar.monthrange(year, month)[1]  # no later such weekday in the month


@given(year=st.integers(1990, 2100), month=st.integers(1, 12), weekday=st.integers(0, 6), week=st.integers(1, 4))
def test_nth_weekday_is_the_nth_one(year: int, month: int, weekday: int, week: int) -> None:
    found = MonthlyRule(weekday=weekday, week=week).date_in(year, month)
    assert found.weekday() == weekday
    assert (found.day - 1) // 7 == week - 1


def test_last_friday_of_2026() -> None:
    fridays = _dates(MonthlyRule(weekday=4, week=-1), date(2026, 1, 1), 12)
    assert [d.day for d in fridays] == [30, 27, 27, 24, 29, 26, 31, 28, 25, 30, 27, 25]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"weekday": 1},
        {"weekday": 7, "week": 1},
        {"weekday": 1, "week": 5},
        {"day": 0},
        {"day": 32},
        {"weekday": 1, "week": 2, "day": 3},
    ],
)
def test_bad_rules_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        MonthlyRule(**kwargs)


def test_month_arithmetic() -> None:
    assert add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert months_between(date(2026, 11, 1), date(2027, 2, 1)) == 3
