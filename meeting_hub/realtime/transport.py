"""The realtime transport: namespace, room and event names, and coalesced delivery of logged events.

Services append events to the briefing's event log; once their transaction commits, the log hands the events to
`publish` here. Events are gathered for a short window (LIVE_COALESCE_MS) and sent as one `events` message per room,
so the cost of fan-out follows the number of windows, not the number of check-ins. Through the Socket.IO message queue
(Redis) the message reaches the clients of every server process.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from flask import Flask

from meeting_hub.event_log import log
from meeting_hub.extensions import socketio

NAMESPACE = "/live"
#: Server -> client: {"briefing_id", "events": [...]}.
EVENTS = "events"
#: Client -> server event names.
WATCH, CHECK_IN, LINK_STATUS, HEARTBEAT = "watch", "check_in", "link_status", "heartbeat"
#: Client -> server: a poll answer (meeting_hub/polls/events.py).
ANSWER = "answer"


def dashboard_room(briefing_id: int) -> str:
    """Return the room of a briefing's dashboards: every event of the briefing."""
    return f"briefing:{briefing_id}:dashboard"


def endpoint_room(briefing_id: int, endpoint_id: int) -> str:
    """Return the room of one endpoint's consoles: that endpoint's events and the briefing's own."""
    return f"briefing:{briefing_id}:endpoint:{endpoint_id}"


def briefing_room(briefing_id: int) -> str:
    """Return the room of a briefing's consoles: events that concern no single endpoint (dashboards get them anyway)."""
    return f"briefing:{briefing_id}"


def event_endpoint(event: dict[str, Any]) -> int | None:
    """Return the endpoint an event concerns, or None for a briefing-wide event (operators only get their own)."""
    endpoint_id = event.get("endpoint_id")
    return endpoint_id if isinstance(endpoint_id, int) else None


def deliver(briefing_id: int, events: list[dict[str, Any]]) -> None:
    """Send a batch of one briefing's events to its dashboards, and to each endpoint's consoles their share."""
    if not events:
        return
    socketio.emit(
        EVENTS, {"briefing_id": briefing_id, "events": events}, to=dashboard_room(briefing_id), namespace=NAMESPACE
    )
    by_endpoint: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_endpoint[event_endpoint(event)].append(event)
    for endpoint_id, share in by_endpoint.items():
        room = briefing_room(briefing_id) if endpoint_id is None else endpoint_room(briefing_id, endpoint_id)
        socketio.emit(EVENTS, {"briefing_id": briefing_id, "events": share}, to=room, namespace=NAMESPACE)


class Coalescer:
    """Gathers committed events and flushes them every `window` seconds, one message per briefing and room.

    The first events after a quiet window go out at once (the leading edge): at a calm roll-call each check-in reaches
    the dashboards without waiting for a window, and only events that follow within a window wait to be gathered.
    Sending is always the flusher's job, never the committing thread's: an emit can stall (Redis gone: redis-py
    retries with backoff), and the writer of the roll-call must not stall with it.
    """

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._pending: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._started = False
        self._last_sent = 0.0

    def add(self, committed: list[tuple[int, dict[str, Any]]]) -> None:
        """Queue committed events for the flusher; wake it at once when the last window was quiet."""
        if self.window <= 0:
            _deliver_all(_group(committed))
            return
        with self._lock:
            quiet = not self._pending and time.monotonic() - self._last_sent >= self.window
            for briefing_id, event in committed:
                self._pending[briefing_id].append(event)
            if not self._started:
                self._started = True
                socketio.start_background_task(self._run)
        if quiet:
            self._wake.set()

    def flush(self) -> None:
        """Send what is queued now."""
        with self._lock:
            pending, self._pending = self._pending, defaultdict(list)
            if pending:
                self._last_sent = time.monotonic()
        try:
            _deliver_all(pending)
        except Exception:  # a failed emit (Redis down) must not stop later deliveries
            socketio.server.logger.exception("live event delivery failed")

    def _run(self) -> None:
        while True:
            self._wake.wait(self.window)
            self._wake.clear()
            self.flush()


def _deliver_all(pending: dict[int, list[dict[str, Any]]]) -> None:
    # Commits publish in the order they finish, which need not be seq order across threads and processes.
    for briefing_id, events in pending.items():
        events.sort(key=lambda event: int(event["seq"]))
        deliver(briefing_id, events)


def _group(committed: list[tuple[int, dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for briefing_id, event in committed:
        grouped[briefing_id].append(event)
    return grouped


_coalescer: Coalescer | None = None


def publish(committed: list[tuple[int, dict[str, Any]]]) -> None:
    """Hand committed events to the coalescer (registered with the event log)."""
    if _coalescer is not None:
        _coalescer.add(committed)


def init_app(app: Flask) -> None:
    """Set the coalescing window and start delivering committed events."""
    global _coalescer
    window = float(app.config.get("LIVE_COALESCE_MS", 25)) / 1000
    if _coalescer is None or _coalescer.window != window:
        _coalescer = Coalescer(window)
    log.add_publisher(publish)
