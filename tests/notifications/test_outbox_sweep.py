"""The minute chore that hands messages left behind (pending or sending, no run on its way) back to the sending job."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import execution, runs
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.notifications.models import Channel, MessageState, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB
from meeting_hub.notifications.outbox_sweep import sweep_outbox
from tests.notifications.conftest import queue_message, row, run_with_key
from tests.notifications.providers import SmtpServer

Configure = Callable[..., Flask]
FROM = "Ban Tuyên giáo <giaoban@chilinh.gov.vn>"


def _left_behind(app: Flask, message_id: int, state: MessageState, *, age: timedelta, run: str) -> None:
    """Put a sent row back as a failed send would leave it: in `state` since `age` ago, its run failed or gone."""
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.state, message.attempts, message.sent_at, message.provider_id = state, 1, None, None
        message.handed_over_at = None  # stopped before handing it to the provider: safe to send
        if state is MessageState.SENDING:
            process = subprocess.Popen([sys.executable, "-c", "pass"])
            process.wait()
            message.claimed_by = f"{runs.worker_id().rpartition(':')[0]}:{process.pid}"
        db.session.commit()
        then = utcnow() - age
        db.session.execute(  # updated_at follows every change: set the times last, in SQL
            sa.update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(created_at=then, updated_at=then, next_attempt_at=None)
        )
        if run == "failed":
            db.session.execute(sa.update(JobRun).where(JobRun.key == f"message:{message_id}").values(status="failed"))
        elif run == "gone":
            db.session.execute(sa.delete(JobRun).where(JobRun.key == f"message:{message_id}"))
        elif run == "queued":  # a run still on its way (due later): nothing to do
            db.session.execute(
                sa.update(JobRun)
                .where(JobRun.key == f"message:{message_id}")
                .values(status="queued", run_after=utcnow() + timedelta(hours=1))
            )
        db.session.commit()
        db.session.remove()


def _sweep(app: Flask) -> int:
    with app.app_context():
        try:
            asked = sweep_outbox(utcnow())
            db.session.commit()  # the jobs run now (JOBS_BACKEND=immediate)
            return asked
        finally:
            db.session.remove()


def test_rows_whose_run_failed_or_vanished_are_sent_by_a_fresh_run(configure: Configure) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM, JOBS_LEASE_SECONDS=60)
        failed_run, lost_run, stuck, waiting, recent = (
            queue_message(app, Channel.EMAIL, f"{name}@chilinh.gov.vn") for name in ("loi", "mat", "treo", "cho", "moi")
        )
        assert len(server.received) == 5
        _left_behind(app, failed_run, MessageState.PENDING, age=timedelta(minutes=10), run="failed")
        _left_behind(app, lost_run, MessageState.PENDING, age=timedelta(minutes=10), run="gone")
        _left_behind(app, stuck, MessageState.SENDING, age=timedelta(hours=1), run="failed")
        _left_behind(app, waiting, MessageState.PENDING, age=timedelta(minutes=10), run="queued")
        _left_behind(app, recent, MessageState.PENDING, age=timedelta(minutes=1), run="gone")

        assert _sweep(app) == 3
        for message_id in (failed_run, lost_run, stuck):
            assert row(app, message_id).state is MessageState.SENT
            sweep_run = run_with_key(app, f"message:{message_id}:sweep:1")
            assert sweep_run is not None and sweep_run.status is JobStatus.DONE
        # A row with a run still on its way, and one pending for a minute only, are left to their runs.
        assert row(app, waiting).state is MessageState.PENDING and row(app, recent).state is MessageState.PENDING
        assert run_with_key(app, f"message:{waiting}:sweep:1") is None
        assert sorted(r.recipients[0] for r in server.received[5:]) == [
            "loi@chilinh.gov.vn",
            "mat@chilinh.gov.vn",
            "treo@chilinh.gov.vn",
        ]
        assert _sweep(app) == 0  # nothing left behind any more


def test_the_sweep_is_a_minute_chore_and_numbers_its_runs(configure: Configure) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        message_id = queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn")
        for number in (1, 2):
            _left_behind(app, message_id, MessageState.PENDING, age=timedelta(minutes=10), run="gone")
            execution.run_minute_chores(app)
            assert row(app, message_id).state is MessageState.SENT
            assert run_with_key(app, f"message:{message_id}:sweep:{number}") is not None
        assert len(server.received) == 3
    with app.app_context():
        names = db.session.scalars(sa.select(JobRun.name).where(JobRun.key.like(f"message:{message_id}:sweep:%")))
        assert set(names) == {SEND_JOB}
        db.session.remove()
