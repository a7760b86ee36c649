"""Zalo Notification Service (ZNS): an approved template sent to a phone number by the Official Account.

Request: POST MEETING_HUB_ZALO_ZNS_URL (Zalo's https://business.openapi.zalo.me/message/template), header
"access_token: <MEETING_HUB_ZALO_ZNS_ACCESS_TOKEN>", JSON {"phone": "84912345678", "template_id": "...",
"template_data": {...}, "tracking_id": "<outbox id>"}. Reply: {"error": 0, "message": "Success", "data":
{"msg_id": "..."}}; any other error is a failure, permanent or passing by its code (below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meeting_hub.notifications.channels.base import Delivery, HandingOver, Outgoing, SendFailure
from meeting_hub.notifications.channels.http_json import passing_status, post_json

#: ZNS error codes no later attempt can cure (Zalo's error table; other codes are tried again later, up to the
#: attempts allowed: server errors, quotas, rate limits, the night-time pause).
PERMANENT_ERRORS = {
    -108: "số điện thoại không hợp lệ",
    -118: "số điện thoại chưa dùng Zalo hoặc tài khoản đã ngừng hoạt động",
    -119: "tài khoản Zalo không nhận được tin ZNS",
    -124: "access token không hợp lệ hoặc đã hết hạn",
    -131: "mẫu ZNS chưa được duyệt",
    -132: "tham số của mẫu ZNS không hợp lệ",
    -139: "người nhận đã từ chối nhận tin ZNS",
}


@dataclass(frozen=True)
class ZaloZnsChannel:
    """Zalo ZNS with the Official Account's access token and one approved template per kind of message."""

    url: str
    access_token: str
    templates: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 15.0
    dedupes: bool = False

    def request_body(self, message: Outgoing) -> dict[str, object]:
        """Return the JSON Zalo receives for this message (SendFailure when its kind has no template)."""
        template_id = self.templates.get(message.kind)
        if not template_id:
            raise SendFailure(
                f"Chưa có mẫu ZNS cho loại tin «{message.kind}» (MEETING_HUB_ZALO_ZNS_TEMPLATES).", permanent=True
            )
        return {
            "phone": message.address,
            "template_id": template_id,
            "template_data": dict(message.zalo_params),
            "tracking_id": message.reference,
        }

    def send(self, message: Outgoing, handing_over: HandingOver) -> Delivery:
        """Ask Zalo to send the template to the phone number."""
        body = self.request_body(message)
        reply = post_json(
            self.url, body, headers={"access_token": self.access_token}, timeout=self.timeout, handing_over=handing_over
        )
        answer = reply.body if isinstance(reply.body, dict) else {}
        if reply.status != 200 or "error" not in answer:
            detail = reply.text.strip()[:200] or "không có nội dung trả lời"
            if reply.status == 200 or passing_status(reply.status):
                raise SendFailure(f"Zalo tạm thời không nhận tin (HTTP {reply.status}): {detail}")
            raise SendFailure(f"Zalo từ chối tin (HTTP {reply.status}): {detail}", permanent=True)
        code = _code(answer.get("error"))
        if code == 0:
            data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
            msg_id = data.get("msg_id") if data else None
            return Delivery(provider_id=str(msg_id) if msg_id is not None else None)
        said = str(answer.get("message") or "")[:200]
        if code in PERMANENT_ERRORS:
            raise SendFailure(f"Zalo từ chối tin: {PERMANENT_ERRORS[code]} (mã {code}: {said})", permanent=True)
        raise SendFailure(f"Zalo chưa gửi được tin (mã {code}: {said}); sẽ thử lại.")


def _code(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1
