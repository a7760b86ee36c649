"""Structured logs: readable text by default, JSON lines with LOG_FORMAT=json; the current request, socket event or
job id on every line.

The id lives in a context variable, so it follows the code that serves one request whether that runs in an OS thread
(threading mode) or a greenlet (gevent): each thread and greenlet has its own value. Code that does work of its own
(a background job, a batch) names it with `log_context`:

    from meeting_hub.observability.logs import log_context

    with log_context(job_id=f"job-{job.id}"):
        run(job)        # every line logged in here carries "job_id": "job-42"

A filter on the handler copies the context onto each record, and lets an exception's traceback through once: a
handler that logs an error and re-raises it (socket events) would otherwise see it logged again by the library above.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from flask import Flask
from flask.logging import default_handler

#: Loggers of python-engineio and python-socketio: they add a handler of their own unless a level is set first.
SOCKET_LIBRARY_LOGGERS = ("engineio.server", "socketio.server")

_context: ContextVar[Mapping[str, Any]] = ContextVar("meeting_hub_log_context", default=MappingProxyType({}))

# Attributes every LogRecord has: anything else on a record came from `extra=` and goes into the JSON line.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "context",
    "taskName",
}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_LOGGED_MARK = "_meeting_hub_logged"


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Put these fields (request_id, job_id, user_id, ...) on every log line written inside the block."""
    token = enter(**fields)
    try:
        yield
    finally:
        leave(token)


def enter(**fields: Any) -> Token[Mapping[str, Any]]:
    """Start a log context where a `with` block does not fit (a WSGI response ends later); end it with leave()."""
    return _context.set({**_context.get(), **{key: value for key, value in fields.items() if value is not None}})


def use(context: Mapping[str, Any]) -> Token[Mapping[str, Any]]:
    """Enter a context saved earlier with current_context() (work resumed elsewhere); end it with leave()."""
    return _context.set(context)


def leave(token: Token[Mapping[str, Any]]) -> None:
    """End a context started by enter()."""
    # ValueError: closed from another thread or greenlet than it was opened in; that one's context ends with it.
    with contextlib.suppress(ValueError):
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current context until the enclosing log_context (or request) ends."""
    _context.set({**_context.get(), **{key: value for key, value in fields.items() if value is not None}})


def current_context() -> Mapping[str, Any]:
    """Return the fields of the current log context."""
    return _context.get()


def printable(text: str, limit: int = 1000) -> str:
    """Make outside text safe for one log line: control characters escaped, at most `limit` characters."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL_CHARACTERS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class ContextFilter(logging.Filter):
    """Copy the log context onto each record; let each exception's traceback through only once."""

    # The first record carrying an exception marks it with its level; a later one at that level or below (a library
    # logging what a handler already logged before re-raising) is dropped.

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `context` and `request_id` to the record; refuse a second record carrying an already logged error."""
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            logged_at = getattr(error, _LOGGED_MARK, None)
            if logged_at is not None:
                if record.levelno <= logged_at:
                    return False  # the same error, already written at this level or above
                # A graver record about an error first written lower (a warning): the line, not the traceback again.
                record.exc_info = None
                record.exc_text = None
                record.msg = f"{record.msg} (traceback above)"
            else:
                # An exception without a __dict__ cannot be marked: logged again if it comes back, never lost.
                with contextlib.suppress(AttributeError):
                    setattr(error, _LOGGED_MARK, record.levelno)
        context = _context.get()
        record.context = context
        record.request_id = context.get("request_id", "-")
        return True


class TextFormatter(logging.Formatter):
    """`2026-12-03T16:05:09.123+07:00 INFO meeting_hub.access [request_id=4f1c… user_id=3] GET / 200 4.1 ms`."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        """Format the record as one line (plus the traceback, if any)."""
        when = datetime.fromtimestamp(record.created, self.zone).isoformat(timespec="milliseconds")
        context = getattr(record, "context", None)
        if context is None:
            context = _context.get()
        fields = " ".join(f"{key}={value}" for key, value in context.items()) or "-"
        # Escaped, so that text from outside (a path, a name) can never start a line that looks like a record.
        line = f"{when} {record.levelname} {record.name} [{fields}] {printable(record.getMessage(), 10_000)}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, pid, the context, `extra=` fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record as one JSON line."""
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        entry: dict[str, Any] = {
            "time": when.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        context = getattr(record, "context", None)
        entry.update(_context.get() if context is None else context)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key != "request_id" and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Write to whatever sys.stderr is at the time (a test's capture, a reopened stream), never a stale one."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        """The current sys.stderr."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class WebSocketCloseFrameFilter(logging.Filter):
    """Drop Werkzeug's "Bad request syntax" error for a websocket's close frame (0x88) read as HTTP after the
    socket was handed back: every websocket closed under `meeting-hub run` would otherwise log an ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Refuse only that record."""
        return "Bad request syntax ('\\x88" not in record.getMessage()


def configure(app: Flask) -> None:
    """Send every logger's records to stderr, formatted as LOG_FORMAT says, from LOG_LEVEL up (idempotent)."""
    log_format = app.config["LOG_FORMAT"]  # both checked at start (meeting_hub/settings.py)
    level = getattr(logging, app.config["LOG_LEVEL"])
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(ZoneInfo(app.config["TIMEZONE"])))
    handler.addFilter(ContextFilter())
    handler.set_name("meeting_hub")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "meeting_hub":  # a previous create_app in this process (tests, the CLI)
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Flask's own handler would print the app's lines a second time, unformatted.
    app.logger.removeHandler(default_handler)
    for name in SOCKET_LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        # A level of their own keeps them from adding their bare StreamHandler (and their INFO chatter).
        library_logger.setLevel(max(level, logging.WARNING))
        for existing in list(library_logger.handlers):
            library_logger.removeHandler(existing)
    werkzeug_logger = logging.getLogger("werkzeug")
    for old_filter in list(werkzeug_logger.filters):
        if isinstance(old_filter, WebSocketCloseFrameFilter):
            werkzeug_logger.removeFilter(old_filter)
    werkzeug_logger.addFilter(WebSocketCloseFrameFilter())
    if app.config["LOG_ACCESS"]:
        # The app writes one access line per request (request_ids.py); Werkzeug's would repeat it without the id.
        werkzeug_logger.setLevel(max(level, logging.WARNING))
