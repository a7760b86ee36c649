"""Follow-up messages: raised issues assigned, answered, returned and overdue, on top of the in-app bell.

Whoever the bell tells (meeting_hub.follow_up.notifications: an agency's responders for "assigned" and "returned",
the leaders for "answered") also gets a message on the channels they chose. The follow-up domain does not know about
messages: this module watches the session for the bell's new notices and queues one message per notice before the
transaction commits, so a workflow step rolled back sends nothing. Overdue issues are found by a daily job at
MEETING_HUB_JOBS_OVERDUE_NOTICES_AT, like the bell's: one message per user, issue and due date (a new due date is
told again).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub.accounts.models import User
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.follow_up import notifications as bell
from meeting_hub.follow_up.models import Issue, Notification, NotificationKind
from meeting_hub.follow_up.workflow import DUE_STATUSES
from meeting_hub.jobs.registry import daily_job
from meeting_hub.notifications.message_text import (
    Line,
    html_text,
    local_day,
    message_language,
    message_link,
    plain_text,
    shortened,
)
from meeting_hub.notifications.outbox import Notice, queue_notice, user_recipient

logger = logging.getLogger(__name__)

KINDS = {
    NotificationKind.ASSIGNED: "issue.assigned",
    NotificationKind.ANSWERED: "issue.answered",
    NotificationKind.RETURNED: "issue.returned",
    NotificationKind.OVERDUE: "issue.overdue",
}
SMS_TITLE_LENGTH = 70
#: Ids of the bell's notices added in the current transaction, told by message just before it commits.
_NEW_NOTICES_KEY = "notifications.new_issue_notices"


def issue_notice(issue: Issue, kind: NotificationKind, key: str) -> Notice:
    """Return the message telling of one step of an issue (the same for everyone it goes to)."""
    title = issue.title
    agency = issue.agency.name if issue.agency else "—"
    due = local_day(issue.due_on) if issue.due_on else "—"
    short = shortened(title, SMS_TITLE_LENGTH)
    if kind == NotificationKind.ASSIGNED:
        subject = _("Ý kiến được giao xử lý: %(title)s", title=title)
        opening = _("Ý kiến “%(title)s” đã được giao cho %(agency)s xử lý.", title=title, agency=agency)
        sms = _("Ý kiến giao xử lý: %(title)s. Hạn: %(due)s.", title=short, due=due)
    elif kind == NotificationKind.ANSWERED:
        subject = _("Ý kiến đã được trả lời: %(title)s", title=title)
        opening = _("%(agency)s đã trả lời ý kiến “%(title)s”: mời xem xét.", title=title, agency=agency)
        sms = _("Ý kiến đã được trả lời: %(title)s.", title=short)
    elif kind == NotificationKind.RETURNED:
        subject = _("Câu trả lời bị trả lại: %(title)s", title=title)
        opening = _("Câu trả lời về ý kiến “%(title)s” đã bị trả lại: cần xử lý lại.", title=title)
        sms = _("Câu trả lời bị trả lại: %(title)s. Hạn: %(due)s.", title=short, due=due)
    else:
        subject = _("Ý kiến quá hạn xử lý: %(title)s", title=title)
        opening = _("Ý kiến “%(title)s” đã quá hạn xử lý (hạn %(due)s).", title=title, due=due)
        sms = _("Ý kiến quá hạn xử lý (hạn %(due)s): %(title)s.", title=short, due=due)
    link = message_link("follow_up.issue_detail", issue_id=issue.id)
    paragraphs = [
        [Line(opening)],
        [
            Line(issue.endpoint.display_name, label=_("Điểm cầu")),
            Line(agency, label=_("Cơ quan xử lý")),
            Line(due, label=_("Hạn xử lý")),
            Line(link, label=_("Xem ý kiến"), url=link),
        ],
    ]
    return Notice(
        kind=KINDS[kind],
        key=key,
        subject=subject,
        text=plain_text(paragraphs),
        html=html_text(subject, paragraphs),
        sms_text=sms,
        zalo_params={"title": shortened(title, 100), "agency": agency, "due_date": due, "link": link},
    )


def tell_notices(notification_ids: list[int]) -> int:
    """Queue a message for each of these bell notices (to its user); return how many outbox rows were added."""
    notices = db.session.scalars(
        sa.select(Notification)
        .options(sa.orm.joinedload(Notification.issue))
        .where(Notification.id.in_(notification_ids))
        .order_by(Notification.id)
    ).all()
    added = 0
    with message_language():
        for notification in notices:
            if notification.kind not in KINDS or notification.kind == NotificationKind.OVERDUE:
                continue
            user = db.session.get(User, notification.user_id)
            if user is None or not user.active:
                continue
            key = f"issue:{notification.issue_id}:{notification.kind.value}:{notification.id}"
            added += len(queue_notice(user_recipient(user), issue_notice(notification.issue, notification.kind, key)))
    return added


@event.listens_for(Session, "after_flush")
def _note_new_notices(session: Session, _context: Any) -> None:
    """Note the bell's notices this flush added."""
    for obj in session.new:
        if isinstance(obj, Notification) and obj.kind != NotificationKind.OVERDUE:
            session.info.setdefault(_NEW_NOTICES_KEY, []).append(obj.id)


@event.listens_for(Session, "before_commit")
def _tell_new_notices(session: Session) -> None:
    """Queue the messages of the notices added in this transaction, so that they commit with it."""
    session.flush()
    ids = session.info.pop(_NEW_NOTICES_KEY, None)
    if ids:
        tell_notices(ids)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """Forget the notices noted in a rolled-back transaction."""
    if transaction.parent is None:
        session.info.pop(_NEW_NOTICES_KEY, None)


def tell_overdue() -> int:
    """Queue the overdue messages not queued yet (one per user, issue and due date); return how many rows were added."""
    today = local_today(utcnow())
    overdue = db.session.scalars(
        sa.select(Issue).where(Issue.status.in_(DUE_STATUSES), Issue.due_on < today).order_by(Issue.id)
    ).all()
    added = 0
    users: dict[int, User | None] = {}
    with message_language():
        for issue in overdue:
            notice = issue_notice(issue, NotificationKind.OVERDUE, f"issue:{issue.id}:overdue:{issue.due_on}")
            for user_id in bell.recipients(issue, NotificationKind.OVERDUE):
                if user_id not in users:
                    users[user_id] = db.session.get(User, user_id)
                user = users[user_id]
                if user is not None:
                    added += len(queue_notice(user_recipient(user), notice))
    return added


@daily_job("notifications.overdue_messages", at_setting="JOBS_OVERDUE_NOTICES_AT")
def overdue_messages() -> None:
    """Send the overdue issues' messages of the day (nothing twice for the same issue and due date)."""
    logger.info("overdue messages: %s new", tell_overdue())
