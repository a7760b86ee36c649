"""The organizer's view of a briefing's messages and "send again": page, API, roles, audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun
from meeting_hub.notifications.briefing_notices import find_due_reminders
from meeting_hub.notifications.models import MessageState, OutboundMessage
from meeting_hub.notifications.sending import IN_DOUBT_NOTE
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.notifications.conftest import briefing_ahead, give_contacts, outbox

pytestmark = pytest.mark.usefixtures("sending_held", "providers_set_up")


@pytest.fixture
def providers_set_up(app: Flask) -> None:
    """E-mail and SMS providers as a server would have them (sending is held: nothing is sent to them)."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:2525"
    app.config["SMS_GATEWAY_URL"] = "http://127.0.0.1:9/sms"


def _reminded_briefing(network: factories.SmallNetwork) -> tuple[int, int, int]:
    """A briefing reminded 60 minutes ahead with one failed e-mail; return its id, the failed and the SMS row's ids."""
    give_contacts(network)
    db.session.commit()
    briefing = briefing_ahead(network, minutes=40)
    find_due_reminders(briefing.starts_at - timedelta(minutes=40))
    db.session.commit()
    rows = outbox()
    failed = next(m for m in rows if m.recipient_key == f"user:{network.operator.id}")
    failed.state, failed.attempts, failed.last_error = MessageState.FAILED, 5, "550 mailbox unavailable"
    unreachable = next(m for m in rows if m.state is MessageState.UNREACHABLE)
    db.session.commit()
    return briefing.id, failed.id, unreachable.id


def test_the_page_shows_each_endpoints_messages_and_who_chose_no_channel(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        briefing_id, _failed, _unreachable = _reminded_briefing(network)
        silent = factories.make_user(
            Role.OPERATOR, username="op-khong-kenh", display_name="Lê Văn Không", endpoint_id=network.sao_do.id
        )
        silent.channels = []
        db.session.commit()
    client = signed_in_client(app, "organizer")
    page = client.get(f"/briefings/{briefing_id}/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "550 mailbox unavailable" in text and "Chưa có số điện thoại di động" in text
    assert "Lê Văn Không: chưa chọn kênh nhận tin" in text
    assert text.count('class="mt-1 resend"') == 2  # failed and unreachable: "Gửi lại", asked first
    assert f"/briefings/{briefing_id}/notifications" in client.get(f"/briefings/{briefing_id}").get_data(as_text=True)


@pytest.mark.parametrize("username", ["op-sao-do", "leader", "responder"])
def test_only_organizers_see_and_resend_messages(app: Flask, network: factories.SmallNetwork, username: str) -> None:
    with app.app_context():
        briefing_id, failed_id, _unreachable = _reminded_briefing(network)
    client = signed_in_client(app, username)
    base = f"/briefings/{briefing_id}/notifications"
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/{failed_id}/resend").status_code == 403
    assert client.get(f"/api/v1{base}").status_code == 403
    assert client.post(f"/api/v1{base}/{failed_id}/resend").status_code == 403
    with app.app_context():
        assert db.session.get(OutboundMessage, failed_id).state is MessageState.FAILED  # type: ignore[union-attr]


def test_the_api_lists_messages_by_endpoint_with_reasons(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        briefing_id, failed_id, unreachable_id = _reminded_briefing(network)
    body = signed_in_client(app, "organizer").get(f"/api/v1/briefings/{briefing_id}/notifications").json
    assert body["briefing_id"] == briefing_id
    assert body["counts"] == {"pending": 1, "sending": 0, "sent": 0, "failed": 1, "unreachable": 1}
    by_id = {m["id"]: (row["name"], m) for row in body["endpoints"] for m in row["messages"]}
    name, failed = by_id[failed_id]
    assert "Sao Đỏ" in name
    assert (failed["state"], failed["reason"], failed["channel"], failed["resendable"]) == (
        "failed",
        "550 mailbox unavailable",
        "email",
        True,
    )
    assert failed["recipient"] == {"kind": "user", "id": network.operator.id, "name": network.operator.display_name}
    assert failed["event_kind"] == "briefing.reminder" and failed["created_at"].endswith("+07:00")
    assert by_id[unreachable_id][1]["reason"] == "Chưa có số điện thoại di động"


def test_resending_a_failed_message_queues_it_again_and_is_audited(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        briefing_id, failed_id, _unreachable = _reminded_briefing(network)
    client = signed_in_client(app, "organizer")
    response = client.post(f"/api/v1/briefings/{briefing_id}/notifications/{failed_id}/resend")
    assert response.status_code == 202 and response.json["state"] == "pending"
    with app.app_context():
        message = db.session.get(OutboundMessage, failed_id)
        # Back to pending with fresh attempts (the sending job, a placeholder here, has run once since).
        assert message is not None and (message.state, message.attempts) == (MessageState.PENDING, 0)
        assert db.session.scalar(sa.select(JobRun.id).where(JobRun.key == f"message:{failed_id}:resend:1"))
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "notification.resend")).one()
        assert event.target == f"message:{failed_id}" and json.loads(event.detail)["was"] == "failed"
    # Pending now: not resendable again until it fails.
    again = client.post(f"/api/v1/briefings/{briefing_id}/notifications/{failed_id}/resend")
    assert again.status_code == 409


def test_an_unreachable_message_is_resent_once_its_recipient_has_an_address(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        briefing_id, _failed, unreachable_id = _reminded_briefing(network)
    client = signed_in_client(app, "organizer")
    url = f"/briefings/{briefing_id}/notifications/{unreachable_id}/resend"
    refused = client.post(f"/api/v1{url}")
    assert refused.status_code == 409 and "Chưa có số điện thoại di động" in refused.json["error"]["message"]
    with app.app_context():
        accounts.find_user(network.other_operator.username).phone = "+84 912 345 678"
        db.session.commit()
    page = client.post(url, follow_redirects=True)
    assert page.status_code == 200 and "Đã xếp lịch gửi lại" in page.get_data(as_text=True)
    with app.app_context():
        message = db.session.get(OutboundMessage, unreachable_id)
        assert message is not None and (message.state, message.address) == (MessageState.PENDING, "84912345678")
    assert client.post(f"/api/v1/briefings/{briefing_id}/notifications/999999/resend").status_code == 404


def _fail_as(message_id: int, reason: str) -> None:
    message = db.session.get(OutboundMessage, message_id)
    assert message is not None
    message.state, message.attempts, message.last_error = MessageState.FAILED, 5, reason


def test_resend_all_sends_what_can_go_now_once_asked_and_audits_once(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        briefing_id, failed_id, unreachable_id = _reminded_briefing(network)
        pending_id = next(m.id for m in outbox() if m.state is MessageState.PENDING)
        # A second failed one, in doubt (it may have reached its recipient): left to a person, one by one.
        _fail_as(pending_id, f"Hết thời gian chờ sau khi trao tin. {IN_DOUBT_NOTE}.")
        db.session.commit()
    client = signed_in_client(app, "organizer")
    base = f"/briefings/{briefing_id}/notifications"
    page = client.get(base).get_data(as_text=True)
    assert "Gửi lại tất cả tin lỗi</summary>" not in page  # the button says how many
    assert "Gửi lại tất cả tin lỗi (1)" in page and "Gửi lại 1 tin gửi lỗi hoặc chưa gửi được" in page
    assert "1 tin không rõ đã đến người nhận hay chưa" in page
    assert "1 tin chưa gửi lại được vì người nhận chưa có địa chỉ" in page  # the unreachable SMS: no phone yet
    assert f'action="{base}/resend-failed"' in page and "Xác nhận gửi lại tất cả" in page  # asked first

    with app.app_context():
        accounts.find_user(network.other_operator.username).phone = "+84 912 345 678"
        db.session.commit()
    done = client.post(f"{base}/resend-failed", follow_redirects=True)
    assert "Đã xếp lịch gửi lại 2 tin nhắn." in done.get_data(as_text=True)
    with app.app_context():
        states = {m.id: m.state for m in outbox()}
        assert states[failed_id] is MessageState.PENDING and states[unreachable_id] is MessageState.PENDING
        assert states[pending_id] is MessageState.FAILED  # in doubt: not sent again in bulk
        assert db.session.scalar(sa.select(JobRun.id).where(JobRun.key == f"message:{failed_id}:resend:1"))
        assert db.session.scalar(sa.select(JobRun.id).where(JobRun.key == f"message:{unreachable_id}:resend:1"))
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith("notification."))).all()
        assert [e.action for e in events] == ["notification.resend_all"]
        assert events[0].target == f"briefing:{briefing_id}"
        assert json.loads(events[0].detail) == {"count": 2, "in_doubt": 1, "no_address": 0}
    # Nothing left that can go now: refused with a sentence, nothing audited.
    again = client.post(f"{base}/resend-failed", follow_redirects=True)
    assert "Không có tin nhắn nào gửi lại được lúc này." in again.get_data(as_text=True)
    assert "Gửi lại tất cả tin lỗi (" not in again.get_data(as_text=True)
    audit_page = (
        signed_in_client(app, "admin").get("/admin/audit?action=notification.resend_all").get_data(as_text=True)
    )
    assert "Gửi lại tất cả tin lỗi" in audit_page and "số tin:</span> 2" in audit_page


@pytest.mark.parametrize("username", ["op-sao-do", "leader", "responder"])
def test_only_organizers_resend_all(app: Flask, network: factories.SmallNetwork, username: str) -> None:
    with app.app_context():
        briefing_id, failed_id, _unreachable = _reminded_briefing(network)
    client = signed_in_client(app, username)
    assert client.post(f"/briefings/{briefing_id}/notifications/resend-failed").status_code == 403
    with app.app_context():
        assert db.session.get(OutboundMessage, failed_id).state is MessageState.FAILED  # type: ignore[union-attr]


def test_a_channel_not_set_up_on_the_server_is_not_offered_again(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        briefing_id, failed_id, _unreachable = _reminded_briefing(network)
    app.config["SMTP_URL"] = ""  # the failed message is an e-mail
    client = signed_in_client(app, "organizer")
    text = client.get(f"/briefings/{briefing_id}/notifications").get_data(as_text=True)
    assert "Gửi lại được khi kênh E-mail đã được cấu hình trên máy chủ." in text
    assert "1 tin chưa gửi lại được vì kênh của chúng chưa được cấu hình" in text
    refused = client.post(f"/api/v1/briefings/{briefing_id}/notifications/{failed_id}/resend")
    assert refused.status_code == 409 and "chưa được cấu hình" in refused.json["error"]["message"]
    app.config["SMTP_URL"] = "smtp://127.0.0.1:2525"
    assert client.post(f"/api/v1/briefings/{briefing_id}/notifications/{failed_id}/resend").status_code == 202
