"""Helpers for the observability tests: apps with a chosen log format, and the JSON lines they wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from meeting_hub import create_app
from meeting_hub.extensions import db
from tests import factories
from tests.attendance.conftest import LiveBriefing, make_live_briefing_with_pha_lai
from tests.conftest import base_config


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """Create an app on a fresh SQLite file with its tables, with config overrides (LOG_FORMAT="json", ...)."""
    application = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'obs.db'}") | overrides)
    with application.app_context():
        db.create_all()
    return application


@pytest.fixture
def json_app(tmp_path: Path) -> Iterator[Flask]:
    """An app logging JSON lines."""
    application = make_app(tmp_path, LOG_FORMAT="json")
    yield application
    with application.app_context():
        db.engine.dispose()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse every line of captured stderr; fail on a line that is not one JSON object (tracebacks included)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sample(name: str, **labels: str) -> float:
    """Return a metric sample's current value (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def live(app: Flask, network: factories.SmallNetwork) -> LiveBriefing:
    """A live briefing on the small network (plus Phả Lại), as the attendance tests use."""
    with app.app_context():
        return make_live_briefing_with_pha_lai(network)
