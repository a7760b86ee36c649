"""Fixtures for the jobs: an app whose jobs run right after the commit (immediate), with the tests' sample jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from meeting_hub.extensions import db
from meeting_hub.jobs import outcomes
from meeting_hub.jobs.outcomes import Outcome
from tests import factories
from tests.conftest import sqlite_app
from tests.follow_up.conftest import follow_up  # noqa: F401 - the follow-up fixture, on this folder's app
from tests.jobs import sample_jobs  # noqa: F401 - registers the sample jobs


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite file whose jobs run in-process right after each commit."""
    yield from sqlite_app(tmp_path, JOBS_BACKEND="immediate")


@pytest.fixture
def outcomes_seen() -> Iterator[list[tuple[str, Outcome]]]:
    """The (job, outcome) pairs reported while the test runs."""
    seen: list[tuple[str, Outcome]] = []

    def listener(name: str, outcome: Outcome) -> None:
        seen.append((name, outcome))

    outcomes.on_outcome(listener)
    yield seen
    outcomes.remove_listener(listener)


@pytest.fixture
def user_id(app: Flask) -> int:
    """The id of an organizer account."""
    with app.app_context():
        user = factories.make_user(username="to-rename", display_name="Tên cũ")
        db.session.commit()
        return user.id
