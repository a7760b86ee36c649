"""Running one run in a worker: claim it, keep its lease while it works, commit its writes with "done", or retry.

Also the worker's minute tick: recover the runs a dead worker left, and add the daily runs that are due.
"""

from __future__ import annotations

import logging
import threading
import traceback
from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import registry, runs
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.jobs.outcomes import Outcome, report
from meeting_hub.jobs.queue import JobQueue, push_runs, queue_of
from meeting_hub.observability.logs import log_context
from meeting_hub.settings import time_of_day

logger = logging.getLogger(__name__)


class _LeaseKeeper:
    """Renew a run's lease from a side thread while the job works, on a connection of its own."""

    def __init__(self, engine: sa.Engine, run_id: int, worker: str, lease_seconds: float) -> None:
        self._engine = engine
        self._run_id = run_id
        self._worker = worker
        self._lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-lease-{run_id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._lease_seconds)

    def _loop(self) -> None:
        while not self._stop.wait(self._lease_seconds / 3):
            try:
                with self._engine.begin() as connection:
                    runs.renew_lease(connection, self._run_id, self._worker, self._lease_seconds)
            except sa.exc.SQLAlchemyError:
                # The job's own transaction may hold SQLite's write lock: try again at the next beat.
                logger.warning("could not renew the lease of job run %s", self._run_id, exc_info=True)


def execute_run(app: Flask, run_id: int) -> Outcome:
    """Run one queued run to its end in an app context of its own; failures go to the ledger, not to Huey.

    Only when the ledger itself cannot be written (database down) does this raise; the run then stays queued or
    running in the ledger, and the tick hands it over again (requeue delay, or lease).
    """
    queue = queue_of(app)
    with app.app_context(), log_context(job_id=f"job-{run_id}"):  # every line the run writes carries its id
        try:
            return _execute(queue, run_id)
        finally:
            db.session.remove()


def _execute(queue: JobQueue, run_id: int) -> Outcome:
    worker = runs.worker_id()
    run = runs.claim(run_id, worker, queue.lease_seconds)
    if run is None:
        name = runs.name_of(run_id) or "unknown"
        db.session.commit()
        logger.info("job %s (run %s) is not queued any more: skipped", name, run_id)
        report(name, Outcome.SKIPPED)
        return Outcome.SKIPPED
    name, arguments, attempt = run.name, dict(run.arguments), run.attempts
    # Commit the claim, and keep no transaction open while the job works: on SQLite an open transaction holds the
    # write lock (BEGIN IMMEDIATE, see database.py), so the job itself must not read, dawdle, then write either.
    db.session.commit()
    definition = registry.get(name)
    try:
        if definition is None:
            raise LookupError(f"this worker knows no job named {name!r}")
        logger.info("job %s (run %s, attempt %s) started", name, run_id, attempt)
        with _LeaseKeeper(db.engine, run_id, worker, queue.lease_seconds):
            definition.function(**arguments)
            runs.finish(run_id)
            db.session.commit()
    except Exception:
        db.session.rollback()
        error = traceback.format_exc()
        logger.exception("job %s (run %s, attempt %s) failed", name, run_id, attempt)
        status, delay = runs.record_failure(run_id, error, base_delay_seconds=queue.retry_delay_seconds)
        if definition is None:  # no later attempt on this worker can do better
            status, delay = _fail_now(run_id)
        db.session.commit()
        if status is JobStatus.QUEUED:
            push_runs_later(queue, run_id, delay)
            report(name, Outcome.RETRY)
            return Outcome.RETRY
        report(name, Outcome.FAILED)
        return Outcome.FAILED
    logger.info("job %s (run %s) done", name, run_id)
    report(name, Outcome.DONE)
    return Outcome.DONE


def _fail_now(run_id: int) -> tuple[JobStatus, float]:
    run = db.session.get(JobRun, run_id)
    if run is not None:
        run.status = JobStatus.FAILED
        run.finished_at = utcnow()
    return JobStatus.FAILED, 0.0


def push_runs_later(queue: JobQueue, run_id: int, delay_seconds: float) -> None:
    """Hand a run to the queue's schedule for its next attempt; the tick hands it over if this fails."""
    try:
        queue.push(run_id, delay_seconds=delay_seconds)
    except Exception:
        logger.exception("could not schedule job run %s again; the tick will", run_id)


def recover(app: Flask, *, starting: bool = False) -> list[int]:
    """Queue again the runs lost by dead workers and hand them over; return their ids."""
    queue = queue_of(app)
    with app.app_context():
        try:
            lost = runs.recover_lost_runs(
                requeue_after_seconds=queue.requeue_after_seconds,
                starting=starting,
            )
            db.session.commit()
        finally:
            db.session.remove()
    for run_id, name in lost:
        logger.warning("job %s (run %s) was lost by its worker or the queue: queued again", name, run_id)
        report(name, Outcome.RECOVERED)
    push_runs(queue, [run_id for run_id, _name in lost])
    return [run_id for run_id, _name in lost]


def add_due_daily_runs(app: Flask, now: datetime | None = None) -> list[int]:
    """Add today's run of each daily job whose time has come and that has no run today yet; hand them over."""
    queue = queue_of(app)
    added: list[int] = []
    with app.app_context():
        try:
            now = now or utcnow()
            local_now = now.astimezone(local_zone())
            for definition in registry.daily_jobs():
                assert definition.daily_at_setting is not None
                if local_now.time() < time_of_day(app.config[definition.daily_at_setting]):
                    continue
                key = f"{definition.name}@{local_now.date().isoformat()}"
                if runs.run_with_key(key) is not None:
                    continue
                run = runs.add_run(definition.name, {}, max_attempts=queue.max_attempts, key=key, now=now)
                if run is not None:
                    added.append(run.id)
            db.session.commit()
        finally:
            db.session.remove()
    push_runs(queue, added)
    return added


def run_minute_chores(app: Flask, now: datetime | None = None) -> None:
    """Run each registered minute chore in its own transaction; one that fails is logged and tried next minute."""
    for name, chore in registry.minute_chores():
        with app.app_context():
            try:
                chore(now or utcnow())
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("minute chore %s failed; it runs again at the next tick", name)
            finally:
                db.session.remove()


def tick(app: Flask, now: datetime | None = None) -> None:
    """Do the worker's minute chores: recover lost runs, add the daily runs that are due, run the minute chores."""
    recover(app)
    add_due_daily_runs(app, now)
    run_minute_chores(app, now)
