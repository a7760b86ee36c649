"""CSV and XLSX exports of the issue list, safe to open in a spreadsheet.

A cell that starts with = + - @, a tab or a carriage return could be read as a formula (CSV injection, OWASP): such a
text gets a leading single quote. Characters XML cannot hold are dropped from XLSX cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from meeting_hub.clock import local_zone
from meeting_hub.follow_up.models import ISSUE_PRIORITY_LABELS, ISSUE_STATUS_LABELS, Issue
from meeting_hub.follow_up.workflow import is_overdue

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text, numbers and dates are what an export cell holds.
Cell = str | int | float | date | datetime | None


def neutralise(value: Cell) -> Cell:
    """Return a text that cannot start a formula: a leading ' before any of = + - @ tab CR; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header() -> list[Cell]:
    """Return the column titles, in the user's language."""
    return [
        _("Mã"),
        _("Ngày nêu"),
        _("Buổi giao ban"),
        _("Điểm cầu"),
        _("Chi bộ"),
        _("Người nêu"),
        _("Lĩnh vực"),
        _("Tiêu đề"),
        _("Nội dung"),
        _("Mức độ"),
        _("Trạng thái"),
        _("Cơ quan xử lý"),
        _("Hạn xử lý"),
        _("Quá hạn"),
        _("Ngày trả lời"),
        _("Trả lời"),
    ]


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


def _moment(value: datetime | None) -> str:
    return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M") if value is not None else ""


def issue_row(issue: Issue, today: date) -> list[Cell]:
    """Return an issue as an export row (dates as dd/mm/yyyy text, like every page)."""
    return [
        issue.id,
        _moment(issue.raised_at),
        issue.briefing.title if issue.briefing else "",
        issue.endpoint.name,
        issue.cell.name if issue.cell else "",
        issue.person.full_name if issue.person else "",
        issue.category.name,
        issue.title,
        issue.content,
        str(ISSUE_PRIORITY_LABELS[issue.priority]),
        str(ISSUE_STATUS_LABELS[issue.status]),
        issue.agency.name if issue.agency else "",
        _day(issue.due_on),
        _("Có") if is_overdue(issue, today) else "",
        _moment(issue.answered_at),
        issue.answer,
    ]


def to_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    """Write rows as CSV in UTF-8 with a byte order mark (Excel then reads Vietnamese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else neutralise(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def xlsx_value(value: Cell) -> Cell:
    """Return a cell value safe for a workbook: no control characters openpyxl refuses, no formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def to_xlsx(rows: Iterable[Sequence[Cell]], sheet_title: str = "Y kien") -> bytes:
    """Write rows as an XLSX workbook of one sheet (every text cell a plain string, never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
