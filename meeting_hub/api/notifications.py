"""API: a briefing's messages (who was told what, on which channel, in which state) and sending one again."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from meeting_hub.api.common import Blueprint, caller
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.notifications import delivery_report
from meeting_hub.notifications.models import Channel, MessageState, OutboundMessage
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

blueprint = Blueprint("api_notifications", __name__, description="Messages sent about a briefing")

EVENT_KINDS = ["briefing.reminder", "briefing.moved", "briefing.cancelled", "briefing.invited"]


class RecipientSchema(ma.Schema):
    """Who a message went to: a user (an operator) or a person (a cell secretary)."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["user", "person"]))
    id = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null when since deleted"})
    name = ma.fields.String(required=True)


class MessageSchema(ma.Schema):
    """One message on one channel."""

    id = ma.fields.Integer(required=True)
    event_kind = ma.fields.String(
        required=True,
        metadata={"description": "the X-Meeting-Hub-Event of the message, e.g. " + ", ".join(EVENT_KINDS)},
    )
    event_key = ma.fields.String(required=True, metadata={"description": "the event: one message per key and channel"})
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf([c.value for c in Channel]))
    state = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([s.value for s in MessageState]),
        metadata={"description": "unreachable: no address on the channel; failed: the last attempt failed"},
    )
    reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "why failed (the provider's error) or unreachable (what is missing); else null"},
    )
    recipient = ma.fields.Nested(RecipientSchema, required=True)
    address = ma.fields.String(required=True, metadata={"description": "e-mail or phone (84...) used; empty if none"})
    attempts = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    sent_at = ma.fields.DateTime(required=True, allow_none=True)
    resendable = ma.fields.Boolean(required=True, metadata={"description": "failed or unreachable: may be resent"})


class WithoutChannelSchema(ma.Schema):
    """An operator of an invited endpoint who chose no channel: told of nothing."""

    user_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class EndpointMessagesSchema(ma.Schema):
    """One invited endpoint's messages, newest first."""

    endpoint_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    messages = ma.fields.List(ma.fields.Nested(MessageSchema), required=True)
    without_channel = ma.fields.List(ma.fields.Nested(WithoutChannelSchema), required=True)


class BriefingMessagesSchema(ma.Schema):
    """Every message about a briefing, by invited endpoint."""

    briefing_id = ma.fields.Integer(required=True)
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "messages by state: " + ", ".join(s.value for s in MessageState)},
    )
    endpoints = ma.fields.List(ma.fields.Nested(EndpointMessagesSchema), required=True)
    elsewhere = ma.fields.List(
        ma.fields.Nested(MessageSchema),
        required=True,
        metadata={"description": "messages to people no longer at an invited endpoint"},
    )


def message_dict(message: OutboundMessage) -> dict[str, Any]:
    """Return the API's form of a message."""
    if message.state is MessageState.UNREACHABLE:
        reason: str | None = delivery_report.unreachable_reason(message)
    elif message.state is MessageState.FAILED:
        reason = message.last_error or None
    else:
        reason = None
    is_user = message.recipient_key.startswith("user:")
    return {
        "id": message.id,
        "event_kind": message.event_kind,
        "event_key": message.event_key,
        "channel": message.channel.value,
        "state": message.state.value,
        "reason": reason,
        "recipient": {
            "kind": "user" if is_user else "person",
            "id": message.user_id if is_user else message.person_id,
            "name": message.recipient_name,
        },
        "address": message.address,
        "attempts": message.attempts,
        "created_at": message.created_at.astimezone(local_zone()),
        "sent_at": message.sent_at.astimezone(local_zone()) if message.sent_at else None,
        "resendable": message.state in delivery_report.RESENDABLE,
    }


def _briefing(briefing_id: int) -> Briefing:
    return scheduling.get_briefing(briefing_id, caller())


@blueprint.get("/briefings/<int:briefing_id>/notifications")
@blueprint.response(200, BriefingMessagesSchema)
def briefing_notifications(briefing_id: int) -> dict[str, Any]:
    """List the messages sent about a briefing, by invited endpoint (organizers)."""
    briefing = _briefing(briefing_id)
    report = delivery_report.briefing_messages(briefing)
    return {
        "briefing_id": briefing.id,
        "counts": report.counts,
        "endpoints": [
            {
                "endpoint_id": row.endpoint_id,
                "name": row.name,
                "messages": [message_dict(m) for m in row.messages],
                "without_channel": [{"user_id": u.id, "name": u.display_name} for u in row.without_channel],
            }
            for row in report.endpoints
        ],
        "elsewhere": [message_dict(m) for m in report.elsewhere],
    }


@blueprint.post("/briefings/<int:briefing_id>/notifications/<int:message_id>/resend")
@blueprint.response(202, MessageSchema)
def resend_message(briefing_id: int, message_id: int) -> dict[str, Any]:
    """Send a failed or unreachable message again, to the recipient's address now (409 when it is neither, or the
    recipient still has no address on the channel)."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    message = delivery_report.resend_message(delivery_report.get_message(briefing, message_id), user)
    db.session.commit()
    return message_dict(message)
