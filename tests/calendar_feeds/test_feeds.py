"""The feed URLs: the personal feed behind its secret token, one briefing's .ics, resetting the token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar, Event

from meeting_hub.accounts.models import User
from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, BriefingSeries
from meeting_hub.scheduling.recurrence import MonthlyRule, add_months
from meeting_hub.scheduling.services import AgendaItemData, BriefingData, SeriesData
from tests.conftest import AuthActions
from tests.factories import SmallNetwork

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
#: When the organizer sets the schedule up; every briefing below is after it.
SET_UP_AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@dataclass
class Schedule:
    """Ids of the briefings the tests use."""

    series_briefings: list[int]  # every endpoint invited
    sao_do_only: int
    hoang_hoa_tham_only: int


@pytest.fixture
def schedule(app: Flask, network: SmallNetwork) -> Schedule:
    """A three-month series for every endpoint, and one briefing for each endpoint alone."""
    with app.app_context():
        organizer = db.session.get(User, network.organizer.id)
        assert organizer is not None
        series = scheduling.schedule_series(
            SeriesData(
                title="Giao ban công tác tuyên giáo",
                rule=MonthlyRule(weekday=1, week=2),  # the second Tuesday
                start_time=time(8, 0),
                duration_minutes=180,
                first_month=date(2027, 1, 1),
                months=3,
                video_link="https://hop.chilinh.vn/giao-ban",
                room="Hội trường Thành ủy",
            ),
            organizer,
            now=SET_UP_AT,
        )
        sao_do_only = scheduling.create_briefing(
            BriefingData(
                title="Giao ban chuyên đề Sao Đỏ",
                starts_at=datetime(2027, 2, 3, 14, 0, tzinfo=ZONE),
                ends_at=datetime(2027, 2, 3, 16, 0, tzinfo=ZONE),
                endpoint_ids=[network.sao_do.id],
                agenda=[AgendaItemData("Công tác dân vận", "Đồng chí Phó ban", 45)],
            ),
            organizer,
        )
        hht_only = scheduling.create_briefing(
            BriefingData(
                title="Giao ban chuyên đề Hoàng Hoa Thám",
                starts_at=datetime(2027, 2, 4, 14, 0, tzinfo=ZONE),
                ends_at=datetime(2027, 2, 4, 16, 0, tzinfo=ZONE),
                endpoint_ids=[network.hoang_hoa_tham.id],
            ),
            organizer,
        )
        db.session.commit()
        return Schedule([b.id for b in series.briefings], sao_do_only.id, hht_only.id)


def feed_token(app: Flask, user_id: int) -> str:
    """Read a user's current feed token."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None and user.feed_token
        return user.feed_token


def fetch_feed(client: FlaskClient, token: str) -> Calendar:
    """Fetch a feed the way a calendar app does (no session), check it with both parsers and return it."""
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.text
    assert response.content_type == "text/calendar; charset=utf-8"
    # The second, stricter parser must accept the very same bytes.
    IcsCalendarStream.calendar_from_ics(response.text)
    return Calendar.from_ical(response.data)


def events_by_uid(calendar: Calendar) -> dict[str, Event]:
    """Index a calendar's events by UID."""
    return {str(event["UID"]): event for event in calendar.events}


def uid_of(app: Flask, briefing_id: int) -> str:
    """Return a briefing's iCalendar UID."""
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None
        return briefing.ical_uid


def test_feed_is_accepted_by_two_independent_parsers(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    response = client.get(f"/calendar/{feed_token(app, network.organizer.id)}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, max-age=300"

    calendar = Calendar.from_ical(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    assert "REQUEST" not in response.text
    assert calendar["X-WR-CALNAME"] == f"Giao ban tuyên giáo – {network.organizer.display_name}"
    assert len(calendar.events) == 5  # an organizer's feed holds every briefing
    strict = IcsCalendarStream.calendar_from_ics(response.text)
    assert sorted(str(event.uid) for event in strict.events) == sorted(events_by_uid(calendar))
    assert strict.refresh_interval == timedelta(hours=1)
    assert [timezone.tz_id for timezone in strict.timezones] == ["Asia/Ho_Chi_Minh"]
    first = min(strict.events, key=lambda event: event.start)
    assert first.dtstart == datetime(2027, 1, 12, 8, 0, tzinfo=ZONE)  # second Tuesday of January, 08:00 local
    assert [alarm.trigger for alarm in first.alarm] == [timedelta(days=-1), timedelta(hours=-1)]


def test_feed_times_are_local_with_a_vtimezone(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    calendar = fetch_feed(client, feed_token(app, network.leader.id))
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Asia/Ho_Chi_Minh"]
    for event in calendar.events:
        assert event.start.tzinfo is not None
        assert str(event.start.tzinfo) == "Asia/Ho_Chi_Minh"
        assert len(event.walk("VALARM")) == 2
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20270112T080000" in calendar.to_ical().decode()


def test_moving_one_briefing_raises_its_sequence_only(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    token = feed_token(app, network.organizer.id)
    before = events_by_uid(fetch_feed(client, token))
    moved_id = schedule.series_briefings[1]
    with app.app_context():
        briefing = scheduling.get_briefing(moved_id)
        organizer = db.session.get(User, network.organizer.id)
        assert organizer is not None
        scheduling.update_briefing(briefing, BriefingData(starts_at=briefing.starts_at + timedelta(days=1)), organizer)
        db.session.commit()

    after = events_by_uid(fetch_feed(client, token))
    moved_uid = uid_of(app, moved_id)
    assert set(after) == set(before)  # UIDs are stable: the app updates the event instead of adding one
    assert after[moved_uid].sequence == before[moved_uid].sequence + 1
    assert after[moved_uid].start == before[moved_uid].start + timedelta(days=1)
    for uid, event in after.items():
        if uid != moved_uid:
            assert event.sequence == before[uid].sequence
            assert event.start == before[uid].start


def test_cancelled_briefing_stays_in_the_feed_as_cancelled(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    token = feed_token(app, network.operator.id)
    cancelled_id = schedule.series_briefings[2]
    uid = uid_of(app, cancelled_id)
    before = events_by_uid(fetch_feed(client, token))[uid]
    with app.app_context():
        organizer = db.session.get(User, network.organizer.id)
        assert organizer is not None
        lifecycle.cancel_briefing(scheduling.get_briefing(cancelled_id), organizer, "Trùng Hội nghị Thành ủy")
        db.session.commit()

    after = events_by_uid(fetch_feed(client, token))
    assert after[uid]["STATUS"] == "CANCELLED"
    assert after[uid].sequence == before.sequence + 1
    assert after[uid].walk("VALARM") == []
    assert "Trùng Hội nghị Thành ủy" in str(after[uid]["DESCRIPTION"])
    assert {str(event["STATUS"]) for u, event in after.items() if u != uid} == {"CONFIRMED"}


def test_operator_feed_holds_only_the_briefings_their_endpoint_is_invited_to(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    sao_do = set(events_by_uid(fetch_feed(client, feed_token(app, network.operator.id))))
    hht = set(events_by_uid(fetch_feed(client, feed_token(app, network.other_operator.id))))
    series_uids = {uid_of(app, briefing_id) for briefing_id in schedule.series_briefings}
    assert sao_do == series_uids | {uid_of(app, schedule.sao_do_only)}
    assert hht == series_uids | {uid_of(app, schedule.hoang_hoa_tham_only)}


def test_reset_token_retires_the_old_url(app: Flask, network: SmallNetwork, client: FlaskClient) -> None:
    old_token = feed_token(app, network.operator.id)
    auth = AuthActions(client)
    auth.sign_in(network.operator.username)
    profile = client.get("/profile")
    assert f"http://localhost/calendar/{old_token}.ics" in profile.text
    assert "Lịch của tôi" in profile.text

    response = client.post("/profile/calendar-feed")
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    new_token = feed_token(app, network.operator.id)
    assert new_token != old_token
    page = client.get("/profile")
    assert "Đã tạo đường dẫn lịch mới" in page.text
    assert f"http://localhost/calendar/{new_token}.ics" in page.text

    auth.sign_out()
    assert client.get(f"/calendar/{old_token}.ics").status_code == 404
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200


def test_unknown_token_is_a_plain_404_not_a_sign_in_redirect(app: Flask, network: SmallNetwork) -> None:
    response = app.test_client().get("/calendar/not-a-real-token.ics")
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_deactivated_user_loses_the_feed(app: Flask, network: SmallNetwork) -> None:
    token = feed_token(app, network.leader.id)
    with app.app_context():
        leader = db.session.get(User, network.leader.id)
        assert leader is not None
        leader.active = False
        db.session.commit()
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_reset_needs_a_signed_in_user(app: Flask, network: SmallNetwork) -> None:
    response = app.test_client().post("/profile/calendar-feed")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_briefing_ics_for_an_invited_operator(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    AuthActions(client).sign_in(network.operator.username)
    response = client.get(f"/briefings/{schedule.sao_do_only}.ics")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="giao-ban-{schedule.sao_do_only}.ics"'
    IcsCalendarStream.calendar_from_ics(response.text)
    [event] = Calendar.from_ical(response.data).events
    assert str(event["UID"]) == uid_of(app, schedule.sao_do_only)
    assert "Công tác dân vận – Đồng chí Phó ban (45 phút)" in str(event["DESCRIPTION"])
    if "scheduling.briefing_detail" in app.view_functions:
        assert str(event["URL"]) == f"http://localhost/briefings/{schedule.sao_do_only}"


def test_briefing_ics_refused_to_an_operator_of_a_non_invited_endpoint(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    AuthActions(client).sign_in(network.operator.username)
    assert client.get(f"/briefings/{schedule.hoang_hoa_tham_only}.ics").status_code == 403
    assert client.get("/briefings/999999.ics").status_code == 404


def test_briefing_ics_needs_sign_in(app: Flask, network: SmallNetwork, schedule: Schedule) -> None:
    response = app.test_client().get(f"/briefings/{schedule.sao_do_only}.ics")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_me_returns_a_feed_url_that_works(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    AuthActions(client).sign_in(network.other_operator.username)
    url = client.get("/api/v1/me").get_json()["calendar_feed_url"]
    assert url == f"http://localhost/calendar/{feed_token(app, network.other_operator.id)}.ics"
    response = app.test_client().get(url)  # a calendar app has no session: the URL alone must do
    assert response.status_code == 200
    assert len(Calendar.from_ical(response.data).events) == 4


def test_feed_extends_open_ended_series_as_time_passes(app: Flask, network: SmallNetwork, client: FlaskClient) -> None:
    long_ago = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    with app.app_context():
        organizer = db.session.get(User, network.organizer.id)
        assert organizer is not None
        series = scheduling.schedule_series(
            SeriesData(
                title="Giao ban công tác tuyên giáo",
                rule=MonthlyRule(day=5),
                start_time=time(8, 0),
                duration_minutes=120,
                first_month=date(2025, 1, 1),
            ),
            organizer,
            now=long_ago,
        )
        db.session.commit()
        series_id = series.id
        generated_before = series.generated_until
        horizon_end = add_months(local_today().replace(day=1), scheduling.horizon_months() - 1)
    assert generated_before is not None and generated_before < horizon_end

    calendar = fetch_feed(client, feed_token(app, network.leader.id))
    with app.app_context():
        series_after = db.session.get(BriefingSeries, series_id)
        assert series_after is not None
        assert series_after.generated_until == horizon_end
        expected = len(series_after.briefings)
    assert len(calendar.events) == expected
    assert max(event.start for event in calendar.events).date() == horizon_end.replace(day=5)


def test_briefing_ics_of_a_stored_title_with_a_line_break(
    app: Flask, network: SmallNetwork, schedule: Schedule, client: FlaskClient
) -> None:
    # The forms and the API refuse it now; a title stored before still downloads (it answered 500).
    with app.app_context():
        briefing = db.session.get(Briefing, schedule.sao_do_only)
        assert briefing is not None
        briefing.title = "Giao ban\r\ntháng 3"
        db.session.commit()
    AuthActions(client).sign_in(network.operator.username)
    response = client.get(f"/briefings/{schedule.sao_do_only}.ics")
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.data).events
    assert event["SUMMARY"] == "Giao ban tháng 3"
