"""What the sending job does with a row a dead worker left in sending, and with rows it must not send."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import runs
from meeting_hub.notifications.models import Channel, MessageState, OutboundMessage
from meeting_hub.notifications.sending import MessageBusy, send_message
from tests.notifications.conftest import queue_message, row
from tests.notifications.providers import SmtpServer

Configure = Callable[..., Flask]
FROM = "Ban Tuyên giáo <giaoban@chilinh.gov.vn>"


def _dead_worker() -> str:
    """Return the ledger name of a process of this host that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{runs.worker_id().rpartition(':')[0]}:{process.pid}"


def _leave_in_sending(app: Flask, message_id: int, *, claimed_by: str, handed_over: bool, age: float = 0) -> None:
    """Put a row back as a worker would leave it when killed mid-send."""
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.state = MessageState.SENDING
        message.attempts = 1
        message.claimed_by = claimed_by
        message.handed_over_at = utcnow() if handed_over else None
        message.sent_at = message.provider_id = None
        db.session.commit()
        if age:  # updated_at follows every change: set it last, in SQL
            db.session.execute(
                sa.update(OutboundMessage)
                .where(OutboundMessage.id == message_id)
                .values(updated_at=utcnow() - timedelta(seconds=age))
            )
            db.session.commit()
        db.session.remove()


def _run_job(app: Flask, message_id: int) -> None:
    with app.app_context():
        try:
            send_message(message_id)
        finally:
            db.session.remove()


def test_rows_left_by_a_dead_worker_are_sent_when_never_handed_over_and_failed_in_doubt_otherwise(
    configure: Configure,
) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        before = queue_message(app, Channel.EMAIL, "truoc@chilinh.gov.vn")
        after = queue_message(app, Channel.EMAIL, "sau@chilinh.gov.vn")
        assert len(server.received) == 2
        dead = _dead_worker()
        _leave_in_sending(app, before, claimed_by=dead, handed_over=False)
        _leave_in_sending(app, after, claimed_by=dead, handed_over=True)
        _run_job(app, before)
        _run_job(app, after)
    resent, doubtful = row(app, before), row(app, after)
    assert resent.state is MessageState.SENT and resent.attempts == 2 and resent.claimed_by is not None
    assert doubtful.state is MessageState.FAILED and doubtful.attempts == 1
    assert "Không rõ tin đã đến nhà cung cấp hay chưa" in (doubtful.last_error or "")
    assert [r.recipients for r in server.received] == [["truoc@chilinh.gov.vn"], ["sau@chilinh.gov.vn"]] + [
        ["truoc@chilinh.gov.vn"]
    ]


def test_a_row_another_live_worker_is_sending_is_left_to_it_until_its_lease_passes(configure: Configure) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM, JOBS_LEASE_SECONDS=120)
        message_id = queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn")
        _leave_in_sending(app, message_id, claimed_by="another-host:4242", handed_over=False)
        with pytest.raises(MessageBusy):  # the job's run is tried again later by the queue
            _run_job(app, message_id)
        _leave_in_sending(app, message_id, claimed_by="another-host:4242", handed_over=False, age=3600)
        _run_job(app, message_id)
    assert row(app, message_id).state is MessageState.SENT
    assert len(server.received) == 2  # the first send, and the one after the other worker's lease passed


def test_sent_failed_and_unreachable_rows_are_never_sent_again(configure: Configure) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        message_id = queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn")
        _run_job(app, message_id)
        _run_job(app, message_id)
    assert len(server.received) == 1 and row(app, message_id).attempts == 1
