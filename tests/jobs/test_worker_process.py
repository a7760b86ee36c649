"""Real workers: `meeting-hub worker` processes on the SQLite queue (kill -9 mid-job, SIGTERM), the in-process worker
of `meeting-hub run`, and the Redis queue when MEETING_HUB_TEST_REDIS_URL is set."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from meeting_hub import create_app
from meeting_hub.extensions import db
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.jobs.queue import enqueue_after_commit, queue_of
from meeting_hub.jobs.worker import start_in_process
from tests.conftest import REDIS_URL, base_config
from tests.jobs.sample_jobs import lines
from tests.server_processes import worker_environment

ROOT = Path(__file__).resolve().parents[2]
#: The worker command, with the tests' sample jobs registered first.
WORKER = [sys.executable, "-c", "import tests.jobs.sample_jobs; from meeting_hub.cli import main; main()", "worker"]


def _config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return base_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}") | {
        "JOBS_BACKEND": "sqlite",
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db"),
        "JOBS_POLL_SECONDS": 0.2,
        **overrides,
    }


@pytest.fixture
def queue_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the SQLite queue that worker processes of the same test share."""
    app = create_app(_config(tmp_path))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `meeting-hub worker` processes on the test's database and queue; kill any still running at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = worker_environment(tmp_path, ROOT)

    def start() -> subprocess.Popen[bytes]:
        with (tmp_path / f"worker-{len(started) + 1}.log").open("wb") as log:  # the child keeps its own handle
            process = subprocess.Popen(WORKER, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_until(condition: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
    # Generous: a worker process takes seconds to start, much longer on a loaded 2-core machine.
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def _run(app: Flask, run_id: int) -> JobRun:
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run is not None
        db.session.expunge(run)
        db.session.remove()
        return run


def _enqueue(app: Flask, name: str, **arguments: Any) -> int:
    with app.app_context():
        run_id = enqueue_after_commit(name, **arguments)
        db.session.commit()
        db.session.remove()
    assert run_id is not None
    return run_id


def test_a_job_cut_short_by_kill_9_is_finished_exactly_once_by_the_next_worker(
    queue_app: Flask, tmp_path: Path, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    waiting = _enqueue(queue_app, "tests.wait_for_release", folder=str(trace))
    first = start_worker()
    _wait_until(lambda: len(lines(trace / "started")) == 1, what="the first worker to start the job")
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    cut_short = _run(queue_app, waiting)
    assert cut_short.status == JobStatus.RUNNING and cut_short.worker is not None
    assert cut_short.worker.endswith(f":{first.pid}")
    assert lines(trace / "finished") == []

    (trace / "release").touch()
    other = _enqueue(queue_app, "tests.append_line", path=str(trace / "other"), text="x")
    second = start_worker()
    _wait_until(lambda: _run(queue_app, waiting).status == JobStatus.DONE, what="the second worker to finish it")
    _wait_until(lambda: _run(queue_app, other).status == JobStatus.DONE, what="the other job")
    time.sleep(1)  # a duplicate run would show within the worker's next polls
    assert lines(trace / "started") == [str(first.pid), str(second.pid)]
    assert lines(trace / "finished") == [str(second.pid)]
    assert lines(trace / "other") == ["x"]
    finished = _run(queue_app, waiting)
    assert finished.attempts == 2 and finished.worker == cut_short.worker.rsplit(":", 1)[0] + f":{second.pid}"
    assert "stopped during attempt 1" in (finished.last_error or "")

    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0
    assert "job worker stopped" in (tmp_path / "worker-2.log").read_text()


def test_sigterm_lets_the_running_job_finish_then_stops(
    queue_app: Flask, tmp_path: Path, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    trace = tmp_path / "trace"
    trace.mkdir()
    worker = start_worker()
    waiting = _enqueue(queue_app, "tests.wait_for_release", folder=str(trace))
    _wait_until(lambda: len(lines(trace / "started")) == 1, what="the worker to start the job")
    worker.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert worker.poll() is None  # still finishing its job
    (trace / "release").touch()
    assert worker.wait(60) == 0
    assert lines(trace / "finished") == [str(worker.pid)]
    assert _run(queue_app, waiting).status == JobStatus.DONE


def test_the_worker_refuses_the_immediate_backend(tmp_path: Path) -> None:
    app = create_app(_config(tmp_path, JOBS_BACKEND="immediate"))
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 1
    assert "JOBS_BACKEND=immediate" in result.output


def _finishes_in_process(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        db.create_all()
    consumer = start_in_process(app, threads=1)
    try:
        run_id = _enqueue(app, "tests.append_line", path=str(tmp_path / "out"), text="trong tiến trình")
        _wait_until(lambda: _run(app, run_id).status == JobStatus.DONE, what="the in-process worker")
    finally:
        consumer.stop(graceful=True)
    assert lines(tmp_path / "out") == ["trong tiến trình"]
    assert not any(thread.is_alive() for _worker, thread in consumer.worker_threads)
    with app.app_context():
        db.engine.dispose()


def test_the_in_process_worker_of_meeting_hub_run_works_the_sqlite_queue(tmp_path: Path) -> None:
    _finishes_in_process(create_app(_config(tmp_path)), tmp_path)


def test_the_redis_queue_carries_runs_to_a_worker(tmp_path: Path) -> None:
    if not REDIS_URL:
        pytest.skip("MEETING_HUB_TEST_REDIS_URL is not set")
    name = f"meeting-hub-test-{uuid.uuid4().hex[:12]}"
    app = create_app(_config(tmp_path, JOBS_BACKEND="redis", REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=name))
    try:
        _finishes_in_process(app, tmp_path)
    finally:
        queue_of(app).huey.storage.flush_all()  # this test's queue, schedule and counters only
