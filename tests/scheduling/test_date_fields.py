"""Dates, times and months typed as Vietnamese users write them, whatever the browser: the parsers, and the forms
that use them (shown dd/mm/yyyy, 24-hour; bad input explained in Vietnamese, nothing stored)."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from meeting_hub.date_fields import DateInputError, parse_clock, parse_day, parse_month
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import Briefing, BriefingSeries
from tests import factories
from tests.conftest import AuthActions
from tests.scheduling.test_scheduling_views import HCM, briefing_id  # noqa: F401 (fixture)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18/12/2026", date(2026, 12, 18)),
        ("8/2/2026", date(2026, 2, 8)),
        (" 18 / 12 / 2026 ", date(2026, 12, 18)),
        ("18.12.2026", date(2026, 12, 18)),
        ("18-12-2026", date(2026, 12, 18)),
        ("18122026", date(2026, 12, 18)),
        ("18/12/26", date(2026, 12, 18)),
        ("2026-12-18", date(2026, 12, 18)),  # ISO, from old links
    ],
)
def test_dates_are_read_day_first(app_ctx: Flask, text: str, expected: date) -> None:
    assert parse_day(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12/18/2026", "Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy)."),
        ("31/02/2026", "Tháng 02/2026 không có ngày 31."),
        ("18/12/1926", "Năm phải từ 2000 đến 2100."),
        ("hôm nay", "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy, ví dụ 18/12/2026."),
        ("Dec 18, 2026", "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy, ví dụ 18/12/2026."),
    ],
)
def test_unreadable_dates_are_explained(app_ctx: Flask, text: str, message: str) -> None:
    with pytest.raises(DateInputError) as refused:
        parse_day(text)
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8)),
        ("8:30", time(8, 30)),
        ("8h30", time(8, 30)),
        ("14h", time(14)),
        ("0830", time(8, 30)),
        ("23:59", time(23, 59)),
        ("00:00", time(0)),
        ("14:30:00", time(14, 30)),
    ],
)
def test_times_are_read_on_24_hours(app_ctx: Flask, text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("08:00 AM", "Nhập giờ theo dạng 24 giờ, ví dụ 14:30 (không dùng AM/PM, sáng/chiều)."),
        ("2 pm", "Nhập giờ theo dạng 24 giờ, ví dụ 14:30 (không dùng AM/PM, sáng/chiều)."),
        ("24:00", "Giờ từ 00 đến 23, phút từ 00 đến 59 (ví dụ 14:30)."),
        ("8:75", "Giờ từ 00 đến 23, phút từ 00 đến 59 (ví dụ 14:30)."),
        ("tám giờ", "Giờ không hợp lệ: nhập theo dạng 24 giờ hh:mm, ví dụ 08:00 hoặc 14:30."),
    ],
)
def test_unreadable_times_are_explained(app_ctx: Flask, text: str, message: str) -> None:
    with pytest.raises(DateInputError) as refused:
        parse_clock(text)
    assert refused.value.message == message


def test_months_are_read_month_first(app_ctx: Flask) -> None:
    assert parse_month("12/2026") == date(2026, 12, 1)
    assert parse_month("3/2027") == date(2027, 3, 1)
    assert parse_month("2026-12") == date(2026, 12, 1)
    assert parse_month("122026") == date(2026, 12, 1)
    with pytest.raises(DateInputError, match="Tháng phải từ 01 đến 12"):
        parse_month("13/2026")
    with pytest.raises(DateInputError, match="mm/yyyy"):
        parse_month("December 2026")


def test_the_english_interface_explains_in_english(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"), pytest.raises(DateInputError) as refused:
        parse_day("31/02/2026")
    assert refused.value.message == "Month 02/2026 has no day 31."


# The forms


def test_the_briefing_form_shows_and_takes_dd_mm_yyyy_and_24_hours(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    network: factories.SmallNetwork,
    briefing_id: int,  # noqa: F811
) -> None:
    auth.sign_in("organizer")
    form = client.get(f"/briefings/{briefing_id}/edit").text
    assert 'value="08/12/2026"' in form and 'value="08:00"' in form and 'value="10:00"' in form
    assert 'inputmode="numeric"' in form and 'placeholder="dd/mm/yyyy"' in form
    assert 'type="date"' not in form and 'type="time"' not in form
    moved = client.post(
        f"/briefings/{briefing_id}/edit",
        data={
            "title": "Giao ban chuyên đề",
            "day": "9/12/2026",
            "start_time": "14h",
            "end_time": "16:30",
            "endpoint_ids": [network.sao_do.id],
        },
    )
    assert moved.status_code == 302, moved.text
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None
        assert briefing.starts_at.astimezone(HCM).strftime("%d/%m/%Y %H:%M") == "09/12/2026 14:00"
        assert briefing.ends_at.astimezone(HCM).strftime("%H:%M") == "16:30"


def test_bad_dates_and_times_are_explained_and_nothing_is_stored(
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    network: factories.SmallNetwork,
    briefing_id: int,  # noqa: F811
) -> None:
    auth.sign_in("organizer")
    refused = client.post(
        f"/briefings/{briefing_id}/edit",
        data={"day": "12/31/2026", "start_time": "08:00 AM", "end_time": "", "endpoint_ids": [network.sao_do.id]},
    )
    assert refused.status_code == 200
    assert "Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy)." in refused.text
    assert "Nhập giờ theo dạng 24 giờ, ví dụ 14:30 (không dùng AM/PM, sáng/chiều)." in refused.text
    assert "Trường này là bắt buộc." in refused.text  # the empty end time
    assert 'value="12/31/2026"' in refused.text and 'value="08:00 AM"' in refused.text  # what was typed stays
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None
        assert briefing.starts_at.astimezone(HCM).strftime("%d/%m/%Y %H:%M") == "08/12/2026 08:00"


def test_the_series_form_takes_mm_yyyy(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    assert 'placeholder="mm/yyyy"' in client.get("/series/new").text
    data = {
        "title": "Giao ban",
        "rule_kind": "weekday",
        "weekday": "1",
        "week": "2",
        "start_time": "8:00",
        "duration_minutes": "120",
        "first_month": "3/2027",
        "months": "2",
        "all_endpoints": "y",
    }
    wrong = client.post("/series/new", data={**data, "first_month": "2027/03"})
    assert "Tháng không hợp lệ: nhập theo dạng mm/yyyy, ví dụ 12/2026." in wrong.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BriefingSeries)) == 0
    created = client.post("/series/new", data=data)
    assert created.status_code == 302, created.text
    with app.app_context():
        series = db.session.scalars(sa.select(BriefingSeries)).one()
        assert series.first_month == date(2027, 3, 1) and series.start_time == time(8)
        edit = client.get(f"/series/{series.id}").text
    assert 'value="03/2027"' in edit and 'value="08:00"' in edit


def test_the_series_preview_reads_mm_yyyy_and_says_what_is_wrong(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("organizer")
    preview = client.get("/series/preview?rule_kind=weekday&weekday=1&week=2&first_month=03/2026")
    assert preview.json["dates"][0]["label"] == "Thứ Ba, 10/03/2026"
    wrong = client.get("/series/preview?rule_kind=weekday&weekday=1&week=2&first_month=13/2026")
    assert wrong.json == {"dates": [], "error": "Tháng phải từ 01 đến 12 (ví dụ 12/2026)."}


def test_the_calendar_takes_both_month_forms(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("leader")
    assert "tháng 12/2026" in client.get("/calendar?month=12/2026").text
    assert "tháng 12/2026" in client.get("/calendar?month=2026-12").text
