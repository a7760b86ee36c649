"""The minutes: a PDF whose text (read back with pdftotext) holds the names with their diacritics and the database's
attendance figures; version 1 frozen on closing, corrections as new versions, older ones still served."""

from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Endpoint, Person
from meeting_hub.reports import minutes
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import HeldBriefing, hold_briefing, op_id


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """Return the text of a PDF as pdftotext (poppler) reads it, keeping the layout of table rows."""
    assert content.startswith(b"%PDF-")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(content)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return result.stdout


def database_figures(briefing_id: int) -> dict[str, list[int]]:
    """Count, straight from the tables, each invited endpoint's roster and records by status."""
    briefing = db.session.get(Briefing, briefing_id)
    assert briefing is not None
    figures = {}
    for endpoint in briefing.endpoints:
        roster = db.session.scalar(
            sa.select(sa.func.count(Person.id)).join(Person.cell).where(Cell.endpoint_id == endpoint.id)
        )
        by_status = dict(
            db.session.execute(
                sa.select(AttendanceRecord.status, sa.func.count(AttendanceRecord.id))
                .where(AttendanceRecord.briefing_id == briefing_id, AttendanceRecord.endpoint_id == endpoint.id)
                .group_by(AttendanceRecord.status)
            ).all()
        )
        counts = [by_status.get(status, 0) for status in AttendanceStatus]
        figures[endpoint.display_name] = [roster or 0, *counts, (roster or 0) - sum(counts)]
    return figures


def table_figures(text: str, endpoint_name: str) -> list[int]:
    """Return the six figures of an endpoint's row of the attendance table (expected, present, late, excused,
    absent, not checked in)."""
    match = re.search(rf"{re.escape(endpoint_name)}\s+((?:\d+\s+){{5}}\d+)", text)
    assert match is not None, f"no attendance row for {endpoint_name}"
    return [int(n) for n in match.group(1).split()]


def test_the_minutes_hold_names_with_diacritics_and_the_databases_figures(
    app: Flask, held: HeldBriefing, tmp_path: Path
) -> None:
    response = signed_in_client(app, "leader").get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Minutes-Version"] == "1"
    text = pdf_text(response.data, tmp_path)

    for name in [
        "ĐẢNG BỘ THÀNH PHỐ CHÍ LINH",
        "BAN TUYÊN GIÁO THÀNH ỦY CHÍ LINH",
        "BIÊN BẢN",
        "Phường Sao Đỏ",
        "Xã Hoàng Hoa Thám",
        "Phường Phả Lại",
        "Trần Thị Hạnh",  # excused, with her reason
        "Ốm, có giấy xin phép",
        "Đặng Thị Huệ",  # absent
        "Phạm Thị Thu Hằng",  # attended for Nguyễn Văn Đức
        "Nguyễn Văn Đức",
        "Lê Quang Thắng",  # raised an issue
        "Lấn chiếm đất nông nghiệp ở thôn Đông Xá",
        "Đất đai",
        "Môi trường",
        "Chập chờn",
        "Mất kết nối",
        "đến khi kết thúc",  # Phả Lại's link was still down at the end
        "Thông tin thời sự, chính trị nổi bật trong tháng",
        "THƯ KÝ",
        "CHỦ TRÌ",
    ]:
        assert name in text, name

    with app.app_context():
        figures = database_figures(held.briefing_id)
    for endpoint_name, expected in figures.items():
        assert table_figures(text, endpoint_name) == expected
    totals = [sum(column) for column in zip(*figures.values(), strict=True)]
    assert table_figures(text, "Tổng cộng") == totals
    assert totals == [5, 1, 1, 1, 1, 1]


def test_closing_freezes_version_1_and_a_correction_makes_version_2(app: Flask, held: HeldBriefing) -> None:
    leader, organizer = signed_in_client(app, "leader"), signed_in_client(app, "organizer")
    url = f"/api/v1/briefings/{held.briefing_id}/minutes"
    first = organizer.get(url).json
    assert [v["version"] for v in first] == [1]
    assert first[0]["created_by"] == "organizer" and first[0]["reason"] == ""
    version_1 = leader.get(f"{url}.pdf").data
    assert hashlib.sha256(version_1).hexdigest() == first[0]["sha256"]

    # The organizer completes the roll-call after the briefing, then corrects the minutes.
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        check_in = attendance.CheckIn(held.people["Bùi Xuân Việt"], AttendanceStatus.LATE, op_id())
        attendance.record_check_in(briefing, check_in, accounts.find_user("organizer"))
        db.session.commit()
    assert leader.post(url, json={"reason": "Bổ sung điểm danh"}).status_code == 403
    assert organizer.post(url, json={"reason": "   "}).status_code == 422
    corrected = organizer.post(url, json={"reason": "Bổ sung điểm danh ông Bùi Xuân Việt"})
    assert corrected.status_code == 201
    assert corrected.json["version"] == 2

    latest = leader.get(f"{url}.pdf")
    assert latest.headers["X-Minutes-Version"] == "2"
    assert latest.data != version_1
    again = leader.get(f"{url}.pdf?version=1")
    assert again.headers["X-Minutes-Version"] == "1"
    assert again.data == version_1  # byte for byte what was frozen
    assert leader.get(f"{url}.pdf?version=3").status_code == 404
    assert [v["version"] for v in leader.get(url).json] == [1, 2]


def test_version_2_shows_the_corrected_figures_and_the_reason(app: Flask, held: HeldBriefing, tmp_path: Path) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        organizer = accounts.find_user("organizer")
        check_in = attendance.CheckIn(held.people["Bùi Xuân Việt"], AttendanceStatus.PRESENT, op_id())
        attendance.record_check_in(briefing, check_in, organizer)
        minutes.correct_minutes(briefing, "Bổ sung điểm danh", organizer)
        db.session.commit()
        v1, v2 = (minutes.read_version(v) for v in minutes.list_versions(briefing))
    old, new = pdf_text(v1, tmp_path), pdf_text(v2, tmp_path)
    assert table_figures(old, "Phường Phả Lại") == [2, 0, 0, 0, 1, 1]
    assert table_figures(new, "Phường Phả Lại") == [2, 1, 0, 0, 1, 0]
    assert "Phiên bản 2, đính chính: Bổ sung điểm danh" in new
    assert "Biên bản phiên bản 1" in old


def test_closing_through_the_page_or_the_api_freezes_version_1(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        via_page = hold_briefing(network, close=False).briefing_id
        organizer = accounts.find_user("organizer")
        start = db.session.get(Briefing, via_page).starts_at  # type: ignore[union-attr]
        other = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=2)), organizer
        )
        factories.open_briefing(other, organizer)
        db.session.commit()
        via_api = other.id
        unrecorded = lifecycle.unrecorded_count(other)
    client = signed_in_client(app, "organizer")
    confirmed = {"close-confirmed": "1", "close-confirm_unrecorded": str(unrecorded)}
    assert client.post(f"/briefings/{via_page}/close", data=confirmed).status_code == 302
    closing = {"confirm_unrecorded": unrecorded}
    assert client.post(f"/api/v1/briefings/{via_api}/close", json=closing).status_code == 200
    with app.app_context():
        for briefing_id in (via_page, via_api):
            versions = db.session.scalars(sa.select(MinutesVersion).where(MinutesVersion.briefing_id == briefing_id))
            assert [(v.version, v.created_by.username if v.created_by else None) for v in versions] == [
                (1, "organizer")
            ]


def test_a_rolled_back_close_leaves_no_version_and_no_file(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        briefing_id = hold_briefing(network, close=False).briefing_id
        briefing = scheduling.get_briefing(briefing_id)
        factories.close_briefing(briefing, accounts.find_user("organizer"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(MinutesVersion.id))) == 0
        assert list(minutes.minutes_folder().iterdir()) == []


def test_a_live_briefing_has_a_draft_and_a_scheduled_one_none(
    app: Flask, network: factories.SmallNetwork, tmp_path: Path
) -> None:
    with app.app_context():
        live_id = hold_briefing(network, close=False).briefing_id
        organizer = accounts.find_user("organizer")
        start = db.session.get(Briefing, live_id).starts_at  # type: ignore[union-attr]
        later = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start + timedelta(days=30), ends_at=start + timedelta(days=30, hours=2)),
            organizer,
        )
        db.session.commit()
        scheduled_id = later.id
    client = signed_in_client(app, "organizer")
    draft = client.get(f"/api/v1/briefings/{live_id}/minutes.pdf")
    assert draft.status_code == 200 and draft.headers["X-Minutes-Version"] == ""
    assert "Bản nháp" in pdf_text(draft.data, tmp_path)
    refused = client.get(f"/api/v1/briefings/{scheduled_id}/minutes.pdf")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "conflict"


def test_without_the_font_the_error_says_to_run_make_setup(app: Flask, held: HeldBriefing, tmp_path: Path) -> None:
    app.config["REPORT_FONT_DIR"] = str(tmp_path / "no-fonts-here")
    response = signed_in_client(app, "organizer").get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf?draft=true")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "font_missing"
    assert "make setup" in response.json["error"]["message"]


def test_the_minutes_page_lists_versions_and_takes_a_correction(app: Flask, held: HeldBriefing) -> None:
    organizer = signed_in_client(app, "organizer")
    page = organizer.get(f"/briefings/{held.briefing_id}/minutes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phiên bản 1" in html and "Lý do đính chính" in html
    response = organizer.post(f"/briefings/{held.briefing_id}/minutes/corrections", data={"reason": "Sửa tên"})
    assert response.status_code == 302
    html = organizer.get(f"/briefings/{held.briefing_id}/minutes").get_data(as_text=True)
    assert "Phiên bản 2" in html and "Đính chính: Sửa tên" in html
    pdf = organizer.get(f"/briefings/{held.briefing_id}/minutes.pdf?version=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    leader_page = signed_in_client(app, "leader").get(f"/briefings/{held.briefing_id}/minutes").get_data(as_text=True)
    assert "Lý do đính chính" not in leader_page  # leaders read; organizers correct
    detail = organizer.get(f"/briefings/{held.briefing_id}").get_data(as_text=True)
    assert f"/briefings/{held.briefing_id}/minutes.pdf?version=2" in detail  # every version on the briefing page
    assert f"/briefings/{held.briefing_id}/minutes.pdf?version=1" in detail


@pytest.mark.parametrize("username", ["op-sao-do", "responder"])
def test_operators_and_responders_get_no_minutes(app: Flask, held: HeldBriefing, username: str) -> None:
    client = signed_in_client(app, username)
    assert client.get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf").status_code == 403
    assert client.get(f"/briefings/{held.briefing_id}/minutes.pdf").status_code == 403
    assert client.get(f"/api/v1/briefings/{held.briefing_id}/minutes").status_code == 403


def test_endpoint_names_changed_later_do_not_change_a_frozen_version(app: Flask, held: HeldBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        before = minutes.read_version(minutes.list_versions(briefing)[0])
        endpoint = db.session.get(Endpoint, held.pha_lai_id)
        assert endpoint is not None
        endpoint.name = "Phả Lại mới"
        db.session.commit()
        assert minutes.read_version(minutes.list_versions(briefing)[0]) == before


def test_a_reason_sent_after_the_status_is_what_the_minutes_print(
    app: Flask, network: factories.SmallNetwork, tmp_path: Path
) -> None:
    # The console's order: "excused" tapped first, the reason typed next and sent as a new check-in with the same
    # status and its own client_op_id; then the reason corrected once more.
    with app.app_context():
        held = hold_briefing(network, close=False)
        briefing = scheduling.get_briefing(held.briefing_id)
        operator = accounts.find_user("op-pha-lai")
        viet = held.people["Bùi Xuân Việt"]
        for note in ("", "Đi công tác huyện", "Đi công tác tỉnh"):
            check_in = attendance.CheckIn(viet, AttendanceStatus.EXCUSED, op_id(), note=note)
            attendance.record_check_in(briefing, check_in, operator)
            db.session.commit()
        factories.close_briefing(briefing, accounts.find_user("organizer"))
        db.session.commit()
    text = pdf_text(
        signed_in_client(app, "leader").get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf").data, tmp_path
    )
    row = next(line for line in text.splitlines() if "Bùi Xuân Việt" in line)
    assert "Đi công tác tỉnh" in row
    assert "Đi công tác huyện" not in text
