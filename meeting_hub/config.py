"""Configuration: defaults, then MEETING_HUB_* environment variables, then a test mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "MEETING_HUB"

DEFAULTS: dict[str, Any] = {
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    "DEFAULT_LANGUAGE": "vi",
    "LANGUAGES": ["vi", "en"],
    "REDIS_URL": None,
    "SIGN_IN_RATE_LIMIT": "10 per minute",
    "SESSION_COOKIE_SECURE": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "ORGANIZATION_NAME": "Đảng bộ thành phố Chí Linh",
    "DEPARTMENT_NAME": "Ban Tuyên giáo Thành ủy Chí Linh",
    "PAGE_SIZE": 50,
    # Live layer: dashboards get one message per window; consoles beat every few seconds; an endpoint unheard for
    # LIVE_STALE_AFTER_SECONDS is shown as lost. Per-connection socket rate limit; largest socket message accepted.
    "ASYNC_MODE": "threading",  # or "gevent": see meeting_hub/async_mode.py and docs/deployment.md
    # permessage-deflate on websockets: never | on-request | always (see meeting_hub/realtime/deflate.py).
    "LIVE_WEBSOCKET_DEFLATE": "never",
    # Behind nginx: trust one proxy's X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix). Never without a proxy.
    "TRUST_PROXY": False,
    # Compress pages, styles, scripts and JSON in the app (meeting_hub/http_compression.py): on for `meeting-hub run`,
    # which has no proxy in front; may be turned off behind an nginx that compresses (deploy/nginx.conf).
    "HTTP_COMPRESSION": True,
    "LIVE_COALESCE_MS": 25,
    # Connections each process keeps to PostgreSQL, and how many more it may open at a peak (SQLite: not used).
    "DATABASE_POOL_SIZE": 20,
    "DATABASE_MAX_OVERFLOW": 20,
    # Socket check-ins are written in batches by one writer per process (meeting_hub/attendance/group_commit.py):
    # at most this many per transaction; a handler waits this long for its batch before asking the client to resend.
    "LIVE_GROUP_COMMIT": True,
    "LIVE_GROUP_COMMIT_MAX": 200,
    "LIVE_GROUP_COMMIT_WAIT_SECONDS": 10.0,
    # Socket handlers read the sender's account again after this long (a deactivation takes effect within it).
    "LIVE_USER_RECHECK_SECONDS": 5.0,
    "LIVE_HEARTBEAT_SECONDS": 15,
    "LIVE_PRESENCE_EVENT_SECONDS": 30,
    "LIVE_STALE_AFTER_SECONDS": 60,
    "LIVE_EVENTS_PER_SECOND": 20,
    "LIVE_EVENTS_BURST": 60,
    "LIVE_MAX_MESSAGE_BYTES": 16 * 1024,
    # A little above MATERIAL_MAX_BYTES: the form fields around a 20 MB PDF must not trip the request limit first.
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    #: Largest briefing material (PDF) accepted, in bytes.
    "MATERIAL_MAX_BYTES": 20 * 1024 * 1024,
    # Reminders (VALARM) of every briefing in calendar feeds, in minutes before the start: one day and one hour.
    "CALENDAR_REMINDERS_MINUTES": [1440, 60],
    # Raised issues: the due-date default of a new category (days after assignment), how close a due date must be to
    # show as "due soon" in a responder's queue, the largest export, and the largest PDF attached to an answer.
    "ISSUE_DEFAULT_DUE_DAYS": 15,
    "ISSUE_DUE_SOON_DAYS": 3,
    "ISSUE_EXPORT_MAX_ROWS": 50_000,
    "ISSUE_ANSWER_MAX_BYTES": 10 * 1024 * 1024,
    # Reports: the folder of the DejaVu Sans TTF files the minutes PDF embeds (copied there by `make setup`), the place
    # written on the minutes ("Chí Linh, ngày ..."), how many briefings in a row a secretary may miss (absent or
    # excused) before leaders see them flagged, and how many months the attendance trend shows.
    "REPORT_FONT_DIR": str(Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"),
    "REPORT_PLACE_NAME": "Chí Linh",
    "REPORT_ABSENCE_STREAK": 2,
    "REPORT_TREND_MONTHS": 12,
}


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill app.config from defaults, the environment and an optional test mapping."""
    app.config.from_mapping(DEFAULTS)
    # Flask parses JSON-looking values (true, 10, ...) and keeps the rest as strings.
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'meeting_hub.db'}"
    app.config["DATABASE_URL"] = database_url
    app.config["SQLALCHEMY_DATABASE_URI"] = _with_psycopg3_driver(database_url)
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if not database_url.startswith("sqlite"):
        # Sized so that a busy process reuses its connections: a connection past the pool is closed when returned,
        # and opening one costs PostgreSQL a new backend process (measured at 1,052 endpoints: bench/live.py).
        engine_options |= {
            "pool_size": int(app.config["DATABASE_POOL_SIZE"]),
            "max_overflow": int(app.config["DATABASE_MAX_OVERFLOW"]),
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
        BABEL_TRANSLATION_DIRECTORIES=str(Path(app.root_path).parent / "translations"),
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
