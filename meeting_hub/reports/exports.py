"""A briefing's attendance as CSV and XLSX: every roster row of its invited endpoints, with the status or "chưa điểm
danh".

CSV is UTF-8 with a byte order mark; XLSX has typed cells (numbers, dates with times), a frozen header row and widths
fitted to the content. In the CSV, text that could start a formula is neutralised with the follow-up's rule; in the
XLSX every text is a string cell, which no spreadsheet evaluates (the same rule as the issues export).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import joinedload

from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS, AttendanceRecord, CheckInVia
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.follow_up.exports import Cell, to_csv, xlsx_value
from meeting_hub.network.models import PERSON_ROLE_LABELS, Endpoint, Person
from meeting_hub.network.models import Cell as PartyCell
from meeting_hub.scheduling.models import Briefing, briefing_endpoints
from meeting_hub.vietnamese import sort_key

VIA_LABELS = {
    CheckInVia.OPERATOR: _l("Cán bộ điểm cầu"),
    CheckInVia.SELF: _l("Tự điểm danh (QR)"),
    CheckInVia.ORGANIZER: _l("Cán bộ tổ chức"),
}
MIN_WIDTH, MAX_WIDTH = 6, 60
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class AttendanceRow:
    """One person of an invited endpoint's roster and how they attended (record None: not checked in)."""

    endpoint: Endpoint
    person: Person
    cell: PartyCell
    record: AttendanceRecord | None


def attendance_rows(briefing: Briefing, only_endpoint: int | None = None) -> list[AttendanceRow]:
    """Return the roster rows of the briefing's invited endpoints (or one of them), by endpoint, cell and name.

    The active people of active cells, and anyone recorded at the briefing even if they left the roster since.
    """
    invited = sa.select(briefing_endpoints.c.endpoint_id).where(briefing_endpoints.c.briefing_id == briefing.id)
    in_scope = AttendanceRecord.briefing_id == briefing.id
    on_roster = sa.and_(PartyCell.endpoint_id.in_(invited), Person.active.is_(True), PartyCell.active.is_(True))
    if only_endpoint is not None:
        in_scope = sa.and_(in_scope, AttendanceRecord.endpoint_id == only_endpoint)
        on_roster = sa.and_(on_roster, PartyCell.endpoint_id == only_endpoint)
    records = {
        record.person_id: record
        for record in db.session.scalars(
            sa.select(AttendanceRecord).options(joinedload(AttendanceRecord.recorded_by)).where(in_scope)
        )
    }
    rows = db.session.execute(
        sa.select(Person, PartyCell, Endpoint)
        .join(PartyCell, PartyCell.id == Person.cell_id)
        .join(Endpoint, Endpoint.id == PartyCell.endpoint_id)
        .where(sa.or_(on_roster, Person.id.in_(sa.select(AttendanceRecord.person_id).where(in_scope))))
    ).all()
    recording_endpoints = {
        e.id: e
        for e in db.session.scalars(
            sa.select(Endpoint).where(Endpoint.id.in_({r.endpoint_id for r in records.values()}))
        )
    }
    result = []
    for person, cell, endpoint in rows:
        record = records.get(person.id)
        # A person recorded at the briefing is listed under the endpoint that recorded them.
        shown_endpoint = recording_endpoints[record.endpoint_id] if record is not None else endpoint
        result.append(AttendanceRow(shown_endpoint, person, cell, record))
    return sorted(
        result,
        key=lambda r: (sort_key(r.endpoint.name), sort_key(r.cell.name), sort_key(r.person.full_name), r.person.id),
    )


def header() -> list[Cell]:
    """Return the column titles, in the user's language."""
    return [
        _("STT"),
        _("Điểm cầu"),
        _("Chi bộ"),
        _("Họ và tên"),
        _("Vai trò"),
        _("Mã người"),
        _("Tình trạng"),
        _("Ghi chú"),
        _("Người dự thay"),
        _("Thời điểm ghi nhận"),
        _("Người ghi nhận"),
        _("Cách ghi nhận"),
    ]


def _local_naive(value: datetime) -> datetime:
    """Spreadsheets have no time zones: write the local wall-clock time."""
    return value.astimezone(local_zone()).replace(tzinfo=None)


def row_values(n: int, row: AttendanceRow) -> list[Cell]:
    """Return one export row: numbers as numbers, the time of the record as a (local) datetime."""
    person_values: list[Cell] = [
        n,
        row.endpoint.name,
        row.cell.name,
        row.person.full_name,
        str(PERSON_ROLE_LABELS[row.person.role]),
        row.person.id,
    ]
    record = row.record
    if record is None:
        return [*person_values, _("chưa điểm danh"), "", "", None, "", ""]
    recorded_by: User | None = record.recorded_by
    return [
        *person_values,
        str(ATTENDANCE_STATUS_LABELS[record.status]),
        record.note,
        record.substitute_name,
        _local_naive(record.recorded_at),
        recorded_by.display_name if recorded_by is not None else "",
        str(VIA_LABELS[record.via]),
    ]


def export_rows(briefing: Briefing, only_endpoint: int | None = None) -> list[list[Cell]]:
    """Return the header and the rows of a briefing's attendance export."""
    rows = [header()]
    rows.extend(row_values(n, row) for n, row in enumerate(attendance_rows(briefing, only_endpoint), start=1))
    return rows


def _csv_value(value: Cell) -> Cell:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value


def attendance_csv(rows: Sequence[Sequence[Cell]]) -> bytes:
    """Write rows as CSV (UTF-8 with BOM, dates dd/mm/yyyy HH:MM); formula-like text gets a leading quote."""
    return to_csv([_csv_value(value) for value in row] for row in rows)


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title (31 characters at most), its rows (the first one the header), and the
    columns (from 1) whose numbers are shares, shown as percentages."""

    title: str
    rows: Sequence[Sequence[Cell]]
    percent_columns: frozenset[int] = frozenset()


def _fill_sheet(sheet: Worksheet, content: Sheet) -> None:
    """Write typed cells, a bold frozen header row, a filter and fitted column widths."""
    sheet.title = content.title[:31]
    widths: dict[int, int] = {}
    for row in content.rows:
        sheet.append([xlsx_value(value) for value in row])
        for column, value in enumerate(row, start=1):
            if isinstance(value, str):
                # A text stays a text, as typed, even when it starts with "=": never a formula.
                sheet.cell(row=sheet.max_row, column=column).data_type = "s"
        for index, value in enumerate(row, start=1):
            text = str(_csv_value(value) or "")  # as the CSV writes it
            longest = max((len(line) for line in text.splitlines()), default=0)
            widths[index] = max(widths.get(index, 0), longest)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif cell.column in content.percent_columns and isinstance(cell.value, float):
                cell.number_format = PERCENT_FORMAT
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
    sheet.freeze_panes = "A2"
    if content.rows:
        sheet.auto_filter.ref = sheet.dimensions


def to_workbook(sheets: Sequence[Sheet]) -> bytes:
    """Write sheets as a workbook, each with typed cells, a bold frozen header row, a filter and fitted widths."""
    workbook = Workbook()
    for n, content in enumerate(sheets):
        sheet = workbook.active if n == 0 else workbook.create_sheet()
        assert isinstance(sheet, Worksheet)
        _fill_sheet(sheet, content)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_typed_xlsx(rows: Sequence[Sequence[Cell]], sheet_title: str) -> bytes:
    """Write rows as a one-sheet workbook: typed cells, a bold frozen header row, a filter and fitted column widths."""
    return to_workbook([Sheet(sheet_title, rows)])


def attendance_xlsx(rows: Sequence[Sequence[Cell]]) -> bytes:
    """Write a briefing's attendance rows as an XLSX workbook."""
    return to_typed_xlsx(rows, "Diem danh")


def export_name(briefing: Briefing, extension: str) -> str:
    """Return "diem-danh-2026-03-10.csv" (ASCII: every browser and chat app keeps it)."""
    day = briefing.starts_at.astimezone(local_zone()).date().isoformat()
    return f"diem-danh-{day}.{extension}"
