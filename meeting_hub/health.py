"""/healthz: is the database reachable, is Redis (when configured), and what the registered checks report.

The answer keeps its first shape (`status`, `database`, `redis` as strings) and adds `checks`, one object per check
with at least `ok`:

    {"status": "ok", "database": "ok", "redis": "not configured",
     "checks": {"database": {"ok": true, "latency_ms": 0.4}, "redis": {"ok": true, "configured": false},
                "jobs": {"ok": true, "pending": 0, "oldest_age_seconds": 0.0}}}

503 when the database or a configured Redis is down (a load balancer then takes the process out); a failing
registered check makes `status` "degraded" but answers 503 only if it was registered as critical. Another package
adds its check once, at import or in its init_app:

    from meeting_hub import health

    health.register_check("jobs", runs.backlog_status)   # () -> {"pending": 3, ...}, run in the app context

A check returns a dict of JSON values; `ok` (default true) says whether it is healthy; a check that raises reports
`{"ok": false, "error": "<type>"}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from meeting_hub.extensions import db

blueprint = Blueprint("health", __name__)

#: The Redis check's connect and read timeouts, in seconds: /healthz must answer before a load balancer gives up.
REDIS_TIMEOUT_SECONDS = 2

Check = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class _Registered:
    check: Check
    critical: bool


_registered: dict[str, _Registered] = {}


def register_check(name: str, check: Check, *, critical: bool = False) -> None:
    """Add a check to /healthz under `name`: it returns {"ok": bool, ...} (ok defaults to true) or raises; failing, it
    answers 503 only if critical."""
    if name in ("database", "redis"):
        raise ValueError(f"the {name} check is built in")
    _registered[name] = _Registered(check, critical)


def _milliseconds(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        # The type only: a driver's message can carry the host and the user name.
        return {"ok": False, "error": type(error).__name__, "latency_ms": _milliseconds(started)}
    return {"ok": True, "latency_ms": _milliseconds(started)}


def _check_redis() -> dict[str, Any]:
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return {"ok": True, "configured": False}
    import redis

    started = time.perf_counter()
    try:
        # A Redis outage is otherwise silent: emits stop reaching other processes while sockets stay up.
        with redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        ) as client:
            client.ping()
    except (redis.RedisError, ValueError, OSError) as error:  # ValueError: a URL redis-py cannot read
        return {"ok": False, "configured": True, "error": type(error).__name__, "latency_ms": _milliseconds(started)}
    return {"ok": True, "configured": True, "latency_ms": _milliseconds(started)}


def _run(check: Check) -> dict[str, Any]:
    try:
        result = dict(check())
    except Exception as error:  # a broken check reports itself, it never takes /healthz down
        current_app.logger.exception("health check failed")
        return {"ok": False, "error": type(error).__name__}
    # A check that only reports figures (a backlog) is fine unless it says otherwise; one that raises is not.
    result["ok"] = bool(result.get("ok", True))
    return result


def _legacy(result: dict[str, Any]) -> str:
    """The first answer's string for a built-in check: "ok", "not configured" or "error: <type>"."""
    if not result["ok"]:
        return f"error: {result['error']}"
    return "not configured" if result.get("configured") is False else "ok"


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    """Report the database, Redis and the registered checks; 503 when a critical one is down."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    down = not (checks["database"]["ok"] and checks["redis"]["ok"])
    degraded = down
    for name, registered in _registered.items():
        checks[name] = _run(registered.check)
        if not checks[name]["ok"]:
            degraded = True
            down = down or registered.critical
    body = {
        "status": "degraded" if degraded else "ok",
        "database": _legacy(checks["database"]),
        "redis": _legacy(checks["redis"]),
        "checks": checks,
    }
    return body, 503 if down else 200
