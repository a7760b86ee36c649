"""The one small interface every channel implements, and what a send returns or raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from meeting_hub.notifications.models import OutboundMessage

#: Called by a channel right before the point after which the provider may have the message (the last byte of the
#: SMTP DATA, the HTTP request): the sender records it, so that a crash before it is known to have sent nothing.
HandingOver = Callable[[], None]


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs to send one message (a copy of the outbox row, or a test message)."""

    #: Stable across attempts: the Message-ID's left part, the SMS request_id, the ZNS tracking_id.
    reference: str
    kind: str
    address: str
    recipient_name: str
    subject: str
    text: str
    html: str | None = None
    sms_text: str | None = None
    zalo_params: dict[str, Any] = field(default_factory=dict)
    ics: str | None = None

    @classmethod
    def from_row(cls, message: OutboundMessage) -> Outgoing:
        """Return the outbox row as an outgoing message; its id is the reference."""
        return cls(
            reference=str(message.id),
            kind=message.event_kind,
            address=message.address,
            recipient_name=message.recipient_name,
            subject=message.subject,
            text=message.body_text,
            html=message.body_html,
            sms_text=message.sms_text,
            zalo_params=dict(message.zalo_params or {}),
            ics=message.ics,
        )


@dataclass(frozen=True)
class Delivery:
    """The provider took the message."""

    #: The provider's id for it (SMTP reply with its queue id, gateway message id, ZNS msg_id).
    provider_id: str | None


class SendFailure(Exception):
    """The provider did not take the message, or it is not known whether it did."""

    def __init__(self, reason: str, *, permanent: bool = False, in_doubt: bool = False) -> None:
        super().__init__(reason)
        #: A sentence for the organizer (Vietnamese), with the provider's own words.
        self.reason = reason
        #: Trying again cannot help (address refused, invalid number, not configured).
        self.permanent = permanent
        #: The message may have reached the provider (a timeout after it was handed over).
        self.in_doubt = in_doubt


class MessageChannel(Protocol):
    """A way of sending one message to one address."""

    @property
    def dedupes(self) -> bool:
        """Tell whether the provider treats a repeated reference as one message (a message in doubt may be resent)."""
        ...

    def send(self, message: Outgoing, handing_over: HandingOver) -> Delivery:
        """Send the message, or raise SendFailure; call `handing_over` once, right before the provider may have it."""
        ...
