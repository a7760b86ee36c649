"""The reports' queries on PostgreSQL: freezing the minutes on closing, the statistics, flags and exports."""

from __future__ import annotations

import pytest
from flask import Flask

from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up.search import IssueFilters
from meeting_hub.reports import exports, minutes, statistics
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.reports.conftest import hold_briefing


@pytest.mark.postgres
def test_reports_on_postgresql(postgres_app: Flask) -> None:
    with postgres_app.app_context():
        assert db.engine.dialect.name == "postgresql"
        held = hold_briefing(factories.make_small_network())
        briefing = scheduling.get_briefing(held.briefing_id)
        assert [v.version for v in minutes.list_versions(briefing)] == [1]
        stats = statistics.attendance_statistics(local_today())
        totals = stats.totals
        assert (totals.expected, totals.present, totals.late, totals.excused, totals.absent, totals.unrecorded) == (
            5,
            1,
            1,
            1,
            1,
            1,
        )
        assert statistics.absence_flags() == []
        assert len(statistics.person_history(briefing.endpoints[0].cells[0].people[0]).entries) == 1
        leader = factories.make_user(username="leader-2")
        assert statistics.issue_statistics(leader, IssueFilters()).totals.raised == 2
        assert len(exports.export_rows(briefing)) == 6
        db.session.rollback()
