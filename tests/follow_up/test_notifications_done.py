"""Notifications are done when their user acts on the issue; the bell counts only what still waits for them."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up import notifications, services
from meeting_hub.follow_up.models import Notification
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.follow_up.conftest import FollowUp, assigned_issue


def _user(name: str) -> User:
    return accounts.find_user(name)


def test_answering_marks_the_responders_notice_done_without_opening_it(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        colleague = factories.make_user(Role.RESPONDER, username="dong-nghiep", agency_id=follow_up.network.agency.id)
        issue = assigned_issue(follow_up)
        db.session.commit()
        responder, leader = _user("responder"), _user("leader")
        assert notifications.unread_count(responder) == 1
        assert notifications.unread_count(colleague) == 1
        services.answer_issue(issue, "Đã xử lý xong.", responder)
        db.session.commit()
        # The one who answered: read. The colleague's notice is unread but no longer waits for anyone at the agency.
        notice = db.session.query(Notification).filter_by(user_id=responder.id, issue_id=issue.id).one()
        assert notice.read_at is not None
        assert notifications.unread_count(responder) == 0
        assert notifications.unread_count(colleague) == 0
        assert notifications.unread_count(leader) == 1  # the answer waits for a leader
        services.close_issue(issue, leader)
        db.session.commit()
        assert notifications.unread_count(leader) == 0


def test_returned_answer_waits_for_the_agency_again(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up)
        responder, leader = _user("responder"), _user("leader")
        services.answer_issue(issue, "Trả lời sơ bộ.", responder)
        services.return_issue(issue, "Cần nêu rõ thời hạn khắc phục.", leader)
        db.session.commit()
        assert notifications.unread_count(responder) == 1  # the "returned" notice
        assert notifications.unread_count(leader) == 0  # the leader acted: their "answered" notice is done


def test_reassigning_to_another_agency_ends_the_first_agencys_notice(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up)
        db.session.commit()
        assert notifications.unread_count(_user("responder")) == 1
        services.assign_issue(issue, follow_up.network.other_agency.id, None, _user("leader"))
        db.session.commit()
        assert notifications.unread_count(_user("responder")) == 0
        assert notifications.unread_count(_user(follow_up.other_responder)) == 1


def test_overdue_notice_counts_until_the_due_date_moves_or_the_issue_is_answered(
    app: Flask, follow_up: FollowUp
) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up, due_on=local_today() + timedelta(days=1))
        issue.due_on = local_today() - timedelta(days=3)  # time passed
        responder = _user("responder")
        notifications.mark_all_read(responder)
        assert notifications.notify_overdue() >= 1
        db.session.commit()
        assert notifications.unread_count(responder) == 1
        issue.due_on = local_today() + timedelta(days=10)  # a new due date: the old notice is stale
        db.session.commit()
        assert notifications.unread_count(responder) == 0


def test_notifications_page_shows_done_notices_as_done(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up, title="Ngập úng khu dân cư")
        services.answer_issue(issue, "Đã khơi thông cống.", _user("responder"))
        db.session.commit()
    page = signed_in_client(app, "responder").get("/notifications").text
    assert "Ngập úng khu dân cư" in page
    assert "Đã xong" in page
    assert "Thông báo: 0 việc đang chờ bạn" in page
