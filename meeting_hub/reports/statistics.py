"""Attendance statistics (per briefing, month, endpoint and person; secretaries who keep missing briefings) and
follow-up statistics (per endpoint, category and agency).

Only held briefings count (status "ended"). Attendance rate = (present + late) / expected; on-time rate =
present / (present + late); who is expected is defined in attendance_counts. The follow-up figures reuse what the
follow-up computes (per endpoint and status, per agency with on-time answers and median days) and add the per-category
ones with the same filters and the same meaning of "overdue".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.clock import local_day_bounds, local_today, local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.follow_up import summary
from meeting_hub.follow_up.models import Issue, IssueCategory, IssueStatus
from meeting_hub.follow_up.search import IssueFilters, conditions, overdue_clause
from meeting_hub.network.models import Cell, Endpoint, Person, PersonRole
from meeting_hub.reports.attendance_counts import Counts, briefing_counts, total
from meeting_hub.scheduling.models import Briefing, BriefingStatus, briefing_endpoints
from meeting_hub.scheduling.recurrence import add_months
from meeting_hub.vietnamese import sort_key

#: How many of the latest held briefings the absence flags look back over.
FLAG_LOOKBACK_BRIEFINGS = 12
MISSED = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)


def trend_months() -> int:
    """Return how many months the trend shows (config REPORT_TREND_MONTHS, default 12)."""
    return int(current_app.config.get("REPORT_TREND_MONTHS", 12))


def absence_streak_threshold() -> int:
    """Return how many briefings in a row a secretary may miss before being flagged (REPORT_ABSENCE_STREAK, 2)."""
    return int(current_app.config.get("REPORT_ABSENCE_STREAK", 2))


def local_month(value: datetime) -> date:
    """Return the first day of the local month of a moment."""
    return value.astimezone(local_zone()).date().replace(day=1)


def month_window(last_month: date, months: int) -> tuple[date, date]:
    """Return the first and last day of the `months` months that end with `last_month`."""
    first = add_months(last_month.replace(day=1), -(months - 1))
    return first, add_months(last_month.replace(day=1), 1) - timedelta(days=1)


def held_briefings(first_day: date, last_day: date) -> list[Briefing]:
    """Return the briefings held (ended) that started between two local dates (inclusive), oldest first."""
    start, end = local_day_bounds(first_day, last_day)
    return list(
        db.session.scalars(
            sa.select(Briefing)
            .where(Briefing.status == BriefingStatus.ENDED, Briefing.starts_at >= start, Briefing.starts_at < end)
            .order_by(Briefing.starts_at, Briefing.id)
        )
    )


# Attendance


@dataclass
class BriefingRow:
    """One held briefing's attendance."""

    briefing: Briefing
    counts: Counts


@dataclass
class MonthRow:
    """One month's attendance over the briefings held in it."""

    month: date
    counts: Counts = field(default_factory=Counts)
    briefings: int = 0


@dataclass
class EndpointRow:
    """One endpoint's attendance over the briefings it was invited to."""

    endpoint: Endpoint
    counts: Counts = field(default_factory=Counts)
    briefings: int = 0


@dataclass
class AttendanceStatistics:
    """Attendance over a window of months: per briefing, per month (the trend), per endpoint, and in all."""

    first_month: date
    last_month: date
    briefings: list[BriefingRow]
    months: list[MonthRow]
    endpoints: list[EndpointRow]

    @property
    def totals(self) -> Counts:
        """Return the attendance of every briefing of the window together."""
        return total(row.counts for row in self.briefings)


def attendance_statistics(last_month: date, months: int | None = None) -> AttendanceStatistics:
    """Return the attendance of the briefings held in the `months` months ending with `last_month`."""
    months = months or trend_months()
    first_day, last_day = month_window(last_month, months)
    briefings = held_briefings(first_day, last_day)
    counts = briefing_counts([briefing.id for briefing in briefings])
    by_briefing: dict[int, Counts] = defaultdict(Counts)
    by_endpoint: dict[int, EndpointRow] = {}
    endpoint_ids = {endpoint_id for _briefing_id, endpoint_id in counts}
    endpoints = {e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids)))}
    for (briefing_id, endpoint_id), item in counts.items():
        by_briefing[briefing_id].add(item)
        row = by_endpoint.setdefault(endpoint_id, EndpointRow(endpoints[endpoint_id]))
        row.counts.add(item)
        row.briefings += 1
    month_rows = {add_months(first_day, n): MonthRow(add_months(first_day, n)) for n in range(months)}
    briefing_rows = []
    for briefing in briefings:
        item = by_briefing[briefing.id]
        briefing_rows.append(BriefingRow(briefing, item))
        month_row = month_rows[local_month(briefing.starts_at)]
        month_row.counts.add(item)
        month_row.briefings += 1
    return AttendanceStatistics(
        first_month=first_day,
        last_month=last_day.replace(day=1),
        briefings=briefing_rows,
        months=list(month_rows.values()),
        endpoints=sorted(by_endpoint.values(), key=lambda row: sort_key(row.endpoint.name)),
    )


@dataclass(frozen=True)
class PersonEntry:
    """How a person attended one held briefing they were expected at (status None: never recorded)."""

    briefing: Briefing
    status: AttendanceStatus | None
    note: str = ""
    substitute_name: str = ""


@dataclass
class PersonHistory:
    """A person's attendance at the held briefings they were expected at, newest first."""

    person: Person
    entries: list[PersonEntry]

    @property
    def counts(self) -> Counts:
        """Return the person's attendance in all."""
        result = Counts()
        for entry in self.entries:
            result.count(entry.status)
        return result

    @property
    def streak(self) -> int:
        """Return how many of the latest briefings in a row the person missed (absent or excused)."""
        n = 0
        for entry in self.entries:
            if entry.status not in MISSED:
                break
            n += 1
        return n


def person_history(person: Person) -> PersonHistory:
    """Return a person's attendance history: each held briefing they have a record at, or were expected at."""
    records = {
        record.briefing_id: record
        for record in db.session.scalars(sa.select(AttendanceRecord).where(AttendanceRecord.person_id == person.id))
    }
    expected: sa.ColumnElement[bool] = sa.false()
    if person.active and person.cell.active:
        invited = sa.select(briefing_endpoints.c.briefing_id).where(
            briefing_endpoints.c.endpoint_id == person.cell.endpoint_id
        )
        expected = sa.and_(Briefing.id.in_(invited), Briefing.ends_at > person.created_at)
    briefings = db.session.scalars(
        sa.select(Briefing)
        .where(Briefing.status == BriefingStatus.ENDED, sa.or_(Briefing.id.in_(list(records)), expected))
        .order_by(Briefing.starts_at.desc(), Briefing.id.desc())
    )
    entries = []
    for briefing in briefings:
        record = records.get(briefing.id)
        if record is None:
            entries.append(PersonEntry(briefing, None))
        else:
            entries.append(PersonEntry(briefing, record.status, record.note, record.substitute_name))
    return PersonHistory(person, entries)


def endpoint_people(endpoint: Endpoint, last_month: date, months: int | None = None) -> list[tuple[Person, Counts]]:
    """Return the active people of an endpoint with their attendance over the window, by cell and name."""
    first_day, last_day = month_window(last_month, months or trend_months())
    held = held_briefings(first_day, last_day)
    # One query for the briefings this endpoint was invited to, not each briefing's whole list of endpoints.
    invited = set(
        db.session.scalars(
            sa.select(briefing_endpoints.c.briefing_id).where(
                briefing_endpoints.c.endpoint_id == endpoint.id,
                briefing_endpoints.c.briefing_id.in_([b.id for b in held]),
            )
        )
    )
    briefings = [b for b in held if b.id in invited]
    people = list(
        db.session.scalars(
            sa.select(Person)
            .join(Person.cell)
            .where(Cell.endpoint_id == endpoint.id, Person.active.is_(True), Cell.active.is_(True))
            .order_by(Cell.name, Person.full_name)
        )
    )
    statuses = {
        (briefing_id, person_id): AttendanceStatus(status)
        for briefing_id, person_id, status in db.session.execute(
            sa.select(AttendanceRecord.briefing_id, AttendanceRecord.person_id, AttendanceRecord.status).where(
                AttendanceRecord.briefing_id.in_([b.id for b in briefings]),
                AttendanceRecord.person_id.in_([p.id for p in people]),
            )
        )
    }
    result = []
    for person in people:
        counts = Counts()
        for briefing in briefings:
            status = statuses.get((briefing.id, person.id))
            if status is not None or person.created_at < briefing.ends_at:
                counts.count(status)
        result.append((person, counts))
    return result


@dataclass(frozen=True)
class FlaggedSecretary:
    """A cell secretary who missed (absent or excused) the latest briefings in a row, at least the threshold."""

    person: Person
    endpoint: Endpoint
    missed: list[tuple[Briefing, AttendanceStatus]]

    @property
    def streak(self) -> int:
        """Return how many briefings in a row were missed."""
        return len(self.missed)


def absence_flags(threshold: int | None = None) -> list[FlaggedSecretary]:
    """Return the active secretaries who missed the latest `threshold` or more briefings in a row they were expected at.

    Each secretary's briefings are those their endpoint was invited to among the latest held ones, after they joined
    the roster; a briefing with no record for them (never checked in) breaks the streak, as a presence does: only an
    explicit absent or excused counts. Grouped queries whatever the size of the network.
    """
    threshold = threshold or absence_streak_threshold()
    recent = list(
        db.session.scalars(
            sa.select(Briefing)
            .where(Briefing.status == BriefingStatus.ENDED)
            .order_by(Briefing.starts_at.desc(), Briefing.id.desc())
            .limit(FLAG_LOOKBACK_BRIEFINGS)
        )
    )
    if len(recent) < threshold:
        return []
    order = {briefing.id: n for n, briefing in enumerate(recent)}
    by_id = {briefing.id: briefing for briefing in recent}
    invited: dict[int, list[Briefing]] = defaultdict(list)
    for briefing_id, endpoint_id in db.session.execute(
        sa.select(briefing_endpoints.c.briefing_id, briefing_endpoints.c.endpoint_id).where(
            briefing_endpoints.c.briefing_id.in_(list(order))
        )
    ):
        invited[endpoint_id].append(by_id[briefing_id])
    for briefings in invited.values():
        briefings.sort(key=lambda b: order[b.id])
    missed = {
        (briefing_id, person_id): AttendanceStatus(status)
        for briefing_id, person_id, status in db.session.execute(
            sa.select(AttendanceRecord.briefing_id, AttendanceRecord.person_id, AttendanceRecord.status)
            .join(Person, Person.id == AttendanceRecord.person_id)
            .where(
                AttendanceRecord.briefing_id.in_(list(order)),
                AttendanceRecord.status.in_(MISSED),
                Person.role == PersonRole.SECRETARY,
            )
        )
    }
    candidates = {person_id for _briefing_id, person_id in missed}
    if not candidates:
        return []
    secretaries = db.session.execute(
        sa.select(Person, Cell.endpoint_id)
        .join(Person.cell)
        .where(Person.id.in_(candidates), Person.active.is_(True), Cell.active.is_(True))
    ).all()
    endpoints = {
        e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_({row[1] for row in secretaries})))
    }
    flagged = []
    for person, endpoint_id in secretaries:
        run: list[tuple[Briefing, AttendanceStatus]] = []
        for briefing in invited.get(endpoint_id, []):
            status = missed.get((briefing.id, person.id))
            if status is None:
                if person.created_at < briefing.ends_at:
                    break
                continue  # held before they joined the roster: not theirs
            run.append((briefing, status))
        if len(run) >= threshold:
            flagged.append(FlaggedSecretary(person, endpoints[endpoint_id], run))
    return sorted(flagged, key=lambda f: (-f.streak, sort_key(f.endpoint.name), sort_key(f.person.full_name)))


# Follow-up


@dataclass
class IssueFigures:
    """Issues raised, answered (closed ones went through an answer), closed, and overdue."""

    raised: int = 0
    answered: int = 0
    closed: int = 0
    overdue: int = 0

    @property
    def answered_percent(self) -> int | None:
        """Return the share of raised issues answered, in percent."""
        return round(100 * self.answered / self.raised) if self.raised else None


@dataclass
class IssueStatistics:
    """The follow-up figures over a filter: per endpoint, category and agency, the median days to answer."""

    by_endpoint: list[tuple[Endpoint, IssueFigures]]
    by_category: list[tuple[IssueCategory, IssueFigures]]
    by_agency: list[summary.AgencyRow]
    median_days_to_answer: float | None

    @property
    def totals(self) -> IssueFigures:
        """Return the figures of every endpoint together."""
        result = IssueFigures()
        for _endpoint, figures in self.by_endpoint:
            result.raised += figures.raised
            result.answered += figures.answered
            result.closed += figures.closed
            result.overdue += figures.overdue
        return result


def _figures(by_status: dict[IssueStatus, int], overdue: int) -> IssueFigures:
    return IssueFigures(
        raised=sum(by_status.values()),
        answered=by_status.get(IssueStatus.ANSWERED, 0) + by_status.get(IssueStatus.CLOSED, 0),
        closed=by_status.get(IssueStatus.CLOSED, 0),
        overdue=overdue,
    )


def _by_category(viewer: User, filters: IssueFilters, today: date) -> list[tuple[IssueCategory, IssueFigures]]:
    by_status: dict[int, dict[IssueStatus, int]] = defaultdict(dict)
    overdue: dict[int, int] = defaultdict(int)
    for category_id, status, count, late in db.session.execute(
        sa.select(
            Issue.category_id, Issue.status, sa.func.count(Issue.id), sa.func.count(sa.case((overdue_clause(today), 1)))
        )
        .where(*conditions(viewer, filters, today))
        .group_by(Issue.category_id, Issue.status)
    ):
        by_status[category_id][IssueStatus(status)] = count
        overdue[category_id] += late
    categories = db.session.scalars(
        sa.select(IssueCategory).where(IssueCategory.id.in_(list(by_status))).order_by(IssueCategory.position)
    )
    return [(category, _figures(by_status[category.id], overdue[category.id])) for category in categories]


def _median_days_to_answer(viewer: User, filters: IssueFilters, today: date) -> float | None:
    days = [
        days
        for days in db.session.scalars(
            sa.select(Issue.days_to_answer).where(
                *conditions(viewer, filters, today),
                Issue.status.in_([IssueStatus.ANSWERED, IssueStatus.CLOSED]),
                Issue.days_to_answer.is_not(None),
            )
        )
        if days is not None
    ]
    return float(statistics.median(days)) if days else None


def issue_statistics(viewer: User, filters: IssueFilters, now: datetime | None = None) -> IssueStatistics:
    """Return the follow-up figures of the issues the viewer may see that match the filters."""
    now = now or utcnow()
    today = local_today(now)
    return IssueStatistics(
        by_endpoint=[
            (row.endpoint, _figures(row.by_status, row.overdue))
            for row in summary.by_endpoint_and_status(viewer, filters, now)
        ],
        by_category=_by_category(viewer, filters, today),
        by_agency=summary.by_agency(viewer, filters, now),
        median_days_to_answer=_median_days_to_answer(viewer, filters, today),
    )
