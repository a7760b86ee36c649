"""Sending one outbox row: the job `notifications.send_message`.

First version: the channels (SMTP, SMS gateway, Zalo ZNS) come next; until a channel is configured its messages stay
pending with the reason in last_error, so nothing is lost and nothing is marked sent that was not.
"""

from __future__ import annotations

from meeting_hub.extensions import db
from meeting_hub.jobs.registry import job
from meeting_hub.notifications.models import MessageState, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB


@job(SEND_JOB)
def send_message(message_id: int) -> None:
    """Send one outbox row on its channel (nothing when it is gone or no longer pending)."""
    message = db.session.get(OutboundMessage, message_id)
    if message is None or message.state is not MessageState.PENDING:
        return
    message.last_error = "channel not configured"
