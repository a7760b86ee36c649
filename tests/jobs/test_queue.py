"""Enqueueing after commit, running, retrying and the ledger, with jobs run in-process (JOBS_BACKEND=immediate)."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from meeting_hub import create_app
from meeting_hub.accounts.models import User
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import execution, runs
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.jobs.outcomes import Outcome
from meeting_hub.jobs.queue import enqueue_after_commit, queue_of, resolve_backend
from tests.conftest import base_config
from tests.jobs.sample_jobs import lines


def _run(app: Flask, run_id: int) -> JobRun:
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        assert run is not None
        db.session.expunge(run)
        return run


def test_a_committed_enqueue_runs_the_job_once(
    app: Flask, tmp_path: Path, outcomes_seen: list[tuple[str, Outcome]]
) -> None:
    target = tmp_path / "out.txt"
    with app.app_context():
        run_id = enqueue_after_commit("tests.append_line", path=str(target), text="một lần")
        assert lines(target) == []  # nothing before the commit
        db.session.commit()
    assert lines(target) == ["một lần"]
    run = _run(app, run_id)
    assert (run.status, run.attempts, run.worker) == (JobStatus.DONE, 1, runs.worker_id())
    assert run.finished_at is not None and run.lease_until is None
    assert outcomes_seen == [("tests.append_line", Outcome.DONE)]


def test_no_transaction_stays_open_while_a_job_works(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        run_id = enqueue_after_commit("tests.take_write_lock", database=str(tmp_path / "test.db"))
        db.session.commit()
    assert run_id is not None
    run = _run(app, run_id)
    assert run.status == JobStatus.DONE, run.last_error


def test_a_run_asked_for_in_a_before_commit_hook_is_handed_over_by_that_commit(app: Flask, tmp_path: Path) -> None:
    """The minutes of a closing briefing are frozen in a before_commit hook (reports/minutes.py): it may enqueue."""
    target = tmp_path / "out.txt"

    def enqueue_once(session: Session) -> None:
        if session.info.pop("test.enqueue", False):
            enqueue_after_commit("tests.append_line", key="from-hook", path=str(target), text="hook")

    event.listen(Session, "before_commit", enqueue_once)
    try:
        with app.app_context():
            db.session.info["test.enqueue"] = True
            db.session.commit()
            assert runs.run_with_key("from-hook").status == JobStatus.DONE  # type: ignore[union-attr]
    finally:
        event.remove(Session, "before_commit", enqueue_once)
    assert lines(target) == ["hook"]


def test_a_rolled_back_transaction_enqueues_nothing(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with app.app_context():
        enqueue_after_commit("tests.append_line", path=str(target), text="không")
        db.session.rollback()
        db.session.commit()  # a later commit of the same session does not bring the forgotten run back
        assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0
    assert lines(target) == []


def test_a_job_s_writes_commit_with_its_done_mark_and_vanish_with_its_failure(app: Flask, user_id: int) -> None:
    with app.app_context():
        ok = enqueue_after_commit("tests.rename_user", user_id=user_id, display_name="Tên mới")
        db.session.commit()
        assert db.session.get(User, user_id).display_name == "Tên mới"  # type: ignore[union-attr]
        failing = enqueue_after_commit("tests.rename_user", user_id=user_id, display_name="Sai", fail=True)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(User, user_id).display_name == "Tên mới"  # type: ignore[union-attr]
    assert _run(app, ok).status == JobStatus.DONE  # type: ignore[arg-type]
    failed = _run(app, failing)  # type: ignore[arg-type]
    assert failed.status == JobStatus.QUEUED and failed.attempts == 1
    assert "asked to fail after writing" in (failed.last_error or "")


def test_a_failing_job_is_retried_with_a_growing_delay_then_marked_failed(
    app: Flask, tmp_path: Path, outcomes_seen: list[tuple[str, Outcome]]
) -> None:
    counter = tmp_path / "attempts.txt"
    queue = queue_of(app)
    with app.app_context():
        run_id = enqueue_after_commit("tests.fail_until", path=str(counter), succeed_on_attempt=99)
        db.session.commit()
    assert run_id is not None
    first = _run(app, run_id)
    assert first.status == JobStatus.QUEUED and first.attempts == 1
    # The next attempt waits in the queue's own schedule (30 s, then 60 s...): run the attempts here instead.
    assert queue.huey.scheduled_count() == 1
    for _ in range(4):
        execution.execute_run(app, run_id)
    last = _run(app, run_id)
    assert last.status == JobStatus.FAILED and last.attempts == 5 == len(lines(counter))
    assert "attempt 5 fails on purpose" in (last.last_error or "")
    assert execution.execute_run(app, run_id) == Outcome.SKIPPED  # a failed run is never started again
    assert len(lines(counter)) == 5
    assert [outcome for _name, outcome in outcomes_seen] == [Outcome.RETRY] * 4 + [Outcome.FAILED, Outcome.SKIPPED]
    assert first.run_after - first.enqueued_at >= timedelta(seconds=29)  # JOBS_RETRY_DELAY_SECONDS after a failure


def test_retry_delay_doubles_and_is_capped() -> None:
    assert [runs.retry_delay(n, 30) for n in (1, 2, 3)] == [30, 60, 120]
    assert runs.retry_delay(30, 30) == runs.MAX_RETRY_DELAY_SECONDS


def test_a_retried_job_that_then_succeeds_ends_done(app: Flask, tmp_path: Path) -> None:
    counter = tmp_path / "attempts.txt"
    with app.app_context():
        run_id = enqueue_after_commit("tests.fail_until", path=str(counter), succeed_on_attempt=2)
        db.session.commit()
    assert run_id is not None
    assert execution.execute_run(app, run_id) == Outcome.DONE
    run = _run(app, run_id)
    assert (run.status, run.attempts, len(lines(counter))) == (JobStatus.DONE, 2, 2)


def test_a_run_delivered_twice_runs_once(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with app.app_context():
        run_id = enqueue_after_commit("tests.append_line", path=str(target), text="x")
        db.session.commit()
    assert run_id is not None
    assert execution.execute_run(app, run_id) == Outcome.SKIPPED
    assert lines(target) == ["x"]


def test_a_key_makes_a_run_happen_once_whoever_asks(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with app.app_context():
        first = enqueue_after_commit("tests.append_line", key="minutes:7:v1", path=str(target), text="v1")
        second = enqueue_after_commit("tests.append_line", key="minutes:7:v1", path=str(target), text="v1")
        db.session.commit()
        assert first is not None and second is None
        assert runs.run_with_key("minutes:7:v1").status == JobStatus.DONE  # type: ignore[union-attr]
    assert lines(target) == ["v1"]


def test_asking_again_for_a_keyed_run_that_failed_runs_it_again(app: Flask, tmp_path: Path) -> None:
    counter = tmp_path / "attempts.txt"
    with app.app_context():
        run_id = enqueue_after_commit("tests.fail_until", key="retry-me", path=str(counter), succeed_on_attempt=6)
        db.session.commit()
    assert run_id is not None
    for _ in range(4):
        execution.execute_run(app, run_id)
    assert _run(app, run_id).status == JobStatus.FAILED and len(lines(counter)) == 5
    with app.app_context():
        assert (
            enqueue_after_commit("tests.fail_until", key="retry-me", path=str(counter), succeed_on_attempt=6) == run_id
        )
        db.session.commit()
    again = _run(app, run_id)
    assert (again.status, again.attempts, len(lines(counter))) == (JobStatus.DONE, 1, 6)
    with app.app_context():  # done: asking again changes nothing
        assert enqueue_after_commit("tests.fail_until", key="retry-me", path=str(counter), succeed_on_attempt=6) is None
        db.session.commit()
    assert len(lines(counter)) == 6


def test_unknown_jobs_and_non_json_arguments_are_refused_at_enqueue(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(ValueError, match="no job is named"):
            enqueue_after_commit("tests.nothing")
        with pytest.raises(TypeError):
            enqueue_after_commit("tests.append_line", path=Path("/tmp/x"), text="x")
        db.session.rollback()


def test_a_run_of_a_job_this_worker_does_not_know_fails_at_once(app: Flask) -> None:
    with app.app_context():
        run = runs.add_run("retired.job", {}, max_attempts=5)
        db.session.commit()
        run_id = run.id  # type: ignore[union-attr]
    assert execution.execute_run(app, run_id) == Outcome.FAILED
    failed = _run(app, run_id)
    assert failed.status == JobStatus.FAILED and "no job named 'retired.job'" in (failed.last_error or "")


def test_a_hand_over_that_fails_is_repeated_by_the_tick(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    queue = queue_of(app)

    def broken_push(run_id: int, *, delay_seconds: float = 0) -> None:
        raise ConnectionError("queue unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(queue, "push", broken_push)
        with app.app_context():
            run_id = enqueue_after_commit("tests.append_line", path=str(target), text="sau")
            db.session.commit()  # the commit succeeds; the run waits in the ledger
    assert lines(target) == [] and _run(app, run_id).status == JobStatus.QUEUED  # type: ignore[arg-type]
    execution.recover(app)
    assert lines(target) == []  # not yet: it may simply be waiting behind others
    later = utcnow() + timedelta(seconds=queue.requeue_after_seconds + 1)
    with app.app_context():
        assert runs.recover_lost_runs(requeue_after_seconds=queue.requeue_after_seconds, now=later) == [
            (run_id, "tests.append_line")
        ]
        db.session.rollback()
    monkeypatch.setattr(runs, "utcnow", lambda: later)
    assert execution.recover(app) == [run_id]
    assert lines(target) == ["sau"]


def test_lost_running_runs_are_queued_again(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        made = {}
        for label, worker, lease, attempts in (
            ("lease over", "elsewhere:1", now - timedelta(seconds=1), 1),
            ("alive", "elsewhere:2", now + timedelta(seconds=60), 1),
            ("dead here", f"{socket.gethostname()}:{2**22 + 7}", now + timedelta(seconds=60), 1),
            ("starting", runs.worker_id(), now + timedelta(seconds=60), 1),
            ("worn out", "elsewhere:3", now - timedelta(seconds=1), 5),
        ):
            run = runs.add_run("tests.append_line", {"path": "/dev/null", "text": label}, max_attempts=5)
            assert run is not None
            run.status, run.worker, run.lease_until, run.attempts = JobStatus.RUNNING, worker, lease, attempts
            made[label] = run.id
        db.session.commit()
        # The tick of a running worker leaves its own runs alone, even past their lease.
        own_later = now + timedelta(minutes=5)
        lost = runs.recover_lost_runs(requeue_after_seconds=300, now=own_later)
        assert made["starting"] not in [run_id for run_id, _ in lost]
        db.session.rollback()
        lost = runs.recover_lost_runs(requeue_after_seconds=300, starting=True, now=now)
        db.session.commit()
        assert sorted(run_id for run_id, _ in lost) == sorted(made[k] for k in ("lease over", "dead here", "starting"))
        status = dict(db.session.execute(sa.select(JobRun.id, JobRun.status)).all())
    assert status[made["alive"]] == JobStatus.RUNNING
    assert status[made["worn out"]] == JobStatus.FAILED
    assert status[made["lease over"]] == JobStatus.QUEUED


def test_backlog_status_counts_due_runs_and_the_oldest_wait(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        assert runs.backlog_status(now) == {"pending": 0, "oldest_age_seconds": 0.0}
        runs.add_run("tests.append_line", {}, max_attempts=5, now=now - timedelta(seconds=90))
        runs.add_run("tests.append_line", {}, max_attempts=5, now=now - timedelta(seconds=10))
        later = runs.add_run("tests.append_line", {}, max_attempts=5, now=now)
        later.run_after = now + timedelta(minutes=5)  # type: ignore[union-attr]  # a retry, not due yet
        db.session.commit()
        assert runs.backlog_status(now) == {"pending": 2, "oldest_age_seconds": 90.0}


def test_finished_runs_are_purged_after_the_kept_days(app: Flask, tmp_path: Path) -> None:
    now = utcnow()
    with app.app_context():
        old = runs.add_run("tests.append_line", {}, max_attempts=5)
        failed = runs.add_run("tests.append_line", {}, max_attempts=5)
        for run, status in ((old, JobStatus.DONE), (failed, JobStatus.FAILED)):
            run.status, run.finished_at = status, now - timedelta(days=40)  # type: ignore[union-attr]
        db.session.commit()
        assert runs.purge_finished(now - timedelta(days=30)) == 1
        db.session.commit()
        assert db.session.scalars(sa.select(JobRun.status)).all() == [JobStatus.FAILED]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("JOBS_BACKEND", "rabbit", "MEETING_HUB_JOBS_BACKEND: Input should be 'auto', 'sqlite', 'redis' or"),
        ("JOBS_BACKEND", "redis", "MEETING_HUB_REDIS_URL to be set"),
        ("JOBS_OVERDUE_NOTICES_AT", "7h", "MEETING_HUB_JOBS_OVERDUE_NOTICES_AT: String should match pattern"),
        ("JOBS_NIGHTLY_AT", "24:00", "MEETING_HUB_JOBS_NIGHTLY_AT"),
        ("JOBS_LEASE_SECONDS", "0", "MEETING_HUB_JOBS_LEASE_SECONDS"),
        ("JOBS_WORKER_THREADS", 1.5, "MEETING_HUB_JOBS_WORKER_THREADS"),
        ("JOBS_MAX_ATTEMPTS", "many", "MEETING_HUB_JOBS_MAX_ATTEMPTS"),
        ("JOBS_POLL_SECONDS", -1, "MEETING_HUB_JOBS_POLL_SECONDS"),
    ],
)
def test_settings_that_cannot_be_read_stop_the_start(tmp_path: Path, setting: str, value: object, message: str) -> None:
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}") | {setting: value}
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(")):
        create_app(config)


def test_the_default_backend_is_sqlite_in_the_instance_folder_or_redis_with_a_redis_url(tmp_path: Path) -> None:
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}") | {"JOBS_BACKEND": "auto"})
    queue = queue_of(app)
    assert queue.backend == "sqlite"
    assert queue.huey.storage.filename == str(Path(app.instance_path) / "jobs.db")
    # Not through create_app: an app with a Redis URL would leave its message queue in the module-level SocketIO
    # (Flask-SocketIO keeps the client manager across init_app calls) and break later tests' socket clients.
    with_redis = Flask("with_redis")
    with_redis.config.update(JOBS_BACKEND="auto", REDIS_URL="redis://x:1/0")
    assert resolve_backend(with_redis) == "redis"


@pytest.mark.postgres
def test_the_ledger_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    app = create_app(base_config(tmp_path, postgres_url) | {"JOBS_BACKEND": "immediate"})
    target = tmp_path / "out.txt"
    with app.app_context():
        db.create_all()
        first = enqueue_after_commit("tests.append_line", key="once", path=str(target), text="một")
        assert enqueue_after_commit("tests.append_line", key="once", path=str(target), text="hai") is None
        db.session.commit()
        assert runs.run_with_key("once").status == JobStatus.DONE  # type: ignore[union-attr]
        runs.add_run("tests.append_line", {}, max_attempts=5, now=utcnow() - timedelta(seconds=60))
        db.session.commit()
        status = runs.backlog_status()
        assert status["pending"] == 1 and 59 <= status["oldest_age_seconds"] < 120
        db.session.remove()
        db.engine.dispose()
    assert first is not None and lines(target) == ["một"]
