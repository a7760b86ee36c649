"""The outbox's safety net, a minute chore: a message no run is on its way to send is handed to the sending job again.

Every pending row normally has a run of `notifications.send_message` queued or running (queued with the row, or
after a passing failure with its delay). A row can still be left behind: the database failed while the job recorded
an attempt and the run's own retries ran out, or the run was lost. Such a row would stay pending for ever. Once a
minute this chore finds pending rows overdue by a few minutes, and rows stuck in sending past the point where the job
takes them over (sending.stale_after), that have no queued or running run, and queues a fresh keyed run for each
("message:<id>:sweep:<n>"). The job itself decides what to do with the row, as it does after a crash.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.jobs.queue import enqueue_after_commit
from meeting_hub.jobs.registry import every_minute
from meeting_hub.notifications.models import MessageState, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB
from meeting_hub.notifications.sending import stale_after

logger = logging.getLogger(__name__)

#: How long a pending row may be overdue (its next attempt, or its creation) before it counts as left behind: long
#: enough for a busy queue to reach it.
OVERDUE_AFTER = timedelta(minutes=5)
#: At most this many rows are handed back per minute (the next minute takes the rest).
BATCH = 500


@every_minute("notifications.sweep_outbox")
def sweep_outbox(now: datetime) -> int:
    """Queue a fresh sending run for each message left pending or sending with no run on its way; return how many."""
    overdue = now - OVERDUE_AFTER
    stuck = now - stale_after()
    candidates = db.session.scalars(
        sa.select(OutboundMessage.id)
        .where(
            sa.or_(
                sa.and_(
                    OutboundMessage.state == MessageState.PENDING,
                    sa.func.coalesce(OutboundMessage.next_attempt_at, OutboundMessage.created_at) < overdue,
                ),
                sa.and_(OutboundMessage.state == MessageState.SENDING, OutboundMessage.updated_at < stuck),
            )
        )
        .order_by(OutboundMessage.id)
        .limit(BATCH)
    ).all()
    if not candidates:
        return 0
    on_their_way = _messages_with_live_runs()
    asked = 0
    for message_id in candidates:
        if message_id in on_their_way:
            continue
        key = f"message:{message_id}:sweep:{_sweep_number(message_id)}"
        if enqueue_after_commit(SEND_JOB, key=key, message_id=message_id):
            logger.warning("outbox message %s had no run on its way: queued %s", message_id, key)
            asked += 1
    return asked


def _messages_with_live_runs() -> set[int]:
    """Return the ids of the messages a sending run is queued or running for (their keys are "message:<id>...")."""
    keys = db.session.scalars(
        sa.select(JobRun.key).where(JobRun.name == SEND_JOB, JobRun.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    )
    ids = set()
    for key in keys:
        parts = (key or "").split(":")
        if len(parts) >= 2 and parts[0] == "message" and parts[1].isdigit():
            ids.add(int(parts[1]))
    return ids


def _sweep_number(message_id: int) -> int:
    prefix = f"message:{message_id}:sweep:"
    used = db.session.scalar(sa.select(sa.func.count(JobRun.id)).where(JobRun.key.startswith(prefix, autoescape=True)))
    return int(used or 0) + 1
