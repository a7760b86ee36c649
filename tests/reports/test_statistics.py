"""Statistics against hand-computed values on generated histories: rates per briefing, month and endpoint, a
person's history, the flag of secretaries who missed two briefings in a row (at its boundary), the follow-up figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus, CheckInVia
from meeting_hub.clock import local_datetime, local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up import services as follow_up
from meeting_hub.follow_up.search import IssueFilters
from meeting_hub.network.models import Cell, Endpoint, Person, PersonRole
from meeting_hub.reports import statistics
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.recurrence import add_months
from tests import factories
from tests.reports.conftest import op_id

P, L, E, A = AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def held_on(day: date, endpoints: list[Endpoint], statuses: dict[Person, AttendanceStatus | None]) -> Briefing:
    """Create a briefing held on a local day with these statuses (None or missing: never recorded)."""
    organizer = accounts.find_user("organizer")
    start = local_datetime(day, time(8))
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(
            starts_at=start, ends_at=start + timedelta(hours=2), endpoint_ids=[e.id for e in endpoints]
        ),
        organizer,
    )
    db.session.flush()
    # Held long ago: set the status in SQL (no minutes are frozen for these generated briefings).
    db.session.execute(sa.update(Briefing).where(Briefing.id == briefing.id).values(status=BriefingStatus.ENDED))
    for person, status in statuses.items():
        if status is not None:
            attendance.write_record(
                briefing, person, person.cell.endpoint_id, status, "", "", CheckInVia.ORGANIZER, organizer
            )
    db.session.commit()
    db.session.refresh(briefing)
    return briefing


def roster_person(cell: Cell, name: str, role: PersonRole = PersonRole.SECRETARY, since: datetime = LONG_AGO) -> Person:
    """Add someone to a cell's roster as of `since`."""
    person = factories.make_person(cell, full_name=name, role=role)
    person.created_at = since
    db.session.flush()
    return person


@dataclass
class History:
    """Two endpoints over three months: A with a secretary (p1) and a deputy (p2), B with a secretary (p3)."""

    month: date
    a: Endpoint
    b: Endpoint
    p1: Person
    p2: Person
    p3: Person
    briefings: list[Briefing]


@pytest.fixture
def history(app_ctx: Flask, network: factories.SmallNetwork) -> History:
    a = factories.make_endpoint(code="an-lac", name="An Lạc")
    b = factories.make_endpoint(code="bac-an", name="Bắc An")
    cell_a, cell_b = factories.make_cell(a, name="Khu dân cư Tân Tiến"), factories.make_cell(b, name="Thôn Đồng Tâm")
    p1 = roster_person(cell_a, "Nguyễn Văn Bình")
    p2 = roster_person(cell_a, "Trần Thị Lan", PersonRole.DEPUTY)
    p3 = roster_person(cell_b, "Lê Văn Hải")
    month = local_today().replace(day=1)
    m2, m1 = add_months(month, -2), add_months(month, -1)
    both = [a, b]
    briefings = [
        held_on(m2.replace(day=10), both, {p1: P, p2: L, p3: A}),
        held_on(m1.replace(day=10), both, {p1: E, p2: P}),  # p3 never checked in
        held_on(month.replace(day=1), both, {p1: A, p2: P, p3: A}),
    ]
    # Outside the 12-month window: p1 absent there changes nothing.
    held_on(add_months(month, -13).replace(day=10), both, {p1: A, p2: A, p3: A})
    # Cancelled or scheduled briefings never count.
    cancelled = scheduling.create_briefing(
        scheduling.BriefingData(
            starts_at=local_datetime(m1.replace(day=20), time(8)),
            ends_at=local_datetime(m1.replace(day=20), time(10)),
            endpoint_ids=[a.id, b.id],
        ),
        accounts.find_user("organizer"),
    )
    lifecycle.cancel_briefing(cancelled, accounts.find_user("organizer"))
    db.session.commit()
    return History(month, a, b, p1, p2, p3, briefings)


def rates(counts: statistics.Counts) -> tuple[float | None, float | None]:
    return counts.attendance_rate, counts.on_time_rate


def test_per_briefing_month_and_endpoint(history: History) -> None:
    stats = statistics.attendance_statistics(history.month)
    assert [row.briefing.id for row in stats.briefings] == [b.id for b in history.briefings]
    b1, b2, b3 = (row.counts for row in stats.briefings)
    assert (b1.expected, b1.present, b1.late, b1.absent) == (3, 1, 1, 1)
    assert rates(b1) == pytest.approx((2 / 3, 1 / 2))
    assert (b2.expected, b2.present, b2.excused, b2.unrecorded) == (3, 1, 1, 1)
    assert rates(b2) == pytest.approx((1 / 3, 1.0))
    assert (b3.expected, b3.present, b3.absent) == (3, 1, 2)
    assert rates(b3) == pytest.approx((1 / 3, 1.0))

    assert len(stats.months) == 12
    assert stats.months[-1].month == history.month
    trend = [(row.briefings, row.counts.attendance_rate) for row in stats.months]
    assert trend[:9] == [(0, None)] * 9
    assert trend[9:] == [(1, pytest.approx(2 / 3)), (1, pytest.approx(1 / 3)), (1, pytest.approx(1 / 3))]

    endpoints = {row.endpoint.code: row for row in stats.endpoints}
    a, b = endpoints["an-lac"], endpoints["bac-an"]
    assert a.briefings == 3 and b.briefings == 3
    assert (a.counts.expected, a.counts.present, a.counts.late, a.counts.excused, a.counts.absent) == (6, 3, 1, 1, 1)
    assert rates(a.counts) == pytest.approx((4 / 6, 3 / 4))
    assert (b.counts.expected, b.counts.absent, b.counts.unrecorded) == (3, 2, 1)
    assert rates(b.counts) == (0.0, None)  # nobody came: no on-time rate
    assert rates(stats.totals) == pytest.approx((4 / 9, 3 / 4))


def test_exactly_two_in_a_row_is_flagged_and_two_apart_is_not(history: History) -> None:
    flags = statistics.absence_flags()
    # p1: absent at the latest, excused at the one before, present before that -> exactly 2 in a row.
    # p3: absent at the latest and two before, never checked in between -> 2, but not in a row.
    # p2 is a deputy, not a secretary.
    assert [(f.person.full_name, f.streak) for f in flags] == [("Nguyễn Văn Bình", 2)]
    assert [status for _briefing, status in flags[0].missed] == [A, E]
    assert statistics.absence_flags(threshold=3) == []


def test_a_third_miss_in_a_row_keeps_the_flag_and_a_presence_clears_it(history: History) -> None:
    next_day = history.month.replace(day=2)
    held_on(next_day, [history.a, history.b], {history.p1: E, history.p2: P, history.p3: A})
    flags = {f.person.full_name: f.streak for f in statistics.absence_flags()}
    assert flags == {"Nguyễn Văn Bình": 3, "Lê Văn Hải": 2}
    held_on(history.month.replace(day=3), [history.a, history.b], {history.p1: P, history.p3: L})
    assert statistics.absence_flags() == []


def test_briefings_before_someone_joined_are_not_theirs(history: History) -> None:
    joined = local_datetime(add_months(history.month, -1).replace(day=15), time(0))
    newcomer = roster_person(history.p1.cell, "Phạm Thị Mai", since=joined)
    db.session.commit()
    stats = statistics.attendance_statistics(history.month)
    assert [row.counts.expected for row in stats.briefings] == [3, 3, 4]  # expected at the latest only
    entries = statistics.person_history(newcomer).entries
    assert [(e.briefing.id, e.status) for e in entries] == [(history.briefings[2].id, None)]


def test_a_persons_history(history: History) -> None:
    result = statistics.person_history(history.p3)
    assert [(e.briefing.id, e.status) for e in result.entries[:3]] == [
        (history.briefings[2].id, A),
        (history.briefings[1].id, None),
        (history.briefings[0].id, A),
    ]
    assert len(result.entries) == 4  # and the one 13 months ago
    assert result.streak == 1
    assert (result.counts.expected, result.counts.absent, result.counts.unrecorded) == (4, 3, 1)
    assert statistics.person_history(history.p1).streak == 2


def test_an_endpoints_people(history: History) -> None:
    people = {person.full_name: counts for person, counts in statistics.endpoint_people(history.a, history.month)}
    assert (people["Nguyễn Văn Bình"].expected, people["Nguyễn Văn Bình"].attended) == (3, 1)
    assert people["Trần Thị Lan"].attendance_rate == 1.0


def test_follow_up_figures_per_endpoint_category_and_agency(app_ctx: Flask, network: factories.SmallNetwork) -> None:
    follow_up.seed_default_categories()
    organizer, leader, responder = (accounts.find_user(n) for n in ("organizer", "leader", "responder"))
    day0 = local_datetime(local_today() - timedelta(days=40), time(9))
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(starts_at=day0, ends_at=day0 + timedelta(hours=2)), organizer
    )
    factories.open_briefing(briefing, organizer)

    def issue(endpoint: Endpoint, category: str) -> follow_up.Issue:
        data = follow_up.IssueData(endpoint_id=endpoint.id, category=category, title="Ý kiến", client_op_id=op_id())
        return follow_up.raise_issue(briefing, data, organizer, now=day0).issue

    agency = network.agency.id
    # Answered after 2, 4 and 9 days (due in 5: two on time); one closed; one overdue; one new.
    answered = [
        issue(network.sao_do, "dat-dai"),
        issue(network.sao_do, "dat-dai"),
        issue(network.hoang_hoa_tham, "moi-truong"),
    ]
    for item, days in zip(answered, (2, 4, 9), strict=True):
        follow_up.assign_issue(item, agency, (day0 + timedelta(days=5)).date(), leader, now=day0)
        follow_up.answer_issue(item, "Đã xử lý.", responder, now=day0 + timedelta(days=days))
    follow_up.close_issue(answered[0], leader, now=day0 + timedelta(days=10))
    late = issue(network.hoang_hoa_tham, "moi-truong")
    follow_up.assign_issue(late, network.other_agency.id, (day0 + timedelta(days=5)).date(), leader, now=day0)
    issue(network.sao_do, "khac")
    db.session.commit()

    stats = statistics.issue_statistics(leader, IssueFilters())
    by_endpoint = {endpoint.name: f for endpoint, f in stats.by_endpoint}
    # Overdue as the follow-up counts it: past the due date and not closed (an answer awaiting review too).
    assert vars(by_endpoint["Sao Đỏ"]) == {"raised": 3, "answered": 2, "closed": 1, "overdue": 1}
    assert vars(by_endpoint["Hoàng Hoa Thám"]) == {"raised": 2, "answered": 1, "closed": 0, "overdue": 2}
    by_category = {category.code: f for category, f in stats.by_category}
    assert vars(by_category["dat-dai"]) == {"raised": 2, "answered": 2, "closed": 1, "overdue": 1}
    assert vars(by_category["moi-truong"]) == {"raised": 2, "answered": 1, "closed": 0, "overdue": 2}
    assert vars(by_category["khac"]) == {"raised": 1, "answered": 0, "closed": 0, "overdue": 0}
    assert vars(stats.totals) == {"raised": 5, "answered": 3, "closed": 1, "overdue": 3}
    assert stats.median_days_to_answer == 4.0
    agencies = {row.agency.name: row for row in stats.by_agency}
    tnmt = agencies["Phòng Tài nguyên và Môi trường"]
    assert (tnmt.assigned, tnmt.answered, tnmt.answered_on_time, tnmt.on_time_percent) == (3, 3, 2, 67)
    assert tnmt.median_days_to_answer == 4.0
    assert agencies["Phòng Quản lý đô thị"].overdue == 1
