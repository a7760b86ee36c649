"""REST polls: the contract's routes and shapes, roles (401/403), replays; the `answer` socket event."""

from __future__ import annotations

from typing import Any

from flask import Flask

from meeting_hub.attendance import group_commit
from meeting_hub.polls.models import PollKind
from tests.attendance.conftest import received_events, socket_client
from tests.polls.conftest import PollSetting, make_poll, stamp, token_for


def _headers(app: Flask, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, username)}"}


def test_organizer_creates_opens_and_closes_a_poll_over_rest(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    organizer = _headers(app, "organizer")
    body = {"question": "Có nên tổ chức ngày hội đại đoàn kết sớm?", "options": ["Có", "Không"], "kind": "named"}
    created = client.post(f"/api/v1/briefings/{setting.briefing_id}/polls", json=body, headers=organizer)
    assert created.status_code == 201, created.json
    poll = created.json
    assert (poll["status"], poll["multiple"], poll["options"]) == ("draft", False, ["Có", "Không"])
    assert poll["results"]["options"] == [
        {"index": 0, "text": "Có", "count": 0, "other": False},
        {"index": 1, "text": "Không", "count": 0, "other": False},
    ]
    listed = client.get(f"/api/v1/briefings/{setting.briefing_id}/polls", headers=organizer)
    assert [p["id"] for p in listed.json] == [poll["id"]]
    opened = client.post(f"/api/v1/polls/{poll['id']}/open", headers=organizer)
    assert opened.status_code == 200 and opened.json["poll"]["status"] == "open"
    assert client.post(f"/api/v1/polls/{poll['id']}/open", headers=organizer).status_code == 409
    closed = client.post(f"/api/v1/polls/{poll['id']}/close", headers=organizer)
    assert closed.status_code == 200 and closed.json["action"] == "closed"
    got = client.get(f"/api/v1/polls/{poll['id']}", headers=_headers(app, "leader"))
    assert got.status_code == 200
    assert got.json["status"] == "closed" and got.json["results"]["eligible"] == 3


def test_bad_polls_are_refused_with_vietnamese_messages(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    url = f"/api/v1/briefings/{setting.briefing_id}/polls"
    one_option = {"question": "Câu hỏi?", "options": ["Có"], "kind": "named"}
    response = client.post(url, json=one_option, headers=_headers(app, "organizer"))
    assert response.status_code == 422
    blank = {"question": "Câu hỏi?", "options": ["Có", "   "], "kind": "secret"}
    response = client.post(url, json=blank, headers=_headers(app, "organizer"))
    assert response.status_code == 422
    assert response.json["error"]["message"] == "Phương án trả lời không được để trống."


def test_roles_are_enforced(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
    create = {"question": "Câu hỏi?", "options": ["Có", "Không"], "kind": "named"}
    answer = {"person_id": setting.present_ids[0], "choices": [0], "client_op_id": stamp()}
    assert client.post(f"/api/v1/polls/{poll_id}/answers", json=answer).status_code == 401
    assert client.get(f"/api/v1/polls/{poll_id}").status_code == 401
    for username in ("leader", "responder"):
        headers = _headers(app, username)
        assert client.post(f"/api/v1/polls/{poll_id}/answers", json=answer, headers=headers).status_code == 403
        response = client.post(f"/api/v1/briefings/{setting.briefing_id}/polls", json=create, headers=headers)
        assert response.status_code == 403
    operator = _headers(app, "op-sao-do")
    assert client.post(f"/api/v1/polls/{poll_id}/close", headers=operator).status_code == 403
    assert client.get(f"/api/v1/polls/{poll_id}", headers=_headers(app, "responder")).status_code == 403
    other = client.post(f"/api/v1/polls/{poll_id}/answers", json=answer, headers=_headers(app, "op-hoang-hoa-tham"))
    assert other.status_code == 403 and other.json["error"]["code"] == "forbidden"


def test_answer_is_201_then_200_with_the_original_for_a_replay(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
    headers = _headers(app, "op-sao-do")
    body = {"person_id": setting.present_ids[0], "choices": [1], "client_op_id": "rest-poll-0001"}
    first = client.post(f"/api/v1/polls/{poll_id}/answers", json=body, headers=headers)
    assert first.status_code == 201, first.json
    again = client.post(f"/api/v1/polls/{poll_id}/answers", json={**body, "choices": [0]}, headers=headers)
    assert again.status_code == 200 and again.json == first.json
    absent = {"person_id": setting.absent_id, "choices": [0], "client_op_id": "rest-poll-0002"}
    refused = client.post(f"/api/v1/polls/{poll_id}/answers", json=absent, headers=headers)
    assert refused.status_code == 409
    results = client.get(f"/api/v1/polls/{poll_id}", headers=headers).json["results"]
    assert [o["count"] for o in results["options"]] == [0, 1, 0]


def _emit_answer(console: Any, poll_id: int, **body: Any) -> dict[str, Any]:
    ack: dict[str, Any] = console.emit("answer", {"poll_id": poll_id, **body}, namespace="/live", callback=True)
    return ack


def test_socket_answer_is_acked_and_reaches_a_watching_dashboard(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.ENDPOINT)
    dashboard = socket_client(app, username="organizer")
    assert dashboard.emit("watch", {"briefing_id": setting.briefing_id}, namespace="/live", callback=True)["ok"]
    dashboard.get_received("/live")
    console = socket_client(app, username="op-sao-do")
    assert console.emit("watch", {"briefing_id": setting.briefing_id}, namespace="/live", callback=True)["ok"]
    elsewhere = socket_client(app, username="op-hoang-hoa-tham")
    assert elsewhere.emit("watch", {"briefing_id": setting.briefing_id}, namespace="/live", callback=True)["ok"]
    writer = group_commit.writer(app)
    assert writer is not None
    batches = writer.batches_written
    op_id = stamp()
    ack = _emit_answer(console, poll_id, counts=[1, 1, 0], client_op_id=op_id)
    assert ack["ok"] is True and ack["replayed"] is False
    replay = _emit_answer(console, poll_id, counts=[2, 0, 0], client_op_id=op_id)
    assert replay["ok"] is True and replay["replayed"] is True and replay["seq"] == ack["seq"]
    events = [e for e in received_events(dashboard) if e["type"] == "poll"]
    assert [(e["seq"], e["action"], e["endpoint_id"], e["tally"]["counts"]) for e in events] == [
        (ack["seq"], "answered", setting.sao_do_id, [1, 1, 0])
    ]
    # The endpoint's console gets its own endpoint's tally; another endpoint's console does not.
    assert [e["seq"] for e in received_events(console) if e["type"] == "poll"] == [ack["seq"]]
    assert [e for e in received_events(elsewhere) if e["type"] == "poll"] == []
    too_many = _emit_answer(console, poll_id, counts=[3, 0, 0], client_op_id=stamp())
    assert too_many["ok"] is False and too_many["error"]["code"] == "conflict"
    invalid = _emit_answer(console, poll_id, counts="many", client_op_id=stamp())
    assert invalid["ok"] is False and invalid["error"]["code"] == "invalid"
    # Closing concerns the whole briefing: every console gets it, with the final results.
    client = app.test_client()
    client.post(f"/api/v1/polls/{poll_id}/close", headers=_headers(app, "organizer"))
    closed = [e for e in received_events(elsewhere) if e["type"] == "poll"]
    assert [(e["action"], e["poll"]["results"]["answered"]) for e in closed] == [("closed", 2)]
    # The answers went through the roll-call's writer, and the refused ones left no gap in the seqs.
    assert writer.batches_written == batches + 3  # the answer, its replay, the refused one: one batch each here
    assert closed[0]["seq"] == ack["seq"] + 1


def test_socket_answer_respects_the_per_user_budget(app: Flask, setting: PollSetting) -> None:
    app.config.update(LIVE_EVENTS_PER_SECOND=0.001, LIVE_EVENTS_BURST=2)
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
    console = socket_client(app, username="op-sao-do")
    acks = [
        _emit_answer(console, poll_id, person_id=setting.present_ids[0], choices=[0], client_op_id=stamp())
        for _ in range(4)
    ]
    assert [ack["ok"] for ack in acks[:2]] == [True, True]
    assert acks[-1]["error"]["code"] == "rate_limited"


def test_other_and_self_answer_over_rest(app: Flask, setting: PollSetting) -> None:
    client = app.test_client()
    organizer = _headers(app, "organizer")
    body = {
        "question": "Đề xuất thời gian ra quân?",
        "options": ["Sáng", "Chiều"],
        "kind": "named",
        "allow_other": True,
        "allow_self_answer": True,
    }
    created = client.post(f"/api/v1/briefings/{setting.briefing_id}/polls", json=body, headers=organizer)
    assert created.status_code == 201, created.json
    assert (created.json["allow_other"], created.json["allow_self_answer"]) == (True, True)
    assert created.json["results"]["options"][-1] == {"index": 2, "text": "Khác", "count": 0, "other": True}
    poll_id = created.json["id"]
    client.post(f"/api/v1/polls/{poll_id}/open", headers=organizer)
    sent = {"person_id": setting.present_ids[0], "choices": [2], "other_text": "Tối", "client_op_id": stamp()}
    answered = client.post(f"/api/v1/polls/{poll_id}/answers", json=sent, headers=_headers(app, "op-sao-do"))
    assert answered.status_code == 201, answered.json
    assert (answered.json["other_text"], answered.json["source"]) == ("Tối", "operator")
    too_long = {**sent, "other_text": "x" * 201, "client_op_id": stamp()}
    refused = client.post(f"/api/v1/polls/{poll_id}/answers", json=too_long, headers=_headers(app, "op-sao-do"))
    assert refused.status_code == 422
    got = client.get(f"/api/v1/polls/{poll_id}", headers=organizer).json
    assert got["results"]["other_texts"] == [{"endpoint_id": setting.sao_do_id, "text": "Tối", "count": 1}]
