"""Sending one outbox row: the job `notifications.send_message`, at most once per row.

Each attempt claims the row (pending -> sending, attempts + 1, the worker's name; committed), sends it on its
channel, then records the outcome (committed): sent with the provider's id; a passing failure (timeout, connection
refused, SMTP 4xx, HTTP 5xx) back to pending and a new run of the job after a growing pause; a permanent failure, or
the last attempt, to failed with the reason, which the organizer sees.

A worker killed during an attempt leaves the row in sending; the job's run is queued again (meeting_hub/jobs) and
finds it there. What the row says decides:
- never handed to the provider (handed_over_at empty): nothing went out, the message is sent now;
- handed over, on a channel whose provider treats a repeated reference as the same message (the SMS gateway's
  request_id): asked for again with the same reference; the provider answers without sending twice;
- handed over, on a channel without that (SMTP, Zalo ZNS by default): it may have gone out. It is not sent again
  but marked failed "in doubt", so the organizer sees it and decides (no double message, none lost silently).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import runs
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.jobs.registry import job
from meeting_hub.notifications.channels import (
    Delivery,
    MessageChannel,
    Outgoing,
    SendFailure,
    channel_for,
    not_configured_reason,
)
from meeting_hub.notifications.models import MessageState, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB

logger = logging.getLogger(__name__)

#: last_error is a String(500).
_MAX_ERROR = 500
#: Ends the reason of a row failed "in doubt" (it may have reached the provider); sending it again asks a person first.
IN_DOUBT_NOTE = "Tin không được gửi lại tự động để tránh gửi trùng"


class MessageBusy(RuntimeError):
    """Another live worker is sending this row: the job's run is tried again later (by the job queue)."""


@job(SEND_JOB)
def send_message(message_id: int) -> None:
    """Send one outbox row on its channel (nothing when it is gone, sent, failed or being sent elsewhere)."""
    message = db.session.get(OutboundMessage, message_id)
    if message is None or message.state not in {MessageState.PENDING, MessageState.SENDING}:
        db.session.commit()
        return
    channel = channel_for(message.channel, current_app.config)
    if message.state is MessageState.SENDING and not _take_over(message, channel):
        return
    if channel is None:
        _fail(message, not_configured_reason(message.channel))
        return
    if not _claim(message):
        return
    _attempt(message, channel)


def _take_over(message: OutboundMessage, channel: MessageChannel | None) -> bool:
    """Decide what to do with a row left in sending; True when it may be sent (again) now."""
    now = utcnow()
    worker_gone = runs.process_is_gone(message.claimed_by, runs.worker_id().rpartition(":")[0])
    if not worker_gone and message.updated_at > now - stale_after():
        raise MessageBusy(f"outbox message {message.id} is being sent by {message.claimed_by}")
    if message.handed_over_at is None:
        logger.warning(
            "outbox message %s: its sender %s stopped before handing it over", message.id, message.claimed_by
        )
        _release(message)
        return True
    if channel is not None and channel.dedupes:
        logger.warning(
            "outbox message %s: in doubt after its sender %s stopped; asking the provider again with the "
            "same reference",
            message.id,
            message.claimed_by,
        )
        _release(message)
        return True
    handed = message.handed_over_at.astimezone(local_zone()).strftime("%H:%M:%S %d/%m/%Y")
    logger.error(
        "outbox message %s: in doubt after its sender %s stopped; not sent again", message.id, message.claimed_by
    )
    _fail(
        message,
        f"Không rõ tin đã đến nhà cung cấp hay chưa: tiến trình gửi dừng đột ngột sau khi trao tin lúc {handed}. "
        f"{IN_DOUBT_NOTE}; hãy hỏi người nhận trước khi gửi lại.",
    )
    return False


def _claim(message: OutboundMessage) -> bool:
    """Take a pending row for this worker and count the attempt (committed); False when another worker took it."""
    result = db.session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id == message.id, OutboundMessage.state == MessageState.PENDING)
        .values(
            state=MessageState.SENDING,
            attempts=OutboundMessage.attempts + 1,
            claimed_by=runs.worker_id(),
            handed_over_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.refresh(message)
    return True


def _attempt(message: OutboundMessage, channel: MessageChannel) -> None:
    """Send a claimed row and record what happened."""

    def handing_over() -> None:
        message.handed_over_at = utcnow()
        db.session.commit()

    try:
        delivery = channel.send(Outgoing.from_row(message), handing_over)
    except SendFailure as failure:
        record_failure(message, failure, channel)
    except Exception as error:  # a fault of ours or of a library: treated as passing, never lost
        logger.exception("outbox message %s: unexpected error while sending", message.id)
        in_doubt = message.handed_over_at is not None
        record_failure(
            message, SendFailure(f"Lỗi khi gửi: {type(error).__name__}: {error}", in_doubt=in_doubt), channel
        )
    else:
        record_sent(message, delivery)


def record_sent(message: OutboundMessage, delivery: Delivery) -> None:
    """Mark the row sent with the provider's id (committed)."""
    message.state = MessageState.SENT
    message.provider_id = delivery.provider_id
    message.sent_at = utcnow()
    message.last_error = None
    message.next_attempt_at = None
    db.session.commit()
    logger.info("outbox message %s sent by %s (%s)", message.id, message.channel.value, delivery.provider_id)


def record_failure(message: OutboundMessage, failure: SendFailure, channel: MessageChannel) -> None:
    """Mark the row failed, or pending with its next attempt queued after a growing pause (committed)."""
    max_attempts = int(current_app.config["NOTIFY_MAX_ATTEMPTS"])
    if failure.in_doubt and not channel.dedupes:
        _fail(message, f"{failure.reason} {IN_DOUBT_NOTE}.")
    elif failure.permanent:
        _fail(message, failure.reason)
    elif message.attempts >= max_attempts:
        _fail(message, f"{failure.reason} (đã thử {message.attempts} lần)")
    else:
        delay = runs.retry_delay(message.attempts, float(current_app.config["NOTIFY_RETRY_DELAY_SECONDS"]))
        message.state = MessageState.PENDING
        message.last_error = failure.reason[:_MAX_ERROR]
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
        message.claimed_by = None
        message.handed_over_at = None
        enqueue_after_commit(
            SEND_JOB, key=retry_key(message.id, message.attempts + 1), delay_seconds=delay, message_id=message.id
        )
        db.session.commit()
        logger.warning(
            "outbox message %s: attempt %s failed, next in %.0f s: %s",
            message.id,
            message.attempts,
            delay,
            failure.reason,
        )


def is_in_doubt(message: OutboundMessage) -> bool:
    """Whether a failed row may have reached its recipient (its sender stopped, or the answer was lost, after the
    hand-over): only a person who asked the recipient should send it again."""
    return message.state is MessageState.FAILED and IN_DOUBT_NOTE in (message.last_error or "")


def retry_key(message_id: int, attempt: int) -> str:
    """Return the job-run key of a message's later attempt (the first is "message:<id>", from queue_notice)."""
    return f"message:{message_id}:attempt:{attempt}"


def _fail(message: OutboundMessage, reason: str) -> None:
    message.state = MessageState.FAILED
    message.last_error = reason[:_MAX_ERROR]
    message.next_attempt_at = None
    message.claimed_by = None
    db.session.commit()
    logger.warning("outbox message %s failed: %s", message.id, reason)


def _release(message: OutboundMessage) -> None:
    """Put a row abandoned in sending back to pending, so that it is claimed like any other (committed)."""
    message.state = MessageState.PENDING
    message.claimed_by = None
    db.session.commit()


def stale_after() -> timedelta:
    """Return how long a row may stay in sending before its sender counts as gone (the job then takes it over)."""
    return timedelta(seconds=float(current_app.config["JOBS_LEASE_SECONDS"]) + _longest_send_seconds())


def _longest_send_seconds() -> float:
    """Return how long one attempt may take at most (an SMTP conversation is several timed exchanges)."""
    config = current_app.config
    return max(6 * float(config["SMTP_TIMEOUT_SECONDS"]), 3 * float(config["NOTIFY_HTTP_TIMEOUT_SECONDS"]))
