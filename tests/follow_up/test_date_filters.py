"""Dates on the follow-up pages: due dates typed dd/mm/yyyy, and the list's date filters (dd/mm/yyyy, ISO from old
links, unreadable ones explained); the statistics month (mm/yyyy)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import Flask

from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue
from tests.attendance.conftest import signed_in_client
from tests.follow_up.conftest import FollowUp, make_issue


def _issues(app: Flask, follow_up: FollowUp) -> tuple[int, int]:
    with app.app_context():
        november = make_issue(
            follow_up.briefing_id,
            follow_up.network.sao_do.id,
            title="Đèn đường hỏng",
            now=datetime(2026, 11, 20, 3, tzinfo=UTC),
        )
        december = make_issue(
            follow_up.briefing_id,
            follow_up.network.sao_do.id,
            title="Lấn chiếm đất công",
            now=datetime(2026, 12, 2, 3, tzinfo=UTC),
        )
        db.session.commit()
        return november.id, december.id


def test_the_list_filters_by_dates_typed_dd_mm_yyyy_or_iso(app: Flask, follow_up: FollowUp) -> None:
    _issues(app, follow_up)
    leader = signed_in_client(app, "leader")
    for query in ("raised_from=01/12/2026&raised_to=31/12/2026", "raised_from=2026-12-01&raised_to=2026-12-31"):
        page = leader.get(f"/issues?{query}").get_data(as_text=True)
        assert "Lấn chiếm đất công" in page and "Đèn đường hỏng" not in page
        assert 'value="01/12/2026"' in page and 'value="31/12/2026"' in page
        assert 'type="date"' not in page
        # The exports get the dates in ISO, as the API reads them.
        assert re.search(r'href="/api/v1/issues\.xlsx\?[^"]*raised_from=2026-12-01', page)


def test_an_unreadable_date_filter_is_explained(app: Flask, follow_up: FollowUp) -> None:
    _issues(app, follow_up)
    leader = signed_in_client(app, "leader")
    page = leader.get("/issues?raised_from=12/31/2026").get_data(as_text=True)
    assert "Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy)." in page
    assert 'value="12/31/2026"' in page and 'aria-invalid="true"' in page
    assert "Lấn chiếm đất công" in page and "Đèn đường hỏng" in page  # not narrowed by a date it could not read
    assert "raised_from" not in re.search(r'href="(/api/v1/issues\.csv[^"]*)"', page).group(1)  # type: ignore[union-attr]
    backwards = leader.get("/issues/summary?raised_from=31/12/2026&raised_to=01/12/2026").get_data(as_text=True)
    assert "Ngày kết thúc phải sau ngày bắt đầu." in backwards


def test_due_dates_are_typed_dd_mm_yyyy(app: Flask, follow_up: FollowUp) -> None:
    _, issue_id = _issues(app, follow_up)
    leader = signed_in_client(app, "leader")
    agency = follow_up.network.agency.id
    refused = leader.post(f"/issues/{issue_id}/assign", data={"agency_id": agency, "due_on": "31/02/2027"})
    assert refused.status_code == 422
    assert "Tháng 02/2027 không có ngày 31." in refused.get_data(as_text=True)
    bulk = leader.post(
        "/issues/bulk-assign",
        data={"issue_ids": [str(issue_id)], "agency_id": agency, "due_on": "2/31/2027"},
        follow_redirects=True,
    )
    assert "Hạn xử lý: Tháng phải từ 01 đến 12" in bulk.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Issue, issue_id).due_on is None  # type: ignore[union-attr]
    assigned = leader.post(f"/issues/{issue_id}/assign", data={"agency_id": agency, "due_on": "15/1/2027"})
    assert assigned.status_code == 302
    with app.app_context():
        assert db.session.get(Issue, issue_id).due_on == date(2027, 1, 15)  # type: ignore[union-attr]
    assert "15/01/2027" in leader.get(f"/issues/{issue_id}").get_data(as_text=True)


def test_the_statistics_month_is_typed_mm_yyyy(app: Flask, follow_up: FollowUp) -> None:
    leader = signed_in_client(app, "leader")
    for month in ("12/2026", "2026-12"):
        page = leader.get(f"/statistics?month={month}").get_data(as_text=True)
        assert 'id="month" name="month"' in page and 'value="12/2026"' in page and 'placeholder="mm/yyyy"' in page
        assert "đến hết 31/12/2026" in page
    wrong = leader.get("/statistics?month=December 2026").get_data(as_text=True)
    assert "Tháng không hợp lệ: nhập theo dạng mm/yyyy, ví dụ 12/2026. Đang hiển thị tháng này." in wrong
    assert 'value="December 2026"' in wrong
