"""The Vietnamese lunisolar calendar (âm lịch), computed: lunar dates to solar ones, for Tết and Giỗ Tổ Hùng Vương.

The rules are those Hồ Ngọc Đức published for the Vietnamese calendar: a month starts on the day (in UTC+7) of a new
moon; month 11 is the one holding the winter solstice; a lunar year with 13 months repeats the first month after
month 11 that holds no major solar term. New moons and the sun's longitude come from Jean Meeus' "Astronomical
Algorithms" (truncated series, accurate to minutes over 1800-2200). Vietnam reckons in UTC+7 and China in UTC+8,
which is why Tết sometimes differs from the Chinese New Year (1985, 2007): Chinese-calendar packages do not fit.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

#: Vietnam's calendar is computed at UTC+7 (since 1968), whatever the server's time zone.
VIETNAM_UTC_OFFSET_HOURS = 7.0

_SYNODIC_MONTH = 29.530588853
#: Julian day of the new moon of 1900-01-01 (k = 0 in Meeus' numbering used here).
_NEW_MOON_EPOCH = 2415021.076998695
#: date.toordinal() + this = Julian day number (JDN) at noon of that date.
_ORDINAL_TO_JDN = 1721425
_RADIANS = math.pi / 180


def _jdn(day: date) -> int:
    return day.toordinal() + _ORDINAL_TO_JDN


def _date_of_jdn(jdn: int) -> date:
    return date.fromordinal(jdn - _ORDINAL_TO_JDN)


def _new_moon(k: int) -> float:
    """Return the Julian date (UT) of the k-th new moon after the one of 1900-01-01."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    mean = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    mean += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * _RADIANS)
    sun_anomaly = (359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3) * _RADIANS
    moon_anomaly = (306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3) * _RADIANS
    latitude_argument = (21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3) * _RADIANS
    correction = (
        (0.1734 - 0.000393 * t) * math.sin(sun_anomaly)
        + 0.0021 * math.sin(2 * sun_anomaly)
        - 0.4068 * math.sin(moon_anomaly)
        + 0.0161 * math.sin(2 * moon_anomaly)
        - 0.0004 * math.sin(3 * moon_anomaly)
        + 0.0104 * math.sin(2 * latitude_argument)
        - 0.0051 * math.sin(sun_anomaly + moon_anomaly)
        - 0.0074 * math.sin(sun_anomaly - moon_anomaly)
        + 0.0004 * math.sin(2 * latitude_argument + sun_anomaly)
        - 0.0004 * math.sin(2 * latitude_argument - sun_anomaly)
        - 0.0006 * math.sin(2 * latitude_argument + moon_anomaly)
        + 0.0010 * math.sin(2 * latitude_argument - moon_anomaly)
        + 0.0005 * math.sin(sun_anomaly + 2 * moon_anomaly)
    )
    # Terrestrial time to universal time (Delta T), in days.
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return mean + correction - delta_t


def _new_moon_day(k: int, offset_hours: float) -> int:
    """Return the JDN of the local day on which the k-th new moon falls."""
    return math.floor(_new_moon(k) + 0.5 + offset_hours / 24)


def _sun_longitude(julian_date: float) -> float:
    """Return the sun's apparent longitude (radians, 0..2π) at a Julian date (UT)."""
    t = (julian_date - 2451545.0) / 36525
    t2 = t * t
    anomaly = (357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2) * _RADIANS
    mean_longitude = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    center = (
        (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * anomaly)
        + 0.000290 * math.sin(3 * anomaly)
    )
    longitude = (mean_longitude + center) * _RADIANS
    return longitude - 2 * math.pi * math.floor(longitude / (2 * math.pi))


def _major_term(jdn: int, offset_hours: float) -> int:
    """Return which twelfth of the ecliptic (0..11, 30° each) the sun is in at the start of a local day."""
    return math.floor(_sun_longitude(jdn - 0.5 - offset_hours / 24) / math.pi * 6)


def _month_11_start(solar_year: int, offset_hours: float) -> int:
    """Return the JDN of the first day of lunar month 11 (the month of the winter solstice) late in a solar year."""
    k = math.floor((_jdn(date(solar_year, 12, 31)) - 2415021) / _SYNODIC_MONTH)
    start = _new_moon_day(k, offset_hours)
    # The sun past 270° (term 9) at that new moon means the solstice came before it: month 11 began a moon earlier.
    if _major_term(start, offset_hours) >= 9:
        start = _new_moon_day(k - 1, offset_hours)
    return start


def _leap_month_offset(month_11_start: int, offset_hours: float) -> int:
    """Return the position (counted from month 11) of the first month without a major term: the leap month."""
    k = math.floor((month_11_start - _NEW_MOON_EPOCH) / _SYNODIC_MONTH + 0.5)
    position = 1
    term = _major_term(_new_moon_day(k + position, offset_hours), offset_hours)
    while True:
        previous = term
        position += 1
        term = _major_term(_new_moon_day(k + position, offset_hours), offset_hours)
        if term == previous or position >= 14:
            return position - 1


def lunar_to_solar(
    lunar_day: int,
    lunar_month: int,
    lunar_year: int,
    *,
    leap: bool = False,
    offset_hours: float = VIETNAM_UTC_OFFSET_HOURS,
) -> date:
    """Return the solar date of a lunar date (the lunar year named by the solar year in which it mostly falls).

    Raise ValueError for a leap month the year does not have, or a day past the month's end.
    """
    if not 1 <= lunar_month <= 12 or not 1 <= lunar_day <= 30:
        raise ValueError("no such lunar date")
    if lunar_month < 11:
        start_11, next_11 = _month_11_start(lunar_year - 1, offset_hours), _month_11_start(lunar_year, offset_hours)
    else:
        start_11, next_11 = _month_11_start(lunar_year, offset_hours), _month_11_start(lunar_year + 1, offset_hours)
    k = math.floor(0.5 + (start_11 - _NEW_MOON_EPOCH) / _SYNODIC_MONTH)
    months_after_11 = (lunar_month - 11) % 12
    if next_11 - start_11 > 365:  # 13 months between the two months 11: one is a leap month
        leap_offset = _leap_month_offset(start_11, offset_hours)
        leap_month = (leap_offset - 2) % 12
        if leap and lunar_month != leap_month:
            raise ValueError("this lunar year has no such leap month")
        if leap or months_after_11 >= leap_offset:
            months_after_11 += 1
    elif leap:
        raise ValueError("this lunar year has no leap month")
    month_start = _new_moon_day(k + months_after_11, offset_hours)
    month_end = _new_moon_day(k + months_after_11 + 1, offset_hours)
    if lunar_day > month_end - month_start:
        raise ValueError("this lunar month is shorter")
    return _date_of_jdn(month_start + lunar_day - 1)


def lunar_new_year(solar_year: int) -> date:
    """Return the first day of Tết Nguyên đán (mùng 1 tháng Giêng) that falls in a solar year."""
    return lunar_to_solar(1, 1, solar_year)


def lunar_new_years_eve(solar_year: int) -> tuple[date, int]:
    """Return the last day of the lunar year that ends at a solar year's Tết, and its number (30, or 29 when the
    last month is short: "30 Tết" is then the 29th)."""
    new_year = lunar_new_year(solar_year)
    k = math.floor((_jdn(new_year) - _NEW_MOON_EPOCH) / _SYNODIC_MONTH + 0.5)
    month_length = _jdn(new_year) - _new_moon_day(k - 1, VIETNAM_UTC_OFFSET_HOURS)
    return new_year - timedelta(days=1), month_length
