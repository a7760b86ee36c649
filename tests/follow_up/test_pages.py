"""Pages of the follow-up: wiring and permissions of each page, the forms of each step, the PDF answer, the bell,
raising from the floor, the report-back on the briefing page, the home page sections and the category admin."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up import services
from meeting_hub.follow_up.models import Issue, IssueCategory, IssueStatus
from tests.attendance.conftest import signed_in_client
from tests.follow_up.conftest import FollowUp, assigned_issue, make_issue

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def _issue(app: Flask, issue_id: int) -> Issue:
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        assert issue is not None
        db.session.expunge(issue)
        return issue


def test_review_list_filters_searches_and_bulk_assigns(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        first = make_issue(follow_up.briefing_id, follow_up.network.hoang_hoa_tham.id, title="Lấn chiếm đất công")
        second = make_issue(follow_up.briefing_id, follow_up.network.sao_do.id, title="Đèn đường hỏng")
        db.session.commit()
        first_id, second_id = first.id, second.id
        due = (local_today() + timedelta(days=5)).isoformat()
    leader = signed_in_client(app, "leader")
    page = _text(leader.get("/issues?q=dat+dai+hoang+hoa+tham"))
    assert "Lấn chiếm đất công" in page
    assert "Đèn đường hỏng" not in page
    assert "1 ý kiến" in page
    assert "Đèn đường hỏng" in _text(leader.get(f"/issues?endpoint_id={follow_up.network.sao_do.id}&sort=endpoint"))
    response = leader.post(
        "/issues/bulk-assign",
        data={"issue_ids": [str(first_id), str(second_id)], "agency_id": follow_up.network.agency.id, "due_on": due},
    )
    assert response.status_code == 302
    assert _issue(app, first_id).status == IssueStatus.ASSIGNED
    assert _issue(app, second_id).due_on is not None
    summary = _text(leader.get("/issues/summary"))
    assert "Phòng Tài nguyên và Môi trường" in summary
    assert "Hoàng Hoa Thám" in summary


def test_responder_answers_with_a_pdf_from_the_queue(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue_id = assigned_issue(follow_up, title="Ô nhiễm nguồn nước").id
        db.session.commit()
    responder = signed_in_client(app, "responder")
    assert "Ô nhiễm nguồn nước" in _text(responder.get("/queue"))
    assert "Gửi trả lời" in _text(responder.get(f"/issues/{issue_id}"))
    response = responder.post(
        f"/issues/{issue_id}/answer",
        data={
            "body": "Đã lấy mẫu nước, kết quả đạt chuẩn.",
            "attachment": (io.BytesIO(PDF), "Công văn 12.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = _text(responder.get(f"/issues/{issue_id}"))
    assert "Công văn 12.pdf" in page
    link = re.search(r'href="(/issues/\d+/attachments/\d+)"', page)
    assert link is not None
    download = responder.get(link.group(1), buffered=True)
    assert download.status_code == 200
    assert download.data == PDF
    assert signed_in_client(app, "responder-qldt").get(link.group(1)).status_code == 404
    assert signed_in_client(app, "leader").get(link.group(1), buffered=True).status_code == 200


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_kept(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue_id = assigned_issue(follow_up).id
        db.session.commit()
    response = signed_in_client(app, "responder").post(
        f"/issues/{issue_id}/answer",
        data={"body": "Trả lời.", "attachment": (io.BytesIO(b"MZ not a pdf"), "virus.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Tệp không phải PDF hợp lệ." in _text(response)
    assert _issue(app, issue_id).status == IssueStatus.ASSIGNED


def test_refused_steps_on_the_web_are_explained_and_audited(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up)
        services.answer_issue(issue, "Xong.", accounts.find_user("responder"))
        services.close_issue(issue, accounts.find_user("leader"))
        db.session.commit()
        issue_id = issue.id
    response = signed_in_client(app, "responder").post(f"/issues/{issue_id}/answer", data={"body": "Thêm."})
    assert response.status_code == 409
    assert "Không thể trả lời ý kiến đang ở trạng thái “Đã đóng”." in _text(response)
    other = signed_in_client(app, "responder-qldt").post(f"/issues/{issue_id}/answer", data={"body": "Thêm."})
    assert other.status_code == 404
    with app.app_context():
        refused = db.session.scalars(sa.select(AuditEvent.actor_name).where(AuditEvent.action == "issue.refused"))
        assert sorted(refused) == ["responder", "responder-qldt"]


def test_organizer_records_an_issue_from_the_floor_once(app: Flask, follow_up: FollowUp) -> None:
    organizer = signed_in_client(app, "organizer")
    briefing_page = _text(organizer.get(f"/briefings/{follow_up.briefing_id}"))
    assert f"/briefings/{follow_up.briefing_id}/issues/new" in briefing_page
    form = _text(organizer.get(f"/briefings/{follow_up.briefing_id}/issues/new"))
    assert "Hạ tầng - giao thông" in form
    op = re.search(r'name="client_op_id" type="hidden" value="([^"]+)"', form)
    assert op is not None
    data = {
        "endpoint_id": follow_up.network.hoang_hoa_tham.id,
        "person_id": follow_up.network.hht_people[0].id,
        "category": "ha-tang-giao-thong",
        "priority": "high",
        "title": "Cầu tràn thôn Đông Xá ngập khi mưa",
        "content": "",
        "client_op_id": op.group(1),
    }
    for _ in range(2):  # a double tap sends the form twice
        assert organizer.post(f"/briefings/{follow_up.briefing_id}/issues/new", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 1
    assert "1 ý kiến nêu tại buổi này" in _text(organizer.get(f"/briefings/{follow_up.briefing_id}"))


def test_operators_raise_for_their_endpoint_and_see_the_report_back(app: Flask, follow_up: FollowUp) -> None:
    operator = signed_in_client(app, "op-sao-do")
    form = _text(operator.get(f"/briefings/{follow_up.briefing_id}/issues/new"))
    assert "Hoàng Hoa Thám" not in form
    page = _text(operator.get(f"/briefings/{follow_up.briefing_id}"))
    assert "Báo cáo kết quả trả lời ý kiến" in page
    assert "Ghi nhận ý kiến" in page
    # Responders and leaders do not record issues.
    assert "Ghi nhận ý kiến</a>" not in _text(
        signed_in_client(app, "leader").get(f"/briefings/{follow_up.briefing_id}")
    )
    assert signed_in_client(app, "responder").get(f"/briefings/{follow_up.briefing_id}/issues/new").status_code == 403


def test_the_bell_counts_unread_notifications(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        assigned_issue(follow_up, title="Sạt lở bờ kênh")
        db.session.commit()
    responder = signed_in_client(app, "responder")
    home = _text(responder.get("/"))
    assert "Thông báo: 1 việc đang chờ bạn" in home
    assert "mới giao" in home  # the queue figures on the home page
    notices = _text(responder.get("/notifications"))
    assert "Ý kiến mới giao cho cơ quan của bạn" in notices
    link = re.search(r'href="(/notifications/\d+)"', notices)
    assert link is not None
    assert responder.get(link.group(1)).status_code == 302
    assert "Thông báo: 0 việc đang chờ bạn" in _text(responder.get("/"))


def test_leaders_home_shows_the_overdue_count(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue = assigned_issue(follow_up)
        issue.due_on = local_today() - timedelta(days=1)  # as if assigned long ago
        db.session.commit()
    home = _text(signed_in_client(app, "leader").get("/"))
    assert re.search(r'<div class="stat text-danger">1</div><div class="small text-body">quá hạn', home)


def test_admins_edit_the_categories(app: Flask, follow_up: FollowUp) -> None:
    admin = signed_in_client(app, "admin")
    assert "Xây dựng Đảng" in _text(admin.get("/issue-categories"))
    response = admin.post(
        "/issue-categories/new", data={"name": "Y tế, giáo dục", "code": "y-te-giao-duc", "default_due_days": "10"}
    )
    assert response.status_code == 302
    with app.app_context():
        category = db.session.scalars(sa.select(IssueCategory).where(IssueCategory.code == "y-te-giao-duc")).one()
        assert category.default_due_days == 10
        category_id = category.id
    response = admin.post(
        f"/issue-categories/{category_id}/edit",
        data={"name": "Y tế", "code": "y-te", "default_due_days": "20", "position": "8"},
    )
    assert response.status_code == 302
    with app.app_context():
        category = db.session.get(IssueCategory, category_id)
        assert category is not None
        assert (category.name, category.code, category.default_due_days, category.active) == ("Y tế", "y-te", 20, False)
    assert signed_in_client(app, "leader").get("/issue-categories").status_code == 403


def test_pages_render_for_every_role(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue_id = assigned_issue(follow_up).id
        db.session.commit()
    for username in ("admin", "organizer", "leader", "op-sao-do", "responder"):
        client: FlaskClient = signed_in_client(app, username)
        for url in ("/", "/issues", f"/issues/{issue_id}", "/notifications", f"/briefings/{follow_up.briefing_id}"):
            assert client.get(url).status_code == 200, (username, url)
