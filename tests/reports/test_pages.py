"""Report pages and API operations: who reaches each, what the statistics page and the leaders' home page show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.network.models import Person, PersonRole
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import HeldBriefing, op_id

ROLES = ["admin", "organizer", "leader", "op-sao-do", "responder"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/briefings/{id}/minutes.pdf", {"admin", "organizer", "leader"}),
        ("GET", "/api/v1/briefings/{id}/minutes", {"admin", "organizer", "leader"}),
        ("POST", "/api/v1/briefings/{id}/minutes", {"admin", "organizer"}),
        ("GET", "/api/v1/briefings/{id}/attendance.csv", {"admin", "organizer", "leader", "op-sao-do"}),
        ("GET", "/api/v1/briefings/{id}/attendance.xlsx", {"admin", "organizer", "leader", "op-sao-do"}),
        ("GET", "/statistics", {"admin", "organizer", "leader"}),
        ("GET", "/briefings/{id}/minutes", {"admin", "organizer", "leader"}),
        ("GET", "/briefings/{id}/minutes.pdf", {"admin", "organizer", "leader"}),
        ("POST", "/briefings/{id}/minutes/corrections", {"admin", "organizer"}),
    ],
)
def test_who_reaches_each_report(app: Flask, held: HeldBriefing, method: str, path: str, allowed: set[str]) -> None:
    url = path.format(id=held.briefing_id)
    for username in ROLES:
        client = signed_in_client(app, username)
        kwargs = {"json": {"reason": "Sửa lỗi chính tả"}} if url.startswith("/api") else {"data": {"reason": "Sửa"}}
        response = client.open(url, method=method, **kwargs) if method == "POST" else client.get(url)
        assert (response.status_code not in (401, 403)) == (username in allowed), (username, response.status_code)
        if username in allowed:
            assert response.status_code in (200, 201, 302), (username, response.status_code)
    anonymous = app.test_client().open(url, method=method)
    assert anonymous.status_code in (401, 302)


def test_the_statistics_page_draws_its_charts(app: Flask, held: HeldBriefing) -> None:
    html = signed_in_client(app, "leader").get("/statistics").get_data(as_text=True)
    assert "<svg" in html and 'class="chart-bar"' in html and 'class="chart-line"' not in html  # one month: no line
    assert "Tỉ lệ tham dự theo điểm cầu" in html
    assert "Ý kiến, kiến nghị theo lĩnh vực" in html
    assert "Hoàng Hoa Thám" in html
    assert "40%" in html  # 2 of 5 attended


def test_statistics_is_in_the_menu_of_staff_only(app: Flask, held: HeldBriefing) -> None:
    for username in ROLES:
        html = signed_in_client(app, username).get("/").get_data(as_text=True)
        assert ('href="/statistics"' in html) == (username in {"admin", "organizer", "leader"}), username


def test_leaders_home_lists_secretaries_who_missed_two_briefings_in_a_row(app: Flask, held: HeldBriefing) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        start = utcnow() - timedelta(minutes=10)
        second = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=1)), organizer
        )
        factories.open_briefing(second, organizer)
        hanh = held.people["Trần Thị Hạnh"]  # excused at the first
        person = db.session.get(Person, hanh)
        assert person is not None
        person.role = PersonRole.SECRETARY
        attendance.record_check_in(second, attendance.CheckIn(hanh, AttendanceStatus.ABSENT, op_id()), organizer)
        factories.close_briefing(second, organizer)
        db.session.commit()
    home = signed_in_client(app, "leader").get("/").get_data(as_text=True)
    assert "Bí thư chi bộ vắng nhiều buổi liên tiếp" in home
    assert "Trần Thị Hạnh" in home
    assert "Đặng Thị Huệ" not in home  # absent once only
    organizer_home = signed_in_client(app, "organizer").get("/").get_data(as_text=True)
    assert "Bí thư chi bộ vắng nhiều buổi liên tiếp" not in organizer_home
    stats = signed_in_client(app, "organizer").get("/statistics").get_data(as_text=True)
    assert "Trần Thị Hạnh" in stats


def test_a_persons_history_and_an_endpoints_people(app: Flask, held: HeldBriefing) -> None:
    client = signed_in_client(app, "leader")
    html = client.get(f"/statistics/people/{held.people['Trần Thị Hạnh']}").get_data(as_text=True)
    assert "Vắng có lý do" in html and "Ốm, có giấy xin phép" in html
    html = client.get(f"/statistics/endpoints/{held.pha_lai_id}").get_data(as_text=True)
    assert "Đặng Thị Huệ" in html and "Bùi Xuân Việt" in html
    assert client.get("/statistics/people/999999").status_code == 404
    assert client.get("/statistics?month=not-a-month").status_code == 200
