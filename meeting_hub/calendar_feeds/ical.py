"""iCalendar (RFC 5545) documents of briefings: the personal feed and the one-briefing download.

Pure building: the caller hands in the briefings, the URLs and the clock, so this module never reads the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vDuration
from icalendar.enums import STATUS, TRANSP

from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.text_input import one_line, printable

PRODID = "-//Meeting Hub//Calendar feeds//VI"
#: How often subscribed clients should fetch the feed again (REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook).
REFRESH_INTERVAL = timedelta(hours=1)
DEFAULT_REMINDERS = (timedelta(days=1), timedelta(hours=1))


def build_calendar(
    briefings: Iterable[Briefing],
    *,
    name: str,
    url_for_briefing: Callable[[Briefing], str | None],
    now: datetime,
    zone: ZoneInfo,
    reminders: Sequence[timedelta] = DEFAULT_REMINDERS,
    description: str | None = None,
    uid: str | None = None,
) -> bytes:
    """Return the iCalendar document (METHOD:PUBLISH) of these briefings, times in the given zone."""
    calendar = Calendar.new(
        prodid=PRODID,
        # A subscribed feed publishes; REQUEST would make clients treat every event as an invitation to answer.
        method="PUBLISH",
        name=one_line(name),
        description=printable(description) if description is not None else None,
        refresh_interval=REFRESH_INTERVAL,
        uid=uid,
    )
    if uid is None:
        del calendar.uid  # Calendar.new draws a random one; a calendar UID that changes on every fetch means nothing
    # RFC 7986 requires the VALUE parameter on REFRESH-INTERVAL; icalendar leaves it out.
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    # Google and Apple take the calendar's default zone from this non-standard property.
    calendar.add("X-WR-TIMEZONE", zone.key)

    days: list[date] = []
    for briefing in briefings:
        calendar.add_component(
            briefing_event(briefing, url=url_for_briefing(briefing), now=now, zone=zone, reminders=reminders)
        )
        days += [briefing.starts_at.astimezone(zone).date(), briefing.ends_at.astimezone(zone).date()]

    # The VTIMEZONE must cover every event; a fixed range (icalendar's default ends in 2038) would not.
    first_day = min(days, default=now.astimezone(zone).date()) - timedelta(days=1)
    last_day = max(days, default=now.astimezone(zone).date()) + timedelta(days=1)
    calendar.add_missing_timezones(first_date=first_day, last_date=last_day)
    if not calendar.timezones:
        # An empty feed still needs one component to be valid RFC 5545, and it tells clients the network's zone.
        calendar.add_component(Timezone.from_tzid(zone.key, first_date=first_day, last_date=last_day))
    calendar.validate()  # type: ignore[no-untyped-call]  # icalendar 7 leaves this one method unannotated
    document: bytes = calendar.to_ical()
    return document


def briefing_event(
    briefing: Briefing,
    *,
    url: str | None,
    now: datetime,
    zone: ZoneInfo,
    reminders: Sequence[timedelta] = DEFAULT_REMINDERS,
) -> Event:
    """Return the VEVENT of one briefing; clients follow it by its stable UID and its SEQUENCE."""
    cancelled = briefing.status == BriefingStatus.CANCELLED
    # Some clients ignore STATUS on subscribed feeds: the title says it too.
    # Stored text may predate the rules on input (meeting_hub.text_input): a line break in a title used to make
    # icalendar refuse to write the file (500), other controls made files that clients reject.
    title = one_line(briefing.title)
    summary = _("Đã hủy: %(title)s", title=title) if cancelled else title
    event = Event.new(
        uid=briefing.ical_uid,
        sequence=briefing.ical_sequence,
        stamp=now.astimezone(UTC),
        created=briefing.created_at.astimezone(UTC),
        last_modified=briefing.updated_at.astimezone(UTC),
        start=briefing.starts_at.astimezone(zone),
        end=briefing.ends_at.astimezone(zone),
        summary=summary,
        location=one_line(_location(briefing)) or None,
        description=printable(_description(briefing, url)) or None,
        url=url,
        status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
        # A cancelled briefing no longer blocks the time in free/busy views.
        transparency=TRANSP.TRANSPARENT if cancelled else TRANSP.OPAQUE,
    )
    if not cancelled:  # nobody should be reminded of a briefing that will not take place
        for offset in reminders:
            event.add_component(Alarm.new_display(description=title, trigger=-offset))
    return event


def _location(briefing: Briefing) -> str:
    return " · ".join(part for part in (briefing.room, briefing.video_link) if part)


def _description(briefing: Briefing, url: str | None) -> str:
    paragraphs: list[list[str]] = []
    if briefing.status == BriefingStatus.CANCELLED:
        notice = [_("Buổi giao ban này đã bị hủy.")]
        if briefing.cancel_reason:
            notice.append(_("Lý do: %(reason)s", reason=briefing.cancel_reason))
        paragraphs.append(notice)
    if briefing.agenda_items:
        agenda = [_("Chương trình:")]
        for number, item in enumerate(briefing.agenda_items, start=1):
            line = f"{number}. {item.title}"
            if item.presenter:
                line += f" – {item.presenter}"
            if item.duration_minutes:
                line += " " + _("(%(n)d phút)", n=item.duration_minutes)
            agenda.append(line)
        paragraphs.append(agenda)
    where = []
    if briefing.video_link:
        where.append(_("Họp trực tuyến: %(link)s", link=briefing.video_link))
    if briefing.room:
        where.append(_("Phòng họp: %(room)s", room=briefing.room))
    if url:
        where.append(_("Chi tiết: %(url)s", url=url))
    if where:
        paragraphs.append(where)
    return "\n\n".join("\n".join(lines) for lines in paragraphs)
