"""The worker: Huey's consumer over the app's queue, in its own process (`meeting-hub worker`) or in-process.

Production runs `meeting-hub worker` (systemd, docs/deployment.md): SIGTERM finishes the running jobs (up to
JOBS_SHUTDOWN_TIMEOUT_SECONDS) and exits; a job cut short then, or by kill -9, is run again by the next worker.
`meeting-hub run` starts one in-process for the embedded SQLite queue, so a small installation needs one command.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask
from huey.consumer import Consumer

from meeting_hub.async_mode import gevent_patched
from meeting_hub.jobs import execution
from meeting_hub.jobs.queue import queue_of

logger = logging.getLogger(__name__)


class _InProcessConsumer(Consumer):  # type: ignore[misc]  # huey ships no type information
    """A consumer inside the web server's process: the server keeps its own signal handlers (Ctrl-C stops it)."""

    def _set_signal_handlers(self) -> None:
        pass


def _consumer(app: Flask, consumer_class: type[Consumer], *, threads: int | None, periodic: bool) -> Consumer:
    queue = queue_of(app)
    if queue.backend == "immediate":
        raise RuntimeError("JOBS_BACKEND=immediate runs jobs in the enqueuing process: there is no queue to work on")
    return consumer_class(
        queue.huey,
        workers=threads or int(app.config["JOBS_WORKER_THREADS"]),
        periodic=periodic,
        # Under gevent (MEETING_HUB_ASYNC_MODE=gevent) threads are greenlets already: use Huey's greenlet workers.
        worker_type="greenlet" if gevent_patched() else "thread",
        # An empty SQLite queue is polled with a growing pause, never longer than this (Redis blocks instead).
        max_delay=float(app.config["JOBS_POLL_SECONDS"]),
        graceful_signal="TERM",
        shutdown_timeout=float(app.config["JOBS_SHUTDOWN_TIMEOUT_SECONDS"]),
    )


def _log_to_stderr() -> None:
    """Show the worker's and Huey's INFO lines when nothing else configured logging."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    # Huey logs two lines per task and one per minute for the tick; ours say what matters (started, done, failed,
    # lost). Keep Huey's start-up lines and its warnings, unless logging was configured otherwise.
    for name, level in (
        ("huey", logging.WARNING),
        ("huey.consumer", logging.INFO),
        ("huey.consumer.Scheduler", logging.WARNING),
    ):
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(level)


def run_worker(app: Flask, *, threads: int | None = None, periodic: bool = True) -> None:
    """Work on the queue in the foreground until SIGTERM or Ctrl-C (graceful), SIGHUP (restart)."""
    _log_to_stderr()
    consumer = _consumer(app, Consumer, threads=threads, periodic=periodic)
    recovered = execution.recover(app, starting=True)
    logger.info("job worker started (%s queue); %s lost runs queued again", queue_of(app).backend, len(recovered))
    consumer.run()
    logger.info("job worker stopped")


def start_in_process(app: Flask, *, threads: int | None = None) -> Consumer:
    """Start a worker on background threads of this process and return it (stop it with `.stop(graceful=True)`)."""
    consumer = _consumer(app, _InProcessConsumer, threads=threads, periodic=True)
    execution.recover(app, starting=True)
    consumer.start()
    return consumer
