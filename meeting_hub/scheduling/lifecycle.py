"""A briefing's life: open, close, cancel and reopen, each with what it will do said before it is done.

Opening before the briefing's day and closing while people are still unrecorded are refused unless the caller
confirms (ConfirmationRequired carries the consequence to show); pages confirm every step in the page, the API with
an explicit flag. A briefing ended by mistake may be reopened within REOPEN_WINDOW_HOURS of its first closing, with a
reason; the reports domain then freezes a new version of its minutes when it closes again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.clock import local_iso, local_zone
from meeting_hub.database import utcnow
from meeting_hub.errors import Conflict, ValidationFailed
from meeting_hub.event_log import log as event_log
from meeting_hub.extensions import db
from meeting_hub.scheduling.models import BRIEFING_STATUS_LABELS, Briefing, BriefingReopening, BriefingStatus

MAX_REASON_LENGTH = 500
DEFAULT_REOPEN_WINDOW_HOURS = 24

#: How many people expected at a briefing have no attendance record yet. Scheduling may not import the attendance
#: counts (domains depend downward): reports.attendance_counts registers its counter when it is imported.
UnrecordedCounter = Callable[[Briefing], int]
_unrecorded_counter: list[UnrecordedCounter] = []


def count_unrecorded_with(counter: UnrecordedCounter) -> None:
    """Register the function that counts a briefing's unrecorded people (called once, by the attendance counts)."""
    _unrecorded_counter[:] = [counter]


def unrecorded_count(briefing: Briefing) -> int:
    """Return how many people expected at the briefing have no attendance record yet."""
    if not _unrecorded_counter:
        raise RuntimeError("No unrecorded-people counter registered (meeting_hub.reports.attendance_counts).")
    return _unrecorded_counter[0](briefing)


class ConfirmationRequired(Conflict):
    """The action has a consequence the caller must confirm first; details say which (e.g. {"unrecorded": 12})."""

    code = "confirmation_required"


# What each action will do


def _local(value: datetime) -> datetime:
    return value.astimezone(local_zone())


def _day_and_time(value: datetime) -> tuple[str, str]:
    local = _local(value)
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M")


def opens_early(briefing: Briefing, now: datetime | None = None) -> bool:
    """Tell whether opening now would open the briefing before its day (local dates)."""
    return _local(now or utcnow()).date() < _local(briefing.starts_at).date()


def reopen_window() -> timedelta:
    """Return how long after its first closing a briefing may be reopened (config REOPEN_WINDOW_HOURS)."""
    return timedelta(hours=float(current_app.config.get("REOPEN_WINDOW_HOURS", DEFAULT_REOPEN_WINDOW_HOURS)))


def first_ended_at(briefing: Briefing) -> datetime | None:
    """Return when the briefing first ended (a reopening keeps that time), or None when it has not ended."""
    if briefing.reopenings:
        return briefing.reopenings[0].ended_at
    return briefing.status_changed_at if briefing.status == BriefingStatus.ENDED else None


def reopen_until(briefing: Briefing) -> datetime | None:
    """Return until when an ended briefing may be reopened, or None when it is not ended."""
    if briefing.status != BriefingStatus.ENDED:
        return None
    ended = first_ended_at(briefing)
    return ended + reopen_window() if ended is not None else None


def can_reopen(briefing: Briefing, now: datetime | None = None) -> bool:
    """Tell whether the briefing is ended and still within its reopening window."""
    until = reopen_until(briefing)
    return until is not None and (now or utcnow()) <= until


@dataclass(frozen=True)
class Consequence:
    """What an action on a briefing will do, in the words its confirmation shows."""

    action: str
    message: str
    #: True when the service refuses the action unless the caller confirms it (early open, unrecorded people).
    needs_confirmation: bool = False
    unrecorded: int = 0


def _window_text() -> str:
    hours = reopen_window().total_seconds() / 3600
    return str(_("Nếu kết thúc nhầm, có thể mở lại trong vòng %(h)s giờ.", h=f"{hours:g}"))


def open_consequence(briefing: Briefing, now: datetime | None = None) -> Consequence:
    """Say what opening the briefing now will do, and whether it is early."""
    if opens_early(briefing, now):
        day, time = _day_and_time(briefing.starts_at)
        message = _(
            "Buổi giao ban dự kiến diễn ra ngày %(day)s lúc %(time)s. Mở sớm thì các điểm cầu điểm danh được ngay từ "
            "bây giờ, và lịch của mọi người hiện buổi này là đang diễn ra.",
            day=day,
            time=time,
        )
        return Consequence("open", message, needs_confirmation=True)
    message = _("Các điểm cầu điểm danh được ngay; lịch và màn hình theo dõi hiện buổi này là đang diễn ra.")
    return Consequence("open", message)


def close_consequence(briefing: Briefing) -> Consequence:
    """Say what closing the briefing will do, with how many people are still unrecorded."""
    unrecorded = unrecorded_count(briefing)
    after = _("Cán bộ điểm cầu sẽ không điểm danh được nữa và biên bản phiên bản 1 được chốt ngay.")
    if unrecorded:
        message = _("Còn %(n)d người chưa được điểm danh: biên bản sẽ ghi họ là “chưa điểm danh”.", n=unrecorded)
        return Consequence(
            "close", f"{message} {after} {_window_text()}", needs_confirmation=True, unrecorded=unrecorded
        )
    return Consequence("close", f"{_('Mọi người dự kiến đã được điểm danh.')} {after} {_window_text()}")


def cancel_consequence(briefing: Briefing) -> Consequence:
    """Say what cancelling the briefing will do."""
    day, time = _day_and_time(briefing.starts_at)
    message = _(
        "Buổi giao ban ngày %(day)s lúc %(time)s sẽ hiện là đã hủy trong lịch của %(n)d điểm cầu được mời. "
        "Không thể mở lại một buổi đã hủy: muốn họp lại phải tạo buổi mới.",
        day=day,
        time=time,
        n=len(briefing.endpoints),
    )
    return Consequence("cancel", message)


def reopen_consequence(briefing: Briefing) -> Consequence:
    """Say what reopening the briefing will do."""
    until = reopen_until(briefing)
    day, time = _day_and_time(until) if until is not None else ("", "")
    message = _(
        "Buổi giao ban trở lại trạng thái đang diễn ra: cán bộ điểm cầu điểm danh tiếp được. Biên bản đã chốt vẫn "
        "được giữ nguyên; khi kết thúc lại, biên bản có phiên bản mới. Hạn mở lại: %(time)s ngày %(day)s.",
        day=day,
        time=time,
    )
    return Consequence("reopen", message)


# The transitions


_ALLOWED_TRANSITIONS = {
    BriefingStatus.LIVE: {BriefingStatus.SCHEDULED},
    BriefingStatus.ENDED: {BriefingStatus.LIVE},
    BriefingStatus.CANCELLED: {BriefingStatus.SCHEDULED},
}


def set_status(
    briefing: Briefing, status: BriefingStatus, actor: User, now: datetime | None = None, **event: object
) -> None:
    """Change the status, raise the calendar SEQUENCE and log a "briefing" event consoles and dashboards follow."""
    briefing.status = status
    briefing.status_changed_at = now or utcnow()
    briefing.status_changed_by_id = actor.id
    briefing.touch_calendar(briefing.status_changed_at)
    event_log.append_event(
        briefing.id,
        "briefing",
        {
            "briefing_id": briefing.id,
            "status": status.value,
            "at": local_iso(briefing.status_changed_at),
            "by": actor.username,
            **event,
        },
    )


def _require_transition(briefing: Briefing, status: BriefingStatus) -> None:
    if briefing.status not in _ALLOWED_TRANSITIONS[status]:
        messages = {
            BriefingStatus.LIVE: _("Chỉ mở được buổi giao ban đang ở trạng thái đã lên lịch."),
            BriefingStatus.ENDED: _("Chỉ kết thúc được buổi giao ban đang diễn ra."),
            BriefingStatus.CANCELLED: _("Chỉ hủy được buổi giao ban chưa diễn ra."),
        }
        raise Conflict(messages[status])


def open_briefing(
    briefing: Briefing, actor: User, *, confirm_early: bool = False, now: datetime | None = None
) -> Briefing:
    """Open a scheduled briefing: it goes live. Before its day, only with confirm_early. The caller commits."""
    _require_transition(briefing, BriefingStatus.LIVE)
    consequence = open_consequence(briefing, now)
    if consequence.needs_confirmation and not confirm_early:
        raise ConfirmationRequired(
            consequence.message, details={"early": True, "starts_at": _local(briefing.starts_at).isoformat()}
        )
    set_status(briefing, BriefingStatus.LIVE, actor, now)
    audit.record(
        "briefing.open",
        actor,
        target=f"briefing:{briefing.id}",
        early=consequence.needs_confirmation,
        starts_at=_local(briefing.starts_at).isoformat(),
    )
    return briefing


def close_briefing(briefing: Briefing, actor: User, *, confirm_unrecorded: int | None = None) -> Briefing:
    """Close a live briefing; the caller commits.

    While people are unrecorded, the caller must confirm how many it accepts to leave so (confirm_unrecorded, the
    number its user was shown): more than that, and the close is refused with the current number.
    """
    _require_transition(briefing, BriefingStatus.ENDED)
    consequence = close_consequence(briefing)
    if consequence.unrecorded and (confirm_unrecorded is None or confirm_unrecorded < consequence.unrecorded):
        raise ConfirmationRequired(consequence.message, details={"unrecorded": consequence.unrecorded})
    set_status(briefing, BriefingStatus.ENDED, actor, unrecorded=consequence.unrecorded)
    audit.record("briefing.close", actor, target=f"briefing:{briefing.id}", unrecorded=consequence.unrecorded)
    return briefing


def cancel_briefing(briefing: Briefing, actor: User, reason: str = "") -> Briefing:
    """Cancel a scheduled briefing; it stays in calendars as cancelled. The caller commits."""
    _require_transition(briefing, BriefingStatus.CANCELLED)
    set_status(briefing, BriefingStatus.CANCELLED, actor)
    briefing.cancel_reason = reason.strip()[:MAX_REASON_LENGTH]
    audit.record(
        "briefing.cancel",
        actor,
        target=f"briefing:{briefing.id}",
        reason=briefing.cancel_reason,
        endpoints=len(briefing.endpoints),
    )
    return briefing


def reopen_briefing(briefing: Briefing, actor: User, reason: str, now: datetime | None = None) -> Briefing:
    """Reopen a briefing ended by mistake, within the window, with a reason; the caller commits.

    Its frozen minutes stay as they are; the reports domain freezes the next version when it closes again.
    """
    now = now or utcnow()
    reason = " ".join(reason.split())
    if briefing.status != BriefingStatus.ENDED:
        raise Conflict(_("Chỉ mở lại được buổi giao ban đã kết thúc."))
    if not reason:
        raise ValidationFailed(_("Cần nêu lý do mở lại."), details={"reason": _("Bắt buộc.")})
    if len(reason) > MAX_REASON_LENGTH:
        message = _("Lý do không dài quá %(n)d ký tự.", n=MAX_REASON_LENGTH)
        raise ValidationFailed(message, details={"reason": message})
    until = reopen_until(briefing)
    if until is None or now > until:
        day, time = _day_and_time(until or now)
        raise Conflict(
            _("Đã quá hạn mở lại (%(time)s ngày %(day)s): hãy đính chính biên bản nếu cần.", day=day, time=time)
        )
    ended_at = briefing.status_changed_at or now
    db.session.add(
        BriefingReopening(briefing=briefing, ended_at=ended_at, reopened_at=now, reopened_by_id=actor.id, reason=reason)
    )
    set_status(briefing, BriefingStatus.LIVE, actor, now, reopened=True, reason=reason)
    audit.record(
        "briefing.reopen",
        actor,
        target=f"briefing:{briefing.id}",
        reason=reason,
        ended_at=_local(ended_at).isoformat(),
        reopen_until=_local(until).isoformat(),
    )
    return briefing


# How lists show a briefing

#: The status labels lists show, with "due": a scheduled briefing whose time has come, not opened (never "live").
PHASE_LABELS = {
    **{status.value: label for status, label in BRIEFING_STATUS_LABELS.items()},
    "due": _l("Đến giờ, chưa mở"),
}


def display_status(briefing: Briefing, now: datetime | None = None) -> str:
    """Return the status a list shows: "due" for a scheduled briefing whose time has come but was not opened."""
    if briefing.status == BriefingStatus.SCHEDULED and briefing.starts_at <= (now or utcnow()):
        return "due"
    return briefing.status.value
