"""Raised issues, their categories, their timeline, and the in-app notifications about them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from meeting_hub.accounts.models import User
from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow
from meeting_hub.network.models import Agency, Cell, Endpoint, Person
from meeting_hub.scheduling.models import Briefing
from meeting_hub.vietnamese import fold


class IssueStatus(StrEnum):
    """Where an issue is in its workflow (see workflow.TRANSITIONS)."""

    NEW = "new"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class IssueAction(StrEnum):
    """What happened to an issue: one line of its timeline."""

    RAISE = "raise"
    ASSIGN = "assign"
    ANSWER = "answer"
    CLOSE = "close"
    RETURN = "return"
    WITHDRAW = "withdraw"


class IssuePriority(StrEnum):
    """How urgent the organizer or operator judged the issue."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class NotificationKind(StrEnum):
    """Why a user is told about an issue."""

    ASSIGNED = "assigned"
    ANSWERED = "answered"
    RETURNED = "returned"
    OVERDUE = "overdue"


ISSUE_STATUS_LABELS = {
    IssueStatus.NEW: _l("Mới"),
    IssueStatus.ASSIGNED: _l("Đã giao xử lý"),
    IssueStatus.ANSWERED: _l("Đã trả lời"),
    IssueStatus.CLOSED: _l("Đã đóng"),
    IssueStatus.WITHDRAWN: _l("Đã rút"),
}
ISSUE_ACTION_LABELS = {
    IssueAction.RAISE: _l("Ghi nhận ý kiến"),
    IssueAction.ASSIGN: _l("Giao xử lý"),
    IssueAction.ANSWER: _l("Trả lời"),
    IssueAction.CLOSE: _l("Chấp nhận, đóng"),
    IssueAction.RETURN: _l("Trả lại"),
    IssueAction.WITHDRAW: _l("Rút ý kiến"),
}
ISSUE_PRIORITY_LABELS = {
    IssuePriority.NORMAL: _l("Bình thường"),
    IssuePriority.HIGH: _l("Cao"),
    IssuePriority.URGENT: _l("Khẩn"),
}
NOTIFICATION_LABELS = {
    NotificationKind.ASSIGNED: _l("Ý kiến mới giao cho cơ quan của bạn"),
    NotificationKind.ANSWERED: _l("Ý kiến đã được trả lời, chờ xem xét"),
    NotificationKind.RETURNED: _l("Câu trả lời bị trả lại"),
    NotificationKind.OVERDUE: _l("Ý kiến quá hạn xử lý"),
}


class IssueCategory(Base):
    """A field an issue belongs to (đất đai, môi trường, ...): seeded by the migration, edited by admins."""

    __tablename__ = "issue_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ASCII slug used by the API and imports, e.g. "dat-dai".
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Days from assignment to the due date that assignment proposes.
    default_due_days: Mapped[int] = mapped_column(default=15)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(sa.String(500), default="")

    def refresh_search_text(self) -> None:
        """Recompute the folded search text from the name and code."""
        self.search_text = f"{fold(self.name)} {self.code}"


class Issue(Base):
    """An opinion or petition (ý kiến, kiến nghị) raised at a briefing, followed until a leader accepts its answer."""

    __tablename__ = "issues"
    __table_args__ = (
        # The list's default order (newest first), and its usual filters each with that order behind it.
        sa.Index("ix_issues_raised_at", "raised_at"),
        sa.Index("ix_issues_status_raised_at", "status", "raised_at"),
        # An endpoint's issues; also, read alone, the counts per endpoint, status and overdue of the summary.
        sa.Index("ix_issues_endpoint_status_due_on", "endpoint_id", "status", "due_on"),
        # An agency's issues (a responder's queue); read alone, the per-agency figures of the summary.
        sa.Index(
            "ix_issues_agency_status_due_on_answer",
            "agency_id",
            "status",
            "due_on",
            "answered_on_time",
            "days_to_answer",
        ),
        sa.Index("ix_issues_status_due_on", "status", "due_on"),
        sa.Index("ix_issues_due_on", "due_on"),
        sa.Index("ix_issues_briefing_endpoint", "briefing_id", "endpoint_id"),
        # Search: LIKE '%word%' on PostgreSQL goes through a trigram index (pg_trgm); on SQLite this is a plain index
        # that the count of a search scans instead of the much wider table.
        sa.Index(
            "ix_issues_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"))
    #: The cell whose secretary raised it; empty when the endpoint raised it as a whole.
    cell_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cells.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("issue_categories.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[IssuePriority] = mapped_column(
        string_enum(IssuePriority, "issue_priority"), default=IssuePriority.NORMAL
    )
    status: Mapped[IssueStatus] = mapped_column(string_enum(IssueStatus, "issue_status"), default=IssueStatus.NEW)
    #: The handling agency; set by the first assignment.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: Last day (local calendar) to answer; the issue is overdue from the next day until closed or withdrawn.
    due_on: Mapped[date | None] = mapped_column(sa.Date())
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the current assignment was made (a return keeps it): the start of "days to answer".
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the latest answer came.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Local calendar days from the assignment to the latest answer, and whether that answer came by the due date
    #: (kept when the answer is given, so the per-agency figures are one grouped query).
    days_to_answer: Mapped[int | None] = mapped_column()
    answered_on_time: Mapped[bool | None] = mapped_column()
    #: When a leader accepted the answer, or an organizer withdrew the issue.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The latest answer (earlier ones stay on the timeline).
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    #: Folded title, content, endpoint, category, cell and person names: one column to search, indexed (trigrams on
    #: PostgreSQL, a covering index on SQLite). Renaming one of those names refreshes it (see _refresh_on_rename).
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    briefing: Mapped[Briefing] = relationship()
    endpoint: Mapped[Endpoint] = relationship()
    cell: Mapped[Cell | None] = relationship()
    person: Mapped[Person | None] = relationship()
    category: Mapped[IssueCategory] = relationship()
    agency: Mapped[Agency | None] = relationship()
    raised_by: Mapped[User | None] = relationship()
    events: Mapped[list[IssueEvent]] = relationship(
        back_populates="issue", order_by="IssueEvent.id", cascade="all, delete-orphan"
    )

    def refresh_search_text(self) -> None:
        """Recompute the folded search text."""
        parts = [
            self.title,
            self.content,
            self.endpoint.name,
            self.category.name,
            self.cell.name if self.cell else "",
            self.person.full_name if self.person else "",
        ]
        self.search_text = fold(" ".join(parts))


class IssueEvent(Base):
    """One step of an issue's timeline: who did what, when, with which comment."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(sa.ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    action: Mapped[IssueAction] = mapped_column(string_enum(IssueAction, "issue_action"))
    from_status: Mapped[IssueStatus | None] = mapped_column(string_enum(IssueStatus, "issue_event_from_status"))
    to_status: Mapped[IssueStatus] = mapped_column(string_enum(IssueStatus, "issue_event_to_status"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Kept as text too, so the timeline still reads after the account is renamed.
    actor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The answer, the reason of a return or withdrawal, or a leader's note.
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: For assignments: the agency and due date given.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    due_on: Mapped[date | None] = mapped_column(sa.Date())
    #: For answers: the attached PDF, stored in the instance folder under a generated name.
    attachment_name: Mapped[str | None] = mapped_column(sa.String(300))
    attachment_stored_name: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    attachment_size: Mapped[int | None] = mapped_column()
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    issue: Mapped[Issue] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class Notification(Base):
    """An in-app notice to one user about an issue; the bell counts the unread ones."""

    __tablename__ = "notifications"
    __table_args__ = (
        # One overdue notice per user, issue and due date (due_on is empty for the other kinds, and NULLs differ).
        sa.UniqueConstraint("user_id", "issue_id", "kind", "due_on", name="uq_notifications_user_issue_kind_due"),
        sa.Index("ix_notifications_user_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issue_id: Mapped[int] = mapped_column(sa.ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, "notification_kind"))
    #: For overdue notices: the due date that passed.
    due_on: Mapped[date | None] = mapped_column(sa.Date())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    issue: Mapped[Issue] = relationship()


# The trigram operator class comes with the pg_trgm extension (trusted: the database owner may create it).
sa.event.listen(
    Issue.__table__,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)

#: The names an issue's search text holds, by model: renaming one refreshes the issues that carry it.
_SEARCHED_NAMES: dict[type[Base], tuple[str, Any]] = {
    Endpoint: ("name", Issue.endpoint_id),
    IssueCategory: ("name", Issue.category_id),
    Cell: ("name", Issue.cell_id),
    Person: ("full_name", Issue.person_id),
}


@sa.event.listens_for(Session, "before_flush")
def _refresh_on_rename(session: Session, _context: Any, _instances: Any) -> None:
    """Refresh the search text of the issues whose endpoint, category, cell or person was renamed.

    Renames are rare (an administrative reform, a typo fixed) and belong to other domains, which need not know that
    issues copy their names: the follow-up watches for them here instead.
    """
    renamed: list[sa.ColumnElement[bool]] = []
    for obj in session.dirty:
        watched = _SEARCHED_NAMES.get(type(obj))
        if watched is None:
            continue
        attribute, column = watched
        if sa.inspect(obj).attrs[attribute].history.has_changes():
            renamed.append(column == obj.id)
    if not renamed:
        return
    with session.no_autoflush:
        for issue in session.scalars(sa.select(Issue).where(sa.or_(*renamed))):
            issue.refresh_search_text()
