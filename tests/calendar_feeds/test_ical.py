"""Building iCalendar documents from briefings, without a request: what every calendar app relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from meeting_hub.calendar_feeds.ical import build_calendar
from meeting_hub.scheduling.models import AgendaItem, Briefing, BriefingStatus

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


def make_briefing(**overrides: object) -> Briefing:
    """Build an unsaved briefing with every field the calendar reads."""
    values: dict[str, object] = {
        "id": 7,
        "title": "Giao ban công tác tuyên giáo tháng 1/2027",
        "starts_at": datetime(2027, 1, 12, 8, 0, tzinfo=ZONE).astimezone(UTC),
        "ends_at": datetime(2027, 1, 12, 11, 0, tzinfo=ZONE).astimezone(UTC),
        "video_link": "https://hop.chilinh.vn/giao-ban",
        "room": "Hội trường Thành ủy",
        "status": BriefingStatus.SCHEDULED,
        "cancel_reason": "",
        "ical_uid": "briefing-test-7@meeting-hub",
        "ical_sequence": 3,
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 2, tzinfo=UTC),
        "agenda_items": [
            AgendaItem(position=1, title="Thông tin thời sự", presenter="Đồng chí Trưởng ban", duration_minutes=30),
            AgendaItem(position=2, title="Ý kiến của các điểm cầu"),
        ],
    }
    values.update(overrides)
    return Briefing(**values)


def build(briefings: list[Briefing], **overrides: object) -> bytes:
    """Build a calendar with test defaults."""
    options: dict[str, object] = {
        "name": "Giao ban tuyên giáo – Nguyễn Văn Đức",
        "url_for_briefing": lambda briefing: f"https://hub.example.vn/briefings/{briefing.id}",
        "now": NOW,
        "zone": ZONE,
    }
    options.update(overrides)
    return build_calendar(briefings, **options)  # type: ignore[arg-type]


def test_event_carries_what_a_calendar_app_needs() -> None:
    data = build([make_briefing()])
    text = data.decode()
    calendar = Calendar.from_ical(data)

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["PRODID"]
    assert calendar["X-WR-CALNAME"] == "Giao ban tuyên giáo – Nguyễn Văn Đức"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
    assert "X-WR-TIMEZONE:Asia/Ho_Chi_Minh" in text
    [event] = calendar.events
    assert str(event["UID"]) == "briefing-test-7@meeting-hub"
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CONFIRMED"
    assert event.stamp == NOW
    assert event.start == datetime(2027, 1, 12, 8, 0, tzinfo=ZONE)
    assert event.end == datetime(2027, 1, 12, 11, 0, tzinfo=ZONE)
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20270112T080000" in text
    assert event["LOCATION"] == "Hội trường Thành ủy · https://hop.chilinh.vn/giao-ban"
    description = str(event["DESCRIPTION"])
    assert "1. Thông tin thời sự – Đồng chí Trưởng ban (30 phút)" in description
    assert "2. Ý kiến của các điểm cầu" in description
    assert "https://hop.chilinh.vn/giao-ban" in description
    assert str(event["URL"]) == "https://hub.example.vn/briefings/7"


def test_times_come_with_the_vtimezone_of_ho_chi_minh_city() -> None:
    calendar = Calendar.from_ical(build([make_briefing()]))
    [timezone] = calendar.timezones
    assert timezone.tz_name == "Asia/Ho_Chi_Minh"
    assert calendar.get_missing_tzids() == set()
    parsed = IcsCalendarStream.calendar_from_ics(build([make_briefing()]).decode())
    [event] = parsed.events
    assert event.dtstart == datetime(2027, 1, 12, 8, 0, tzinfo=ZONE)
    assert event.dtstart.utcoffset() == timedelta(hours=7)


def test_two_reminders_by_default_and_none_for_a_cancelled_briefing() -> None:
    scheduled = make_briefing()
    cancelled = make_briefing(
        id=8, ical_uid="briefing-test-8@meeting-hub", status=BriefingStatus.CANCELLED, cancel_reason="Trùng lịch"
    )
    calendar = Calendar.from_ical(build([scheduled, cancelled]))
    first, second = calendar.events
    alarms = first.walk("VALARM")
    assert [alarm["ACTION"] for alarm in alarms] == ["DISPLAY", "DISPLAY"]
    assert [alarm["TRIGGER"].dt for alarm in alarms] == [timedelta(days=-1), timedelta(hours=-1)]
    assert second.walk("VALARM") == []
    assert second["STATUS"] == "CANCELLED"
    assert second["TRANSP"] == "TRANSPARENT"
    assert str(second["SUMMARY"]).startswith("Đã hủy: ")
    assert "Lý do: Trùng lịch" in str(second["DESCRIPTION"])


def test_reminders_follow_the_given_offsets() -> None:
    calendar = Calendar.from_ical(build([make_briefing()], reminders=[timedelta(minutes=30)]))
    [event] = calendar.events
    assert [alarm["TRIGGER"].dt for alarm in event.walk("VALARM")] == [timedelta(minutes=-30)]


def test_no_url_and_no_link_when_there_are_none() -> None:
    briefing = make_briefing(video_link="", agenda_items=[])
    calendar = Calendar.from_ical(build([briefing], url_for_briefing=lambda _briefing: None))
    [event] = calendar.events
    assert "URL" not in event
    assert event["LOCATION"] == "Hội trường Thành ủy"
    assert str(event["DESCRIPTION"]) == "Phòng họp: Hội trường Thành ủy"


def test_empty_calendar_is_still_valid_for_both_parsers() -> None:
    data = build([])
    calendar = Calendar.from_ical(data)
    assert calendar.events == []
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Asia/Ho_Chi_Minh"]
    assert IcsCalendarStream.calendar_from_ics(data.decode()).events == []


def test_calendar_uid_is_given_or_absent_never_random() -> None:
    assert "UID" not in Calendar.from_ical(build([make_briefing()]))
    assert (
        Calendar.from_ical(build([make_briefing()], uid="feed-user-1@meeting-hub"))["UID"] == "feed-user-1@meeting-hub"
    )


def test_stored_titles_with_line_breaks_and_controls_still_make_a_valid_file() -> None:
    # Titles are refused with a line break now, but stored ones may hold one: the .ics download answered 500.
    briefing = make_briefing(
        title="Giao ban\ntháng 1\x00",
        room="Phòng 1\r\nTầng 2",
        status=BriefingStatus.CANCELLED,
        cancel_reason="Trùng lịch\r\nhọp\x0bkhác",
        agenda_items=[AgendaItem(position=1, title="Thông tin\u2028thời sự")],
    )
    data = build([briefing], name=briefing.title)
    calendar = Calendar.from_ical(data)
    [event] = calendar.events
    assert calendar["NAME"] == "Giao ban tháng 1"
    assert event["SUMMARY"] == "Đã hủy: Giao ban tháng 1"
    assert event["LOCATION"] == "Phòng 1 Tầng 2 · https://hop.chilinh.vn/giao-ban"
    description = str(event["DESCRIPTION"])
    assert "Lý do: Trùng lịch\nhọpkhác" in description and "\x00" not in data.decode()
    assert [str(alarm["DESCRIPTION"]) for alarm in event.walk("VALARM")] == []  # cancelled: no reminders
    assert len(IcsCalendarStream.calendar_from_ics(data.decode()).events) == 1
