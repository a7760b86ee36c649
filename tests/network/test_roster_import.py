"""Roster import: all-or-nothing, idempotent, diacritics kept, CSV and XLSX, CLI and UI."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, CellKind, Person, PersonRole
from meeting_hub.network.roster_import import import_roster
from tests import factories
from tests.conftest import AuthActions

HEADER = "endpoint_code,cell,full_name,role,phone\n"
GOOD_CSV = (
    HEADER
    + "sao-do,Khu dân cư Hàn Giang,Nguyễn Văn Đức,secretary,0912345678\n"
    + "sao-do,Khu dân cư Tân Tiến,Phạm Thị Thu Hương,secretary,\n"
    + "hoang-hoa-tham,Thôn Đông Xá,Lê Quang Thắng,secretary,0987654321\n"
    + "hoang-hoa-tham,Thôn Bến Tắm,Đỗ Văn Sơn,deputy,\n"
)


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Person.id))) or 0,
        db.session.scalar(sa.select(sa.func.count(Cell.id))) or 0,
    )


def test_good_file_imports_and_reimport_changes_nothing(app_ctx: Flask) -> None:
    factories.make_small_network()
    before = _counts()
    result = import_roster("roster.csv", GOOD_CSV.encode(), None)
    assert result.ok, result.errors
    db.session.commit()
    # Nguyễn Văn Đức and Lê Quang Thắng exist already (small network): matched and given a phone, not duplicated.
    assert (result.created_people, result.unchanged_people, result.updated_people) == (2, 0, 2)
    assert result.created_cells == 2
    after_first = _counts()
    assert after_first == (before[0] + 2, before[1] + 2)

    again = import_roster("roster.csv", GOOD_CSV.encode(), None)
    db.session.commit()
    assert again.ok
    assert (again.created_people, again.updated_people, again.created_cells) == (0, 0, 0)
    assert _counts() == after_first


def test_new_cells_get_a_kind_guessed_from_the_name(app_ctx: Flask) -> None:
    factories.make_small_network()
    import_roster("roster.csv", GOOD_CSV.encode(), None)
    db.session.commit()
    kinds = dict(db.session.execute(sa.select(Cell.name, Cell.kind)).all())
    assert kinds["Khu dân cư Tân Tiến"] == CellKind.RESIDENTIAL_AREA
    assert kinds["Thôn Bến Tắm"] == CellKind.VILLAGE


def test_a_file_with_any_bad_row_writes_nothing_and_reports_every_bad_row(app_ctx: Flask) -> None:
    factories.make_small_network()
    db.session.commit()
    before = _counts()
    bad = (
        HEADER
        + "sao-do,Khu dân cư Tân Tiến,Phạm Thị Thu Hương,secretary,\n"  # line 2: fine
        + "khong-co,Thôn A,Nguyễn Văn A,secretary,\n"  # line 3: unknown endpoint
        + "sao-do,,Nguyễn Văn B,chairman,12\n"  # line 4: no cell, bad role, bad phone
        + "sao-do,Khu dân cư Tân Tiến,Pham Thi Thu Huong,secretary,\n"  # line 5: same person as line 2
    )
    result = import_roster("roster.csv", bad.encode(), None)
    assert not result.ok
    reported = {(error.line, error.column) for error in result.errors}
    assert reported == {(3, "endpoint_code"), (4, "cell"), (4, "role"), (4, "phone"), (5, "full_name")}
    assert any("khong-co" in error.message for error in result.errors)
    db.session.commit()
    assert _counts() == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "roster.import")) == 0


def test_wrong_header_is_refused(app_ctx: Flask) -> None:
    result = import_roster("roster.csv", b"ma,chi_bo,ten\nsao-do,A,B\n", None)
    assert not result.ok
    assert "endpoint_code,cell,full_name,role,phone" in result.errors[0].message


def test_other_file_types_are_refused(app_ctx: Flask) -> None:
    result = import_roster("roster.pdf", b"%PDF-1.7", None)
    assert not result.ok
    assert ".csv" in result.errors[0].message


def test_diacritics_are_kept_and_decomposed_input_is_normalised(app_ctx: Flask) -> None:
    factories.make_small_network()
    decomposed = unicodedata.normalize("NFD", "sao-do,Khu dân cư Hàn Giang,Vũ Thị Ngọc Ánh,member,\n")
    result = import_roster("roster.csv", (HEADER + decomposed).encode(), None)
    assert result.ok
    db.session.commit()
    names = set(db.session.scalars(sa.select(Person.full_name)))
    assert "Vũ Thị Ngọc Ánh" in names  # composed (NFC), as typed on a keyboard


def test_xlsx_import_keeps_phone_leading_zero_lost_by_excel(app_ctx: Flask) -> None:
    factories.make_small_network()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["endpoint_code", "cell", "full_name", "role", "phone"])
    sheet.append(["sao-do", "Khu dân cư Hàn Giang", "Bùi Thị Lan", "secretary", "0912000111"])
    sheet.append(["hoang-hoa-tham", "Thôn Đông Xá", "Ngô Văn Long", "member", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_roster("roster.xlsx", buffer.getvalue(), None)
    assert result.ok, result.errors
    db.session.commit()
    lan = db.session.scalars(sa.select(Person).where(Person.full_name == "Bùi Thị Lan")).one()
    assert lan.phone == "0912000111"
    long = db.session.scalars(sa.select(Person).where(Person.full_name == "Ngô Văn Long")).one()
    assert long.role == PersonRole.MEMBER


def test_cli_exits_non_zero_on_a_bad_file_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        factories.make_small_network()
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text(HEADER + "sao-do,Khu dân cư A,,secretary,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-roster", str(bad_file)])
    assert result.exit_code != 0
    assert "Dòng 2 [full_name]" in result.output
    good_file = tmp_path / "good.csv"
    good_file.write_text(GOOD_CSV, encoding="utf-8")
    ok = app.test_cli_runner().invoke(args=["import-roster", str(good_file)])
    assert ok.exit_code == 0, ok.output
    assert "2 người mới" in ok.output


def test_admin_ui_reports_bad_rows_in_vietnamese(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    bad = HEADER + "sao-do,Khu dân cư A,Nguyễn Văn A,boss,\n"
    response = client.post(
        "/admin/roster-import",
        data={"file": (io.BytesIO(bad.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "chưa nhập dòng nào" in response.text
    assert "Chức vụ “boss” không hợp lệ" in response.text
    good = client.post(
        "/admin/roster-import",
        data={"file": (io.BytesIO(GOOD_CSV.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert "Đã nhập 4 dòng" in good.text
