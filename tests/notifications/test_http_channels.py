"""The SMS gateway and Zalo ZNS against local HTTP servers that check the documented request shapes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from meeting_hub.jobs import execution
from meeting_hub.notifications.models import Channel, MessageState
from meeting_hub.notifications.sending import retry_key
from meeting_hub.notifications.sms_text import parts_needed, sms_body
from meeting_hub.vietnamese import unaccent
from tests.notifications.conftest import queue_message, row, run_with_key
from tests.notifications.providers import HttpRequest, JsonServer, Reply

Configure = Callable[..., Flask]
PHONE = "84912345678"


def _gateway(request: HttpRequest, count: int) -> Reply:
    """A gateway that checks the documented shape and answers with its own id."""
    body = request.body
    assert request.headers["authorization"] == "Bearer gateway-token"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert set(body) == {"to", "text", "brandname", "request_id", "unicode"}
    if body["to"] == "84999999999":
        return 400, {"error": "invalid destination number"}
    return 200, {"id": f"sms-{count}"}


def _sms_settings(server: JsonServer, **more: object) -> dict[str, object]:
    return {
        "SMS_GATEWAY_URL": server.url,
        "SMS_GATEWAY_TOKEN": "gateway-token",
        "SMS_BRANDNAME": "TUYENGIAO",
        **more,
    }


def test_an_sms_goes_to_the_gateway_unaccented_and_cut_to_the_parts_allowed(configure: Configure) -> None:
    long_text = "Nhắc lịch giao ban tuyên giáo trực tuyến tháng 12 tại Đảng ủy phường Sao Đỏ. " * 6
    with JsonServer(_gateway) as server:
        app = configure(**_sms_settings(server, SMS_MAX_PARTS=2))
        message_id = queue_message(app, Channel.SMS, PHONE, sms_text=long_text)
        sent = row(app, message_id)
    assert sent.state is MessageState.SENT and sent.provider_id == "sms-1"
    (request,) = server.requests
    body = request.body
    assert body["to"] == PHONE and body["brandname"] == "TUYENGIAO" and body["request_id"] == str(message_id)
    assert body["unicode"] is False
    assert body["text"].startswith("Nhac lich giao ban tuyen giao truc tuyen thang 12 tai Dang uy phuong Sao Do.")
    assert body["text"].endswith("...") and len(body["text"]) <= 306 and parts_needed(body["text"]) == 2


def test_sms_text_rules() -> None:
    assert unaccent("Đảng ủy ĐỒNG LẠC, đường Trần Hưng Đạo") == "Dang uy DONG LAC, duong Tran Hung Dao"
    assert sms_body("Xin  chào\n\n bà con", unaccented=True, max_parts=1) == "Xin chao\nba con"
    accented = sms_body("Giao ban trực tuyến " * 10, unaccented=False, max_parts=1)
    assert accented.endswith("…") and len(accented) <= 70 and parts_needed(accented) == 1
    assert parts_needed("a" * 160) == 1 and parts_needed("a" * 161) == 2 and parts_needed("a" * 307) == 3
    assert parts_needed("{" * 80) == 1 and parts_needed("{" * 81) == 2  # extension characters take two septets


def test_a_gateway_refusal_fails_at_once_and_a_gateway_error_is_tried_again(configure: Configure) -> None:
    answers = iter([(503, {"error": "maintenance"}), (200, {"id": "sms-late"})])
    with JsonServer(_gateway) as refusing, JsonServer(lambda request, count: next(answers)) as flaky:
        app = configure(**_sms_settings(refusing))
        refused = row(app, queue_message(app, Channel.SMS, "84999999999"))
        configure(SMS_GATEWAY_URL=flaky.url)
        message_id = queue_message(app, Channel.SMS, PHONE)
        waiting = row(app, message_id)
        retry = run_with_key(app, retry_key(message_id, 2))
        assert retry is not None
        execution.execute_run(app, retry.id)
        sent = row(app, message_id)
    assert refused.state is MessageState.FAILED and refused.attempts == 1
    assert refused.last_error == "Cổng SMS từ chối tin (HTTP 400): invalid destination number"
    assert waiting.state is MessageState.PENDING and "HTTP 503" in (waiting.last_error or "")
    assert sent.state is MessageState.SENT and sent.attempts == 2 and sent.provider_id == "sms-late"
    assert [request.body["request_id"] for request in flaky.requests] == [str(message_id)] * 2


def test_a_gateway_timeout_is_asked_again_with_the_same_request_id_and_the_gateway_sends_it_once(
    configure: Configure,
) -> None:
    with JsonServer(_gateway, dedupe_on="request_id") as server:
        app = configure(**_sms_settings(server, NOTIFY_HTTP_TIMEOUT_SECONDS=0.3))
        server.pause = 0.6  # the gateway takes the message, then answers too late
        message_id = queue_message(app, Channel.SMS, PHONE)
        waiting = row(app, message_id)
        server.pause = 0
        retry = run_with_key(app, retry_key(message_id, 2))
        assert retry is not None
        execution.execute_run(app, retry.id)
        sent = row(app, message_id)
    assert waiting.state is MessageState.PENDING and "không rõ tin đã được nhận chưa" in (waiting.last_error or "")
    assert sent.state is MessageState.SENT and sent.provider_id == "sms-1"
    assert len(server.requests) == 2 and len(server.delivered) == 1


def _zalo(request: HttpRequest, count: int) -> Reply:
    """Zalo's send-template API as documented: access_token header, phone, template_id, template_data, tracking_id."""
    body = request.body
    assert request.headers["access_token"] == "oa-token"
    assert set(body) == {"phone", "template_id", "template_data", "tracking_id"}
    if body["phone"] == "84888888888":
        return 200, {"error": -118, "message": "Zalo account is not existed"}
    if body["phone"] == "84777777777":
        return 200, {"error": -133, "message": "Can not send ZNS at night"}
    return 200, {"error": 0, "message": "Success", "data": {"msg_id": f"zns-{count}", "sent_time": "1765700000000"}}


def _zalo_settings(server: JsonServer) -> dict[str, object]:
    return {
        "ZALO_ZNS_URL": server.url,
        "ZALO_ZNS_ACCESS_TOKEN": "oa-token",
        "ZALO_ZNS_TEMPLATES": {"briefing.reminder": "312345"},
    }


def test_a_zns_message_sends_the_rows_template_data_to_the_template_of_its_kind(configure: Configure) -> None:
    with JsonServer(_zalo) as server:
        app = configure(**_zalo_settings(server))
        message_id = queue_message(app, Channel.ZALO, PHONE)
        sent = row(app, message_id)
    assert sent.state is MessageState.SENT and sent.provider_id == "zns-1"
    (request,) = server.requests
    assert request.body == {
        "phone": PHONE,
        "template_id": "312345",
        "template_data": {"ten_cuoc_hop": "Giao ban tháng 12", "thoi_gian": "08:00 15/12/2026"},
        "tracking_id": str(message_id),
    }


def test_zns_errors_permanent_passing_and_a_kind_without_template(configure: Configure) -> None:
    with JsonServer(_zalo) as server:
        app = configure(**_zalo_settings(server))
        not_on_zalo = row(app, queue_message(app, Channel.ZALO, "84888888888"))
        at_night = row(app, queue_message(app, Channel.ZALO, "84777777777"))
        no_template = row(app, queue_message(app, Channel.ZALO, PHONE, kind="issue.assigned"))
    assert not_on_zalo.state is MessageState.FAILED and not_on_zalo.attempts == 1
    assert "chưa dùng Zalo" in (not_on_zalo.last_error or "") and "-118" in (not_on_zalo.last_error or "")
    assert at_night.state is MessageState.PENDING and "-133" in (at_night.last_error or "")
    assert no_template.state is MessageState.FAILED
    assert no_template.last_error == "Chưa có mẫu ZNS cho loại tin «issue.assigned» (MEETING_HUB_ZALO_ZNS_TEMPLATES)."
    assert len(server.requests) == 2  # nothing was posted for the kind without a template


def test_zns_timeout_is_not_asked_again_unless_zalo_is_known_to_dedupe(configure: Configure) -> None:
    with JsonServer(_zalo) as server:
        app = configure(**_zalo_settings(server), NOTIFY_HTTP_TIMEOUT_SECONDS=0.3)
        server.pause = 0.6
        doubtful = row(app, queue_message(app, Channel.ZALO, PHONE))
    assert doubtful.state is MessageState.FAILED and "tránh gửi trùng" in (doubtful.last_error or "")
    assert len(server.requests) == 1


def test_a_gateway_that_is_down_is_a_passing_failure(configure: Configure) -> None:
    with JsonServer(_gateway) as server:
        url = server.url
    app = configure(SMS_GATEWAY_URL=url, SMS_GATEWAY_TOKEN="gateway-token")
    waiting = row(app, queue_message(app, Channel.SMS, PHONE))
    assert waiting.state is MessageState.PENDING and waiting.handed_over_at is None
    assert "Không kết nối được tới nhà cung cấp" in (waiting.last_error or "")
