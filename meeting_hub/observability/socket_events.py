"""Socket events get what HTTP requests get: an id on their log lines, a count and a duration, errors logged once.

`before_request` hooks never run for socket events, so each handler is wrapped:

    @socketio.on("check_in", namespace="/live")
    @observed("check_in")
    def on_check_in(data): ...

The id is `sock-<first 8 characters of the Socket.IO sid>-<n>`: the sid prefix ties an event to its connection in
the logs, n (counted per process) tells events apart.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask_socketio import ConnectionRefusedError  # noqa: A004 - the refusal Flask-SocketIO sends to the client

from meeting_hub.observability import logs, metrics

logger = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])

_numbers = itertools.count(1)


def socket_event_id(sid: str) -> str:
    """Return a new id for an event of the connection `sid`."""
    return f"sock-{sid[:8]}-{next(_numbers)}"


def _outcome(answer: Any) -> str:
    """Return "ok", or the error code of a refused event's ack ({ok: false, error: {code}})."""
    if isinstance(answer, dict) and answer.get("ok") is False:
        error = answer.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) else "error"
    return "ok"


def observed(event: str) -> Callable[[Handler], Handler]:
    """Run a socket handler in its own log context, count and time it, and log an unexpected error once."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            sid = str(getattr(request, "sid", "") or "")
            started = time.perf_counter()
            outcome = "error"
            token = logs.enter(request_id=socket_event_id(sid))  # the hot path: no context manager's generator
            try:
                answer = handler(*args, **kwargs)
                outcome = _outcome(answer)
                return answer
            except ConnectionRefusedError:
                outcome = "refused"
                raise
            except Exception:
                # Logged here, inside the event's context; the filter keeps python-engineio from logging it again.
                logger.exception("socket event %s failed", event)
                raise
            finally:
                metrics.observe_socket_event(event, outcome, time.perf_counter() - started)
                logs.leave(token)

        return wrapper  # type: ignore[return-value]

    return decorate
