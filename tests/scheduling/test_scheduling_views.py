"""Scheduling pages and API: wiring, Vietnamese output, and permissions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from meeting_hub.scheduling import services
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.conftest import AuthActions

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _bearer(app: Flask, username: str) -> dict[str, str]:
    with app.app_context():
        token = accounts.issue_api_token(accounts.find_user(username), "test", None)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def briefing_id(app: Flask, network: factories.SmallNetwork) -> int:
    """A briefing only Hoàng Hoa Thám is invited to."""
    with app.app_context():
        briefing = services.create_briefing(
            services.BriefingData(
                title="Giao ban chuyên đề",
                starts_at=datetime(2026, 12, 8, 8, tzinfo=HCM),
                ends_at=datetime(2026, 12, 8, 10, tzinfo=HCM),
                endpoint_ids=[network.hoang_hoa_tham.id],
                agenda=[services.AgendaItemData("Thông tin thời sự", "Ban Tuyên giáo", 30)],
            ),
            accounts.find_user("organizer"),
        )
        db.session.commit()
        return briefing.id


def test_series_preview_writes_the_next_six_dates_in_vietnamese(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    response = client.get("/series/preview?rule_kind=weekday&weekday=1&week=2&first_month=2026-03")
    labels = [item["label"] for item in response.json["dates"]]
    assert labels[:3] == ["Thứ Ba, 10/03/2026", "Thứ Ba, 14/04/2026", "Thứ Ba, 12/05/2026"]
    assert len(labels) == 6
    assert response.json["rule"] == "Thứ Ba thứ hai của tháng"
    incomplete = client.get("/series/preview?rule_kind=day&day=&first_month=2026-03")
    assert incomplete.json["dates"] == []


def test_series_form_creates_the_occurrences(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    assert "Sáu buổi đầu tiên" in client.get("/series/new").text
    response = client.post(
        "/series/new",
        data={
            "title": "Giao ban công tác tuyên giáo",
            "rule_kind": "day",
            "weekday": "1",
            "week": "2",
            "day": "31",
            "start_time": "08:00",
            "duration_minutes": "120",
            "first_month": "2027-01",
            "months": "3",
            "all_endpoints": "y",
        },
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        days = [b.starts_at.astimezone(HCM).date() for b in db.session.query(Briefing).order_by(Briefing.starts_at)]
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    calendar = client.get(response.headers["Location"])
    assert "Giao ban công tác tuyên giáo tháng 1/2027" in calendar.text


def test_series_form_explains_bad_input_in_vietnamese(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    response = client.post(
        "/series/new",
        data={
            "title": "X",
            "rule_kind": "day",
            "day": "",
            "start_time": "08:00",
            "duration_minutes": "120",
            "first_month": "2027-01",
        },
    )
    assert response.status_code == 200
    assert "Cần nhập ngày trong tháng (1-31)." in response.text


def test_briefing_page_shows_agenda_and_invited_endpoints(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("organizer")
    page = client.get(f"/briefings/{briefing_id}")
    assert "Giao ban chuyên đề" in page.text
    assert "Thứ Ba, 08/12/2026, 08:00–10:00" in page.text
    assert "Thông tin thời sự" in page.text
    assert "Xã Hoàng Hoa Thám" in page.text
    assert "Mở giao ban" in page.text


def test_operator_sees_only_briefings_their_endpoint_is_invited_to(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("op-sao-do")
    assert client.get(f"/briefings/{briefing_id}").status_code == 403
    assert "Giao ban chuyên đề" not in client.get("/calendar?month=2026-12").text
    auth.sign_out()
    auth.sign_in("op-hoang-hoa-tham")
    page = client.get(f"/briefings/{briefing_id}")
    assert page.status_code == 200
    assert "Mở giao ban" not in page.text  # no status buttons for operators
    assert "Giao ban chuyên đề" in client.get("/calendar?month=2026-12").text


def test_open_and_close_buttons_change_the_status_once_confirmed(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("organizer")
    client.post(f"/briefings/{briefing_id}/open", data={"open-confirmed": "1"})
    assert "Đang diễn ra" in client.get(f"/briefings/{briefing_id}").text
    refused = client.post(f"/briefings/{briefing_id}/cancel", data={"cancel-confirmed": "1"}, follow_redirects=True)
    assert "Buổi giao ban đã đổi trạng thái" in refused.text
    client.post(f"/briefings/{briefing_id}/close", data={"close-confirmed": "1", "close-confirm_unrecorded": "1"})
    assert "Đã kết thúc" in client.get(f"/briefings/{briefing_id}").text


def test_leader_cannot_open_a_briefing(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("leader")
    assert client.post(f"/briefings/{briefing_id}/open").status_code == 403


def test_calendar_month_grid_and_list(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("leader")
    grid = client.get("/calendar?month=2026-12")
    assert "tháng 12/2026" in grid.text
    assert "Thứ Hai" in grid.text
    listing = client.get("/calendar?month=2026-12&view=list")
    assert "Thứ Ba, 08/12/2026" in listing.text


def test_holiday_page_flags_and_lists(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, briefing_id: int
) -> None:
    auth.sign_in("organizer")
    client.post("/holidays", data={"day": "2026-12-08", "name": "Ngày nghỉ bù"})
    page = client.get("/holidays")
    assert "08/12/2026" in page.text
    assert "Các buổi cần dời" in page.text
    assert "Trùng ngày lễ" not in page.text or "Ngày nghỉ bù" in page.text
    assert "Ngày nghỉ bù" in client.get(f"/briefings/{briefing_id}").text


# API


def test_api_creates_a_series_and_lists_its_briefings(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    headers = _bearer(app, "organizer")
    body = {
        "title": "Giao ban công tác tuyên giáo",
        "rule": {"weekday": "TU", "week": 2},
        "start_time": "08:00",
        "duration_minutes": 120,
        "first_month": "2026-03",
        "months": 3,
    }
    created = client.post("/api/v1/series", json=body, headers=headers)
    assert created.status_code == 201, created.json
    starts = [b["starts_at"] for b in created.json["briefings"]]
    assert starts == ["2026-03-10T08:00:00+07:00", "2026-04-14T08:00:00+07:00", "2026-05-12T08:00:00+07:00"]
    listed = client.get("/api/v1/briefings?from=2026-04-01&to=2026-04-30", headers=headers)
    assert [b["title"] for b in listed.json] == ["Giao ban công tác tuyên giáo tháng 4/2026"]


@pytest.mark.parametrize(
    ("rule", "field"),
    [({"weekday": "XX", "week": 2}, "rule"), ({"day": 32}, "rule"), ({"weekday": "MO"}, "rule"), ({}, "rule")],
)
def test_api_rejects_bad_rules_with_422(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, rule: dict[str, Any], field: str
) -> None:
    body = {"title": "X", "rule": rule, "start_time": "08:00", "duration_minutes": 60, "first_month": "2026-03"}
    response = client.post("/api/v1/series", json=body, headers=_bearer(app, "organizer"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    # Nested fields are named with dots ("rule.weekday").
    assert any(key == field or key.startswith(f"{field}.") for key in response.json["error"]["details"])


def test_api_patch_moves_one_briefing_and_raises_its_sequence(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, briefing_id: int
) -> None:
    headers = _bearer(app, "organizer")
    moved = client.patch(
        f"/api/v1/briefings/{briefing_id}", json={"starts_at": "2026-12-09T14:00:00+07:00"}, headers=headers
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["starts_at"] == "2026-12-09T14:00:00+07:00"
    assert moved.json["ends_at"] == "2026-12-09T16:00:00+07:00"
    assert moved.json["ical_sequence"] == 1
    naive = client.patch(f"/api/v1/briefings/{briefing_id}", json={"starts_at": "2026-12-09T14:00:00"}, headers=headers)
    assert naive.status_code == 422


def test_api_cancel_open_close_and_their_errors(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork, briefing_id: int
) -> None:
    headers = _bearer(app, "organizer")
    assert client.post(f"/api/v1/briefings/{briefing_id}/close", headers=headers).status_code == 409
    opened = client.post(f"/api/v1/briefings/{briefing_id}/open", json={"confirm_early": True}, headers=headers)
    assert opened.json["status"] == "live"
    assert opened.json["status_changed_by"] == "organizer"
    conflict = client.post(f"/api/v1/briefings/{briefing_id}/cancel", json={"reason": "x"}, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json["error"]["code"] == "conflict"
    closing = {"confirm_unrecorded": 1}  # Hoàng Hoa Thám's one person was never recorded
    assert (
        client.post(f"/api/v1/briefings/{briefing_id}/close", json=closing, headers=headers).json["status"] == "ended"
    )
    assert client.get("/api/v1/briefings/99999", headers=headers).status_code == 404


def test_api_permissions(app: Flask, client: FlaskClient, network: factories.SmallNetwork, briefing_id: int) -> None:
    operator = _bearer(app, "op-sao-do")
    assert client.get(f"/api/v1/briefings/{briefing_id}", headers=operator).status_code == 403
    assert client.get("/api/v1/briefings?from=2026-12-01&to=2026-12-31", headers=operator).json == []
    invited = _bearer(app, "op-hoang-hoa-tham")
    assert client.get(f"/api/v1/briefings/{briefing_id}", headers=invited).status_code == 200
    assert client.post(f"/api/v1/briefings/{briefing_id}/open", headers=invited).status_code == 403
    leader = _bearer(app, "leader")
    assert client.post("/api/v1/series", json={}, headers=leader).status_code == 403
    assert client.patch(f"/api/v1/briefings/{briefing_id}", json={"title": "x"}, headers=leader).status_code == 403
