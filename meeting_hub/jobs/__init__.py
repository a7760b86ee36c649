"""Background jobs: work that must not run inside a request or a transaction.

- registry.py: `@job(name)`, `@daily_job(name, at_setting=...)` and `@every_minute(name)` (a chore of the minute
  tick) declare jobs in code;
- queue.py: the Huey queue (SQLite or Redis) and `enqueue_after_commit(name, key=..., **arguments)`;
- models.py and runs.py: the run ledger in the app's database, which makes a run survive a worker killed mid-job;
- execution.py: a worker running one run, and its minute tick; worker.py: `meeting-hub worker` and the in-process one;
- periodic.py: the daily jobs (overdue notices, open-ended series, ledger purge); outcomes.py: per-attempt hooks.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Set up the app's job queue."""
    from meeting_hub.jobs import queue

    queue.init_app(app)
