"""/healthz: the database, Redis when configured, and checks other packages register (the job queue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app, health
from tests.conftest import base_config


@pytest.fixture(autouse=True)
def _no_registered_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test registers its own checks; none leaks into the next."""
    monkeypatch.setattr(health, "_registered", {})
    yield


def test_healthy_answer_keeps_its_first_shape_and_adds_checks(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["database"], body["redis"]) == ("ok", "ok", "not configured")
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["redis"] == {"ok": True, "configured": False}


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "banana://nowhere"])
def test_an_unreachable_or_unreadable_redis_answers_503(app: Flask, client: FlaskClient, url: str) -> None:
    app.config["REDIS_URL"] = url  # read at each request; nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["configured"] is True
    assert body["redis"].startswith("error: ")
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.get_data(as_text=True)  # the type of the error only, never the address


def test_an_unreachable_database_answers_503(tmp_path: Path) -> None:
    # A folder that does not exist: SQLite cannot open the file, as a server that is down cannot be reached.
    application = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    response = application.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "degraded"
    assert body["database"] == "error: OperationalError"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["redis"]["ok"] is True


def test_a_registered_check_is_reported(client: FlaskClient) -> None:
    health.register_check("jobs", lambda: {"ok": True, "backlog": 3, "oldest_age_seconds": 12.5})
    body = client.get("/healthz").json
    assert body["checks"]["jobs"] == {"ok": True, "backlog": 3, "oldest_age_seconds": 12.5}
    assert body["status"] == "ok"


def test_a_failing_check_degrades_but_answers_503_only_when_critical(client: FlaskClient) -> None:
    health.register_check("jobs", lambda: {"ok": False, "backlog": 5000, "oldest_age_seconds": 3600.0})
    response = client.get("/healthz")
    assert (response.status_code, response.json["status"]) == (200, "degraded")
    health.register_check("disk", lambda: {"ok": False}, critical=True)
    assert client.get("/healthz").status_code == 503


def test_a_check_that_raises_reports_itself(client: FlaskClient) -> None:
    def broken() -> dict[str, Any]:
        raise ConnectionError("queue unreachable")

    health.register_check("jobs", broken)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["jobs"] == {"ok": False, "error": "ConnectionError"}


def test_built_in_names_cannot_be_taken() -> None:
    with pytest.raises(ValueError):
        health.register_check("database", lambda: {"ok": True})


def test_a_check_reporting_only_figures_is_healthy(client: FlaskClient) -> None:
    health.register_check("jobs", lambda: {"pending": 0, "oldest_age_seconds": 0.0})
    body = client.get("/healthz").json
    assert body["checks"]["jobs"] == {"ok": True, "pending": 0, "oldest_age_seconds": 0.0}
    assert body["status"] == "ok"
