"""Roster files built to exhaust the server: refused before openpyxl reads them, with a Vietnamese reason.

Every bomb is built here, small and fast: a real one-sheet workbook whose parts are then rewritten.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from meeting_hub.network import roster_import, xlsx_limits
from meeting_hub.network import routes as network_routes
from meeting_hub.network.roster_import import import_roster
from tests import factories
from tests.conftest import AuthActions

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _xlsx(rows: str = "", shared_strings: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """Return a workbook with the roster header, then `rows` (sheet XML), optional shared strings and extra parts."""
    workbook = Workbook()
    workbook.active.append(["mã điểm cầu", "chi bộ", "họ và tên", "chức vụ"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            text = source.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                # No <dimension>: read-only openpyxl would stop at the one it declares, and a bomb declares none.
                text = re.sub(r"<dimension [^>]*/>", "", text).replace("</sheetData>", rows + "</sheetData>")
            if shared_strings is not None and item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
                text = text.replace("</Types>", override + "</Types>")
            if shared_strings is not None and item.filename == "xl/_rels/workbook.xml.rels":
                relation = f'<Relationship Id="rIdBomb" Type="{SHARED_STRINGS_REL}" Target="sharedStrings.xml"/>'
                text = text.replace("</Relationships>", relation + "</Relationships>")
            target.writestr(item.filename, text)
        if shared_strings is not None:
            target.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + shared_strings + "</sst>",
            )
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return patched.getvalue()


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if openpyxl is asked to open the workbook: the bomb must be refused before."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("openpyxl opened a file that should have been refused")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)


def _refusal(content: bytes, name: str = "bom.xlsx", **options: Any) -> str:
    result = import_roster(name, content, None, **options)
    assert not result.ok
    assert len(result.errors) == 1
    return result.errors[0].message


def test_a_row_of_thousands_of_empty_cells_is_refused(app_ctx: Flask, no_openpyxl: None) -> None:
    # No <dimension> to check: Excel's widest row, 16,384 cells of 4 bytes each (openpyxl parses every one).
    content = _xlsx('<row r="2">' + "<c/>" * 16_384 + "</row>")
    assert len(content) < 8_000
    assert _refusal(content) == "Dòng 2 của trang tính có hơn 50 ô."


def test_too_many_cells_in_all_are_refused(app_ctx: Flask, no_openpyxl: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_limits, "MAX_CELLS", 1_000)  # the same rule as 2,000,000, at a test's size
    content = _xlsx("".join(f"<row>{'<c/>' * 50}</row>" for _ in range(30)))
    assert _refusal(content) == "Tệp Excel có hơn 1000 ô."


def test_a_last_row_far_below_is_refused_instead_of_padding_blank_rows(app_ctx: Flask, no_openpyxl: None) -> None:
    content = _xlsx('<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    assert "dòng số 1048576" in _refusal(content)


def test_one_huge_shared_string_is_refused_unread(app_ctx: Flask, no_openpyxl: None) -> None:
    # Stands for the 1 GB string of a 1 MB file: past Excel's own 32,767 characters the pass stops reading.
    content = _xlsx(
        '<row r="2"><c r="C2" t="s"><v>0</v></c></row>', shared_strings="<si><t>" + "a" * 40_000 + "</t></si>"
    )
    assert "dài hơn 32767 ký tự" in _refusal(content)


def test_the_unpacked_size_is_read_from_the_zip_before_anything_is_unpacked(app_ctx: Flask, no_openpyxl: None) -> None:
    padding = {"xl/media/image1.png": b"\0" * (xlsx_limits.MAX_UNPACKED_BYTES + 1)}
    content = _xlsx(extra=padding)
    assert len(content) < 200_000
    assert "giải nén ra hơn 64 MB" in _refusal(content)
    styles = _xlsx(extra={"xl/styles2.xml": b" " * (xlsx_limits.MAX_OTHER_PART_BYTES + 1)})
    assert "quá lớn" in _refusal(styles)


def test_a_roster_within_the_limits_still_imports(app_ctx: Flask) -> None:
    factories.make_small_network()
    row = (
        '<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>sao-do</t></is></c>'
        '<c r="B{n}" t="inlineStr"><is><t>Khu dân cư Hàn Giang</t></is></c>'
        '<c r="C{n}" t="inlineStr"><is><t>Người Thứ {n}</t></is></c>'
        '<c r="D{n}" t="inlineStr"><is><t>đảng viên</t></is></c></row>'
    )
    result = import_roster("danh-sach.xlsx", _xlsx("".join(row.format(n=n) for n in range(2, 12))), None)
    assert result.ok, result.errors
    assert result.created_people == 10


def test_blank_csv_lines_count_towards_the_row_limit(app_ctx: Flask) -> None:
    content = ("endpoint_code,cell,full_name,role\n" + ",,,\n" * 150).encode()
    assert _refusal(content, "danh-sach.csv", max_rows=100) == "Tệp có quá 100 dòng (kể cả dòng trống)."


def test_a_csv_cell_past_the_csv_modules_limit_gets_a_vietnamese_reason(app_ctx: Flask) -> None:
    content = ("endpoint_code,cell,full_name,role\n" + "sao-do,Thôn A," + "x" * 140_000 + ",secretary\n").encode()
    message = _refusal(content, "danh-sach.csv")
    assert message.startswith("Dòng 2 có một ô dài quá 300 ký tự")


def test_errors_repeat_only_the_start_of_a_long_cell(app_ctx: Flask) -> None:
    factories.make_small_network()
    code = "x" * 250
    result = import_roster(
        "danh-sach.csv", f"endpoint_code,cell,full_name,role\n{code},Thôn A,An,secretary\n".encode(), None
    )
    message = result.errors[0].message
    assert "x" * 59 + "…" in message
    assert code not in message


def test_checking_stops_after_a_page_of_errors(app_ctx: Flask) -> None:
    rows = "".join(f"nowhere,Thôn A,Người {n},secretary\n" for n in range(roster_import.MAX_REPORTED_ERRORS + 50))
    result = import_roster("danh-sach.csv", ("endpoint_code,cell,full_name,role\n" + rows).encode(), None)
    assert len(result.errors) == roster_import.MAX_REPORTED_ERRORS + 1
    assert result.errors[-1].message.startswith("Đã dừng kiểm tra sau 500 lỗi")


def test_the_web_page_takes_smaller_files_than_the_cli(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_routes, "WEB_MAX_ROWS", 3)
    auth.sign_in("admin")
    rows = "".join(f"sao-do,Khu dân cư Hàn Giang,Người {n},secretary\n" for n in range(4))
    page = client.post(
        "/admin/roster-import",
        data={"file": (io.BytesIO(("endpoint_code,cell,full_name,role\n" + rows).encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert "Tệp có quá 3 dòng (kể cả dòng trống)." in page.text
    bomb = client.post(
        "/admin/roster-import",
        data={"file": (io.BytesIO(_xlsx('<row r="2">' + "<c/>" * 16_384 + "</row>")), "roster.xlsx")},
        content_type="multipart/form-data",
    )
    assert bomb.status_code == 200
    assert "Dòng 2 của trang tính có hơn 50 ô." in bomb.text
    assert len(bomb.data) < 100_000
