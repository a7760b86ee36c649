"""Exports: no cell of the CSV or the XLSX can start a formula (a property over any text), CSV is UTF-8 with a BOM,
and the API exports the filtered list."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from meeting_hub.follow_up import exports
from tests.follow_up.conftest import FollowUp, assigned_issue, make_issue
from tests.follow_up.test_workflow_api import Api

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# Any text, with the dangerous starts made likely rather than rare.
texts = st.one_of(st.text(), st.builds(lambda a, b: a + b, st.sampled_from(DANGEROUS + ("\x00", " ", "'")), st.text()))
cells = st.one_of(texts, st.integers(), st.none())
rows = st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=5)


def _csv_cells(content: bytes) -> list[str]:
    assert content.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [cell for row in reader for cell in row]


def _xlsx_cells(content: bytes) -> list[object]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    found = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"  # never stored as a formula
            found.append(cell.value)
    return found


NUMBER = re.compile(r"^-?[0-9]+$")


def _assert_cannot_start_a_formula(value: object) -> None:
    if isinstance(value, str) and value.startswith(DANGEROUS):
        assert NUMBER.match(value), repr(value)  # a negative number is a number, not a formula


@settings(max_examples=300, deadline=None)
@given(rows)
def test_no_csv_cell_can_start_a_formula(table: list[list[exports.Cell]]) -> None:
    for value in _csv_cells(exports.to_csv(table)):
        _assert_cannot_start_a_formula(value)


def _as_read_back(value: exports.Cell) -> exports.Cell:
    """Return what a text cell reads back as: XML drops the characters it cannot hold and reads CR as LF."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return text or None


@settings(max_examples=60, deadline=None)
@given(rows)
def test_no_xlsx_cell_is_a_formula_and_every_text_reads_back_as_typed(table: list[list[exports.Cell]]) -> None:
    # A string cell is never evaluated, whatever it starts with: no quote is added to what the user wrote.
    content = exports.to_xlsx(table)
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert not re.search(r"<f[ >/]", sheet_xml)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    texts = {(cell.row, cell.column): cell.value for cell in cells if isinstance(cell.value, str)}
    expected = {
        (r, c): _as_read_back(value)
        for r, row in enumerate(table, start=1)
        for c, value in enumerate(row, start=1)
        if isinstance(value, str) and _as_read_back(value) is not None
    }
    assert texts == expected


@settings(max_examples=100, deadline=None)
@given(texts)
def test_neutralising_keeps_the_text_readable(text: str) -> None:
    safe = exports.neutralise(text)
    assert isinstance(safe, str)
    assert safe == (f"'{text}" if text.startswith(DANGEROUS) else text)


def test_the_api_exports_the_filtered_list(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        make_issue(follow_up.briefing_id, follow_up.network.sao_do.id, title='=HYPERLINK("http://x")')
        make_issue(follow_up.briefing_id, follow_up.network.hoang_hoa_tham.id, title="Đường liên thôn hỏng")
        from meeting_hub.extensions import db

        db.session.commit()
    leader = Api(app, "leader")
    response = leader.get(f"/api/v1/issues.csv?endpoint_id={follow_up.network.sao_do.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:4] == ["Mã", "Ngày nêu", "Buổi giao ban", "Điểm cầu"]
    assert [row[7] for row in table[1:]] == ['\'=HYPERLINK("http://x")']

    workbook = leader.get("/api/v1/issues.xlsx?q=duong+lien+thon")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [row[7] for row in values[1:]] == ["Đường liên thôn hỏng"]

    app.config["ISSUE_EXPORT_MAX_ROWS"] = 1
    too_many = leader.get("/api/v1/issues.csv")
    assert too_many.status_code == 422
    assert too_many.json["error"]["code"] == "invalid"


def test_the_xlsx_keeps_text_as_written_and_dates_as_dates(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        from meeting_hub.extensions import db

        issue = assigned_issue(follow_up, due_on=date(2026, 12, 31), title='=HYPERLINK("http://x")')
        raised_at = issue.raised_at
        db.session.commit()
    sheet = load_workbook(io.BytesIO(Api(app, "leader").get("/api/v1/issues.xlsx").data)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    row = {title: cell for title, cell in zip(header, sheet[2], strict=True)}
    title = row["Tiêu đề"]
    assert (title.value, title.data_type) == ('=HYPERLINK("http://x")', "s")  # a string: shown, never run
    raised = row["Ngày nêu"]
    assert raised.value == raised_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None, microsecond=0)
    assert raised.number_format == "dd/mm/yyyy hh:mm"
    due = row["Hạn xử lý"]
    assert due.value == datetime(2026, 12, 31)  # Excel stores days as date-times at midnight
    assert due.number_format == "dd/mm/yyyy"
    # The CSV has no types: its dates are dd/mm/yyyy text and its formula-like text keeps the quote.
    table = list(csv.reader(io.StringIO(Api(app, "leader").get("/api/v1/issues.csv").data.decode("utf-8-sig"))))
    assert table[1][header.index("Tiêu đề")] == '\'=HYPERLINK("http://x")'
    assert table[1][header.index("Hạn xử lý")] == "31/12/2026"
