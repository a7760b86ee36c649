"""What the rest of the app calls to send a message: `queue_notice(recipient, notice)`, inside its own transaction.

The outbox row is written in the caller's transaction and the sending job reaches the queue only when it commits, so
a rolled-back change sends nothing and a committed one is never forgotten. One row per (recipient, event, channel):
noticing the same event twice (a retried job, two paths) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from meeting_hub.accounts.models import User
from meeting_hub.extensions import db
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.network.models import Endpoint, Person
from meeting_hub.notifications.contacts import channel_list, message_phone
from meeting_hub.notifications.models import Channel, MessageState, OutboundMessage

SEND_JOB = "notifications.send_message"


@dataclass(frozen=True)
class Recipient:
    """Someone a notice goes to, with the addresses messages use and the channels to use, in order."""

    key: str
    name: str
    email: str | None
    phone: str | None
    channels: tuple[Channel, ...]
    user_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Notice:
    """One event told to people: the same text for every recipient (what differs goes in separate notices)."""

    #: "briefing.reminder", "briefing.moved", ... (shared/PRODUCT.md); the X-Meeting-Hub-Event header.
    kind: str
    #: Identifies the event: a recipient gets one message per key and channel, ever.
    key: str
    subject: str
    text: str
    html: str | None = None
    #: A shorter text for SMS (and Zalo without a template); empty: `text`.
    sms_text: str | None = None
    zalo_params: dict[str, Any] = field(default_factory=dict)
    ics: str | None = None
    briefing_id: int | None = None


def user_recipient(user: User) -> Recipient:
    """Return a user as a recipient, on the channels they chose."""
    return Recipient(
        key=f"user:{user.id}",
        name=user.display_name,
        email=user.email or None,
        phone=message_phone(user.phone),
        channels=tuple(channel_list(user.channels or [])),
        user_id=user.id,
    )


def person_recipient(person: Person, endpoint: Endpoint) -> Recipient:
    """Return a cell secretary as a recipient, on the channels their endpoint enabled for secretaries."""
    return Recipient(
        key=f"person:{person.id}",
        name=person.full_name,
        email=None,
        phone=message_phone(person.phone),
        channels=tuple(channel_list(endpoint.secretary_channels or [])),
        person_id=person.id,
    )


def address_on(recipient: Recipient, channel: Channel) -> str | None:
    """Return the recipient's address on a channel (the e-mail address, or the phone number for SMS and Zalo)."""
    return recipient.email if channel is Channel.EMAIL else recipient.phone


def queue_notice(recipient: Recipient, notice: Notice) -> list[OutboundMessage]:
    """Add the notice to the outbox for each of the recipient's channels and send it after the commit.

    A channel without an address gets a row marked unreachable (the organizer sees who could not be reached).
    Returns the rows added now; rows already there for this recipient and event are left as they are.
    """
    existing = set(
        db.session.scalars(
            sa.select(OutboundMessage.channel).where(
                OutboundMessage.recipient_key == recipient.key, OutboundMessage.event_key == notice.key
            )
        )
    )
    added: list[OutboundMessage] = []
    for channel in recipient.channels:
        if channel in existing:
            continue
        address = address_on(recipient, channel)
        message = OutboundMessage(
            channel=channel,
            event_kind=notice.kind,
            event_key=notice.key,
            recipient_key=recipient.key,
            user_id=recipient.user_id,
            person_id=recipient.person_id,
            recipient_name=recipient.name,
            address=address or "",
            briefing_id=notice.briefing_id,
            subject=notice.subject,
            body_text=notice.text,
            body_html=notice.html,
            sms_text=notice.sms_text,
            zalo_params=dict(notice.zalo_params),
            ics=notice.ics,
            state=MessageState.PENDING if address else MessageState.UNREACHABLE,
            attempts=0,
        )
        db.session.add(message)
        added.append(message)
    if added:
        db.session.flush()
        for message in added:
            if message.state is MessageState.PENDING:
                enqueue_after_commit(SEND_JOB, key=f"message:{message.id}", message_id=message.id)
    return added
