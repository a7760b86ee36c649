"""Malformed Socket.IO packets: one short log line (rate-limited) and the connection closed, not a traceback each.

python-socketio decodes a packet inside python-engineio's message handler; a packet it cannot read raises there, and
python-engineio logs the exception with its traceback. Anyone who can open an Engine.IO session (no sign-in needed)
could so write megabytes of log a second. The guard wraps that handler: a packet that cannot be handled is counted,
reported in at most one line per `LOG_EVERY_SECONDS`, and its connection is closed (a client that sends one does not
speak the protocol). Errors of the app's own handlers are not packets' fault: logged by
meeting_hub.observability.socket_events already, they go on as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from meeting_hub.observability.logs import already_logged

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0


class MalformedPacketLog:
    """Writes at most one line per `every` seconds, saying how many packets were refused since the last line."""

    def __init__(self, every: float = LOG_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._lock = threading.Lock()
        self._refused = 0
        self._last_line = float("-inf")

    def refused(self, error: Exception) -> None:
        """Count one refused packet; write the line when the last one is old enough."""
        with self._lock:
            self._refused += 1
            now = self.clock()
            if now - self._last_line < self.every:
                return
            count, self._refused, self._last_line = self._refused, 0, now
        # The error's type and a few characters of its text: enough to tell a broken client, never a traceback.
        logger.warning(
            "refused %d malformed socket packet(s) since the last such line (one per %.0f s at most); last: %s: %.80s",
            count,
            self.every,
            type(error).__name__,
            str(error),
        )


class PacketGuard:
    """Python-engineio's message handler, wrapped: a packet it cannot handle is reported and its session closed."""

    def __init__(self, server: Any, handle: Callable[[str, Any], Any], log: MalformedPacketLog) -> None:
        self.server = server
        self.handle = handle
        self.log = log

    def __call__(self, eio_sid: str, data: Any) -> Any:
        """Handle one Engine.IO message."""
        try:
            return self.handle(eio_sid, data)
        except Exception as error:  # any packet python-socketio could not handle
            if already_logged(error):
                raise  # an error of the app's own connect handler, not of the packet
            self.log.refused(error)
            with contextlib.suppress(Exception):  # the session may be gone already
                self.server.eio.disconnect(eio_sid)
            return None


def install(server: Any, log: MalformedPacketLog | None = None) -> None:
    """Guard the server's Engine.IO message handler (once per server)."""
    handle = server.eio.handlers.get("message")
    if handle is None or isinstance(handle, PacketGuard):
        return
    server.eio.handlers["message"] = PacketGuard(server, handle, log or MalformedPacketLog())
