"""In-app notifications about issues: who is told of what, the bell's unread count, and the daily overdue notices.

Assigned and returned issues notify the responders of the agency; answers notify the leaders. Overdue notices are made
by `meeting-hub notify-overdue`, run once a day (cron or a systemd timer, see docs/follow-up.md): one per user, issue
and due date, so running it twice changes nothing. Overdue counts on the pages are always computed live.

A notice is done when its user acts on the issue (every workflow step marks the actor's notices of that issue read),
and the bell counts only the unread notices whose issue still waits for that user (`still_needs`): an answered issue
no longer needs the other responders of the agency, a closed one no longer needs the leaders.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.event_log.log import upsert_insert
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, IssueStatus, Notification, NotificationKind
from meeting_hub.follow_up.workflow import DUE_STATUSES

#: How many notifications the bell's page lists.
RECENT_LIMIT = 50


def _agency_responders(agency_id: int | None) -> list[int]:
    if agency_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User.id).where(User.role == Role.RESPONDER, User.agency_id == agency_id, User.active.is_(True))
        )
    )


def _leaders() -> list[int]:
    return list(db.session.scalars(sa.select(User.id).where(User.role == Role.LEADER, User.active.is_(True))))


def recipients(issue: Issue, kind: NotificationKind) -> list[int]:
    """Return the ids of the users a notice of this kind about the issue goes to."""
    if kind in (NotificationKind.ASSIGNED, NotificationKind.RETURNED):
        return _agency_responders(issue.agency_id)
    if kind == NotificationKind.ANSWERED:
        return _leaders()
    return sorted(set(_agency_responders(issue.agency_id)) | set(_leaders()))


def notify(issue: Issue, kind: NotificationKind, actor: User | None, now: datetime | None = None) -> int:
    """Add a notice for everyone concerned but the actor; return how many. The caller commits."""
    now = now or utcnow()
    users = [user_id for user_id in recipients(issue, kind) if actor is None or user_id != actor.id]
    for user_id in users:
        db.session.add(Notification(user_id=user_id, issue_id=issue.id, kind=kind, created_at=now))
    return len(users)


def notify_overdue(now: datetime | None = None) -> int:
    """Add the overdue notices not given yet (one per user, issue and due date); return how many. Commits nothing."""
    now = now or utcnow()
    today = local_today(now)
    overdue = db.session.execute(
        sa.select(Issue.id, Issue.agency_id, Issue.due_on).where(Issue.status.in_(DUE_STATUSES), Issue.due_on < today)
    ).all()
    if not overdue:
        return 0
    leaders = _leaders()
    responders_by_agency: dict[int | None, list[int]] = {}
    rows = []
    for issue_id, agency_id, due_on in overdue:
        if agency_id not in responders_by_agency:
            responders_by_agency[agency_id] = _agency_responders(agency_id)
        for user_id in sorted(set(responders_by_agency[agency_id]) | set(leaders)):
            rows.append(
                {
                    "user_id": user_id,
                    "issue_id": issue_id,
                    "kind": NotificationKind.OVERDUE.value,
                    "due_on": due_on,
                    "created_at": now,
                }
            )
    if not rows:
        return 0
    insert = upsert_insert(Notification)
    created = 0
    for start in range(0, len(rows), 1000):
        result = db.session.execute(
            insert.values(rows[start : start + 1000]).on_conflict_do_nothing().returning(Notification.id)
        )
        created += len(result.all())
    return created


def still_needs(user: User) -> sa.ColumnElement[bool]:
    """Return the condition (on Notification joined to Issue) that the notice's issue still waits for this user."""
    own_agency = Issue.agency_id == user.agency_id if user.agency_id is not None else sa.false()
    overdue_concerns_user = own_agency if user.role == Role.RESPONDER else sa.true()
    return sa.or_(
        sa.and_(
            Notification.kind.in_([NotificationKind.ASSIGNED, NotificationKind.RETURNED]),
            Issue.status == IssueStatus.ASSIGNED,
            own_agency,
        ),
        sa.and_(Notification.kind == NotificationKind.ANSWERED, Issue.status == IssueStatus.ANSWERED),
        sa.and_(
            Notification.kind == NotificationKind.OVERDUE,
            Issue.status.in_(DUE_STATUSES),
            Issue.due_on == Notification.due_on,
            overdue_concerns_user,
        ),
    )


def unread_count(user: User) -> int:
    """Return how many issues the user has unread notices about that still need them (the bell's figure: two
    notices about one issue, "returned" then "assigned" again, are one thing to do)."""
    count = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Notification.issue_id)))
        .join(Issue, Issue.id == Notification.issue_id)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None), still_needs(user))
    )
    return count or 0


def pending_ids(user: User, notification_ids: list[int]) -> set[int]:
    """Return which of these notices of the user still need them (read or not)."""
    if not notification_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Notification.id)
            .join(Issue, Issue.id == Notification.issue_id)
            .where(Notification.id.in_(notification_ids), Notification.user_id == user.id, still_needs(user))
        )
    )


def mark_done(issue: Issue, user: User, now: datetime | None = None) -> None:
    """Mark the user's notices of this issue read: they acted on it. The caller commits."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.issue_id == issue.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )


def recent(user: User, limit: int = RECENT_LIMIT) -> list[Notification]:
    """Return the user's latest notices with their issues, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .options(sa.orm.joinedload(Notification.issue))
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def open_notification(notification_id: int, user: User, now: datetime | None = None) -> int | None:
    """Mark one of the user's notices read and return its issue id (None when it is not theirs)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    if notification.read_at is None:
        notification.read_at = now or utcnow()
    return notification.issue_id


def mark_all_read(user: User, now: datetime | None = None) -> None:
    """Mark every notice of the user read."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
