"""Prometheus metrics, and `/metrics` for the addresses in METRICS_ALLOWED_NETWORKS (loopback by default).

Each process has its own registry and is scraped on its own address (gunicorn runs one worker per process here:
docs/deployment.md, "Logs and metrics"); Prometheus adds the `instance` label and sums across processes.

Labels stay few: a route is the Flask endpoint name (`attendance.console`), never the raw path; a socket event's
outcome is "ok" or its error code. For other packages:

    from meeting_hub.observability import metrics

    metrics.record_job_outcome("send_reminders", "succeeded", duration_seconds=1.8)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.orm import Session

_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "meeting_hub_http_requests", "HTTP requests answered, by route (Flask endpoint), method and status.",
    ["route", "method", "status"],
)  # fmt: skip
HTTP_REQUEST_SECONDS = Histogram(
    "meeting_hub_http_request_duration_seconds", "Time from a request's arrival to its response's last byte.",
    ["route", "method"], buckets=_SECONDS_BUCKETS,
)  # fmt: skip
LIVE_SOCKETS = Gauge("meeting_hub_live_sockets", "Authenticated /live socket connections open in this process.")
SOCKET_EVENTS = Counter(
    "meeting_hub_socket_events", "Socket events handled, by event and outcome (ok, or the error code).",
    ["event", "outcome"],
)  # fmt: skip
SOCKET_EVENT_SECONDS = Histogram(
    "meeting_hub_socket_event_duration_seconds", "Time to handle a socket event, its wait for a batch included.",
    ["event"], buckets=_SECONDS_BUCKETS,
)  # fmt: skip
CHECK_INS = Counter(
    "meeting_hub_check_ins", "Check-ins committed: written (new or corrected) or replayed (client_op_id seen before).",
    ["outcome"],
)  # fmt: skip
CHECK_IN_WRITERS = Gauge(
    "meeting_hub_check_in_writers",
    "Group-commit writers running in this process: one per briefing with live writes in the last few seconds.",
)
CHECK_IN_BATCH_SIZE = Histogram(
    "meeting_hub_check_in_batch_size", "Check-ins and heartbeats written per group-commit transaction.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)  # fmt: skip
CHECK_IN_BATCHES = Counter(
    "meeting_hub_check_in_batches",
    "Group-commit batches: committed, refused (briefing gone), failed, or isolated (a data error: written one by one).",
    ["outcome"],
)  # fmt: skip
CHECK_IN_BATCH_SECONDS = Histogram(
    "meeting_hub_check_in_batch_duration_seconds", "Time to write one group-commit batch, commit included.",
    buckets=_SECONDS_BUCKETS,
)  # fmt: skip
JOBS = Counter(
    "meeting_hub_jobs", "Background jobs run, by job name and outcome (succeeded, failed, retried, ...).",
    ["job", "outcome"],
)  # fmt: skip
JOB_SECONDS = Histogram(
    "meeting_hub_job_duration_seconds", "Time a background job ran.", ["job"], buckets=_SECONDS_BUCKETS + (60.0, 300.0)
)

_AFTER_COMMIT = "meeting_hub.after_commit"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count an answered HTTP request and its duration."""
    method = method if method in _METHODS else "other"  # a junk method must not make a new series
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    if status != 101:  # a websocket's "request" lasts as long as the connection: not a latency
        HTTP_REQUEST_SECONDS.labels(route, method).observe(seconds)


# Socket events come by the thousand a second at a national briefing: their series are looked up once.
_socket_event_series: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe_socket_event(event: str, outcome: str, seconds: float) -> None:
    """Count a handled socket event and its duration."""
    series = _socket_event_series.get((event, outcome))
    if series is None:
        series = (SOCKET_EVENTS.labels(event, outcome), SOCKET_EVENT_SECONDS.labels(event))
        _socket_event_series[(event, outcome)] = series
    series[0].inc()
    series[1].observe(seconds)


def record_job_outcome(job: str, outcome: str, duration_seconds: float | None = None) -> None:
    """Count one run of a background job (job: its registered name; outcome: succeeded, failed, retried, ...)."""
    JOBS.labels(job, outcome).inc()
    if duration_seconds is not None:
        JOB_SECONDS.labels(job).observe(duration_seconds)


def after_commit(session: Session | Any, callback: Callable[[], None]) -> None:
    """Run callback when the session's transaction commits; forget it when the transaction rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def count_check_ins(session: Session | Any, *, written: int = 0, replayed: int = 0) -> None:
    """Count check-ins written (new records or corrections) and replayed (client_op_id seen before) once the
    session's transaction commits; nothing when it rolls back."""
    if not (written or replayed):
        return

    def count() -> None:
        if written:
            CHECK_INS.labels("written").inc(written)
        if replayed:
            CHECK_INS.labels("replayed").inc(replayed)

    after_commit(session, count)


@sa.event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: list[str]) -> tuple[Network, ...]:
    """Return METRICS_ALLOWED_NETWORKS as networks (each entry was checked at start: meeting_hub/settings.py)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in value)


def address_allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    """Tell whether a client address falls in one of the networks (an IPv4-mapped IPv6 address as its IPv4)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)


blueprint = Blueprint("observability", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition of this process's metrics, for the allowed networks only."""
    networks: tuple[Network, ...] = current_app.extensions["meeting_hub.metrics_networks"]
    if not address_allowed(request.remote_addr, networks):
        abort(403)
    # content_type, not mimetype: CONTENT_TYPE_LATEST already names its charset.
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    """Read the allowed networks (a bad value stops the start) and add /metrics."""
    app.extensions["meeting_hub.metrics_networks"] = parse_networks(app.config["METRICS_ALLOWED_NETWORKS"])
    app.register_blueprint(blueprint)
