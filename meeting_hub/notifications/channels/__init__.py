"""The channels messages go out on: one small interface (base.py), one module per provider's shape.

- email.py: SMTP (smtp:// with STARTTLS, smtps://);
- sms.py: an HTTP SMS gateway (brand-name SMS);
- zalo.py: Zalo Notification Service templates;
- http_json.py: the JSON POST the last two share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meeting_hub.notifications.channels.base import Delivery, MessageChannel, Outgoing, SendFailure
from meeting_hub.notifications.channels.email import SmtpChannel
from meeting_hub.notifications.channels.sms import SmsGatewayChannel
from meeting_hub.notifications.channels.zalo import ZaloZnsChannel
from meeting_hub.notifications.models import Channel

__all__ = [
    "Delivery",
    "MessageChannel",
    "Outgoing",
    "SendFailure",
    "channel_for",
    "configured_channels",
    "not_configured_reason",
]

#: The setting that turns each channel on.
PROVIDER_SETTING = {
    Channel.EMAIL: "MEETING_HUB_SMTP_URL",
    Channel.SMS: "MEETING_HUB_SMS_GATEWAY_URL",
    Channel.ZALO: "MEETING_HUB_ZALO_ZNS_ACCESS_TOKEN",
}
_CHANNEL_NAMES = {Channel.EMAIL: "e-mail", Channel.SMS: "SMS", Channel.ZALO: "Zalo"}


def channel_for(channel: Channel, config: Mapping[str, Any]) -> MessageChannel | None:
    """Return the configured sender of a channel, or None when its provider is not set up."""
    if channel is Channel.EMAIL:
        if not config.get("SMTP_URL"):
            return None
        ca_file = config.get("SMTP_CA_FILE")
        return SmtpChannel.from_url(
            str(config["SMTP_URL"]),
            mail_from=str(config["MAIL_FROM"]),
            timeout=float(config["SMTP_TIMEOUT_SECONDS"]),
            ca_file=str(ca_file) if ca_file else None,
        )
    if channel is Channel.SMS:
        if not config.get("SMS_GATEWAY_URL"):
            return None
        return SmsGatewayChannel(
            url=str(config["SMS_GATEWAY_URL"]),
            token=config.get("SMS_GATEWAY_TOKEN"),
            brandname=str(config.get("SMS_BRANDNAME") or ""),
            unaccented=bool(config["SMS_UNACCENTED"]),
            max_parts=int(config["SMS_MAX_PARTS"]),
            timeout=float(config["NOTIFY_HTTP_TIMEOUT_SECONDS"]),
            dedupes=bool(config["SMS_GATEWAY_DEDUPES"]),
        )
    if not config.get("ZALO_ZNS_ACCESS_TOKEN"):
        return None
    return ZaloZnsChannel(
        url=str(config["ZALO_ZNS_URL"]),
        access_token=str(config["ZALO_ZNS_ACCESS_TOKEN"]),
        templates=dict(config.get("ZALO_ZNS_TEMPLATES") or {}),
        timeout=float(config["NOTIFY_HTTP_TIMEOUT_SECONDS"]),
        dedupes=bool(config["ZALO_ZNS_DEDUPES"]),
    )


def configured_channels(config: Mapping[str, Any]) -> frozenset[Channel]:
    """Return the channels whose provider is set up (a message on another one cannot be sent, nor sent again)."""
    return frozenset(channel for channel in Channel if channel_for(channel, config) is not None)


def not_configured_reason(channel: Channel) -> str:
    """Return why a message on an unconfigured channel was not sent (shown to the organizer)."""
    return f"Chưa cấu hình kênh {_CHANNEL_NAMES[channel]} ({PROVIDER_SETTING[channel]}): tin chưa được gửi."
