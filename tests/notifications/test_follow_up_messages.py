"""Follow-up messages beside the bell: assigned (the agency's responders), answered (leaders), returned, overdue."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up import services
from meeting_hub.notifications.follow_up_notices import tell_overdue
from tests.follow_up.conftest import FollowUp, assigned_issue
from tests.notifications.conftest import outbox


def _with_email(*usernames: str) -> None:
    for username in usernames:
        user = accounts.find_user(username)
        user.email, user.channels = f"{username}@chilinh.gov.vn", ["email"]


def test_each_workflow_step_messages_whom_the_bell_tells(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        _with_email("responder", "leader", follow_up.other_responder)
        db.session.commit()
        responder, leader = accounts.find_user("responder"), accounts.find_user("leader")
        issue = assigned_issue(follow_up, due_on=local_today() + timedelta(days=10))
        db.session.commit()
        assigned = outbox("issue.assigned")
        # The agency's responder, not the other agency's; by e-mail, with the issue's link.
        assert [(m.user_id, m.address) for m in assigned] == [(responder.id, "responder@chilinh.gov.vn")]
        assert assigned[0].subject == "Ý kiến được giao xử lý: Tranh chấp đất đai"
        assert f"/issues/{issue.id}" in assigned[0].body_text
        services.answer_issue(issue, "Đã xử lý xong.", responder)
        db.session.commit()
        assert [m.user_id for m in outbox("issue.answered")] == [leader.id]
        services.return_issue(issue, "Chưa đủ căn cứ.", leader)
        db.session.commit()
        assert [m.user_id for m in outbox("issue.returned")] == [responder.id]
        assert len(outbox()) == 3


def test_a_rolled_back_step_sends_nothing(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        _with_email("responder")
        db.session.commit()
        assigned_issue(follow_up)
        db.session.rollback()
        assert outbox() == []


def test_overdue_issues_are_messaged_once_per_due_date(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        _with_email("responder", "leader")
        db.session.commit()
        issue = assigned_issue(follow_up, due_on=local_today() + timedelta(days=1))
        db.session.commit()
        assert tell_overdue() == 0  # not due yet
        issue.due_on = local_today() - timedelta(days=1)
        db.session.commit()
        assert tell_overdue() == 2  # the agency's responder and the leader
        db.session.commit()
        assert tell_overdue() == 0  # the next day's check: told already for this due date
        rows = outbox("issue.overdue")
        assert {m.event_key for m in rows} == {f"issue:{issue.id}:overdue:{issue.due_on}"}
        assert "đã quá hạn xử lý" in rows[0].body_text
