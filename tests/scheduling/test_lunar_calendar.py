"""The lunar calendar against dates published for Vietnam (Tết, Giỗ Tổ, leap months, 29/30 Tết)."""

from __future__ import annotations

from datetime import date

import pytest

from meeting_hub.scheduling.lunar_calendar import lunar_new_year, lunar_new_years_eve, lunar_to_solar


@pytest.mark.parametrize(
    ("year", "tet"),
    [
        (2023, date(2023, 1, 22)),
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        (2027, date(2027, 2, 6)),
        (2028, date(2028, 1, 26)),
        (2029, date(2029, 2, 13)),
        # The new moon is at 16:07 UT on 2 February 2030: 23:07 in Hà Nội (UTC+7) but 00:07 on the 3rd in Beijing
        # (UTC+8). Tết is on the 2nd in Vietnam, the Chinese New Year on the 3rd (the date often quoted for both).
        (2030, date(2030, 2, 2)),
        (2033, date(2033, 1, 31)),
    ],
)
def test_tet_falls_on_the_published_day(year: int, tet: date) -> None:
    assert lunar_new_year(year) == tet


@pytest.mark.parametrize(
    ("year", "vietnam", "china"),
    [(1985, date(1985, 1, 21), date(1985, 2, 20)), (2007, date(2007, 2, 17), date(2007, 2, 18))],
)
def test_vietnam_reckons_in_utc_plus_7_not_china_s_utc_plus_8(year: int, vietnam: date, china: date) -> None:
    assert lunar_new_year(year) == vietnam
    assert lunar_to_solar(1, 1, year, offset_hours=8) == china


@pytest.mark.parametrize(
    ("year", "day"), [(2023, date(2023, 4, 29)), (2024, date(2024, 4, 18)), (2025, date(2025, 4, 7))]
)
def test_gio_to_hung_vuong_is_the_tenth_of_the_third_lunar_month(year: int, day: date) -> None:
    assert lunar_to_solar(10, 3, year) == day


def test_leap_months_are_counted_and_only_where_the_year_has_one() -> None:
    # 2023 repeated the second month, 2025 the sixth.
    assert lunar_to_solar(1, 2, 2023) == date(2023, 2, 20)
    assert lunar_to_solar(1, 2, 2023, leap=True) == date(2023, 3, 22)
    assert lunar_to_solar(1, 3, 2023) == date(2023, 4, 20)
    assert lunar_to_solar(1, 6, 2025, leap=True) == date(2025, 7, 25)
    assert lunar_to_solar(1, 7, 2025) == date(2025, 8, 23)
    with pytest.raises(ValueError):
        lunar_to_solar(1, 5, 2025, leap=True)
    with pytest.raises(ValueError):
        lunar_to_solar(1, 1, 2026, leap=True)


def test_the_last_day_of_the_year_is_the_30th_or_the_29th() -> None:
    # Giáp Thìn 2024 had a 30 Tết; from 2025 to 2030 the twelfth month is short and the eve is the 29th.
    assert lunar_new_years_eve(2024) == (date(2024, 2, 9), 30)
    assert lunar_new_years_eve(2025) == (date(2025, 1, 28), 29)
    assert lunar_new_years_eve(2026) == (date(2026, 2, 16), 29)
    with pytest.raises(ValueError):
        lunar_to_solar(30, 12, 2025)  # the month of Tết 2026's eve has no 30th
    assert lunar_to_solar(30, 12, 2023) == date(2024, 2, 9)
