"""/healthz: is the database reachable (and Redis, when configured)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from meeting_hub.extensions import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    """Report the database and the message queue; 503 when one is down."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError as error:
        checks["database"] = f"error: {type(error).__name__}"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        import redis

        try:
            # A Redis outage is otherwise silent: emits stop reaching other processes while sockets stay up.
            with redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2) as client:
                client.ping()
            checks["redis"] = "ok"
        except redis.RedisError as error:
            checks["redis"] = f"error: {type(error).__name__}"
    else:
        checks["redis"] = "not configured"
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return {"status": "ok" if healthy else "degraded", **checks}, 200 if healthy else 503
