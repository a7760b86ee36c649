"""Roster import in Vietnamese: the header and role words as people write them, the template files, and sheets
that claim more than any roster has."""

from __future__ import annotations

import csv
import io
import zipfile

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook

from meeting_hub.extensions import db
from meeting_hub.network.models import Person, PersonRole
from meeting_hub.network.roster_import import import_roster
from tests import factories
from tests.conftest import AuthActions


def _role(name: str) -> PersonRole:
    return db.session.scalars(sa.select(Person.role).where(Person.full_name == name)).one()


def test_vietnamese_header_in_any_case_and_order_with_vietnamese_roles(app_ctx: Flask) -> None:
    factories.make_small_network()
    content = (
        "HỌ VÀ TÊN,Mã điểm cầu,Chi bo,chức vụ,Số điện thoại\n"
        "Trần Văn Bình,sao-do,Khu dân cư Hàn Giang,Bí thư,0912000222\n"
        "Lý Thị Hoa,sao-do,Khu dân cư Hàn Giang,phó bí thư,\n"
        "Đinh Công Tráng,hoang-hoa-tham,Thôn Đông Xá,DANG VIEN,\n"
    )
    result = import_roster("danh-sach.csv", content.encode(), None)
    assert result.ok, result.errors
    assert result.created_people == 3
    assert _role("Trần Văn Bình") == PersonRole.SECRETARY
    assert _role("Lý Thị Hoa") == PersonRole.DEPUTY
    assert _role("Đinh Công Tráng") == PersonRole.MEMBER


def test_phone_column_may_be_left_out_and_errors_name_the_files_columns(app_ctx: Flask) -> None:
    factories.make_small_network()
    content = "mã điểm cầu,chi bộ,họ và tên,chức vụ\nsao-do,Khu dân cư Hàn Giang,Ngô An,chủ tịch\n"
    result = import_roster("danh-sach.csv", content.encode(), None)
    assert [(error.line, error.column) for error in result.errors] == [(2, "chức vụ")]
    assert "bí thư, phó bí thư hoặc đảng viên" in result.errors[0].message


def test_missing_columns_are_named_in_vietnamese(app_ctx: Flask) -> None:
    result = import_roster("danh-sach.csv", "mã điểm cầu,họ và tên\nsao-do,An\n".encode(), None)
    message = result.errors[0].message
    assert "thiếu cột: chi bộ, chức vụ" in message
    assert "mã điểm cầu, chi bộ, họ và tên, chức vụ, số điện thoại" in message


def test_xlsx_declaring_a_huge_sheet_is_refused_before_reading(app_ctx: Flask) -> None:
    workbook = Workbook()
    workbook.active.append(["mã điểm cầu", "chi bộ", "họ và tên", "chức vụ"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Rewrite the sheet's declared size to the largest Excel allows: read_only would pad every row to it.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index('<dimension ref="') + len('<dimension ref="')
                end = text.index('"', start)
                data = (text[:start] + "A1:XFD1048576" + text[end:]).encode()
            target.writestr(item, data)
    result = import_roster("bom.xlsx", patched.getvalue(), None)
    assert not result.ok
    assert "vượt giới hạn" in result.errors[0].message


def test_templates_download_with_the_vietnamese_header_and_import_as_they_are(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    page = client.get("/admin/roster-import").text
    assert "/admin/roster-import/template.xlsx" in page and "/admin/roster-import/template.csv" in page
    csv_file = client.get("/admin/roster-import/template.csv")
    assert csv_file.status_code == 200
    assert "attachment" in csv_file.headers["Content-Disposition"]
    assert csv_file.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert rows[0] == ["mã điểm cầu", "chi bộ", "họ và tên", "chức vụ", "số điện thoại"]
    assert rows[1][3] == "bí thư"
    xlsx_file = client.get("/admin/roster-import/template.xlsx")
    workbook = load_workbook(io.BytesIO(xlsx_file.data))
    sheet = workbook["Danh sách"]
    assert [cell.value for cell in sheet[1]] == rows[0]
    assert sheet["E2"].value == "0912345678"
    assert "sao-do" in [cell.value for cell in workbook["Hướng dẫn"]["A"]]
    # The example rows import as they are.
    with app.app_context():
        for name, content in (("mau.csv", csv_file.data), ("mau.xlsx", xlsx_file.data)):
            result = import_roster(name, content, None)
            assert result.ok, (name, result.errors)
            db.session.rollback()
    auth.sign_out()
    auth.sign_in("organizer")
    assert client.get("/admin/roster-import/template.csv").status_code == 403
