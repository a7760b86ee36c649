"""Dates, times and months as Vietnamese users write them (dd/mm/yyyy, 24-hour HH:MM, mm/yyyy), whatever the
browser's language: parsing with clear messages, formatting, and the WTForms fields every form uses.

Browsers show native date/time/month inputs in their own locale (12/18/2026, 08:00 AM, "December 2026" on an English
Chromium), so these fields are text inputs with a numeric keyboard and a small mask script (static/js/date_inputs.js);
the server alone decides what is valid, so they work without JavaScript. ISO forms (2026-12-18, 2026-12) are accepted
too: old links and API-minded scripts keep working.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from flask_babel import gettext as _
from wtforms.fields.core import Field
from wtforms.widgets import TextInput

#: Dates outside these years are typing errors (a briefing, a due date or a holiday in 1926 or 2226).
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

_SEPARATOR = r"\s*[/.\-]\s*"
_DAY_PATTERNS = (
    re.compile(rf"^(?P<d>\d{{1,2}}){_SEPARATOR}(?P<m>\d{{1,2}}){_SEPARATOR}(?P<y>\d{{4}}|\d{{2}})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),  # ISO, from old links
    re.compile(r"^(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})$"),  # typed on a phone's digit pad without separators
)
_MONTH_PATTERNS = (
    re.compile(rf"^(?P<m>\d{{1,2}}){_SEPARATOR}(?P<y>\d{{4}})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),
    re.compile(r"^(?P<m>\d{2})(?P<y>\d{4})$"),
)
_TIME_PATTERNS = (
    # 8:30, 08:30, 08:30:00 (seconds ignored), 8h30, 8h, 8g30 ("8 giờ 30")
    re.compile(r"^(?P<h>\d{1,2})\s*(?::|h|g|giờ)\s*(?P<m>\d{2})?(?::\d{2})?\s*(?:phút|p)?$"),
    re.compile(r"^(?P<h>\d{1,2})(?P<m>\d{2})$"),  # 0830 or 830, typed on a digit pad
)
_TWELVE_HOUR = re.compile(r"\b(am|pm|a\.m\.|p\.m\.|sa|ch|sáng|chiều|tối)\b", re.IGNORECASE)

#: What the inputs show when empty; the formats are the same in every language of the interface.
DATE_PLACEHOLDER = "dd/mm/yyyy"
TIME_PLACEHOLDER = "hh:mm"
MONTH_PLACEHOLDER = "mm/yyyy"
#: HTML `pattern`s (valid in Chromium's `v` mode) matching what the parsers accept; the server still checks ranges.
DATE_HTML_PATTERN = r"\s*(\d{1,2}\s*[\/.\-]\s*\d{1,2}\s*[\/.\-]\s*(\d{4}|\d{2})|\d{4}\-\d{1,2}\-\d{1,2}|\d{8})\s*"
TIME_HTML_PATTERN = r"\s*\d{1,2}\s*([:hg]\s*(\d{2})?(:\d{2})?|\d{2})\s*"
MONTH_HTML_PATTERN = r"\s*(\d{1,2}\s*[\/.\-]\s*\d{4}|\d{4}\-\d{1,2}|\d{6})\s*"


class DateInputError(ValueError):
    """A date, time or month that cannot be read; its message says how to write it, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = pattern.match(text)
        if found:
            return found
    return None


def _check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DateInputError(_("Năm phải từ %(first)d đến %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR))


def parse_day(text: str) -> date:
    """Read a date written dd/mm/yyyy (also d/m/yyyy, dd.mm.yyyy, dd-mm-yyyy, ddmmyyyy, dd/mm/yy or ISO yyyy-mm-dd)."""
    cleaned = text.strip()
    found = _match(_DAY_PATTERNS, cleaned)
    if found is None:
        raise DateInputError(_("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy, ví dụ 18/12/2026."))
    day, month, year = int(found["d"]), int(found["m"]), int(found["y"])
    if len(found["y"]) == 2:
        year += 2000
    _check_year(year)
    if not 1 <= month <= 12:
        raise DateInputError(_("Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy)."))
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError(
            _("Tháng %(month)02d/%(year)d không có ngày %(day)d.", month=month, year=year, day=day)
        ) from None


def parse_clock(text: str) -> time:
    """Read a 24-hour time written HH:MM (also 8:30, 8h30, 0830); AM/PM is refused rather than guessed."""
    cleaned = text.strip().lower()
    if _TWELVE_HOUR.search(cleaned):
        raise DateInputError(_("Nhập giờ theo dạng 24 giờ, ví dụ 14:30 (không dùng AM/PM, sáng/chiều)."))
    found = _match(_TIME_PATTERNS, cleaned)
    if found is None:
        raise DateInputError(_("Giờ không hợp lệ: nhập theo dạng 24 giờ hh:mm, ví dụ 08:00 hoặc 14:30."))
    hour, minute = int(found["h"]), int(found["m"] or 0)
    if hour > 23 or minute > 59:
        raise DateInputError(_("Giờ từ 00 đến 23, phút từ 00 đến 59 (ví dụ 14:30)."))
    return time(hour, minute)


def parse_month(text: str) -> date:
    """Read a month written mm/yyyy (also m/yyyy, mmyyyy or ISO yyyy-mm); return its first day."""
    found = _match(_MONTH_PATTERNS, text.strip())
    if found is None:
        raise DateInputError(_("Tháng không hợp lệ: nhập theo dạng mm/yyyy, ví dụ 12/2026."))
    month, year = int(found["m"]), int(found["y"])
    _check_year(year)
    if not 1 <= month <= 12:
        raise DateInputError(_("Tháng phải từ 01 đến 12 (ví dụ 12/2026)."))
    return date(year, month, 1)


def format_day(value: date | None) -> str:
    """Write a date as dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def format_clock(value: time | None) -> str:
    """Write a time as HH:MM (24-hour)."""
    return value.strftime("%H:%M") if value is not None else ""


def format_month(value: date | None) -> str:
    """Write a month as mm/yyyy."""
    return value.strftime("%m/%Y") if value is not None else ""


def day_from_query(text: str | None) -> tuple[date | None, str | None]:
    """Read an optional date of a GET filter: (date, None), (None, None) when empty, (None, message) when unreadable."""
    if not text or not text.strip():
        return None, None
    try:
        return parse_day(text), None
    except DateInputError as error:
        return None, error.message


def month_from_query(text: str | None) -> tuple[date | None, str | None]:
    """Read an optional month of a GET filter, like day_from_query."""
    if not text or not text.strip():
        return None, None
    try:
        return parse_month(text), None
    except DateInputError as error:
        return None, error.message


def text_input_attributes(kind: str) -> dict[str, Any]:
    """Return the attributes of a text input for a date, time or month (also for plain GET-form inputs)."""
    placeholder, pattern, length = {
        "date": (DATE_PLACEHOLDER, DATE_HTML_PATTERN, 10),
        "time": (TIME_PLACEHOLDER, TIME_HTML_PATTERN, 5),
        "month": (MONTH_PLACEHOLDER, MONTH_HTML_PATTERN, 7),
    }[kind]
    return {
        "type": "text",
        "inputmode": "numeric",
        "autocomplete": "off",
        "placeholder": placeholder,
        "pattern": pattern,
        # A little room for what the parser accepts (8h30, 18 / 12 / 2026), not for free text.
        "maxlength": length + 6,
        "size": length + 2,
        "data-date-input": kind,
    }


class _TextDateField(Field):  # type: ignore[misc]  # WTForms ships no type hints
    """A text input read by one of the parsers above; an unreadable value keeps what was typed and says why."""

    widget = TextInput()
    kind = "date"
    data: Any

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs["render_kw"] = {**text_input_attributes(self.kind), **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        raise NotImplementedError

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.format(self.data) if self.data is not None else ""

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        """Say why typed text could not be read: DataRequired would replace that with "required" (data is None)."""
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            self.errors = list(self.process_errors)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the submitted text; an empty value is None (Optional / DataRequired then decide)."""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = self.parse(str(valuelist[0]))
        except DateInputError as error:
            self.data = None
            raise ValueError(error.message) from None


class VietnameseDateField(_TextDateField):
    """A date typed dd/mm/yyyy."""

    kind = "date"

    def parse(self, text: str) -> date:
        return parse_day(text)

    def format(self, value: date) -> str:
        return format_day(value)


class VietnameseTimeField(_TextDateField):
    """A 24-hour time typed HH:MM."""

    kind = "time"

    def parse(self, text: str) -> time:
        return parse_clock(text)

    def format(self, value: time) -> str:
        return format_clock(value)


class VietnameseMonthField(_TextDateField):
    """A month typed mm/yyyy; its data is the month's first day."""

    kind = "month"

    def parse(self, text: str) -> date:
        return parse_month(text)

    def format(self, value: date) -> str:
        return format_month(value)
