"""Flask configuration: the typed settings (meeting_hub/settings.py), then a test mapping, then derived values."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from meeting_hub import resources
from meeting_hub.settings import load_settings


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill app.config from the typed settings (defaults, then the environment, then the settings in an optional test
    mapping, validated alike) and the test mapping's other Flask keys."""
    settings = load_settings()  # the environment on its own: a bad variable stops the start even if overridden
    if test_config:
        settings = load_settings(test_config)
    app.config.from_mapping(test_config or {})
    app.config.from_mapping(settings.as_config())

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'meeting_hub.db'}"
    app.config["DATABASE_URL"] = database_url
    app.config["SQLALCHEMY_DATABASE_URI"] = _with_psycopg3_driver(database_url)
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if not database_url.startswith("sqlite"):
        # Sized so that a busy process reuses its connections: a connection past the pool is closed when returned,
        # and opening one costs PostgreSQL a new backend process (measured at 1,052 endpoints: bench/live.py).
        # Without a lock timeout a request waits for a lock as long as another transaction holds it: it answers
        # nothing until then. With one, it fails with LockNotAvailable, a transient error (meeting_hub.database).
        lock_timeout_ms = round(float(app.config["DATABASE_LOCK_TIMEOUT_SECONDS"]) * 1000)
        engine_options |= {
            "pool_size": int(app.config["DATABASE_POOL_SIZE"]),
            "max_overflow": int(app.config["DATABASE_MAX_OVERFLOW"]),
            "connect_args": {"options": f"-c lock_timeout={lock_timeout_ms}"},
        }
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LANGUAGE"],
        BABEL_DEFAULT_TIMEZONE=app.config["TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(resources.TRANSLATIONS_DIR),
        # CSRF is checked by our own before_request hook so bearer-token API calls can skip it.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        API_TITLE="Meeting Hub API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        # Several processes must share the sign-in counters; while Redis is down, each process counts on its own
        # instead of failing every sign-in.
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)


def _with_psycopg3_driver(url: str) -> str:
    """Make plain postgresql:// URLs use psycopg 3, the driver the project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first start."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
