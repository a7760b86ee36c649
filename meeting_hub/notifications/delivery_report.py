"""The organizer's view of one briefing's messages: who was told what, on which channel, and who could not be reached;
and sending again what failed or could not be sent."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.errors import Conflict, NotFound
from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.network.models import Cell, Person
from meeting_hub.notifications.briefing_notices import addressees
from meeting_hub.notifications.channels import configured_channels
from meeting_hub.notifications.contacts import message_phone
from meeting_hub.notifications.models import Channel, MessageState, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB
from meeting_hub.notifications.sending import is_in_doubt
from meeting_hub.scheduling.models import Briefing
from meeting_hub.vietnamese import sort_key

#: States an organizer may send again.
RESENDABLE = (MessageState.FAILED, MessageState.UNREACHABLE)


@dataclass
class EndpointMessages:
    """One invited endpoint's messages, and its operators who chose no channel (told of nothing)."""

    endpoint_id: int
    name: str
    messages: list[OutboundMessage] = field(default_factory=list)
    without_channel: list[User] = field(default_factory=list)


@dataclass
class BriefingMessages:
    """Every message about a briefing, by invited endpoint (and those to nobody's endpoint now, e.g. a user moved)."""

    endpoints: list[EndpointMessages]
    elsewhere: list[OutboundMessage]

    @property
    def counts(self) -> dict[str, int]:
        """Return how many messages are in each state."""
        result = {state.value: 0 for state in MessageState}
        for message in self.all_messages():
            result[message.state.value] += 1
        return result

    def all_messages(self) -> list[OutboundMessage]:
        """Return every message, endpoint by endpoint."""
        return [m for row in self.endpoints for m in row.messages] + self.elsewhere


def unreachable_reason(message: OutboundMessage) -> str:
    """Say why a message could not be sent: no e-mail address, or no mobile number."""
    if message.channel is Channel.EMAIL:
        return str(_("Chưa có địa chỉ e-mail"))
    return str(_("Chưa có số điện thoại di động"))


def briefing_messages(briefing: Briefing) -> BriefingMessages:
    """Return the briefing's messages by invited endpoint, newest first within each, and who chose no channel."""
    messages = db.session.scalars(
        sa.select(OutboundMessage)
        .where(OutboundMessage.briefing_id == briefing.id)
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
    ).all()
    user_ids = {m.user_id for m in messages if m.user_id is not None}
    person_ids = {m.person_id for m in messages if m.person_id is not None}
    user_endpoint: dict[int, int | None] = {
        user_id: endpoint_id
        for user_id, endpoint_id in db.session.execute(
            sa.select(User.id, User.endpoint_id).where(User.id.in_(user_ids))
        )
    }
    person_endpoint: dict[int, int] = {
        person_id: endpoint_id
        for person_id, endpoint_id in db.session.execute(
            sa.select(Person.id, Cell.endpoint_id).join(Person.cell).where(Person.id.in_(person_ids))
        )
    }
    rows = {
        endpoint.id: EndpointMessages(endpoint.id, endpoint.display_name)
        for endpoint in sorted(briefing.endpoints, key=lambda e: sort_key(e.name))
    }
    elsewhere = []
    for message in messages:
        if message.user_id is not None:
            endpoint_id = user_endpoint.get(message.user_id)
        else:
            endpoint_id = person_endpoint.get(message.person_id or 0)
        row = rows.get(endpoint_id or 0)
        if row is None:
            elsewhere.append(message)
        else:
            row.messages.append(message)
    for addressee in addressees(briefing):
        if addressee.is_operator and not addressee.recipient.channels:
            user = db.session.get(User, addressee.recipient.user_id)
            if user is not None and addressee.endpoint_id in rows:
                rows[addressee.endpoint_id].without_channel.append(user)
    return BriefingMessages(list(rows.values()), elsewhere)


def get_message(briefing: Briefing, message_id: int) -> OutboundMessage:
    """Return one of the briefing's messages, or raise NotFound."""
    message = db.session.get(OutboundMessage, message_id)
    if message is None or message.briefing_id != briefing.id:
        raise NotFound(_("Không tìm thấy tin nhắn này."))
    return message


def _current_address(message: OutboundMessage) -> str | None:
    """Return the recipient's address on the message's channel as it is now (they may have added it since)."""
    if message.user_id is not None:
        user = db.session.get(User, message.user_id)
        if user is None:
            return None
        return (user.email or None) if message.channel is Channel.EMAIL else message_phone(user.phone)
    person = db.session.get(Person, message.person_id) if message.person_id is not None else None
    if person is None or message.channel is Channel.EMAIL:
        return None
    return message_phone(person.phone)


def _resend_number(message: OutboundMessage) -> int:
    prefix = f"message:{message.id}:resend:"
    used = db.session.scalar(sa.select(sa.func.count(JobRun.id)).where(JobRun.key.startswith(prefix, autoescape=True)))
    return int(used or 0) + 1


def resend_message(message: OutboundMessage, actor: User) -> OutboundMessage:
    """Send a failed or unreachable message again, to the recipient's address as it is now. The caller commits.

    A failed one goes back to pending with fresh attempts; an unreachable one is sent once its recipient has an
    address on that channel (else Conflict says what is missing). Sent and pending ones are left alone (Conflict).
    """
    if message.state not in RESENDABLE:
        raise Conflict(_("Chỉ gửi lại được tin nhắn gửi lỗi hoặc chưa gửi được."))
    if message.channel not in configured_channels(current_app.config):
        raise Conflict(_("Kênh này chưa được cấu hình trên máy chủ: gửi lại sẽ lại lỗi. Hãy báo quản trị hệ thống."))
    address = _current_address(message)
    if address is None:
        reason = unreachable_reason(message)
        raise Conflict(_("%(name)s: %(reason)s, chưa thể gửi lại.", name=message.recipient_name, reason=reason))
    previous = message.state
    _send_again(message, address)
    audit.record(
        "notification.resend",
        actor,
        target=f"message:{message.id}",
        briefing=message.briefing_id,
        channel=message.channel.value,
        was=previous.value,
        recipient=message.recipient_key,
    )
    return message


def _send_again(message: OutboundMessage, address: str) -> None:
    message.address = address
    message.state = MessageState.PENDING
    message.attempts = 0
    message.next_attempt_at = None
    message.last_error = None
    number = _resend_number(message)
    enqueue_after_commit(SEND_JOB, key=f"message:{message.id}:resend:{number}", message_id=message.id)


@dataclass(frozen=True)
class BulkResend:
    """What "send every failed message again" can do now: the messages it sends, and how many it leaves alone."""

    ready: list[tuple[OutboundMessage, str]]
    #: Failed "in doubt": they may have reached their recipient, so they are sent again one by one, after asking.
    in_doubt: int
    #: Their recipient still has no address on the channel.
    no_address: int
    #: Their channel's provider is not set up on the server.
    not_configured: int = 0


def bulk_resend_plan(briefing: Briefing) -> BulkResend:
    """Sort the briefing's failed and unreachable messages into those that can be sent again now and the others."""
    messages = db.session.scalars(
        sa.select(OutboundMessage)
        .where(OutboundMessage.briefing_id == briefing.id, OutboundMessage.state.in_(RESENDABLE))
        .order_by(OutboundMessage.id)
    )
    ready: list[tuple[OutboundMessage, str]] = []
    in_doubt = no_address = not_configured = 0
    configured = configured_channels(current_app.config)
    for message in messages:
        address = _current_address(message)
        if message.channel not in configured:
            not_configured += 1
        elif is_in_doubt(message):
            in_doubt += 1
        elif address is None:
            no_address += 1
        else:
            ready.append((message, address))
    return BulkResend(ready, in_doubt, no_address, not_configured)


def resend_all_failed(briefing: Briefing, actor: User) -> BulkResend:
    """Send again every failed or unreachable message of the briefing that can be sent now; audited once with the
    count. Messages in doubt and those whose recipient still has no address are left (counted). The caller commits.
    """
    plan = bulk_resend_plan(briefing)
    if not plan.ready:
        raise Conflict(_("Không có tin nhắn nào gửi lại được lúc này."))
    for message, address in plan.ready:
        _send_again(message, address)
    audit.record(
        "notification.resend_all",
        actor,
        target=f"briefing:{briefing.id}",
        count=len(plan.ready),
        in_doubt=plan.in_doubt,
        no_address=plan.no_address,
    )
    return plan
