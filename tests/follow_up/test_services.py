"""Workflow services: due dates and the overdue day boundary in Asia/Ho_Chi_Minh, raising rules, notifications,
the report-back, the summaries, bulk assignment, and no query per row on the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, Conflict, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.follow_up import notifications, search, services, summary
from meeting_hub.follow_up.models import Issue, IssueAction, IssueCategory, IssueEvent, IssueStatus, Notification
from meeting_hub.follow_up.workflow import TRANSITIONS, allowed_actions, is_overdue
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.concurrency import run_at_once
from tests.conftest import base_config
from tests.follow_up.conftest import FollowUp, assigned_issue, make_issue, op_id

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HCM).astimezone(UTC)


def test_overdue_starts_at_local_midnight_after_the_due_date(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        due = date(2030, 3, 10)
        issue = assigned_issue(follow_up, due_on=due, now=_local(date(2030, 3, 1), 9))
        db.session.commit()
        leader = accounts.find_user("leader")
        last_minute = _local(due, 23, 59)  # 16:59 UTC on the due date
        first_minute = _local(due + timedelta(days=1), 0, 0)  # 17:00 UTC, still the due date in UTC
        assert last_minute.date() == first_minute.date() == due  # in UTC both are on the due date
        assert not is_overdue(issue, local_today(last_minute))
        assert is_overdue(issue, local_today(first_minute))
        overdue = search.IssueFilters(overdue=True)
        assert search.list_issues(leader, overdue, now=last_minute).total == 0
        assert search.list_issues(leader, overdue, now=first_minute).total == 1
        assert search.list_issues(leader, search.IssueFilters(overdue=False), now=first_minute).total == 0
        assert summary.status_counts(leader, first_minute)["overdue"] == 1


def test_closed_and_withdrawn_issues_are_never_overdue(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        start = _local(date(2030, 3, 1), 9)
        closed = assigned_issue(follow_up, due_on=date(2030, 3, 5), now=start)
        services.answer_issue(closed, "Đã xử lý.", accounts.find_user("responder"), now=start)
        services.close_issue(closed, accounts.find_user("leader"), now=start)
        withdrawn = assigned_issue(follow_up, due_on=date(2030, 3, 5), now=start)
        services.withdraw_issue(withdrawn, "Trùng ý kiến.", accounts.find_user("organizer"), now=start)
        answered = assigned_issue(follow_up, due_on=date(2030, 3, 5), now=start)
        services.answer_issue(answered, "Đã xử lý.", accounts.find_user("responder"), now=start)
        db.session.commit()
        later = local_today(_local(date(2030, 4, 1), 9))
        assert not is_overdue(closed, later)
        assert not is_overdue(withdrawn, later)
        assert is_overdue(answered, later)  # not closed: a leader still has to accept it


def test_due_date_defaults_to_the_categorys_days(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        category = db.session.scalars(sa.select(IssueCategory).where(IssueCategory.code == "moi-truong")).one()
        category.default_due_days = 7
        now = _local(date(2030, 3, 1), 22)
        default = assigned_issue(follow_up, now=now)
        environment = assigned_issue(follow_up, now=now, category="moi-truong")
        assert default.due_on == date(2030, 3, 16)  # 15 days, the configured default
        assert environment.due_on == date(2030, 3, 8)


def test_config_sets_the_default_of_new_categories(app: Flask, follow_up: FollowUp) -> None:
    app.config["ISSUE_DEFAULT_DUE_DAYS"] = 20
    with app.app_context():
        category = services.create_category(
            services.CategoryData(code="y-te", name="Y tế"), accounts.find_user("admin")
        )
        assert category.default_due_days == 20
        with pytest.raises(ValidationFailed):
            services.create_category(services.CategoryData(code="y-te", name="Trùng"), accounts.find_user("admin"))


def test_a_due_date_in_the_past_is_refused(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = make_issue(follow_up.briefing_id, follow_up.network.sao_do.id)
        with pytest.raises(ValidationFailed):
            services.assign_issue(
                issue, follow_up.network.agency.id, local_today() - timedelta(days=1), accounts.find_user("leader")
            )


def test_raising_needs_a_briefing_that_is_live_or_ended(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        start = utcnow() + timedelta(days=3)
        later = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=1)), organizer
        )
        data = services.IssueData(
            endpoint_id=follow_up.network.sao_do.id, category="khac", title="Ý kiến", client_op_id=op_id()
        )
        with pytest.raises(Conflict):
            services.raise_issue(later, data, organizer)
        ended = scheduling.get_briefing(follow_up.briefing_id)
        factories.close_briefing(ended, organizer)
        # An operator's console may send what it kept offline after the briefing ended.
        result = services.raise_issue(ended, data, accounts.find_user("op-sao-do"))
        assert result.issue.status == IssueStatus.NEW


def test_raising_checks_the_person_category_and_role(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(follow_up.briefing_id)
        organizer = accounts.find_user("organizer")

        def data(**kw: object) -> services.IssueData:
            values: dict[str, object] = {
                "endpoint_id": follow_up.network.sao_do.id,
                "category": "dat-dai",
                "title": "Ý kiến",
                "client_op_id": op_id(),
            }
            values.update(kw)
            return services.IssueData(**values)  # type: ignore[arg-type]

        with pytest.raises(ValidationFailed) as error:
            services.raise_issue(briefing, data(person_id=follow_up.network.hht_people[0].id), organizer)
        assert "person_id" in error.value.details
        with pytest.raises(ValidationFailed):
            services.raise_issue(briefing, data(category="khong-co"), organizer)
        with pytest.raises(ValidationFailed):
            services.raise_issue(briefing, data(title="   "), organizer)
        with pytest.raises(ValidationFailed):
            services.raise_issue(briefing, data(client_op_id="short"), organizer)
        with pytest.raises(AccessDenied):
            services.raise_issue(briefing, data(), accounts.find_user("leader"))
        with pytest.raises(AccessDenied):
            services.raise_issue(briefing, data(), accounts.find_user("op-hoang-hoa-tham"))


def test_the_transition_table_is_the_whole_workflow() -> None:
    assert allowed_actions(IssueStatus.ANSWERED, Role.LEADER) == [IssueAction.CLOSE, IssueAction.RETURN]
    assert allowed_actions(IssueStatus.ASSIGNED, Role.RESPONDER) == [IssueAction.ANSWER]
    assert allowed_actions(IssueStatus.CLOSED, Role.ADMIN) == []
    assert {target for (_source, _action), target in TRANSITIONS.items()} == {
        IssueStatus.ASSIGNED,
        IssueStatus.ANSWERED,
        IssueStatus.CLOSED,
        IssueStatus.WITHDRAWN,
    }


def _notices(user: str) -> list[tuple[str, int]]:
    user_id = accounts.find_user(user).id
    return [
        (n.kind.value, n.issue_id)
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    ]


def test_notifications_follow_the_steps(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up)
        assert _notices("responder") == [("assigned", issue.id)]
        assert _notices("responder-qldt") == []
        services.answer_issue(issue, "Trả lời.", accounts.find_user("responder"))
        assert _notices("leader") == [("answered", issue.id)]
        services.return_issue(issue, "Thiếu căn cứ.", accounts.find_user("leader"))
        assert _notices("responder") == [("assigned", issue.id), ("returned", issue.id)]
        # Reassigned to another agency: its responders are told.
        services.assign_issue(issue, follow_up.network.other_agency.id, None, accounts.find_user("leader"))
        assert _notices("responder-qldt") == [("assigned", issue.id)]
        db.session.commit()
        # The first agency's notices no longer count: it answered (done) and the issue went elsewhere.
        assert notifications.unread_count(accounts.find_user("responder")) == 0
        other = accounts.find_user("responder-qldt")
        assert notifications.unread_count(other) == 1
        first = notifications.recent(other)[-1]
        assert notifications.open_notification(first.id, accounts.find_user("leader")) is None
        assert notifications.open_notification(first.id, other) == issue.id
        assert notifications.unread_count(other) == 0
        services.assign_issue(issue, follow_up.network.agency.id, None, accounts.find_user("leader"))
        assert notifications.unread_count(accounts.find_user("responder")) == 1  # assigned back: waits again
        notifications.mark_all_read(accounts.find_user("responder"))
        assert notifications.unread_count(accounts.find_user("responder")) == 0


def test_notify_overdue_tells_once_per_due_date(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up, due_on=date(2030, 3, 10), now=_local(date(2030, 3, 1), 9))
        db.session.commit()
        issue_id = issue.id
    runner = app.test_cli_runner()
    with app.app_context():
        assert notifications.notify_overdue(_local(date(2030, 3, 10), 20)) == 0
        assert notifications.notify_overdue(_local(date(2030, 3, 11), 8)) == 2  # the responder and the leader
        assert notifications.notify_overdue(_local(date(2030, 3, 12), 8)) == 0
        db.session.commit()
        assert ("overdue", issue_id) in _notices("leader")
    result = runner.invoke(args=["notify-overdue"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo 0 thông báo quá hạn." in result.output


def test_report_back_lists_what_was_answered_since_and_what_is_overdue(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        organizer, leader = accounts.find_user("organizer"), accounts.find_user("leader")
        responder = accounts.find_user("responder")
        past = scheduling.get_briefing(follow_up.briefing_id)
        answered = assigned_issue(follow_up, title="Đã trả lời")
        services.answer_issue(answered, "Đã xử lý xong.", responder)
        closed = assigned_issue(follow_up, title="Đã đóng")
        services.answer_issue(closed, "Xong.", responder)
        services.close_issue(closed, leader)
        still_open = assigned_issue(follow_up, title="Còn đang xử lý")
        late = make_issue(follow_up.briefing_id, follow_up.network.hoang_hoa_tham.id, title="Quá hạn")
        services.assign_issue(late, follow_up.network.agency.id, local_today(), leader)
        factories.close_briefing(past, organizer)
        start = utcnow() + timedelta(days=30)
        following = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=2)), organizer
        )
        db.session.commit()

        # 20 days on: "Đã trả lời" is past its date too, but it has its answer: it is read out once, with the answers.
        report = summary.report_back(following, leader, now=utcnow() + timedelta(days=20))
        assert report.previous is not None and report.previous.id == past.id
        by_endpoint = {part.endpoint.name: part for part in report.endpoints}
        assert [i.title for i in by_endpoint["Sao Đỏ"].resolved] == ["Đã trả lời", "Đã đóng"]
        assert [i.title for i in by_endpoint["Sao Đỏ"].overdue] == [still_open.title]
        assert [i.title for i in by_endpoint["Hoàng Hoa Thám"].overdue] == ["Quá hạn"]
        soon = summary.report_back(following, leader, now=utcnow() + timedelta(days=2))
        assert [i.title for part in soon.endpoints for i in part.overdue] == ["Quá hạn"]
        # An operator reads their own endpoint's part only.
        own = summary.report_back(following, accounts.find_user("op-hoang-hoa-tham"), now=utcnow() + timedelta(days=2))
        assert [part.endpoint.name for part in own.endpoints] == ["Hoàng Hoa Thám"]


def test_agency_summary_counts_on_time_answers_and_the_median(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        responder, leader = accounts.find_user("responder"), accounts.find_user("leader")
        day = date(2030, 3, 1)
        for answer_after, due_days in [(2, 10), (4, 10), (12, 10)]:
            issue = assigned_issue(follow_up, due_on=day + timedelta(days=due_days), now=_local(day, 9))
            services.answer_issue(issue, "Trả lời.", responder, now=_local(day + timedelta(days=answer_after), 23, 30))
        assigned_issue(follow_up, due_on=day + timedelta(days=3), now=_local(day, 9))  # open, overdue later
        db.session.commit()
        rows = summary.by_agency(leader, search.IssueFilters(), now=_local(day + timedelta(days=20), 9))
        row = {r.agency.name: r for r in rows}["Phòng Tài nguyên và Môi trường"]
        assert (row.assigned, row.answered, row.answered_on_time, row.open, row.overdue) == (4, 3, 2, 4, 1)
        assert row.median_days_to_answer == 4
        assert row.on_time_percent == 67
        endpoint_rows = summary.by_endpoint_and_status(leader, search.IssueFilters(), now=_local(day, 10))
        assert [(r.endpoint.name, r.by_status) for r in endpoint_rows] == [
            ("Sao Đỏ", {IssueStatus.ANSWERED: 3, IssueStatus.ASSIGNED: 1})
        ]


def test_bulk_assignment_is_all_or_nothing(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        leader = accounts.find_user("leader")
        first = make_issue(follow_up.briefing_id, follow_up.network.sao_do.id)
        second = make_issue(follow_up.briefing_id, follow_up.network.hoang_hoa_tham.id)
        assigned = services.bulk_assign([first.id, second.id], follow_up.network.agency.id, None, leader)
        assert [i.status for i in assigned] == [IssueStatus.ASSIGNED, IssueStatus.ASSIGNED]
        db.session.commit()
        services.answer_issue(first, "Xong.", accounts.find_user("responder"))
        db.session.commit()
        with pytest.raises(services.TransitionRefused):
            services.bulk_assign([second.id, first.id], follow_up.network.other_agency.id, None, leader)
        db.session.rollback()
        assert db.session.get(type(second), second.id).agency_id == follow_up.network.agency.id  # type: ignore[union-attr]


def test_the_list_page_takes_the_same_queries_for_5_or_50_issues(app: Flask, follow_up: FollowUp) -> None:
    def queries_for_a_page() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        with app.app_context():
            leader = accounts.find_user("leader")
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                page = search.list_issues(leader, search.IssueFilters(q="dat"))
                for issue in page.items:  # what a row shows
                    _ = (
                        issue.endpoint.name,
                        issue.category.name,
                        issue.agency,
                        issue.cell,
                        issue.person,
                        issue.raised_by,
                    )
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    with app.app_context():
        for _ in range(5):
            assigned_issue(follow_up, person_id=follow_up.network.sao_do_people[0].id)
        db.session.commit()
    few = queries_for_a_page()
    with app.app_context():
        for _ in range(45):
            assigned_issue(follow_up, person_id=follow_up.network.sao_do_people[1].id)
        db.session.commit()
    assert queries_for_a_page() == few


def test_the_migration_seeds_the_categories(tmp_path: Path) -> None:
    migrated = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'migrated.db'}"))
    with migrated.app_context():
        upgrade()
        categories = services.list_categories()
        assert [(c.code, c.name, c.default_due_days) for c in categories] == [
            (code, name, 15) for code, name in services.DEFAULT_CATEGORIES
        ]
        assert categories[1].search_text == "ha tang - giao thong ha-tang-giao-thong"
        db.engine.dispose()


def _raise_five_times_at_once(app: Flask, briefing_id: int, endpoint_id: int) -> list[bool]:
    """Send the same raise (one client_op_id) from five threads at once; return each one's `replayed`."""

    def send(ready: Callable[[], None]) -> bool:
        briefing = scheduling.get_briefing(briefing_id)
        operator = accounts.find_user("op-sao-do")
        ready()
        data = services.IssueData(
            endpoint_id=endpoint_id, category="khac", title="Mất điện", client_op_id="five-at-once"
        )
        return services.raise_issue(briefing, data, operator).replayed

    return run_at_once(app, send)


def _assert_one_issue(app: Flask) -> None:
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(IssueEvent.id))) == 1


def test_the_same_raise_five_times_at_once_makes_one_issue_on_sqlite(app: Flask, follow_up: FollowUp) -> None:
    outcomes = _raise_five_times_at_once(app, follow_up.briefing_id, follow_up.network.sao_do.id)
    assert sorted(outcomes) == [False, True, True, True, True]
    _assert_one_issue(app)


@pytest.mark.postgres
def test_the_same_raise_five_times_at_once_makes_one_issue_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    pg_app = create_app(base_config(tmp_path, postgres_url))
    with pg_app.app_context():
        db.create_all()
        services.seed_default_categories()
        network = factories.make_small_network()
        briefing = factories.make_live_briefing(hours=1)
        briefing_id, endpoint_id = briefing.id, network.sao_do.id
    try:
        outcomes = _raise_five_times_at_once(pg_app, briefing_id, endpoint_id)
        assert sorted(outcomes) == [False, True, True, True, True]
        _assert_one_issue(pg_app)
    finally:
        with pg_app.app_context():
            db.engine.dispose()
