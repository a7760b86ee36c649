"""Briefing messages: reminders before the start; notices when a briefing is moved, cancelled or invites an endpoint.

Who: the active operators of the invited endpoints (on the channels they chose), and the active cell secretaries of
the endpoints that enabled messages for them (`Endpoint.secretary_channels`).

When:
- reminders: MEETING_HUB_REMINDER_OFFSETS_MINUTES before the start. The worker's minute tick looks for briefings
  starting within the largest offset (one indexed query) and asks for one keyed run per reminder due; the run writes
  the outbox rows. A reminder is due from its moment until halfway to the next one (the last one: until the start),
  so a briefing set up 61 minutes ahead gets the 60-minute reminder only, and a worker down for a while does not send
  stale ones. Keys carry the start time: a moved briefing gets its reminders again, for the new time.
- moved, cancelled, invited: scheduling does not know about messages (domains depend downward), so this module
  watches the session, as reports.minutes does, for briefings whose time, status or invited endpoints change, and
  records the change (`BriefingAnnouncement`) with a run due MEETING_HUB_NOTICE_DELAY_SECONDS later. That run tells
  the briefing's state at that moment, and nothing when a later change has overtaken it (its own run tells) or when
  the state is what people were last told (moved there and back).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.calendar_feeds import ical
from meeting_hub.calendar_feeds.services import reminder_offsets as calendar_reminder_offsets
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.jobs.registry import every_minute, job
from meeting_hub.network.models import Cell, Person, PersonRole
from meeting_hub.notifications.announcements import BriefingAnnouncement
from meeting_hub.notifications.message_text import (
    Line,
    html_text,
    local_clock,
    local_day,
    message_language,
    message_link,
    plain_text,
    shortened,
)
from meeting_hub.notifications.outbox import Notice, Recipient, person_recipient, queue_notice, user_recipient
from meeting_hub.scheduling.models import Briefing, BriefingStatus

logger = logging.getLogger(__name__)

REMINDER_JOB = "notifications.briefing_reminder"
CHANGE_JOB = "notifications.briefing_change"
REMINDER, MOVED, CANCELLED, INVITED = "briefing.reminder", "briefing.moved", "briefing.cancelled", "briefing.invited"
#: How much of a title an SMS carries.
SMS_TITLE_LENGTH = 60
#: Briefings whose time, status or invitations changed in the current transaction: id -> what they were before.
_CHANGED_KEY = "notifications.changed_briefings"


# Who is told


@dataclass(frozen=True)
class Addressee:
    """Someone told about a briefing, for one invited endpoint: an operator (a user) or a cell secretary."""

    endpoint_id: int
    recipient: Recipient
    is_operator: bool


def addressees(briefing: Briefing, endpoint_ids: Iterable[int] | None = None) -> list[Addressee]:
    """Return the operators and messaged secretaries of the briefing's invited endpoints (or of some of them)."""
    wanted = set(endpoint_ids) if endpoint_ids is not None else None
    endpoints = [e for e in briefing.endpoints if e.active and (wanted is None or e.id in wanted)]
    if not endpoints:
        return []
    ids = [endpoint.id for endpoint in endpoints]
    operators = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.OPERATOR, User.active.is_(True), User.endpoint_id.in_(ids))
        .order_by(User.endpoint_id, User.id)
    )
    result = [Addressee(user.endpoint_id or 0, user_recipient(user), True) for user in operators]
    messaged = {endpoint.id: endpoint for endpoint in endpoints if endpoint.secretary_channels}
    if messaged:
        secretaries = db.session.execute(
            sa.select(Person, Cell.endpoint_id)
            .join(Person.cell)
            .where(
                Cell.endpoint_id.in_(list(messaged)),
                Cell.active.is_(True),
                Person.active.is_(True),
                Person.role == PersonRole.SECRETARY,
            )
            .order_by(Cell.endpoint_id, Person.id)
        ).all()
        result += [
            Addressee(endpoint_id, person_recipient(person, messaged[endpoint_id]), False)
            for person, endpoint_id in secretaries
        ]
    return result


def _tell(briefing: Briefing, addressed: list[Addressee], build: Any) -> int:
    """Queue one notice per addressee: operators' carry their console link, secretaries' do not."""
    if not addressed:
        return 0
    with message_language():
        for_operators: Notice = build(briefing, operators=True)
        for_secretaries: Notice = build(briefing, operators=False)
    added = 0
    for addressee in addressed:
        notice = for_operators if addressee.is_operator else for_secretaries
        added += len(queue_notice(addressee.recipient, notice))
    return added


# What they are told


def _when(briefing: Briefing) -> str:
    starts, ends = briefing.starts_at, briefing.ends_at
    if local_day(starts) == local_day(ends):
        return str(
            _(
                "%(start)s–%(end)s ngày %(day)s (giờ Việt Nam)",
                start=local_clock(starts),
                end=local_clock(ends),
                day=local_day(starts),
            )
        )
    return str(
        _(
            "%(start)s ngày %(day)s đến %(end)s ngày %(end_day)s (giờ Việt Nam)",
            start=local_clock(starts),
            day=local_day(starts),
            end=local_clock(ends),
            end_day=local_day(ends),
        )
    )


def _details(briefing: Briefing, *, operators: bool) -> list[Line]:
    lines = [Line(_when(briefing), label=_("Thời gian"))]
    if briefing.video_link:
        lines.append(Line(briefing.video_link, label=_("Họp trực tuyến"), url=briefing.video_link))
    if briefing.room:
        lines.append(Line(briefing.room, label=_("Phòng họp")))
    if operators:
        console = message_link("attendance.briefing_console", briefing_id=briefing.id)
        lines.append(Line(console, label=_("Màn hình điểm danh của điểm cầu"), url=console))
        page = message_link("scheduling.briefing_detail", briefing_id=briefing.id)
        lines.append(Line(page, label=_("Chi tiết, tài liệu"), url=page))
    return lines


def briefing_ics(briefing: Briefing) -> str:
    """Return the briefing as an iCalendar file (the same as its download and the calendar feeds)."""
    document = ical.build_calendar(
        [briefing],
        name=briefing.title,
        url_for_briefing=lambda b: message_link("scheduling.briefing_detail", briefing_id=b.id),
        now=utcnow(),
        zone=local_zone(),
        reminders=calendar_reminder_offsets(),
    )
    return document.decode()


def _sms_when(briefing: Briefing) -> str:
    return f"{local_clock(briefing.starts_at)} {local_day(briefing.starts_at)}"


def _zalo_params(briefing: Briefing) -> dict[str, Any]:
    return {
        "title": shortened(briefing.title, 100),
        "date": local_day(briefing.starts_at),
        "time": local_clock(briefing.starts_at),
        "video_link": briefing.video_link or "",
        "detail_link": message_link("scheduling.briefing_detail", briefing_id=briefing.id),
    }


def _notice(
    briefing: Briefing, *, kind: str, key: str, subject: str, opening: str, sms: str, operators: bool, ics: bool = True
) -> Notice:
    paragraphs = [[Line(opening)], _details(briefing, operators=operators)]
    return Notice(
        kind=kind,
        key=key,
        subject=subject,
        text=plain_text(paragraphs),
        html=html_text(subject, paragraphs),
        sms_text=sms,
        zalo_params={**_zalo_params(briefing), "kind": kind},
        ics=briefing_ics(briefing) if ics else None,
        briefing_id=briefing.id,
    )


def reminder_key(briefing_id: int, offset: int, starts_at: datetime) -> str:
    """Return the event key of one reminder: a moved briefing (another start) gets new ones."""
    return f"briefing:{briefing_id}:reminder:{offset}:{starts_at.astimezone(local_zone()).isoformat()}"


def reminder_notice(briefing: Briefing, offset: int, *, operators: bool) -> Notice:
    """Return the reminder of a briefing, `offset` minutes before its start."""
    title, when = briefing.title, _sms_when(briefing)
    sms = _("Nhắc lịch giao ban: %(title)s, %(when)s.", title=shortened(title, SMS_TITLE_LENGTH), when=when)
    if briefing.video_link:
        sms += " " + _("Link họp: %(link)s", link=briefing.video_link)
    return _notice(
        briefing,
        kind=REMINDER,
        key=reminder_key(briefing.id, offset, briefing.starts_at),
        subject=_("Nhắc lịch giao ban: %(title)s – %(when)s", title=title, when=when),
        opening=_(
            "Kính nhắc: buổi giao ban “%(title)s” bắt đầu lúc %(time)s ngày %(day)s.",
            title=title,
            time=local_clock(briefing.starts_at),
            day=local_day(briefing.starts_at),
        ),
        sms=sms,
        operators=operators,
    )


def moved_notice(briefing: Briefing, was: datetime, change: int, *, operators: bool) -> Notice:
    """Return the notice that a briefing moved from `was` to its current time."""
    title, when = briefing.title, _sms_when(briefing)
    sms = _(
        "Giao ban %(title)s dời sang %(when)s (trước: %(was)s).",
        title=shortened(title, SMS_TITLE_LENGTH),
        when=when,
        was=f"{local_clock(was)} {local_day(was)}",
    )
    return _notice(
        briefing,
        kind=MOVED,
        key=f"briefing:{briefing.id}:moved:{change}",
        subject=_("Đổi lịch giao ban: %(title)s – nay %(when)s", title=title, when=when),
        opening=_(
            "Buổi giao ban “%(title)s” đổi thời gian: trước đây %(was_time)s ngày %(was_day)s, nay như sau.",
            title=title,
            was_time=local_clock(was),
            was_day=local_day(was),
        ),
        sms=sms,
        operators=operators,
    )


def cancelled_notice(briefing: Briefing, *, operators: bool) -> Notice:
    """Return the notice that a briefing is cancelled (its .ics says so, for calendars that imported it)."""
    title, when = briefing.title, _sms_when(briefing)
    opening = _("Buổi giao ban “%(title)s” đã bị hủy.", title=title)
    if briefing.cancel_reason:
        opening += " " + _("Lý do: %(reason)s", reason=briefing.cancel_reason)
    paragraphs = [[Line(opening)], [Line(_when(briefing), label=_("Thời gian đã định"))]]
    subject = _("Hủy buổi giao ban: %(title)s – %(when)s", title=title, when=when)
    return Notice(
        kind=CANCELLED,
        key=f"briefing:{briefing.id}:cancelled",
        subject=subject,
        text=plain_text(paragraphs),
        html=html_text(subject, paragraphs),
        sms_text=_("Hủy giao ban %(title)s, %(when)s.", title=shortened(title, SMS_TITLE_LENGTH), when=when),
        zalo_params={**_zalo_params(briefing), "kind": CANCELLED},
        ics=briefing_ics(briefing),
        briefing_id=briefing.id,
    )


def invited_notice(briefing: Briefing, *, operators: bool) -> Notice:
    """Return the invitation of an endpoint added to a briefing."""
    title, when = briefing.title, _sms_when(briefing)
    sms = _("Điểm cầu được mời dự giao ban %(title)s, %(when)s.", title=shortened(title, SMS_TITLE_LENGTH), when=when)
    if briefing.video_link:
        sms += " " + _("Link họp: %(link)s", link=briefing.video_link)
    return _notice(
        briefing,
        kind=INVITED,
        key=f"briefing:{briefing.id}:invited",
        subject=_("Mời dự giao ban: %(title)s – %(when)s", title=title, when=when),
        opening=_("Điểm cầu của đồng chí được mời dự buổi giao ban “%(title)s”.", title=title),
        sms=sms,
        operators=operators,
    )


# Reminders


def reminder_offsets() -> list[int]:
    """Return the reminder offsets in minutes, largest first (MEETING_HUB_REMINDER_OFFSETS_MINUTES)."""
    return sorted({int(m) for m in current_app.config.get("REMINDER_OFFSETS_MINUTES", [1440, 60])}, reverse=True)


def reminder_window(starts_at: datetime, offset: int, offsets: list[int]) -> tuple[datetime, datetime]:
    """Return when a reminder is due: from its moment until halfway to the next reminder (the last: the start)."""
    smaller = [other for other in offsets if other < offset]
    opens = starts_at - timedelta(minutes=offset)
    if not smaller:
        return opens, starts_at
    return opens, starts_at - timedelta(minutes=(offset + max(smaller)) / 2)


def due_offset(starts_at: datetime, now: datetime, offsets: list[int]) -> int | None:
    """Return the offset whose reminder is due now for a briefing starting then, if any."""
    for offset in offsets:
        opens, closes = reminder_window(starts_at, offset, offsets)
        if opens <= now < closes:
            return offset
    return None


@every_minute("notifications.briefing_reminders")
def find_due_reminders(now: datetime) -> int:
    """Ask for a run of each reminder due now; return how many were asked for (already asked: not counted).

    Cheap enough to run every minute: one query on the indexed start time over the briefings starting within the
    largest offset, then one keyed insert per reminder due (the key makes asking twice, or in two workers, add one).
    """
    offsets = reminder_offsets()
    if not offsets:
        return 0
    due = db.session.execute(
        sa.select(Briefing.id, Briefing.starts_at).where(
            Briefing.starts_at > now,
            Briefing.starts_at <= now + timedelta(minutes=offsets[0]),
            Briefing.status == BriefingStatus.SCHEDULED,
        )
    ).all()
    asked = 0
    for briefing_id, starts_at in due:
        offset = due_offset(starts_at, now, offsets)
        if offset is None:
            continue
        key = reminder_key(briefing_id, offset, starts_at)
        if enqueue_after_commit(
            REMINDER_JOB, key=key, briefing_id=briefing_id, offset=offset, starts_at=starts_at.isoformat()
        ):
            asked += 1
    return asked


@job(REMINDER_JOB)
def send_briefing_reminder(briefing_id: int, offset: int, starts_at: str) -> None:
    """Queue one reminder of a briefing for everyone told of it; nothing when it moved, was cancelled or is past due."""
    briefing = db.session.get(Briefing, briefing_id)
    if briefing is None or briefing.status != BriefingStatus.SCHEDULED:
        return
    if briefing.starts_at != datetime.fromisoformat(starts_at):
        return  # moved since: the reminders of the new time have keys of their own
    _opens, closes = reminder_window(briefing.starts_at, offset, sorted({*reminder_offsets(), offset}, reverse=True))
    if utcnow() >= closes:
        logger.warning("reminder %s of briefing %s is past due: not sent", offset, briefing_id)
        return
    added = _tell(briefing, addressees(briefing), lambda b, operators: reminder_notice(b, offset, operators=operators))
    logger.info("briefing %s: %s-minute reminder, %s messages", briefing_id, offset, added)


# Moved, cancelled, invited


@dataclass
class _Before:
    """What a briefing was before the current transaction changed it, and the endpoints it added."""

    starts_at: datetime
    ends_at: datetime
    status: BriefingStatus
    added_endpoints: set[int]


def _before(history: Any, current: Any) -> Any:
    return history.deleted[0] if history.deleted else current


@event.listens_for(Session, "after_flush")
def _note_changed_briefings(session: Session, _context: Any) -> None:
    """Note the briefings whose time, status or invited endpoints this flush changed (history is still there)."""
    for obj in session.dirty:
        if not isinstance(obj, Briefing):
            continue
        state = sa.inspect(obj)
        starts, ends = state.attrs.starts_at.history, state.attrs.ends_at.history
        status, endpoints = state.attrs.status.history, state.attrs.endpoints.history
        added = {endpoint.id for endpoint in endpoints.added or ()} - {e.id for e in endpoints.deleted or ()}
        if not (starts.added or ends.added or status.added or added):
            continue
        noted: dict[int, _Before] = session.info.setdefault(_CHANGED_KEY, {})
        before = noted.get(obj.id)
        if before is None:
            noted[obj.id] = _Before(
                _before(starts, obj.starts_at), _before(ends, obj.ends_at), _before(status, obj.status), added
            )
        else:  # a second flush in the same transaction: keep what it was before the first
            before.added_endpoints |= added


def _worth_telling(briefing: Briefing, before: _Before) -> bool:
    if briefing.status == BriefingStatus.CANCELLED:
        return before.status != BriefingStatus.CANCELLED
    if briefing.status != BriefingStatus.SCHEDULED:
        return False  # opened, closed: the console and the dashboard tell
    moved = (briefing.starts_at, briefing.ends_at) != (before.starts_at, before.ends_at)
    return moved or bool(before.added_endpoints)


def record_change(briefing: Briefing, before: _Before, now: datetime | None = None) -> None:
    """Record a change of the briefing and ask for the run that tells it after the delay. The caller commits."""
    now = now or utcnow()
    row = db.session.get(BriefingAnnouncement, briefing.id)
    if row is None:
        row = BriefingAnnouncement(
            briefing_id=briefing.id,
            starts_at=before.starts_at,
            ends_at=before.ends_at,
            status=before.status.value,
            changes=0,
            invited_endpoint_ids=[],
        )
        db.session.add(row)
    row.changes += 1
    row.changed_at = now
    if before.added_endpoints:
        row.invited_endpoint_ids = sorted(set(row.invited_endpoint_ids or []) | before.added_endpoints)
    enqueue_after_commit(
        CHANGE_JOB,
        key=f"briefing:{briefing.id}:change:{row.changes}",
        delay_seconds=float(current_app.config.get("NOTICE_DELAY_SECONDS", 120)),
        briefing_id=briefing.id,
        change=row.changes,
    )


@event.listens_for(Session, "before_commit")
def _record_changed_briefings(session: Session) -> None:
    """Record the changes noted in this transaction, before it commits (so that they commit with it)."""
    session.flush()
    noted: dict[int, _Before] | None = session.info.pop(_CHANGED_KEY, None)
    if not noted:
        return
    for briefing_id, before in sorted(noted.items()):
        briefing = session.get(Briefing, briefing_id)
        if briefing is not None and _worth_telling(briefing, before):
            record_change(briefing, before)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """Forget the changes noted in a rolled-back transaction."""
    if transaction.parent is None:
        session.info.pop(_CHANGED_KEY, None)


def _within_horizon(moment: datetime, now: datetime) -> bool:
    return now < moment <= now + timedelta(days=int(current_app.config.get("NOTICE_HORIZON_DAYS", 40)))


@job(CHANGE_JOB)
def tell_briefing_change(briefing_id: int, change: int) -> None:
    """Tell the briefing's state now to those it concerns, unless a later change overtook this one or nothing
    differs from what they were last told."""
    row = db.session.get(BriefingAnnouncement, briefing_id)
    briefing = db.session.get(Briefing, briefing_id)
    if row is None or briefing is None or row.changes != change:
        return
    now = utcnow()
    was_start, was_end, was_status = row.starts_at, row.ends_at, row.status
    invited = set(row.invited_endpoint_ids or [])
    row.starts_at, row.ends_at, row.status = briefing.starts_at, briefing.ends_at, briefing.status.value
    row.invited_endpoint_ids = []
    row.announced_at = now
    if briefing.status == BriefingStatus.CANCELLED:
        if was_status != BriefingStatus.CANCELLED.value and _within_horizon(briefing.starts_at, now):
            added = _tell(briefing, addressees(briefing), cancelled_notice)
            logger.info("briefing %s: cancellation told, %s messages", briefing_id, added)
        return
    if briefing.status != BriefingStatus.SCHEDULED:
        return
    if not (_within_horizon(briefing.starts_at, now) or _within_horizon(was_start, now)):
        return
    current = {endpoint.id for endpoint in briefing.endpoints}
    newly_invited = invited & current
    if newly_invited:
        _tell(briefing, addressees(briefing, newly_invited), invited_notice)
    if (briefing.starts_at, briefing.ends_at) != (was_start, was_end):
        others = addressees(briefing, current - newly_invited)
        added = _tell(briefing, others, lambda b, operators: moved_notice(b, was_start, change, operators=operators))
        logger.info("briefing %s: move told, %s messages", briefing_id, added)
