"""The job queue reports to /healthz (backlog) and to /metrics (outcomes), and its runs log with their id."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from prometheus_client import REGISTRY

from meeting_hub import create_app
from meeting_hub.extensions import db
from meeting_hub.jobs.queue import enqueue_after_commit
from tests.conftest import base_config
from tests.jobs.sample_jobs import lines


def _jobs_done(name: str) -> float:
    return REGISTRY.get_sample_value("meeting_hub_jobs_total", {"job": name, "outcome": "done"}) or 0.0


def test_healthz_shows_the_job_backlog(app: Flask) -> None:
    body = app.test_client().get("/healthz").json
    assert body["checks"]["jobs"]["pending"] == 0


def test_every_run_is_counted_by_job_and_outcome(tmp_path: Path) -> None:
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}") | {"JOBS_BACKEND": "immediate"})
    before = _jobs_done("tests.append_line")
    with app.app_context():
        db.create_all()
        enqueue_after_commit("tests.append_line", path=str(tmp_path / "out.txt"), text="một")
        db.session.commit()
    assert lines(tmp_path / "out.txt") == ["một"]
    assert _jobs_done("tests.append_line") == before + 1
