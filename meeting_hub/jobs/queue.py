"""The queue: Huey on SQLite (embedded default) or Redis (several processes), and enqueueing after commit.

Huey carries only a run's id: the ledger (models.JobRun, in the app's database) says whether the run still has to
happen. Huey removes a message when a worker takes it, so a worker killed mid-job would lose it; the ledger is what
lets a restarted worker find the run and start it again (runs.recover_lost_runs).

Backends (setting JOBS_BACKEND):
- "sqlite": a file in the instance folder (jobs.db); no extra server. Workers poll it every JOBS_POLL_SECONDS at most.
- "redis": MEETING_HUB_REDIS_URL, for several processes or machines; workers block on the list, no polling.
- "auto" (default): redis when MEETING_HUB_REDIS_URL is set, else sqlite.
- "immediate": run each job in the enqueuing process right after the commit (tests, one-off scripts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, crontab
from huey.api import TaskWrapper
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from meeting_hub import health
from meeting_hub.extensions import db
from meeting_hub.jobs import outcomes, registry, runs
from meeting_hub.observability import metrics

logger = logging.getLogger(__name__)

#: Run ids added in the current transaction, handed to the queue once it commits.
_PENDING_KEY = "meeting_hub.jobs.pending"
#: Runs added with a delay in the current transaction: (run id, seconds), scheduled once it commits.
_DELAYED_KEY = "meeting_hub.jobs.delayed"


@dataclass
class JobQueue:
    """One app's queue: its Huey instance, its two Huey tasks, and the settings the worker reads."""

    app: Flask
    huey: Huey
    backend: str
    execute_task: TaskWrapper
    tick_task: TaskWrapper
    max_attempts: int
    retry_delay_seconds: float
    lease_seconds: float
    requeue_after_seconds: float

    def push(self, run_id: int, *, delay_seconds: float = 0) -> None:
        """Hand one run to the queue (now, or after a delay, kept in the queue's own schedule)."""
        if delay_seconds > 0:
            self.execute_task.schedule(args=(run_id,), delay=delay_seconds)
        else:
            self.execute_task(run_id)


def resolve_backend(app: Flask) -> str:
    """Return the backend the settings ask for: sqlite, redis or immediate."""
    backend = str(app.config["JOBS_BACKEND"])
    if backend == "auto":
        return "redis" if app.config.get("REDIS_URL") else "sqlite"
    return backend


def _create_huey(app: Flask, backend: str) -> Huey:
    name = str(app.config["JOBS_QUEUE_NAME"])
    # Results are not kept: the ledger holds each run's state. utc: Huey's own timestamps (retry schedule) in UTC.
    if backend == "immediate":
        return Huey(name, results=False, utc=True, immediate=True, storage_class=MemoryStorage)
    if backend == "redis":
        return Huey(name, results=False, utc=True, storage_class=RedisStorage, url=app.config["REDIS_URL"])
    path = app.config.get("JOBS_SQLITE_PATH") or str(Path(app.instance_path) / "jobs.db")
    return Huey(name, results=False, utc=True, storage_class=SqliteStorage, filename=path)


def _count_outcome(job: str, outcome: outcomes.Outcome) -> None:
    metrics.record_job_outcome(job, outcome.value)


def init_app(app: Flask) -> None:
    """Set up the app's queue from its settings and register the two Huey tasks every job goes through."""
    # /healthz shows the backlog and its oldest run's age; /metrics counts every attempt by job and outcome.
    health.register_check("jobs", runs.backlog_status)
    outcomes.on_outcome(_count_outcome)
    from meeting_hub.jobs import execution, periodic  # noqa: F401 - periodic declares the daily jobs

    backend = resolve_backend(app)  # every setting was checked at start (meeting_hub/settings.py)
    huey = _create_huey(app, backend)

    def execute(run_id: int) -> None:
        execution.execute_run(app, run_id)

    def tick() -> None:
        execution.tick(app)

    app.extensions["meeting_hub.jobs"] = JobQueue(
        app=app,
        huey=huey,
        backend=backend,
        execute_task=huey.task(name="meeting_hub.jobs.execute")(execute),
        # Every minute, in every worker running the scheduler: recover lost runs, add the daily runs that are due.
        tick_task=huey.periodic_task(crontab(), name="meeting_hub.jobs.tick")(tick),
        max_attempts=int(app.config["JOBS_MAX_ATTEMPTS"]),
        retry_delay_seconds=float(app.config["JOBS_RETRY_DELAY_SECONDS"]),
        lease_seconds=float(app.config["JOBS_LEASE_SECONDS"]),
        requeue_after_seconds=float(app.config["JOBS_REQUEUE_AFTER_SECONDS"]),
    )


def queue_of(app: Flask) -> JobQueue:
    """Return the app's queue."""
    queue: JobQueue = app.extensions["meeting_hub.jobs"]
    return queue


def current_queue() -> JobQueue:
    """Return the current app's queue."""
    return queue_of(current_app._get_current_object())  # type: ignore[attr-defined]


def enqueue_after_commit(
    name: str, *, key: str | None = None, delay_seconds: float = 0, **arguments: Any
) -> int | None:
    """Add a run of the job to the current transaction; it reaches the queue only if the transaction commits.

    With `delay_seconds`, the run is due that much after the commit (kept in the queue's own schedule; the ledger's
    run_after lets the tick hand it over again should the schedule lose it).

    Arguments must be JSON values (ids, ISO dates). With a `key` already used, nothing is added: a run that must
    happen once (a briefing's minutes version) can be asked for by every path that needs it; if that run failed for
    good, asking again queues it again. Returns the run's id (None when the key's run is queued, running or done).
    The caller commits; a rollback leaves no run and enqueues nothing.
    """
    if registry.get(name) is None:
        raise ValueError(f"no job is named {name!r}")
    run = runs.add_run(name, arguments, max_attempts=current_queue().max_attempts, key=key, delay_seconds=delay_seconds)
    if run is None:
        return None
    if delay_seconds > 0:
        db.session.info.setdefault(_DELAYED_KEY, []).append((run.id, delay_seconds))
    else:
        db.session.info.setdefault(_PENDING_KEY, []).append(run.id)
    return run.id


def push_runs(queue: JobQueue, run_ids: list[int]) -> None:
    """Hand committed runs to the queue; one that cannot be handed over now is handed over later by the tick."""
    for run_id in run_ids:
        try:
            queue.push(run_id)
        except Exception:  # Redis down, disk full: the run is in the ledger, the tick hands it over again
            logger.exception("could not hand job run %s to the queue; it will be retried", run_id)


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    """Hand the runs of a committed transaction to the queue."""
    run_ids = session.info.pop(_PENDING_KEY, None)
    if run_ids:
        push_runs(current_queue(), run_ids)
    for run_id, delay_seconds in session.info.pop(_DELAYED_KEY, None) or []:
        try:
            current_queue().push(run_id, delay_seconds=delay_seconds)
        except Exception:  # the run is in the ledger: the tick hands it over once it is due and nobody took it
            logger.exception("could not schedule job run %s; it will be handed over later", run_id)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    """Forget the runs of a transaction that did not commit (their rows are gone with it)."""
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_DELAYED_KEY, None)
