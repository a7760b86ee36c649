"""The ledger of job runs: what was asked, what is running where, what finished or failed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow


class JobStatus(StrEnum):
    """Where a run stands: waiting for a worker, running, or over."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(Base):
    """One run of a job, kept in the app's database so that a worker killed mid-job loses nothing.

    The queue (Huey) only carries the run's id; this row says whether the run still has to happen. A worker claims a
    queued row, holds a lease on it while it works, and marks it done in the same transaction as the job's own writes.
    """

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The job's registered name, e.g. "follow_up.overdue_notices".
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The job's keyword arguments (JSON: ids, dates as ISO text).
    arguments: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Set for a run that must happen once whoever asks (a periodic job's day, a briefing's minutes version).
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[JobStatus] = mapped_column(string_enum(JobStatus, "job_status"), default=JobStatus.QUEUED)
    #: Times the run was started (a retry or a run re-queued after a crash adds one).
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column()
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the run is due: its enqueue time, or the time of its next retry.
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last time the run was handed to the queue (a lost hand-over is repeated after a while).
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: "host:pid" of the worker process running it.
    worker: Mapped[str | None] = mapped_column(sa.String(200))
    #: A running row whose lease has passed belongs to a worker that died: it is queued again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
