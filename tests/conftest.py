"""Fixtures: an app on a fresh SQLite file (or PostgreSQL), clients signed in by role, and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.accounts import services as account_services
from meeting_hub.extensions import db
from tests import factories
from tests.private_postgres import PrivatePostgres, unavailable_reason

POSTGRES_URL = os.environ.get("MEETING_HUB_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEETING_HUB_TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every test app its own instance folder (secret key, uploads) inside the test's tmp_path."""
    monkeypatch.setenv("MEETING_HUB_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    """Hash passwords with cheap argon2 parameters: the real cost only slows the suite down."""
    account_services._password_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def base_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Return the configuration every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        # Deliver live events at once: tests read them right after the write.
        "LIVE_COALESCE_MS": 0,
        # No background sweep of open sockets: tests call meeting_hub.realtime.revocation.sweep() when they mean it.
        "LIVE_SWEEP": False,
        # Run background jobs (the minutes' PDF) right after the commit that asks for them; tests of the waiting
        # state use a queue without a worker.
        "JOBS_BACKEND": "immediate",
    }


def sqlite_app(tmp_path: Path, **overrides: Any) -> Iterator[Flask]:
    """Yield an app on a fresh SQLite file with every table created (base_config with the overrides); dispose of
    its engine afterwards. Folders whose tests need other settings build their `app` fixture with it."""
    application = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'test.db'}") | overrides)
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite file with every table created.

    No app context stays pushed: requests of the test client then get their own `g`, as in production.
    Tests that touch the database directly use `app_ctx` or `with app.app_context()`.
    """
    yield from sqlite_app(tmp_path)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """The app with an app context pushed, for service tests (no test-client requests inside)."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("MEETING_HUB_TEST_POSTGRES_URL is not set")
    name = f"mh_test_{uuid.uuid4().hex[:12]}"
    admin_engine = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin_engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def full_environment_required() -> bool:
    """Tell whether this run must have every service (as in CI): a missing one then fails its tests, never skips."""
    return os.environ.get("MEETING_HUB_REQUIRE_BROWSER") == "1" or bool(os.environ.get("CI"))


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the module's own (tests/private_postgres.py), for tests that stop and start it."""
    reason = unavailable_reason()
    if reason is not None:
        if full_environment_required():
            pytest.fail(f"a private PostgreSQL server is required (CI) but {reason}", pytrace=False)
        pytest.skip(reason)
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_app(tmp_path: Path, postgres_url: str) -> Iterator[Flask]:
    """An app on a fresh PostgreSQL database with every table created."""
    application = create_app(base_config(tmp_path, postgres_url))
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


class AuthActions:
    """Sign a test client in and out through the real sign-in form."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def sign_in(self, username: str, password: str = factories.PASSWORD) -> Any:
        return self._client.post("/sign-in", data={"username": username, "password": password})

    def sign_out(self) -> Any:
        return self._client.post("/sign-out")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign-in helper for the client fixture."""
    return AuthActions(client)


@pytest.fixture
def network(app: Flask) -> factories.SmallNetwork:
    """Two endpoints with a cell and people each, an agency, and one user of every role (detached, loaded)."""
    with app.app_context():
        result = factories.make_small_network()
        factories.load_all(result)
    return result
