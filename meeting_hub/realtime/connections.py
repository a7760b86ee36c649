"""Who is behind each socket connection, and a per-connection rate limit (Flask-Limiter does not see socket events)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TokenBucket:
    """Allow `rate` events per second on average, with bursts up to `burst`."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = field(default_factory=time.monotonic)

    def allow(self) -> bool:
        """Take one token if there is one."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Connection:
    """A socket connection: its user and its rate limit.

    `caller` is what the event handlers last read about the user (role, endpoint, language), and `caller_read_at`
    when (time.monotonic()): handlers read the user again when that is older than LIVE_USER_RECHECK_SECONDS, so the
    hot events (check-ins, heartbeats) cost no query of their own while a deactivation still takes effect soon.
    """

    user_id: int
    bucket: TokenBucket
    #: The user's session version when a browser session opened it (None for a token): a later password change or
    #: reset raises the version, and the connection stops being served at the next reading of the user.
    session_version: int | None = None
    caller: Any = None
    caller_read_at: float = 0.0


class ConnectionRegistry:
    """Connections of this process, by Socket.IO session id."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, user_id: int, rate: float, burst: float, session_version: int | None = None) -> None:
        """Remember who opened the connection."""
        with self._lock:
            self._connections[sid] = Connection(user_id, TokenBucket(rate, burst), session_version)

    def get(self, sid: str) -> Connection | None:
        """Return the connection, if it is known."""
        with self._lock:
            return self._connections.get(sid)

    def remove(self, sid: str) -> None:
        """Forget a closed connection."""
        with self._lock:
            self._connections.pop(sid, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._connections)


connections = ConnectionRegistry()
