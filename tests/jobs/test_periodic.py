"""The daily jobs: one run per local day at its set time (or the first minute after), each safe to run again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import SignInSession
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, Notification, NotificationKind
from meeting_hub.jobs import execution, registry
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from meeting_hub.scheduling.recurrence import MonthlyRule
from tests import factories
from tests.follow_up.conftest import FollowUp, assigned_issue

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HCM).astimezone(UTC)


def _runs(app: Flask) -> dict[str, JobStatus]:
    with app.app_context():
        return {key: status for key, status in db.session.execute(sa.select(JobRun.key, JobRun.status)).all()}


def test_the_daily_jobs_are_declared_with_their_settings(app: Flask) -> None:
    assert {(d.name, d.daily_at_setting) for d in registry.daily_jobs()} == {
        ("follow_up.overdue_notices", "JOBS_OVERDUE_NOTICES_AT"),
        ("notifications.overdue_messages", "JOBS_OVERDUE_NOTICES_AT"),
        ("scheduling.extend_series", "JOBS_NIGHTLY_AT"),
        ("jobs.purge_finished", "JOBS_NIGHTLY_AT"),
        ("accounts.purge_sign_ins", "JOBS_NIGHTLY_AT"),
    }


def test_each_daily_job_gets_one_run_per_local_day_from_its_time_on(app: Flask) -> None:
    day = date(2026, 12, 3)
    assert execution.add_due_daily_runs(app, _at(day, 0, 59)) == []
    assert len(execution.add_due_daily_runs(app, _at(day, 1, 0))) == 3  # the night's jobs
    assert _runs(app) == {
        "scheduling.extend_series@2026-12-03": JobStatus.DONE,
        "jobs.purge_finished@2026-12-03": JobStatus.DONE,
        "accounts.purge_sign_ins@2026-12-03": JobStatus.DONE,
    }
    assert execution.add_due_daily_runs(app, _at(day, 6, 59)) == []
    assert len(execution.add_due_daily_runs(app, _at(day, 9, 30))) == 2  # a worker down at 07:00: bell and messages
    assert execution.add_due_daily_runs(app, _at(day, 23, 59)) == []
    # 00:30 local on the 4th is still the 3rd in UTC: the day is the network's.
    assert execution.add_due_daily_runs(app, _at(day + timedelta(days=1), 0, 30)) == []
    assert len(execution.add_due_daily_runs(app, _at(day + timedelta(days=1), 7, 0))) == 5
    assert set(_runs(app).values()) == {JobStatus.DONE}
    assert len(_runs(app)) == 10


def test_the_times_come_from_the_settings(app: Flask) -> None:
    app.config["JOBS_OVERDUE_NOTICES_AT"] = "05:15"
    day = date(2026, 12, 3)
    execution.add_due_daily_runs(app, _at(day, 5, 14))
    assert "follow_up.overdue_notices@2026-12-03" not in _runs(app)
    execution.add_due_daily_runs(app, _at(day, 5, 15))
    assert "follow_up.overdue_notices@2026-12-03" in _runs(app)


def _overdue_notices(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.kind == NotificationKind.OVERDUE)
        )
        return int(count or 0)


def test_the_overdue_notices_job_tells_once_per_due_date(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        today = local_today()
        issue = assigned_issue(follow_up, due_on=today - timedelta(days=3), now=utcnow() - timedelta(days=10))
        db.session.commit()
        issue_id = issue.id
    execution.add_due_daily_runs(app, _at(today, 7, 0))
    assert _overdue_notices(app) == 2  # the agency's responder and the leader
    execution.add_due_daily_runs(app, _at(today + timedelta(days=1), 7, 0))  # the next day's run adds nothing
    assert _overdue_notices(app) == 2
    with app.app_context():
        # A new due date that passes again is a new notice.
        db.session.get(Issue, issue_id).due_on = today - timedelta(days=1)  # type: ignore[union-attr]
        db.session.commit()
    execution.add_due_daily_runs(app, _at(today + timedelta(days=2), 7, 0))
    assert _overdue_notices(app) == 4


def test_the_series_job_extends_open_ended_series_to_their_horizon_once(app: Flask) -> None:
    with app.app_context():
        network = factories.make_small_network()
        data = scheduling.SeriesData(
            title="Giao ban công tác tuyên giáo",
            rule=MonthlyRule(weekday=1, week=2),
            start_time=time(8, 0),
            duration_minutes=120,
            first_month=date(2025, 1, 1),
            months=None,
        )
        # Scheduled a year ago: its twelve months end before today's horizon.
        series = scheduling.schedule_series(data, network.organizer, utcnow() - timedelta(days=365))
        db.session.commit()
        series_id = series.id

    def occurrences() -> int:
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count(Briefing.id)).where(Briefing.series_id == series_id))
            return int(count or 0)

    before = occurrences()
    today = utcnow().astimezone(HCM).date()
    execution.add_due_daily_runs(app, _at(today, 1, 0))
    after = occurrences()
    assert after > before
    execution.add_due_daily_runs(app, _at(today + timedelta(days=1), 1, 0))
    assert occurrences() == after


def test_the_nightly_purge_forgets_ended_and_expired_sign_ins_only(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        network = factories.make_small_network()
        user_id = network.organizer.id
        db.session.add_all(
            [
                SignInSession(user_id=user_id, started_at=now - timedelta(days=40), ended_at=now - timedelta(days=31)),
                SignInSession(user_id=user_id, started_at=now - timedelta(days=10), ended_at=now - timedelta(days=9)),
                SignInSession(user_id=user_id, started_at=now - timedelta(days=400)),  # its cookies expired
                SignInSession(user_id=user_id, started_at=now - timedelta(days=200)),  # still remembered
            ]
        )
        db.session.commit()
    execution.add_due_daily_runs(app, _at(now.astimezone(HCM).date(), 23, 59))
    with app.app_context():
        kept = db.session.scalars(sa.select(SignInSession).order_by(SignInSession.started_at)).all()
        assert [(now - s.started_at).days for s in kept] == [200, 10]
        assert accounts.sign_in_is_open(user_id, kept[0].id) and not accounts.sign_in_is_open(user_id, kept[1].id)
