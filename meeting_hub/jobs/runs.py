"""The run ledger's operations: add a run, claim it, finish or fail it, find the runs a dead worker left behind."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from meeting_hub.database import utcnow
from meeting_hub.event_log.log import upsert_insert
from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun, JobStatus

#: Longest wait between two attempts of a failing run, whatever the backoff says.
MAX_RETRY_DELAY_SECONDS = 3600
#: The error text kept on a run is cut here (a traceback's last lines are what matter).
MAX_ERROR_LENGTH = 4000


def worker_id() -> str:
    """Return this process's name in the ledger, "host:pid" (computed each time: a fork changes the pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def add_run(
    name: str,
    arguments: Mapping[str, Any],
    *,
    max_attempts: int,
    key: str | None = None,
    now: datetime | None = None,
    delay_seconds: float = 0,
) -> JobRun | None:
    """Add a queued run in the current transaction and return it (due now, or `delay_seconds` from now).

    With a key already used, add nothing and return None, unless that run failed for good: then it is queued again
    with fresh attempts and returned (asking again is how a person retries, e.g. "prepare the minutes again").
    """
    now = now or utcnow()
    values = dict(arguments)
    json.dumps(values)  # refuse what the ledger could not store, here rather than in the worker
    row = {
        "name": name,
        "arguments": values,
        "key": key,
        "status": JobStatus.QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "enqueued_at": now,
        "run_after": now + timedelta(seconds=delay_seconds),
        "pushed_at": now,
    }
    if key is None:
        run = JobRun(**row)
        db.session.add(run)
        db.session.flush()
        return run
    # Two processes may add the same keyed run at once (every worker checks the daily jobs): one row wins.
    inserted = db.session.execute(
        upsert_insert(JobRun).values(**row).on_conflict_do_nothing().returning(JobRun.id)
    ).scalar()
    if inserted is not None:
        return db.session.get(JobRun, inserted)
    existing = db.session.scalar(sa.select(JobRun).where(JobRun.key == key).with_for_update())
    if existing is None or existing.status != JobStatus.FAILED:
        return None
    existing.status = JobStatus.QUEUED
    existing.attempts = 0
    existing.run_after = now + timedelta(seconds=delay_seconds)
    existing.pushed_at = now
    existing.finished_at = existing.worker = existing.lease_until = None
    db.session.flush()
    return existing


def run_with_key(key: str) -> JobRun | None:
    """Return the run added under this key, if any (a page shows "being prepared", "ready" or "failed" from it)."""
    return db.session.scalar(sa.select(JobRun).where(JobRun.key == key))


def claim(run_id: int, worker: str, lease_seconds: float, now: datetime | None = None) -> JobRun | None:
    """Take a queued run for this worker and count the attempt; None when it is not queued (done, or taken)."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=JobRun.attempts + 1,
            started_at=now,
            worker=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(JobRun, run_id, populate_existing=True)


def finish(run_id: int, now: datetime | None = None) -> None:
    """Mark a run done, in the transaction of the job's own writes."""
    db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=JobStatus.DONE, finished_at=now or utcnow(), lease_until=None)
        .execution_options(synchronize_session=False)
    )


def name_of(run_id: int) -> str | None:
    """Return the job name of a run, if the run exists."""
    return db.session.scalar(sa.select(JobRun.name).where(JobRun.id == run_id))


def retry_delay(attempts: int, base_seconds: float) -> float:
    """Return how long to wait before the next attempt: the base, doubled after each failed attempt, capped."""
    return float(min(base_seconds * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY_SECONDS))


def record_failure(
    run_id: int, error: str, *, base_delay_seconds: float, now: datetime | None = None
) -> tuple[JobStatus, float]:
    """Note a failed attempt: queue the run again after a delay, or mark it failed when attempts are used up.

    Returns the new status and the delay (0 when failed). The caller commits.
    """
    now = now or utcnow()
    run = db.session.get(JobRun, run_id, populate_existing=True)
    if run is None:
        return JobStatus.FAILED, 0.0
    run.last_error = error[-MAX_ERROR_LENGTH:]
    run.lease_until = None
    if run.attempts >= run.max_attempts:
        run.status = JobStatus.FAILED
        run.finished_at = now
        return JobStatus.FAILED, 0.0
    delay = retry_delay(run.attempts, base_delay_seconds)
    run.status = JobStatus.QUEUED
    run.run_after = now + timedelta(seconds=delay)
    run.pushed_at = now
    run.worker = None
    return JobStatus.QUEUED, delay


def renew_lease(connection: sa.Connection, run_id: int, worker: str, lease_seconds: float) -> None:
    """Push a running run's lease forward (on the caller's connection, outside the job's transaction)."""
    connection.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == JobStatus.RUNNING, JobRun.worker == worker)
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
    )


def process_is_gone(worker: str | None, host: str) -> bool:
    """Tell whether a ledger worker name is a process of this host that no longer exists."""
    if not worker:
        return False
    worker_host, _, pid_text = worker.rpartition(":")
    if worker_host != host or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def recover_lost_runs(
    *, requeue_after_seconds: float, starting: bool = False, now: datetime | None = None
) -> list[tuple[int, str]]:
    """Queue again the runs a dead worker left running, and hand over again the queued runs nobody took.

    A running run is lost when its lease has passed, or when its worker was a process of this host that is gone (a
    restart after kill -9 picks it up at once). The runs of this very process are its own and alive, lease or not (a
    CPU-bound job under gevent cannot renew it), except when this process is a worker just starting (a restart in
    place keeps the pid). Runs whose attempts are used up are marked failed instead. Returns (id, name) of the runs
    to hand to the queue; the caller commits, then hands them over.
    """
    now = now or utcnow()
    host, this_worker = socket.gethostname(), worker_id()
    to_push: list[tuple[int, str]] = []
    running = db.session.scalars(sa.select(JobRun).where(JobRun.status == JobStatus.RUNNING))
    for run in running:
        if run.worker == this_worker:
            if not starting:
                continue
        elif not ((run.lease_until is not None and run.lease_until < now) or process_is_gone(run.worker, host)):
            continue
        run.last_error = f"worker {run.worker} stopped during attempt {run.attempts}"
        run.lease_until = None
        if run.attempts >= run.max_attempts:
            run.status = JobStatus.FAILED
            run.finished_at = now
            continue
        run.status = JobStatus.QUEUED
        run.worker = None
        run.run_after = run.pushed_at = now
        to_push.append((run.id, run.name))
    stale = now - timedelta(seconds=requeue_after_seconds)
    forgotten = db.session.scalars(
        sa.select(JobRun).where(
            JobRun.status == JobStatus.QUEUED,
            JobRun.run_after < stale,
            sa.or_(JobRun.pushed_at.is_(None), JobRun.pushed_at < stale),
        )
    )
    for run in forgotten:
        run.pushed_at = now
        to_push.append((run.id, run.name))
    return to_push


def backlog_status(now: datetime | None = None) -> dict[str, float | int]:
    """Return how many runs are due and waiting for a worker, and how long the oldest has waited (for /healthz)."""
    now = now or utcnow()
    count, oldest = db.session.execute(
        sa.select(sa.func.count(JobRun.id), sa.func.min(JobRun.run_after)).where(
            JobRun.status == JobStatus.QUEUED, JobRun.run_after <= now
        )
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN() loses the column type
        oldest = oldest.replace(tzinfo=now.tzinfo)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return {"pending": int(count), "oldest_age_seconds": round(max(age, 0.0), 1)}


def purge_finished(before: datetime) -> int:
    """Delete the runs done before this time (failed ones stay for someone to look at); return how many."""
    result = db.session.execute(sa.delete(JobRun).where(JobRun.status == JobStatus.DONE, JobRun.finished_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
