"""SMS through an HTTP gateway, in the shape Vietnamese brand-name SMS providers offer (docs/notifications.md).

Request: POST MEETING_HUB_SMS_GATEWAY_URL, "Authorization: Bearer <MEETING_HUB_SMS_GATEWAY_TOKEN>", JSON
{"to": "84912345678", "text": "...", "brandname": "...", "request_id": "<outbox id>", "unicode": false}.
Reply: 2xx with JSON {"id": "<the gateway's message id>"}; a repeated request_id is the same message (the gateway
answers it again without sending a second SMS). 4xx: refused for good (400 invalid number, 401/403 token);
408, 429 and 5xx: try again later.
"""

from __future__ import annotations

from dataclasses import dataclass

from meeting_hub.notifications.channels.base import Delivery, HandingOver, Outgoing, SendFailure
from meeting_hub.notifications.channels.http_json import passing_status, post_json
from meeting_hub.notifications.sms_text import is_gsm7, sms_body


@dataclass(frozen=True)
class SmsGatewayChannel:
    """The HTTP SMS gateway of MEETING_HUB_SMS_GATEWAY_URL."""

    url: str
    token: str | None
    brandname: str
    unaccented: bool
    max_parts: int
    timeout: float
    dedupes: bool = True

    def request_body(self, message: Outgoing) -> dict[str, object]:
        """Return the JSON the gateway receives for this message."""
        text = sms_body(message.sms_text or message.text, unaccented=self.unaccented, max_parts=self.max_parts)
        return {
            "to": message.address,
            "text": text,
            "brandname": self.brandname,
            "request_id": message.reference,
            "unicode": not is_gsm7(text),
        }

    def send(self, message: Outgoing, handing_over: HandingOver) -> Delivery:
        """Post the message to the gateway."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        reply = post_json(
            self.url, self.request_body(message), headers=headers, timeout=self.timeout, handing_over=handing_over
        )
        detail = _detail(reply.body, reply.text)
        if 200 <= reply.status < 300:
            gateway_id = reply.body.get("id") if isinstance(reply.body, dict) else None
            return Delivery(provider_id=str(gateway_id) if gateway_id is not None else None)
        if passing_status(reply.status):
            raise SendFailure(f"Cổng SMS tạm thời không nhận tin (HTTP {reply.status}): {detail}")
        raise SendFailure(f"Cổng SMS từ chối tin (HTTP {reply.status}): {detail}", permanent=True)


def _detail(body: object, text: str) -> str:
    if isinstance(body, dict):
        for name in ("error", "message", "description"):
            if body.get(name):
                return str(body[name])[:200]
    return text.strip()[:200] or "không có nội dung trả lời"
