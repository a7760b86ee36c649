"""Figures about issues: per endpoint and status, per agency (answered on time, median days to answer), each role's
home figures, a responder's queue, and the report-back read out at the next briefing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, IssueStatus
from meeting_hub.follow_up.search import IssueFilters, conditions, overdue_clause
from meeting_hub.follow_up.services import visibility_clause
from meeting_hub.network.models import Agency, Endpoint
from meeting_hub.scheduling.models import Briefing, BriefingStatus


def due_soon_days() -> int:
    """Return how many days before its due date an issue shows as "due soon" (config ISSUE_DUE_SOON_DAYS)."""
    return int(current_app.config.get("ISSUE_DUE_SOON_DAYS", 3))


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """Count the rows that meet a condition (within a grouped query)."""
    return sa.func.count(sa.case((condition, 1)))


# Per endpoint and status


@dataclass
class EndpointRow:
    """One endpoint's issues by status, and how many are overdue."""

    endpoint: Endpoint
    by_status: dict[IssueStatus, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self) -> int:
        """Return the endpoint's issues in all."""
        return sum(self.by_status.values())


def by_endpoint_and_status(viewer: User, filters: IssueFilters, now: datetime | None = None) -> list[EndpointRow]:
    """Count the matching issues per endpoint and status, and the overdue ones (one grouped query), by endpoint name."""
    today = local_today(now)
    where = conditions(viewer, filters, today)
    rows: dict[int, EndpointRow] = {}
    counts = db.session.execute(
        sa.select(Issue.endpoint_id, Issue.status, sa.func.count(Issue.id), _count_if(overdue_clause(today)))
        .where(*where)
        .group_by(Issue.endpoint_id, Issue.status)
    ).all()
    endpoint_ids = {endpoint_id for endpoint_id, _status, _count, _overdue in counts}
    endpoints = {e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids)))}
    for endpoint_id, status, count, overdue in counts:
        row = rows.setdefault(endpoint_id, EndpointRow(endpoints[endpoint_id]))
        row.by_status[IssueStatus(status)] = count
        row.overdue += overdue
    return sorted(rows.values(), key=lambda row: row.endpoint.name)


# Per agency


@dataclass
class AgencyRow:
    """How an agency handles what it is given."""

    agency: Agency
    assigned: int = 0
    answered: int = 0
    answered_on_time: int = 0
    open: int = 0
    overdue: int = 0
    median_days_to_answer: float | None = None

    @property
    def on_time_percent(self) -> int | None:
        """Return the share of answers given by the due date, in percent."""
        return round(100 * self.answered_on_time / self.answered) if self.answered else None


def by_agency(viewer: User, filters: IssueFilters, now: datetime | None = None) -> list[AgencyRow]:
    """Per agency: issues given, answered (on time), open, overdue with it, and the median days to answer.

    Days are local calendar days; "on time" means answered on or before the due date. An issue returned and answered
    again counts with its latest answer. Two grouped queries, whatever the number of issues.
    """
    today = local_today(now)
    where = [*conditions(viewer, filters, today), Issue.agency_id.is_not(None)]
    answered = Issue.status.in_([IssueStatus.ANSWERED, IssueStatus.CLOSED])  # closed ones went through an answer
    rows: dict[int, AgencyRow] = {}
    counts = db.session.execute(
        sa.select(
            Issue.agency_id,
            sa.func.count(Issue.id),
            _count_if(answered),
            _count_if(sa.and_(answered, Issue.answered_on_time.is_(True))),
            _count_if(Issue.status.in_([IssueStatus.ASSIGNED, IssueStatus.ANSWERED])),
            # The agency's own delay: an answered issue past its date waits for a leader, not for the agency.
            _count_if(sa.and_(Issue.status == IssueStatus.ASSIGNED, Issue.due_on < today)),
        )
        .where(*where)
        .group_by(Issue.agency_id)
    ).all()
    agencies = {a.id: a for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_([c[0] for c in counts])))}
    for agency_id, assigned, answered_count, on_time, open_count, overdue in counts:
        assert agency_id is not None  # only assigned issues are selected
        rows[agency_id] = AgencyRow(agencies[agency_id], assigned, answered_count, on_time, open_count, overdue)
    for agency_id, median in _median_days_to_answer([*where, answered, Issue.days_to_answer.is_not(None)]):
        rows[agency_id].median_days_to_answer = float(median)
    return sorted(rows.values(), key=lambda row: row.agency.name)


def _median_days_to_answer(where: list[sa.ColumnElement[bool]]) -> list[tuple[int, float]]:
    """Return (agency id, median days to answer), from a histogram the database counts (agency, days) -> issues."""
    histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for agency_id, days, count in db.session.execute(
        sa.select(Issue.agency_id, Issue.days_to_answer, sa.func.count(Issue.id))
        .where(*where)
        .group_by(Issue.agency_id, Issue.days_to_answer)
        .order_by(Issue.agency_id, Issue.days_to_answer)
    ):
        if agency_id is not None and days is not None:  # the caller's conditions exclude both; mypy cannot know
            histograms[agency_id].append((days, count))
    return [(agency_id, _median(histogram)) for agency_id, histogram in histograms.items()]


def _median(histogram: list[tuple[int, int]]) -> float:
    """Return the median of values given as (value, how many times), in increasing order of value."""
    n = sum(count for _value, count in histogram)
    middle = [(n - 1) // 2, n // 2]  # the same index twice when n is odd
    found: list[int] = []
    seen = 0
    for value, count in histogram:
        while middle and middle[0] < seen + count:
            found.append(value)
            middle.pop(0)
        seen += count
    return sum(found) / len(found)


# Home pages and queues


def status_counts(viewer: User, now: datetime | None = None) -> dict[str, int]:
    """Return the viewer's visible issues per status, with "overdue" (one grouped query)."""
    today = local_today(now)
    counts: dict[str, int] = {status.value: 0 for status in IssueStatus}
    counts["overdue"] = 0
    for status, count, overdue in db.session.execute(
        sa.select(Issue.status, sa.func.count(Issue.id), _count_if(overdue_clause(today)))
        .where(visibility_clause(viewer))
        .group_by(Issue.status)
    ):
        counts[IssueStatus(status).value] = count
        counts["overdue"] += overdue
    return counts


@dataclass
class Queue:
    """A responder's work: issues just given, due soon, overdue, and answered ones awaiting a leader."""

    new: list[Issue]
    due_soon: list[Issue]
    overdue: list[Issue]
    awaiting_review: list[Issue]


def _queue_conditions(today: date) -> dict[str, sa.ColumnElement[bool]]:
    soon = today + timedelta(days=due_soon_days())
    assigned = Issue.status == IssueStatus.ASSIGNED
    return {
        "new": sa.and_(assigned, Issue.due_on > soon),
        "due_soon": sa.and_(assigned, Issue.due_on >= today, Issue.due_on <= soon),
        "overdue": sa.and_(assigned, Issue.due_on < today),
        "awaiting_review": Issue.status == IssueStatus.ANSWERED,
    }


def queue_counts(user: User, now: datetime | None = None) -> dict[str, int]:
    """Return how many issues each part of the responder's queue holds (one query)."""
    parts = _queue_conditions(local_today(now))
    row = db.session.execute(
        sa.select(*(_count_if(condition) for condition in parts.values())).where(
            visibility_clause(user), Issue.agency_id.is_not(None)
        )
    ).one()
    return dict(zip(parts, row, strict=True))


def responder_queue(user: User, now: datetime | None = None, limit: int = 100) -> Queue:
    """Return the queue of the responder's agency (assigned issues by due date; answered ones by answer date)."""
    parts = _queue_conditions(local_today(now))
    base = (
        sa.select(Issue)
        .options(joinedload(Issue.endpoint), joinedload(Issue.category))
        .where(visibility_clause(user), Issue.agency_id.is_not(None))
        .limit(limit)
    )

    def fetch(part: str, *order: Any) -> list[Issue]:
        return list(db.session.scalars(base.where(parts[part]).order_by(*order)))

    return Queue(
        new=fetch("new", Issue.due_on, Issue.id),
        due_soon=fetch("due_soon", Issue.due_on, Issue.id),
        overdue=fetch("overdue", Issue.due_on, Issue.id),
        awaiting_review=fetch("awaiting_review", Issue.answered_at.desc(), Issue.id.desc()),
    )


# Report-back


@dataclass
class EndpointReport:
    """One endpoint's part of the report-back."""

    endpoint: Endpoint
    resolved: list[Issue] = field(default_factory=list)
    overdue: list[Issue] = field(default_factory=list)


@dataclass
class ReportBack:
    """What the organizer reads out at a briefing: issues of earlier briefings answered or closed since the previous
    briefing, and those still overdue, by endpoint."""

    briefing: Briefing
    previous: Briefing | None
    since: datetime | None
    until: datetime
    endpoints: list[EndpointReport]

    @property
    def resolved_count(self) -> int:
        """Return how many issues were answered or closed in the window."""
        return sum(len(report.resolved) for report in self.endpoints)

    @property
    def overdue_count(self) -> int:
        """Return how many issues are still overdue."""
        return sum(len(report.overdue) for report in self.endpoints)


def previous_briefing(briefing: Briefing) -> Briefing | None:
    """Return the last briefing held (live or ended) before this one started."""
    return db.session.scalar(
        sa.select(Briefing)
        .where(
            Briefing.starts_at < briefing.starts_at,
            Briefing.status.in_([BriefingStatus.LIVE, BriefingStatus.ENDED]),
            Briefing.id != briefing.id,
        )
        .order_by(Briefing.starts_at.desc())
        .limit(1)
    )


def report_back(
    briefing: Briefing, viewer: User, now: datetime | None = None, endpoint_id: int | None = None
) -> ReportBack:
    """Return the report-back for a briefing (operators: their own endpoint only; endpoint_id: that one only).

    The window runs from the start of the previous briefing held to now (or, for a briefing that has ended, to its
    start, so its page keeps what was read out). Overdue means not answered yet past the due date, as of today.
    """
    now = now or utcnow()
    previous = previous_briefing(briefing)
    since = previous.starts_at if previous is not None else None
    until = briefing.starts_at if briefing.status == BriefingStatus.ENDED else now
    earlier = sa.select(Briefing.id).where(Briefing.starts_at < briefing.starts_at, Briefing.id != briefing.id)
    base = (
        sa.select(Issue)
        .options(joinedload(Issue.endpoint), joinedload(Issue.category), joinedload(Issue.agency))
        .where(visibility_clause(viewer), Issue.briefing_id.in_(earlier))
    )
    if viewer.role == Role.RESPONDER:
        base = base.where(sa.false())  # the report-back is the network's; responders follow their queue instead
    if endpoint_id is not None:
        base = base.where(Issue.endpoint_id == endpoint_id)

    def window(column: sa.orm.InstrumentedAttribute[datetime | None]) -> sa.ColumnElement[bool]:
        return sa.and_(column >= since, column < until) if since is not None else column < until

    resolved = db.session.scalars(
        base.where(
            sa.or_(
                sa.and_(Issue.status == IssueStatus.ANSWERED, window(Issue.answered_at)),
                sa.and_(Issue.status == IssueStatus.CLOSED, window(Issue.closed_at)),
            )
        ).order_by(Issue.raised_at, Issue.id)
    ).unique()
    # Still overdue: past the due date and still waiting for the agency's answer (an answer waiting for a leader is
    # read out with the answers above).
    unanswered_late = sa.and_(Issue.status == IssueStatus.ASSIGNED, Issue.due_on < local_today(now))
    overdue = db.session.scalars(base.where(unanswered_late).order_by(Issue.due_on, Issue.id)).unique()
    reports: dict[int, EndpointReport] = {}
    for issue in resolved:
        reports.setdefault(issue.endpoint_id, EndpointReport(issue.endpoint)).resolved.append(issue)
    for issue in overdue:
        reports.setdefault(issue.endpoint_id, EndpointReport(issue.endpoint)).overdue.append(issue)
    return ReportBack(briefing, previous, since, until, sorted(reports.values(), key=lambda r: r.endpoint.name))
