"""Seeing what happens: structured logs with a request id, the access line, Prometheus metrics.

- `logs`: the log context (request, socket event or job id on every line), the text and JSON formatters.
- `request_ids`: the WSGI middleware that gives every HTTP request its id and writes its access line and metrics.
- `socket_events`: the same for socket events (an id per handled event, errors logged once).
- `metrics`: the Prometheus metrics and the address-restricted `/metrics` page.

Other packages use `log_context(job_id=...)` (logs) and `metrics.record_job_outcome(...)`; health checks are
registered with `meeting_hub.health.register_check`.
"""

from __future__ import annotations

from flask import Flask

from meeting_hub.observability import logs, metrics, request_ids


def configure_logging(app: Flask) -> None:
    """Set up logging from LOG_FORMAT and LOG_LEVEL; call before the extensions start logging."""
    logs.configure(app)


def observe_requests(app: Flask) -> None:
    """Wrap the WSGI app with the request observer (call last: it must be outermost) and add /metrics."""
    metrics.init_app(app)
    request_ids.init_app(app)
