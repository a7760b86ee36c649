"""The issue's "Done when": one full cycle through the REST API with a live dashboard watching, and each refusal
refused, with nothing changed and an audit line."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.clock import local_today
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, IssueEvent
from tests.attendance.conftest import received_events, socket_client, token_for
from tests.follow_up.conftest import FollowUp, op_id


class Api:
    """Calls the API as one user, with a bearer token (no session, no CSRF)."""

    def __init__(self, app: Flask, username: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.headers = {"Authorization": f"Bearer {token_for(app, username)}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(url, json=body or {}, headers=self.headers)


def _raise_body(fu: FollowUp, client_op_id: str) -> dict[str, Any]:
    return {
        "endpoint_id": fu.network.sao_do.id,
        "person_id": fu.network.sao_do_people[0].id,
        "category": "dat-dai",
        "title": "Tranh chấp đất đai ở khu dân cư Hàn Giang",
        "content": "Hai hộ tranh chấp ranh giới đất, đề nghị phường sớm giải quyết.",
        "client_op_id": client_op_id,
    }


def test_one_full_cycle_with_its_timeline(app: Flask, follow_up: FollowUp) -> None:
    fu = follow_up
    dashboard = socket_client(app, username="organizer")
    assert dashboard.emit("watch", {"briefing_id": fu.briefing_id}, namespace="/live", callback=True)["ok"]
    sao_do_console = socket_client(app, username="op-sao-do")
    hht_console = socket_client(app, username="op-hoang-hoa-tham")
    for console in (sao_do_console, hht_console):
        assert console.emit("watch", {"briefing_id": fu.briefing_id}, namespace="/live", callback=True)["ok"]
        console.get_received("/live")
    operator, leader = Api(app, "op-sao-do"), Api(app, "leader")
    responder = Api(app, "responder")

    # The console sent it, lost the answer (offline), and sends the same operation again when the link returns.
    body = _raise_body(fu, "offline-outbox-0001")
    first = operator.post(f"/api/v1/briefings/{fu.briefing_id}/issues", body)
    replay = operator.post(f"/api/v1/briefings/{fu.briefing_id}/issues", body)
    assert first.status_code == 201, first.json
    assert replay.status_code == 200
    assert replay.json == first.json
    issue_id = first.json["id"]
    assert first.json["status"] == "new"
    assert first.json["person_name"] == "Nguyễn Văn Đức"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 1

    issue_events = [e for e in received_events(dashboard) if e["type"] == "issue"]
    assert [(e["issue_id"], e["action"], e["status"], e["endpoint_id"]) for e in issue_events] == [
        (issue_id, "raise", "new", fu.network.sao_do.id)
    ]
    assert [e["issue_id"] for e in received_events(sao_do_console) if e["type"] == "issue"] == [issue_id]
    assert [e for e in received_events(hht_console) if e["type"] == "issue"] == []

    with app.app_context():
        due_on = (local_today() + timedelta(days=10)).isoformat()
    steps = [
        (leader, "assign", {"agency_id": fu.network.agency.id, "due_on": due_on}, "assigned"),
        (responder, "answer", {"body": "Phường đã đo đạc lại, hai hộ đã thống nhất ranh giới."}, "answered"),
        (leader, "return", {"reason": "Cần kèm biên bản hòa giải."}, "assigned"),
        (responder, "answer", {"body": "Gửi kèm biên bản hòa giải ngày 12/3."}, "answered"),
        (leader, "close", {"comment": "Đồng ý."}, "closed"),
    ]
    for caller, action, payload, status in steps:
        response = caller.post(f"/api/v1/issues/{issue_id}/{action}", payload)
        assert response.status_code == 200, (action, response.json)
        assert response.json["status"] == status

    detail = leader.get(f"/api/v1/issues/{issue_id}").json
    assert detail["agency_name"] == "Phòng Tài nguyên và Môi trường"
    assert detail["due_on"] == due_on
    assert detail["answer"] == "Gửi kèm biên bản hòa giải ngày 12/3."
    timeline = detail["timeline"]
    assert [(t["action"], t["actor"], t["to_status"]) for t in timeline] == [
        ("raise", "op-sao-do", "new"),
        ("assign", "leader", "assigned"),
        ("answer", "responder", "answered"),
        ("return", "leader", "assigned"),
        ("answer", "responder", "answered"),
        ("close", "leader", "closed"),
    ]
    assert timeline[3]["comment"] == "Cần kèm biên bản hòa giải."
    times = [datetime.fromisoformat(t["at"]) for t in timeline]
    assert all(t.utcoffset() == timedelta(hours=7) for t in times)
    assert times == sorted(times)
    # Every step reached the dashboard too, in order.
    assert [e["action"] for e in received_events(dashboard) if e["type"] == "issue"] == [
        "assign",
        "answer",
        "return",
        "answer",
        "close",
    ]
    # A replay even after all that answers the original result, and still writes nothing.
    late_replay = operator.post(f"/api/v1/briefings/{fu.briefing_id}/issues", body)
    assert (late_replay.status_code, late_replay.json) == (200, first.json)
    with app.app_context():
        audited = list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.target == f"issue:{issue_id}").order_by(AuditEvent.id)
            )
        )
    assert audited == ["issue.raise", "issue.assign", "issue.answer", "issue.return", "issue.answer", "issue.close"]


def _state(app: Flask, issue_id: int) -> tuple[Any, ...]:
    with app.app_context():
        issue = db.session.get(Issue, issue_id)
        assert issue is not None
        steps = db.session.scalar(sa.select(sa.func.count(IssueEvent.id)).where(IssueEvent.issue_id == issue_id))
        return issue.status, issue.agency_id, issue.due_on, issue.answer, issue.updated_at, steps


def _audit_lines(app: Flask, username: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.target, AuditEvent.detail)
            .where(AuditEvent.actor_name == username, AuditEvent.action.in_(["access.denied", "issue.refused"]))
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(row) for row in rows]


def _issue_in(app: Flask, fu: FollowUp, status: str) -> int:
    """Raise an issue at Sao Đỏ and walk it to a status through the API."""
    issue_id: int = (
        Api(app, "organizer").post(f"/api/v1/briefings/{fu.briefing_id}/issues", _raise_body(fu, op_id())).json["id"]
    )
    leader, responder = Api(app, "leader"), Api(app, "responder")
    path = {
        "new": [],
        "assigned": [(leader, "assign", {"agency_id": fu.network.agency.id})],
        "answered": [(leader, "assign", {"agency_id": fu.network.agency.id}), (responder, "answer", {"body": "Xong."})],
        "closed": [
            (leader, "assign", {"agency_id": fu.network.agency.id}),
            (responder, "answer", {"body": "Xong."}),
            (leader, "close", {}),
        ],
    }[status]
    for caller, action, payload in path:
        assert caller.post(f"/api/v1/issues/{issue_id}/{action}", payload).status_code == 200
    return issue_id


@pytest.mark.parametrize(
    ("username", "status", "action", "payload", "http_status", "audit_action"),
    [
        ("responder", "answered", "close", {}, 403, "access.denied"),
        ("op-sao-do", "new", "assign", {"agency_id": 1}, 403, "access.denied"),
        ("responder", "closed", "answer", {"body": "Trả lời thêm."}, 409, "issue.refused"),
        ("responder-qldt", "assigned", "answer", {"body": "Không phải việc của tôi."}, 404, "issue.refused"),
        ("leader", "new", "close", {}, 409, "issue.refused"),
        ("organizer", "closed", "withdraw", {"reason": "Trùng."}, 409, "issue.refused"),
    ],
)
def test_refusals_change_nothing_and_are_audited(
    app: Flask,
    follow_up: FollowUp,
    username: str,
    status: str,
    action: str,
    payload: dict[str, Any],
    http_status: int,
    audit_action: str,
) -> None:
    issue_id = _issue_in(app, follow_up, status)
    before = _state(app, issue_id)
    response = Api(app, username).post(f"/api/v1/issues/{issue_id}/{action}", payload)
    assert response.status_code == http_status
    assert set(response.json["error"]) >= {"code", "message"}
    assert _state(app, issue_id) == before
    lines = _audit_lines(app, username)
    assert len(lines) == 1
    assert lines[0][0] == audit_action
    if audit_action == "issue.refused":
        assert lines[0][1] == f"issue:{issue_id}"
        assert f'"step": "{action}"' in lines[0][2]


def test_a_refused_transition_says_why_in_vietnamese(app: Flask, follow_up: FollowUp) -> None:
    issue_id = _issue_in(app, follow_up, "closed")
    response = Api(app, "responder").post(f"/api/v1/issues/{issue_id}/answer", {"body": "Thêm."})
    assert response.json["error"]["code"] == "conflict"
    assert response.json["error"]["message"] == "Không thể trả lời ý kiến đang ở trạng thái “Đã đóng”."


def test_responders_see_nothing_of_other_agencies(app: Flask, follow_up: FollowUp) -> None:
    issue_id = _issue_in(app, follow_up, "assigned")
    other = Api(app, "responder-qldt")
    assert other.get(f"/api/v1/issues/{issue_id}").status_code == 404
    assert other.get("/api/v1/issues").json["total"] == 0
    assert other.get(f"/api/v1/briefings/{follow_up.briefing_id}/issues").json == []
    assert Api(app, "responder").get("/api/v1/issues").json["total"] == 1
    # Operators see their own endpoint's issues only.
    assert Api(app, "op-hoang-hoa-tham").get(f"/api/v1/issues/{issue_id}").status_code == 404
    assert Api(app, "op-sao-do").get(f"/api/v1/issues/{issue_id}").status_code == 200


def test_operators_raise_for_their_own_endpoint_only(app: Flask, follow_up: FollowUp) -> None:
    body = {**_raise_body(follow_up, op_id()), "endpoint_id": follow_up.network.hoang_hoa_tham.id, "person_id": None}
    response = Api(app, "op-sao-do").post(f"/api/v1/briefings/{follow_up.briefing_id}/issues", body)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 0


def test_categories_are_listed_with_code_and_name(app: Flask, follow_up: FollowUp) -> None:
    categories = Api(app, "op-sao-do").get("/api/v1/categories").json
    assert [c["code"] for c in categories][:3] == ["dat-dai", "ha-tang-giao-thong", "moi-truong"]
    assert categories[0]["name"] == "Đất đai"
