"""Every HTTP request gets an id, returned in `X-Request-ID` and put on each of its log lines, and one access line.

The id is the one nginx sends (`proxy_set_header X-Request-ID $request_id;`) when it is well formed (1 to 128 of
A-Z a-z 0-9 . _ -), else a new one: header text from outside never reaches a log or a response as it came.

The observer wraps the whole WSGI app, Socket.IO's handshakes and long-polling included, so every response carries
the id; it writes the access line (method, path, status, duration, route, user) when the last byte has gone out,
and counts the request in the metrics by route (the Flask endpoint, never the raw path).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from flask_login import current_user

from meeting_hub.observability import logs, metrics

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
#: Routes asked every few seconds by machines (load balancer, Prometheus): their access lines are DEBUG.
QUIET_ROUTES = frozenset({"health.healthz", "observability.metrics"})

# What the Flask part of a request leaves for the access line: a dict in the WSGI environ, shared by reference
# because Flask-SocketIO's middleware hands Flask a copy of the environ.
_NOTES = "meeting_hub.request_notes"

access_logger = logging.getLogger("meeting_hub.access")


def new_request_id() -> str:
    """Return a fresh request id (32 hexadecimal characters, like nginx's $request_id)."""
    return uuid.uuid4().hex


def accepted_request_id(received: str | None) -> str:
    """Keep a well-formed received id; replace a missing or malformed one with a new id."""
    if received and _VALID_ID.fullmatch(received):
        return received
    return new_request_id()


def loggable_path() -> str:
    """Return the current request's path for logs: a secret token in the URL shown as its rule's placeholder."""
    rule = request.url_rule
    if rule is not None and any("token" in argument for argument in rule.arguments):
        return rule.rule  # /calendar/<token>.ics, /m/<token>, /checkin/<token>: the token is the credential
    return logs.printable(request.path, 500)


class _ObservedResponse:
    """The app's response body, sent inside the request's log context; its end finishes the observation.

    The context is entered around each step (the app's call, each chunk, close) and left before control returns to
    the server, so nothing of it stays on the thread or greenlet between requests, even when a server never closes.
    """

    def __init__(self, body: Iterable[bytes], context: Mapping[str, Any], finish: Callable[[], None]) -> None:
        self._body = body
        self._context = context
        self._finish = finish

    def __iter__(self) -> Iterator[bytes]:
        token = logs.use(self._context)
        try:
            chunks = iter(self._body)
        finally:
            logs.leave(token)
        while True:
            token = logs.use(self._context)
            try:
                chunk = next(chunks)
            except StopIteration:
                self._finish()  # the last byte is out: a server that never calls close() still gets its line
                return
            finally:
                logs.leave(token)
            yield chunk

    def close(self) -> None:
        """Close the app's body, then write the access line and the metrics (once)."""
        token = logs.use(self._context)
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            try:
                self._finish()
            finally:
                logs.leave(token)


class RequestObserver:
    """WSGI middleware: request id in and out, log context for the request, access line and request metrics."""

    def __init__(self, app: WSGIApplication, access_log: bool, socketio_path: str = "/socket.io") -> None:
        self.app = app
        self.access_log = access_log
        self.socketio_path = socketio_path.rstrip("/") + "/"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve the request inside its log context; finish when the response is done."""
        request_id = accepted_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["meeting_hub.request_id"] = request_id
        notes: dict[str, str] = {}
        environ[_NOTES] = notes
        started = time.perf_counter()
        answered: list[int] = []

        def observed_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Any:
            code = status.split(" ", 1)[0]
            answered[:] = [int(code) if code.isdigit() else 0]
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        finished = False

        def finish(unanswered: int = 500) -> None:
            nonlocal finished
            if not finished:
                finished = True
                status = answered[0] if answered else unanswered
                self._observe(environ, notes, status, time.perf_counter() - started)

        # A websocket taken over from the server ends without a start_response, and simple-websocket then raises
        # (ConnectionError under Werkzeug, StopIteration under gunicorn) to tell the server: the connection was
        # switched (101) and has now closed.
        unanswered = 101 if str(environ.get("HTTP_UPGRADE", "")).lower() == "websocket" else 500

        token = logs.enter(request_id=request_id)
        try:
            body = self.app(environ, observed_start_response)
            context = logs.current_context()  # with what the request added (the user)
        except BaseException:
            finish(unanswered)
            raise
        finally:
            logs.leave(token)
        return _ObservedResponse(body, context, lambda: finish(unanswered))

    def _observe(self, environ: WSGIEnvironment, notes: dict[str, str], status: int, seconds: float) -> None:
        raw_path = str(environ.get("PATH_INFO", ""))
        route = notes.get("route") or ("socketio" if raw_path.startswith(self.socketio_path) else "unmatched")
        method = str(environ.get("REQUEST_METHOD", ""))
        metrics.observe_request(route, method, status, seconds)
        if not self.access_log:
            return
        path = notes.get("path") or logs.printable(raw_path, 500)
        duration_ms = round(seconds * 1000, 1)
        access_logger.log(
            logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
            "%s %s %s %.1f ms",
            logs.printable(method, 20),
            path,
            status,
            duration_ms,
            extra={
                "method": logs.printable(method, 20),
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "remote_addr": environ.get("REMOTE_ADDR"),
            },
        )


def _bind_user() -> None:
    """Put the signed-in user's id on the request's log lines (the same loading the access policy does next)."""
    if request.endpoint is None:
        return  # no route: Flask answers 404 without the policy loading anyone, and so do we
    user = current_user._get_current_object()
    if getattr(user, "is_authenticated", False):
        # The id column, not get_id(): a session id may carry more than the user (a session version).
        logs.bind(user_id=getattr(user, "id", None))


def _note_route(_error: BaseException | None = None) -> None:
    """Leave the route and the loggable path for the access line, which is written after the request context."""
    notes = request.environ.get(_NOTES)
    if notes is not None:  # None when the app is called without the observer (a test calling wsgi_app itself)
        if request.endpoint is not None:
            notes["route"] = request.endpoint
        notes["path"] = loggable_path()


def init_app(app: Flask) -> None:
    """Wrap the WSGI app (outermost) and install the hooks that tell the access line who and which route."""
    app.before_request(_bind_user)
    app.teardown_request(_note_route)
    socketio_path = "/" + str(app.config.get("SOCKETIO_PATH", "socket.io")).strip("/")
    app.wsgi_app = RequestObserver(  # type: ignore[method-assign]
        app.wsgi_app, bool(app.config["LOG_ACCESS"]), socketio_path
    )
