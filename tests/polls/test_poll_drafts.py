"""Editing and deleting draft polls: the service (same rules as creating, drafts only, managers only, audited) and
the REST operations PATCH/DELETE /api/v1/polls/{id}."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.errors import AccessDenied, Conflict, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind, PollStatus
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.polls.conftest import PollSetting, make_poll, make_scheduled_briefing, token_for
from tests.polls.test_poll_services import BAD_DRAFTS


def _draft(**overrides: Any) -> services.PollDraft:
    values: dict[str, Any] = {
        "question": "Chọn ngày ra quân?",
        "options": ["Thứ Bảy", "Chủ nhật"],
        "kind": PollKind.NAMED,
        "multiple": False,
    }
    values.update(overrides)
    return services.PollDraft(values["question"], values["options"], values["kind"], values["multiple"])


def _audit(action: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()
    return [json.loads(row.detail) | {"target": row.target, "actor": row.actor_name} for row in rows]


def test_a_draft_is_rewritten_with_the_rules_of_a_new_poll(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        poll = db.session.get(Poll, poll_id)
        for overrides, message in BAD_DRAFTS:
            with pytest.raises(ValidationFailed) as caught:
                services.update_poll(poll, _draft(**overrides), organizer)
            assert caught.value.message == message, overrides
            db.session.rollback()
        poll = db.session.get(Poll, poll_id)
        changed = _draft(
            question=" Ngày nào? ", options=[" Sáng ", "Chiều", "Tối"], kind=PollKind.SECRET, multiple=True
        )
        services.update_poll(poll, changed, organizer)
        db.session.commit()
        db.session.expire_all()
        poll = db.session.get(Poll, poll_id)
        assert (poll.question, poll.options, poll.kind, poll.multiple, poll.status) == (
            "Ngày nào?",
            ["Sáng", "Chiều", "Tối"],
            PollKind.SECRET,
            True,
            PollStatus.DRAFT,
        )
        assert _audit("poll.update") == [
            {
                "poll_id": poll_id,
                "question": "Ngày nào?",
                "target": f"briefing:{setting.briefing_id}",
                "actor": "organizer",
            }
        ]


def test_only_a_draft_is_edited_or_deleted(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        open_id = make_poll(setting.briefing_id, PollKind.NAMED)
        closed_id = make_poll(setting.briefing_id, PollKind.ENDPOINT)
        services.close_poll(db.session.get(Poll, closed_id), organizer)
        db.session.commit()
        for poll_id in (open_id, closed_id):
            with pytest.raises(Conflict) as caught:
                services.update_poll(db.session.get(Poll, poll_id), _draft(), organizer)
            assert caught.value.message == "Câu hỏi thăm dò đã mở hoặc đã đóng: không sửa được nữa."
            db.session.rollback()
            with pytest.raises(Conflict) as caught:
                services.delete_poll(db.session.get(Poll, poll_id), organizer)
            assert caught.value.message == "Câu hỏi thăm dò đã mở hoặc đã đóng: không xóa được."
            db.session.rollback()
        db.session.expire_all()
        assert db.session.get(Poll, open_id).question != "Chọn ngày ra quân?"
        assert db.session.get(Poll, closed_id).status == PollStatus.CLOSED
        assert _audit("poll.update") == [] and _audit("poll.delete") == []


def test_only_managers_edit_or_delete(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        for username in ("leader", "responder", "op-sao-do"):
            user = accounts.find_user(username)
            with pytest.raises(AccessDenied):
                services.update_poll(db.session.get(Poll, poll_id), _draft(), user)
            with pytest.raises(AccessDenied):
                services.delete_poll(db.session.get(Poll, poll_id), user)
            db.session.rollback()
        assert db.session.get(Poll, poll_id) is not None


def test_deleting_a_draft_removes_it_and_is_audited(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        admin = accounts.find_user("admin")
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET, opened=False)
        kept_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        services.delete_poll(db.session.get(Poll, poll_id), admin)
        db.session.commit()
        assert db.session.get(Poll, poll_id) is None
        briefing = scheduling.get_briefing(setting.briefing_id)
        assert [p.id for p in services.briefing_polls(briefing, admin)] == [kept_id]
        (entry,) = _audit("poll.delete")
        assert (entry["poll_id"], entry["actor"], entry["target"]) == (poll_id, "admin", f"briefing:{briefing.id}")


def test_an_edit_before_opening_is_what_opens(app: Flask, setting: PollSetting) -> None:
    """The opened event carries the poll as it is when opened, re-read under the row lock, not a stale copy."""
    with app.app_context():
        organizer = accounts.find_user("organizer")
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        stale = db.session.get(Poll, poll_id)
        assert stale.question  # loaded in this session
        db.session.execute(sa.update(Poll).where(Poll.id == poll_id).values(question="Sửa ở nơi khác?"))
        event = services.open_poll(stale, organizer)
        db.session.commit()
        assert event["poll"]["question"] == "Sửa ở nơi khác?"


def test_opening_refusal_says_why(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        live = scheduling.get_briefing(setting.briefing_id)
        assert services.opening_refusal(live) is None
        upcoming = scheduling.get_briefing(make_scheduled_briefing())
        refusal = services.opening_refusal(upcoming)
        assert refusal is not None and "chưa bắt đầu" in refusal
        poll = services.create_poll(upcoming, _draft(), organizer)
        db.session.commit()
        with pytest.raises(Conflict) as caught:
            services.open_poll(poll, organizer)
        assert caught.value.message == refusal
        db.session.rollback()
        ended_briefing = scheduling.get_briefing(setting.briefing_id)
        factories.close_briefing(ended_briefing, organizer)
        db.session.commit()
        ended = services.opening_refusal(ended_briefing)
        assert ended is not None and "đã kết thúc" in ended


# REST


def _headers(app: Flask, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, username)}"}


def test_patch_changes_the_fields_sent_and_keeps_the_rest(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
    organizer = _headers(app, "organizer")
    response = client.patch(f"/api/v1/polls/{poll_id}", json={"multiple": True, "kind": "secret"}, headers=organizer)
    assert response.status_code == 200, response.json
    poll = response.json
    assert (poll["multiple"], poll["kind"], poll["status"]) == (True, "secret", "draft")
    assert poll["options"] == ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
    response = client.patch(f"/api/v1/polls/{poll_id}", json={"options": ["Có", "Không"]}, headers=organizer)
    assert response.status_code == 200 and response.json["options"] == ["Có", "Không"]
    assert response.json["kind"] == "secret" and response.json["multiple"] is True
    bad = client.patch(f"/api/v1/polls/{poll_id}", json={"options": ["Có", " có"]}, headers=organizer)
    assert bad.status_code == 422
    assert bad.json["error"]["message"] == "Các phương án trả lời không được trùng nhau."
    assert client.patch(f"/api/v1/polls/{poll_id}", json={"kind": "vote"}, headers=organizer).status_code == 422
    assert client.patch(f"/api/v1/polls/{poll_id}", json={"options": ["Có"]}, headers=organizer).status_code == 422
    assert client.get(f"/api/v1/polls/{poll_id}", headers=organizer).json["options"] == ["Có", "Không"]


def test_patch_sets_other_and_self_answers_with_the_rules_of_a_new_poll(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
    organizer = _headers(app, "organizer")
    url = f"/api/v1/polls/{poll_id}"
    response = client.patch(url, json={"allow_other": True, "allow_self_answer": True}, headers=organizer)
    assert response.status_code == 200
    assert (response.json["allow_other"], response.json["allow_self_answer"]) == (True, True)
    assert [o["text"] for o in response.json["results"]["options"]][-1] == "Khác"
    # An endpoint poll counts a room's hands: nobody answers it from a phone, as when it is created.
    response = client.patch(url, json={"kind": "endpoint"}, headers=organizer)
    assert (response.json["kind"], response.json["allow_self_answer"], response.json["allow_other"]) == (
        "endpoint",
        False,
        True,
    )
    response = client.patch(url, json={"kind": "secret", "allow_other": False}, headers=organizer)
    assert (response.json["allow_self_answer"], response.json["allow_other"]) == (False, False)


def test_patch_and_delete_answer_409_once_opened(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
    organizer = _headers(app, "organizer")
    response = client.patch(f"/api/v1/polls/{poll_id}", json={"question": "Khác?"}, headers=organizer)
    assert response.status_code == 409
    assert response.json["error"]["message"] == "Câu hỏi thăm dò đã mở hoặc đã đóng: không sửa được nữa."
    response = client.delete(f"/api/v1/polls/{poll_id}", headers=organizer)
    assert response.status_code == 409
    assert response.json["error"]["message"] == "Câu hỏi thăm dò đã mở hoặc đã đóng: không xóa được."
    assert client.get(f"/api/v1/polls/{poll_id}", headers=organizer).json["status"] == "open"


def test_delete_removes_a_draft(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
    admin = _headers(app, "admin")
    response = client.delete(f"/api/v1/polls/{poll_id}", headers=admin)
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"/api/v1/polls/{poll_id}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/polls/{poll_id}", headers=admin).status_code == 404


def test_patch_and_delete_are_for_organizers_only(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
    url = f"/api/v1/polls/{poll_id}"
    assert client.patch(url, json={"question": "Ai?"}).status_code == 401
    assert client.delete(url).status_code == 401
    for username in ("leader", "responder", "op-sao-do"):
        headers = _headers(app, username)
        assert client.patch(url, json={"question": "Ai?"}, headers=headers).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403
    got = client.get(url, headers=_headers(app, "organizer")).json
    assert got["question"] != "Ai?" and got["status"] == "draft"


def test_the_openapi_document_lists_patch_and_delete(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    operations = document["paths"]["/api/v1/polls/{poll_id}"]
    assert {"get", "patch", "delete"} <= set(operations)
    body = operations["patch"]["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert "required" not in schema and {"question", "options", "multiple", "kind"} <= set(schema["properties"])
