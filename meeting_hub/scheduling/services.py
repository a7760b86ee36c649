"""Scheduling: monthly series, their occurrences and single briefings (status: lifecycle.py; holidays: holidays.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_datetime, local_day_bounds, local_today, local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling.holidays import holiday_name, holiday_names
from meeting_hub.scheduling.models import (
    AgendaItem,
    Briefing,
    BriefingSeries,
    BriefingStatus,
    briefing_endpoints,
)
from meeting_hub.scheduling.recurrence import MonthlyRule, add_months, months_between, occurrence_months
from meeting_hub.text_input import text_problem
from meeting_hub.web_links import web_link_problem

DEFAULT_SERIES_TITLE = "Giao ban công tác tuyên giáo"
MAX_SERIES_MONTHS = 120
MAX_DURATION_MINUTES = 12 * 60
#: Briefings are dated within this range; anything else is a typing error.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def horizon_months() -> int:
    """Return how many months ahead open-ended series are generated (config SERIES_HORIZON_MONTHS, default 12)."""
    return int(current_app.config.get("SERIES_HORIZON_MONTHS", 12))


def occurrence_title(series_title: str, month: date) -> str:
    """Return "Giao ban công tác tuyên giáo tháng 3/2026"."""
    return f"{series_title} tháng {month.month}/{month.year}"


def _new_ical_uid() -> str:
    return f"briefing-{uuid.uuid4()}@meeting-hub"


def _active_endpoints() -> list[Endpoint]:
    return list(db.session.scalars(sa.select(Endpoint).where(Endpoint.active.is_(True))))


def _endpoints_by_ids(endpoint_ids: list[int]) -> list[Endpoint]:
    unique_ids = sorted(set(endpoint_ids))
    endpoints = list(db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(unique_ids))))
    found = {endpoint.id for endpoint in endpoints}
    missing = [endpoint_id for endpoint_id in unique_ids if endpoint_id not in found]
    if missing:
        raise ValidationFailed(
            _("Có điểm cầu không tồn tại: %(ids)s.", ids=", ".join(map(str, missing))),
            details={"endpoint_ids": _("Có điểm cầu không tồn tại.")},
        )
    inactive = [endpoint.name for endpoint in endpoints if not endpoint.active]
    if inactive:
        raise ValidationFailed(
            _("Điểm cầu đã ngừng hoạt động: %(names)s.", names=", ".join(inactive)),
            details={"endpoint_ids": _("Có điểm cầu đã ngừng hoạt động.")},
        )
    return endpoints


# Series


@dataclass
class SeriesData:
    """What an organizer sets up for a monthly series."""

    title: str
    rule: MonthlyRule
    start_time: time
    duration_minutes: int
    first_month: date
    #: None: open-ended, generated `horizon_months()` ahead and extended as time passes.
    months: int | None = None
    #: None: every active endpoint.
    endpoint_ids: list[int] | None = None
    video_link: str = ""
    room: str = ""


def _checked_link(value: str) -> str:
    """Return the video link to store, refusing anything but an http(s) link (web_links: the forms' and the API's
    rule too)."""
    link = value.strip()
    if problem := web_link_problem(link):
        raise ValidationFailed(_("Đường dẫn không hợp lệ."), details={"video_link": problem})
    return link


def _validate_series(data: SeriesData) -> None:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Cần nhập tên chuỗi giao ban.")
    if not 15 <= data.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = _("Thời lượng từ 15 phút đến 12 giờ.")
    if data.months is not None and not 1 <= data.months <= MAX_SERIES_MONTHS:
        errors["months"] = _("Số tháng từ 1 đến %(n)d.", n=MAX_SERIES_MONTHS)
    if data.endpoint_ids is not None and not data.endpoint_ids:
        errors["endpoint_ids"] = _("Cần mời ít nhất một điểm cầu.")
    if not EARLIEST_YEAR <= data.first_month.year <= LATEST_YEAR:
        errors["first_month"] = _("Tháng bắt đầu không hợp lệ.")
    if errors:
        raise ValidationFailed(_("Thông tin chuỗi giao ban chưa hợp lệ."), details=errors)


def schedule_series(data: SeriesData, actor: User, now: datetime | None = None) -> BriefingSeries:
    """Create a monthly series and generate its occurrences; the caller commits."""
    _validate_series(data)
    endpoints = _endpoints_by_ids(data.endpoint_ids) if data.endpoint_ids is not None else []
    series = BriefingSeries(
        title=data.title.strip(),
        weekday=data.rule.weekday,
        week=data.rule.week,
        day=data.rule.day,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        first_month=data.first_month.replace(day=1),
        months=data.months,
        video_link=_checked_link(data.video_link),
        room=data.room.strip(),
        all_endpoints=data.endpoint_ids is None,
        endpoints=endpoints,
        created_by_id=actor.id,
    )
    db.session.add(series)
    db.session.flush()
    created = extend_series(series, now)
    audit.record("series.create", actor, target=f"series:{series.id}", title=series.title, occurrences=created)
    return series


def series_rule(series: BriefingSeries) -> MonthlyRule:
    """Return the series' monthly rule."""
    return MonthlyRule(weekday=series.weekday, week=series.week, day=series.day)


def _horizon_month(now: datetime | None) -> date:
    """Return the last month open-ended series reach today."""
    return add_months(local_today(now).replace(day=1), horizon_months() - 1)


def _last_month_to_generate(series: BriefingSeries, now: datetime | None) -> date:
    if series.months is not None:
        return add_months(series.first_month, series.months - 1)
    return max(_horizon_month(now), series.first_month)


def _series_invitees(series: BriefingSeries) -> list[Endpoint]:
    return _active_endpoints() if series.all_endpoints else [e for e in series.endpoints if e.active]


def _occurrence_times(series: BriefingSeries, month: date) -> tuple[datetime, datetime, date]:
    day = series_rule(series).date_in(month.year, month.month)
    starts_at = local_datetime(day, series.start_time)
    return starts_at, starts_at + timedelta(minutes=series.duration_minutes), day


def extend_series(series: BriefingSeries, now: datetime | None = None) -> int:
    """Generate the occurrences missing up to the series' horizon; return how many were created."""
    last = _last_month_to_generate(series, now)
    start = add_months(series.generated_until, 1) if series.generated_until else series.first_month
    months = occurrence_months(start, months_between(start, last) + 1)
    # Invitees and holidays are looked up once, and only when there is something to generate.
    invitees = _series_invitees(series) if months else []
    holidays = holiday_names(start, add_months(last, 1) - timedelta(days=1)) if months else {}
    for month in months:
        starts_at, ends_at, day = _occurrence_times(series, month)
        db.session.add(
            Briefing(
                series_id=series.id,
                series_month=month,
                title=occurrence_title(series.title, month),
                starts_at=starts_at,
                ends_at=ends_at,
                video_link=series.video_link,
                room=series.room,
                holiday_name=holidays.get(day),
                ical_uid=_new_ical_uid(),
                endpoints=list(invitees),
            )
        )
    if months:
        series.generated_until = last
    db.session.flush()
    return len(months)


def extend_all_series(now: datetime | None = None) -> int:
    """Extend every open-ended series to the horizon (run daily, or lazily when calendars are read)."""
    # Only the series short of the horizon are loaded: on most reads there are none, and this is one query.
    open_ended = db.session.scalars(
        sa.select(BriefingSeries).where(
            BriefingSeries.months.is_(None),
            sa.or_(BriefingSeries.generated_until.is_(None), BriefingSeries.generated_until < _horizon_month(now)),
        )
    )
    return sum(extend_series(series, now) for series in open_ended)


def extend_series_horizons(now: datetime | None = None) -> None:
    """Extend open-ended series and commit (called lazily when calendars are read).

    Two requests may extend the same series at once; the unique (series, month) constraint lets one win.
    """
    try:
        if extend_all_series(now):
            db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()


def update_series(series: BriefingSeries, data: SeriesData, actor: User, now: datetime | None = None) -> int:
    """Change a series; only its future, scheduled occurrences follow (moved ones keep their own time).

    Returns how many occurrences changed. Months the series no longer covers are cancelled, not deleted,
    so subscribed calendars see the cancellation.
    """
    _validate_series(data)
    now = now or utcnow()
    endpoints = _endpoints_by_ids(data.endpoint_ids) if data.endpoint_ids is not None else []
    series.title = data.title.strip()
    series.weekday, series.week, series.day = data.rule.weekday, data.rule.week, data.rule.day
    series.start_time = data.start_time
    series.duration_minutes = data.duration_minutes
    series.months = data.months
    series.video_link, series.room = _checked_link(data.video_link), data.room.strip()
    series.all_endpoints = data.endpoint_ids is None
    series.endpoints = endpoints
    # first_month is kept: the past of a series does not move.

    last = _last_month_to_generate(series, now)
    invitees = _series_invitees(series)
    changed = 0
    for briefing in series.briefings:
        if briefing.status != BriefingStatus.SCHEDULED or briefing.starts_at <= now or briefing.series_month is None:
            continue
        if briefing.series_month > last:
            lifecycle.set_status(briefing, BriefingStatus.CANCELLED, actor, now)
            briefing.cancel_reason = _("Chuỗi giao ban được rút ngắn.")
            changed += 1
            continue
        before = (briefing.starts_at, briefing.ends_at, briefing.video_link, briefing.room)
        if not briefing.detached:
            briefing.starts_at, briefing.ends_at, day = _occurrence_times(series, briefing.series_month)
            briefing.holiday_name = holiday_name(day)
            briefing.video_link, briefing.room = series.video_link, series.room
        briefing.title = occurrence_title(series.title, briefing.series_month)
        briefing.endpoints = list(invitees)
        if (briefing.starts_at, briefing.ends_at, briefing.video_link, briefing.room) != before:
            briefing.touch_calendar()
        else:
            briefing.updated_at = now
        changed += 1
    if series.generated_until and series.generated_until > last:
        series.generated_until = last
    changed += extend_series(series, now)
    audit.record("series.update", actor, target=f"series:{series.id}", changed=changed)
    return changed


def get_series(series_id: int) -> BriefingSeries:
    """Return a series or raise NotFound."""
    series = db.session.get(BriefingSeries, series_id)
    if series is None:
        raise NotFound(_("Không tìm thấy chuỗi giao ban."))
    return series


def list_series() -> list[BriefingSeries]:
    """Return every series, newest first, with its occurrences and endpoints (the list counts both)."""
    statement = (
        sa.select(BriefingSeries)
        .options(sa.orm.selectinload(BriefingSeries.briefings), sa.orm.selectinload(BriefingSeries.endpoints))
        .order_by(BriefingSeries.id.desc())
    )
    return list(db.session.scalars(statement))


def preview_dates(rule: MonthlyRule, first_month: date, count: int = 6) -> list[date]:
    """Return the dates of the first `count` occurrences (for the series form's live preview)."""
    return [rule.date_in(month.year, month.month) for month in occurrence_months(first_month, count)]


# Briefings


@dataclass
class AgendaItemData:
    """One agenda line."""

    title: str
    presenter: str = ""
    duration_minutes: int | None = None


@dataclass
class BriefingData:
    """A single briefing's details; for an update, fields left None are not changed."""

    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    video_link: str | None = None
    room: str | None = None
    notes: str | None = None
    endpoint_ids: list[int] | None = None
    agenda: list[AgendaItemData] | None = field(default=None)


def _validate_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationFailed(_("Thời gian phải kèm múi giờ."), details={"starts_at": _("Thiếu múi giờ.")})
    if not (EARLIEST_YEAR <= starts_at.year <= LATEST_YEAR and EARLIEST_YEAR <= ends_at.year <= LATEST_YEAR):
        raise ValidationFailed(
            _("Thời gian phải trong khoảng năm %(a)d-%(b)d.", a=EARLIEST_YEAR, b=LATEST_YEAR),
            details={"starts_at": _("Năm không hợp lệ.")},
        )
    if ends_at <= starts_at:
        raise ValidationFailed(
            _("Giờ kết thúc phải sau giờ bắt đầu."), details={"ends_at": _("Giờ kết thúc phải sau giờ bắt đầu.")}
        )
    if ends_at - starts_at > timedelta(minutes=MAX_DURATION_MINUTES):
        raise ValidationFailed(
            _("Một buổi giao ban không dài quá 12 giờ."), details={"ends_at": _("Thời lượng quá dài.")}
        )


def _agenda_items(items: list[AgendaItemData]) -> list[AgendaItem]:
    result = []
    for position, item in enumerate(items, start=1):
        if not item.title.strip():
            raise ValidationFailed(
                _("Mục %(n)d của chương trình chưa có tiêu đề.", n=position), details={"agenda": _("Thiếu tiêu đề.")}
            )
        # The page sends its agenda rows outside the form class: the text rule is checked here for them.
        for text in (item.title, item.presenter):
            if problem := text_problem(text):
                raise ValidationFailed(problem, details={"agenda": problem})
        if item.duration_minutes is not None and not 1 <= item.duration_minutes <= MAX_DURATION_MINUTES:
            raise ValidationFailed(
                _("Thời lượng mục %(n)d không hợp lệ.", n=position), details={"agenda": _("Thời lượng không hợp lệ.")}
            )
        result.append(
            AgendaItem(
                position=position,
                title=item.title.strip(),
                presenter=item.presenter.strip(),
                duration_minutes=item.duration_minutes,
            )
        )
    return result


def default_briefing_title(starts_at: datetime) -> str:
    """Return "Giao ban công tác tuyên giáo tháng M/YYYY" for the local month of the start."""
    return occurrence_title(DEFAULT_SERIES_TITLE, starts_at.astimezone(local_zone()).date())


def create_briefing(data: BriefingData, actor: User) -> Briefing:
    """Create a single briefing outside any series; the caller commits."""
    if data.starts_at is None or data.ends_at is None:
        raise ValidationFailed(_("Cần nhập thời gian bắt đầu và kết thúc."), details={"starts_at": _("Bắt buộc.")})
    _validate_times(data.starts_at, data.ends_at)
    endpoints = _endpoints_by_ids(data.endpoint_ids) if data.endpoint_ids is not None else _active_endpoints()
    if not endpoints:
        raise ValidationFailed(_("Cần mời ít nhất một điểm cầu."), details={"endpoint_ids": _("Bắt buộc.")})
    briefing = Briefing(
        title=(data.title or "").strip() or default_briefing_title(data.starts_at),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        video_link=_checked_link(data.video_link or ""),
        room=(data.room or "").strip(),
        notes=(data.notes or "").strip(),
        holiday_name=holiday_name(data.starts_at.astimezone(local_zone()).date()),
        ical_uid=_new_ical_uid(),
        endpoints=endpoints,
        agenda_items=_agenda_items(data.agenda or []),
    )
    db.session.add(briefing)
    db.session.flush()
    audit.record("briefing.create", actor, target=f"briefing:{briefing.id}", title=briefing.title)
    return briefing


def update_briefing(briefing: Briefing, data: BriefingData, actor: User) -> Briefing:
    """Change one briefing (its series' other occurrences are left alone); the caller commits."""
    if briefing.status in (BriefingStatus.ENDED, BriefingStatus.CANCELLED):
        raise Conflict(_("Không thể sửa buổi giao ban đã kết thúc hoặc đã hủy."))
    starts_at = data.starts_at or briefing.starts_at
    ends_at = data.ends_at or briefing.ends_at
    if data.starts_at is not None and data.ends_at is None:
        ends_at = starts_at + (briefing.ends_at - briefing.starts_at)  # moving keeps the duration
    _validate_times(starts_at, ends_at)
    if briefing.status == BriefingStatus.LIVE and starts_at != briefing.starts_at:
        raise Conflict(_("Buổi giao ban đang diễn ra: không thể dời giờ bắt đầu."))
    calendar_before = (briefing.starts_at, briefing.ends_at, briefing.video_link, briefing.room)
    if starts_at != briefing.starts_at or ends_at != briefing.ends_at:
        briefing.starts_at, briefing.ends_at = starts_at, ends_at
        briefing.holiday_name = holiday_name(starts_at.astimezone(local_zone()).date())
        briefing.detached = briefing.series_id is not None
    if data.title is not None:
        if not data.title.strip():
            raise ValidationFailed(_("Cần nhập tiêu đề."), details={"title": _("Bắt buộc.")})
        briefing.title = data.title.strip()
    if data.video_link is not None:
        briefing.video_link = _checked_link(data.video_link)
    if data.room is not None:
        briefing.room = data.room.strip()
    if data.notes is not None:
        briefing.notes = data.notes.strip()
    if data.endpoint_ids is not None:
        if not data.endpoint_ids:
            raise ValidationFailed(_("Cần mời ít nhất một điểm cầu."), details={"endpoint_ids": _("Bắt buộc.")})
        briefing.endpoints = _endpoints_by_ids(data.endpoint_ids)
    if data.agenda is not None:
        briefing.agenda_items = _agenda_items(data.agenda)
    if (briefing.starts_at, briefing.ends_at, briefing.video_link, briefing.room) != calendar_before:
        briefing.touch_calendar()
    else:
        briefing.updated_at = utcnow()
    audit.record("briefing.update", actor, target=f"briefing:{briefing.id}")
    return briefing


def can_see_briefing(user: User, briefing: Briefing) -> bool:
    """Operators see the briefings their endpoint is invited to; every other role sees all."""
    if user.role == Role.OPERATOR:
        # One indexed row: loading the briefing's endpoints cost 15 ms per console at a national briefing.
        return user.endpoint_id is not None and is_invited(briefing, user.endpoint_id)
    return True


def get_briefing(briefing_id: int, viewer: User | None = None) -> Briefing:
    """Return a briefing, refusing an operator whose endpoint is not invited."""
    briefing = db.session.get(Briefing, briefing_id)
    if briefing is None:
        raise NotFound(_("Không tìm thấy buổi giao ban."))
    if viewer is not None and not can_see_briefing(viewer, briefing):
        raise AccessDenied(_("Điểm cầu của bạn không được mời dự buổi giao ban này."))
    return briefing


def _visible_to(statement: sa.Select[Any], viewer: User) -> sa.Select[Any]:
    if viewer.role == Role.OPERATOR:
        invited = sa.select(Briefing.id).join(Briefing.endpoints).where(Endpoint.id == viewer.endpoint_id)
        statement = statement.where(Briefing.id.in_(invited))
    return statement


def invitation(briefing: Briefing, endpoint_id: int | sa.orm.InstrumentedAttribute[int]) -> sa.Exists:
    """Return EXISTS(the endpoint is invited): one indexed row, not the whole list (1,052 for a national briefing)."""
    return sa.exists().where(
        briefing_endpoints.c.briefing_id == briefing.id, briefing_endpoints.c.endpoint_id == endpoint_id
    )


def is_invited(briefing: Briefing, endpoint_id: int) -> bool:
    """Tell whether one endpoint is invited to the briefing."""
    return bool(db.session.scalar(sa.select(invitation(briefing, endpoint_id))))


def invited_among(briefing: Briefing, endpoint_ids: Iterable[int | None]) -> set[int]:
    """Return which of the endpoints are invited to the briefing, in one query (none is asked for None)."""
    wanted = {endpoint_id for endpoint_id in endpoint_ids if endpoint_id is not None}
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            sa.select(briefing_endpoints.c.endpoint_id).where(
                briefing_endpoints.c.briefing_id == briefing.id, briefing_endpoints.c.endpoint_id.in_(wanted)
            )
        )
    )


def list_briefings(viewer: User, first_day: date, last_day: date, *, with_details: bool = False) -> list[Briefing]:
    """Return the briefings the viewer may see that start between two local dates (inclusive).

    with_details loads their endpoints, agenda and status author up front, for callers that show all of them.
    """
    start, end = local_day_bounds(first_day, last_day)
    statement = (
        sa.select(Briefing).where(Briefing.starts_at >= start, Briefing.starts_at < end).order_by(Briefing.starts_at)
    )
    if with_details:
        statement = statement.options(
            sa.orm.selectinload(Briefing.endpoints),
            sa.orm.selectinload(Briefing.agenda_items),
            sa.orm.selectinload(Briefing.status_changed_by),
        )
    return list(db.session.scalars(_visible_to(statement, viewer)))


def live_briefings(viewer: User) -> list[Briefing]:
    """Return the live briefings the viewer may see, soonest first (a live one may run past its planned end)."""
    statement = sa.select(Briefing).where(Briefing.status == BriefingStatus.LIVE).order_by(Briefing.starts_at)
    return list(db.session.scalars(_visible_to(statement, viewer)))


def upcoming_briefings(viewer: User, now: datetime | None = None, limit: int = 5) -> list[Briefing]:
    """Return the scheduled briefings the viewer may see that have not ended yet, soonest first (live ones are not
    "upcoming": live_briefings lists them)."""
    now = now or utcnow()
    statement = (
        sa.select(Briefing)
        .where(Briefing.ends_at >= now, Briefing.status == BriefingStatus.SCHEDULED)
        .order_by(Briefing.starts_at)
        .limit(limit)
    )
    return list(db.session.scalars(_visible_to(statement, viewer)))


def briefings_for_feed(user: User) -> list[Briefing]:
    """Return every briefing that concerns the user, for their calendar feed (cancelled ones included)."""
    statement = (
        sa.select(Briefing)
        .options(sa.orm.selectinload(Briefing.agenda_items))  # the feed describes the agenda, not the endpoints
        .order_by(Briefing.starts_at)
    )
    return list(db.session.scalars(_visible_to(statement, user)))
