"""The outbox: every message the app sends, one row per (recipient, event, channel), with its state and attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow


class Channel(StrEnum):
    """A way to reach someone outside the app."""

    EMAIL = "email"
    SMS = "sms"
    ZALO = "zalo"


class MessageState(StrEnum):
    """Where one outbox row is.

    pending -> sending -> sent; a passing failure goes back to pending with a later next_attempt_at, and after the
    last attempt to failed (shown to the organizer, who may resend); a permanent failure (address refused, channel
    not configured, a message in doubt after a crash that cannot be asked for again safely) goes to failed at once.
    unreachable: the recipient chose the channel but has no address for it (no phone, no e-mail); nothing is sent.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


class OutboundMessage(Base):
    """One message to one recipient on one channel, about one event."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        # At most one message per recipient, event and channel, however often the event is noticed or a job retried.
        sa.UniqueConstraint("recipient_key", "event_key", "channel", name="uq_outbound_messages_recipient_event"),
        sa.Index("ix_outbound_messages_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(string_enum(Channel, "message_channel"))
    #: What the message is about, e.g. "briefing.reminder" (the X-Meeting-Hub-Event header of e-mails).
    event_kind: Mapped[str] = mapped_column(sa.String(40))
    #: Which event exactly, e.g. "briefing:12:reminder:60": the same key is never sent twice to one recipient.
    event_key: Mapped[str] = mapped_column(sa.String(160))
    #: "user:<id>" or "person:<id>".
    recipient_key: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"), index=True)
    recipient_name: Mapped[str] = mapped_column(sa.String(200))
    #: The e-mail address or the phone number (84xxxxxxxxx) used; empty when unreachable.
    address: Mapped[str] = mapped_column(sa.String(254), default="")
    #: The briefing the message is about, when there is one (the organizer's per-briefing view).
    briefing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text())
    body_html: Mapped[str | None] = mapped_column(sa.Text())
    #: The short text SMS carries (and Zalo falls back to); empty: body_text.
    sms_text: Mapped[str | None] = mapped_column(sa.Text())
    #: Template data for a Zalo ZNS template, by parameter name.
    zalo_params: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    #: An iCalendar file attached to e-mails about a briefing.
    ics: Mapped[str | None] = mapped_column(sa.Text())
    state: Mapped[MessageState] = mapped_column(
        string_enum(MessageState, "message_state"), default=MessageState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The provider's id for the sent message (SMTP queue id, gateway message id, ZNS msg_id).
    provider_id: Mapped[str | None] = mapped_column(sa.String(200))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The worker ("host:pid") sending the row now; a row in sending whose worker is gone is recovered.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    #: When the current attempt handed the message to the provider (before the last byte of the SMTP DATA, before
    #: the HTTP request): a crash before it sent nothing; after it, the message may have gone out (in doubt).
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
