"""CSV and XLSX exports of the issue list, safe to open in a spreadsheet.

CSV has no types: a cell that starts with = + - @, a tab or a carriage return could be read as a formula (CSV
injection, OWASP), so such a text gets a leading single quote. XLSX has types: every text is written as a string cell
(t="inlineStr", never a formula, whatever it starts with, and nothing added to it), dates and times as real ones with
a dd/mm/yyyy number format, so they sort and filter as dates. Characters XML cannot hold are dropped from XLSX cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from meeting_hub.clock import local_zone
from meeting_hub.follow_up.models import ISSUE_PRIORITY_LABELS, ISSUE_STATUS_LABELS, Issue
from meeting_hub.follow_up.workflow import is_overdue

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text, numbers and dates are what an export cell holds.
Cell = str | int | float | date | datetime | None
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


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


def issue_row(issue: Issue, today: date) -> list[Cell]:
    """Return an issue as an export row (dates as dates: the CSV writes them dd/mm/yyyy, the XLSX as typed cells)."""
    return [
        issue.id,
        issue.raised_at,
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
        issue.due_on,
        _("Có") if is_overdue(issue, today) else "",
        issue.answered_at,
        issue.answer,
    ]


def csv_text(value: Cell) -> Cell:
    """Return a value as the CSV writes it: times in the network's zone as dd/mm/yyyy HH:MM, days as dd/mm/yyyy."""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def to_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    """Write rows as CSV in UTF-8 with a byte order mark (Excel then reads Vietnamese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else neutralise(csv_text(value)) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def xlsx_value(value: Cell) -> Cell:
    """Return a cell value safe for a workbook written by guessing types (the attendance export): no control
    characters openpyxl refuses, no formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def typed_cell(sheet: WriteOnlyWorksheet, value: Cell) -> XlsxCell:
    """Return a cell whose type is said, not guessed: a text is a string even when it starts with "=", a time is
    a local date and time with a dd/mm/yyyy hh:mm format, a day a date with dd/mm/yyyy."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # openpyxl guessed "f" for a text starting with "="; the writer honours "s"
    elif isinstance(value, datetime):
        # Excel has no time zones: the network's wall-clock time, as every page shows it.
        cell = WriteOnlyCell(sheet, value=value.astimezone(local_zone()).replace(tzinfo=None, microsecond=0))
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value=value)
    return cell


def to_xlsx(rows: Iterable[Sequence[Cell]], sheet_title: str = "Y kien") -> bytes:
    """Write rows as an XLSX workbook of one sheet: typed cells, every text a string (never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    for row in rows:
        sheet.append([typed_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
