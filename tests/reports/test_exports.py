"""Attendance exports: every roster row of the invited endpoints; XLSX with typed cells read back by openpyxl; CSV in
UTF-8 with BOM where no cell can start a formula (a Hypothesis property)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from meeting_hub.follow_up.exports import FORMULA_STARTS
from meeting_hub.reports import exports
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import HeldBriefing

ROSTER = {"Nguyễn Văn Đức", "Trần Thị Hạnh", "Lê Quang Thắng", "Đặng Thị Huệ", "Bùi Xuân Việt"}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_xlsx_reads_back_with_typed_cells_a_frozen_header_and_widths(app: Flask, held: HeldBriefing) -> None:
    response = signed_in_client(app, "organizer").get(f"/api/v1/briefings/{held.briefing_id}/attendance.xlsx")
    assert response.status_code == 200
    assert response.mimetype == exports_mimetype()
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("STT", "Điểm cầu", "Chi bộ", "Họ và tên")
    assert all(cell.font.bold for cell in sheet[1])
    assert {row[3] for row in body} == ROSTER
    assert [row[0] for row in body] == list(range(1, len(ROSTER) + 1))
    by_name = {row[3]: row for row in body}
    hanh = by_name["Trần Thị Hạnh"]
    assert isinstance(hanh[0], int) and isinstance(hanh[5], int)  # STT and the person's id are numbers
    assert hanh[6] == "Vắng có lý do" and hanh[7] == "Ốm, có giấy xin phép"
    assert isinstance(hanh[9], datetime)  # the time of the record: a real date, in local time
    assert sheet.cell(row=2, column=10).number_format == exports.DATETIME_FORMAT
    assert by_name["Nguyễn Văn Đức"][8] == "Phạm Thị Thu Hằng"
    viet = by_name["Bùi Xuân Việt"]
    assert viet[6] == "chưa điểm danh" and viet[9] is None
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] < widths["D"] <= exports.MAX_WIDTH
    assert widths["D"] >= len("Nguyễn Văn Đức")


def exports_mimetype() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_csv_has_a_bom_and_every_roster_row(app: Flask, held: HeldBriefing) -> None:
    response = signed_in_client(app, "leader").get(f"/api/v1/briefings/{held.briefing_id}/attendance.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = read_csv(response.data)
    assert rows[0][3] == "Họ và tên"
    assert {row[3] for row in rows[1:]} == ROSTER
    recorded_at = {row[3]: row[9] for row in rows[1:]}
    assert recorded_at["Bùi Xuân Việt"] == ""
    datetime.strptime(recorded_at["Lê Quang Thắng"], "%d/%m/%Y %H:%M")


def test_an_operator_exports_their_own_endpoint_only(app: Flask, held: HeldBriefing) -> None:
    operator = signed_in_client(app, "op-sao-do")
    rows = read_csv(operator.get(f"/api/v1/briefings/{held.briefing_id}/attendance.csv").data)
    assert {row[3] for row in rows[1:]} == {"Nguyễn Văn Đức", "Trần Thị Hạnh"}
    assert {row[1] for row in rows[1:]} == {"Sao Đỏ"}
    responder = signed_in_client(app, "responder")
    assert responder.get(f"/api/v1/briefings/{held.briefing_id}/attendance.xlsx").status_code == 403


cell_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
risky_text = st.one_of(cell_text, st.sampled_from(FORMULA_STARTS).flatmap(lambda c: cell_text.map(lambda t: c + t)))
cells = st.one_of(
    risky_text,
    st.integers(min_value=0, max_value=10**9),
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)


@given(st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=8))
@settings(deadline=None)  # a shared CI machine: time is not what this checks
def test_no_csv_cell_can_start_a_formula(rows: list[list[exports.Cell]]) -> None:
    for row in read_csv(exports.attendance_csv(rows)):
        for value in row:
            assert not value.startswith(FORMULA_STARTS), value


@given(st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=5))
@settings(deadline=None)
def test_no_xlsx_cell_is_a_formula(rows: list[list[exports.Cell]]) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(exports.attendance_xlsx(rows)))
    for row in workbook.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    # Texts read back as written (no quote added): a string cell is never evaluated. XML keeps a line break as \n,
    # whatever it was written as, and an empty text is an empty cell.
    texts = [ILLEGAL_CHARACTERS_RE.sub("", value) for row in rows for value in row if isinstance(value, str)]
    expected = [text.replace("\r\n", "\n").replace("\r", "\n") for text in texts if text]
    read = [cell.value for row in workbook.active.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert read == expected


def test_formula_like_names_are_quoted_in_the_csv_and_kept_as_text_in_the_xlsx() -> None:
    rows: list[list[exports.Cell]] = [['=HYPERLINK("http://x")', "+84912345678", "-1", "@SUM(A1)", 7]]
    assert read_csv(exports.attendance_csv(rows))[0] == [
        '\'=HYPERLINK("http://x")',
        "'+84912345678",
        "'-1",
        "'@SUM(A1)",
        "7",
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.attendance_xlsx(rows))).active
    assert [cell.value for cell in sheet[1]] == ['=HYPERLINK("http://x")', "+84912345678", "-1", "@SUM(A1)", 7]
    assert [cell.data_type for cell in sheet[1]] == ["s", "s", "s", "s", "n"]
