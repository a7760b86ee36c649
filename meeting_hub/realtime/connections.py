"""Who is behind each socket connection, and the socket rate limits (Flask-Limiter does not see socket events).

The limits are budgets of the user and of the client address, shared by all their connections in this process, and
a cap on a user's open connections (the oldest are closed): opening more sockets must not buy more throughput (five
sockets of one token once took 5,000 check-ins a second and slowed every other endpoint's roll-call to seconds).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from meeting_hub.accounts.live_access import AccessChange, LiveGrant

#: Events refused in a row after which the connection is closed. The console waits after a `rate_limited` ack (its
#: outbox backs off); a client that sends this many regardless costs the process a thread per event for nothing.
REFUSALS_BEFORE_CLOSE = 200


@dataclass
class TokenBucket:
    """Allow `rate` events per second on average, with bursts up to `burst`."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = field(default_factory=time.monotonic)

    def refill(self) -> float:
        """Add the tokens earned since the last look; return how many there are."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens

    def allow(self) -> bool:
        """Take one token if there is one."""
        if self.refill() >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(frozen=True)
class Limits:
    """The socket limits of a process (MEETING_HUB_LIVE_* settings)."""

    user_rate: float
    user_burst: float
    address_rate: float
    address_burst: float
    max_per_user: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """Read the limits from the app's config."""
        return cls(
            user_rate=float(config["LIVE_EVENTS_PER_SECOND"]),
            user_burst=float(config["LIVE_EVENTS_BURST"]),
            address_rate=float(config["LIVE_ADDRESS_EVENTS_PER_SECOND"]),
            address_burst=float(config["LIVE_ADDRESS_EVENTS_BURST"]),
            max_per_user=int(config["LIVE_MAX_CONNECTIONS_PER_USER"]),
        )


@dataclass
class Connection:
    """A socket connection: what authorised it, where from, and the budgets it draws on.

    `caller` is what the event handlers last read about the user (role, endpoint, language), and `caller_read_at`
    when (time.monotonic()): handlers check the grant again when that is older than LIVE_USER_RECHECK_SECONDS, so
    the hot events (check-ins, heartbeats) cost no query of their own, while a change of the account made in another
    process still takes effect within that time (one made in this process ends the connection at once).
    """

    sid: str
    grant: LiveGrant
    address: str
    user_bucket: TokenBucket
    #: None when the address budget is off (LIVE_ADDRESS_EVENTS_PER_SECOND=0).
    address_bucket: TokenBucket | None
    #: Set when the grant was found ended: every event is refused until the socket is gone.
    ended: bool = False
    #: Events refused by the budgets since the last one allowed: a client that keeps sending while refused is a flood.
    refused_in_a_row: int = 0
    caller: Any = None
    caller_read_at: float = 0.0

    @property
    def user_id(self) -> int:
        """The user who opened the connection."""
        return self.grant.user_id

    def allow(self) -> bool:
        """Take one event from the user's and the address's budgets."""
        # The user's budget first: what it refuses costs the others behind the same address nothing (a flood from
        # one account must not use up the budget of a ward office's NAT), what it allows is charged to the address.
        allowed = self.user_bucket.allow() and (self.address_bucket is None or self.address_bucket.allow())
        self.refused_in_a_row = 0 if allowed else self.refused_in_a_row + 1
        return allowed

    def flooding(self) -> bool:
        """Tell whether the client went on sending long after being refused (closed: no honest client does that)."""
        return self.refused_in_a_row >= REFUSALS_BEFORE_CLOSE


class ConnectionRegistry:
    """Connections of this process, by Socket.IO session id, with the budgets of their users and addresses."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}
        self._by_user: dict[int, set[str]] = {}
        self._by_address: dict[str, set[str]] = {}
        self._user_buckets: dict[int, TokenBucket] = {}
        self._address_buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, grant: LiveGrant, address: str, limits: Limits) -> list[Connection]:
        """Remember who opened the connection; return the user's oldest ones past the cap, for the caller to close.

        The newest wins: on a dropping link the sockets a client left behind live on until their ping time-out, and
        refusing the one it opens now would leave the console offline.
        """
        with self._lock:
            sids = self._by_user.setdefault(grant.user_id, set())
            user_bucket = self._user_buckets.get(grant.user_id)
            if user_bucket is None:
                user_bucket = self._user_buckets[grant.user_id] = TokenBucket(limits.user_rate, limits.user_burst)
            address_bucket = self._address_buckets.get(address)
            if address_bucket is None and limits.address_rate > 0:
                address_bucket = TokenBucket(limits.address_rate, limits.address_burst)
                self._address_buckets[address] = address_bucket
            self._connections[sid] = Connection(sid, grant, address, user_bucket, address_bucket)
            sids.add(sid)
            self._by_address.setdefault(address, set()).add(sid)
            excess = len(sids) - limits.max_per_user
            if excess <= 0:
                return []
            # Dicts keep insertion order: the user's connections in the order they opened.
            oldest = [c for c in self._connections.values() if c.user_id == grant.user_id and not c.ended][:excess]
            for connection in oldest:
                connection.ended = True
            return oldest

    def get(self, sid: str) -> Connection | None:
        """Return the connection, if it is known."""
        with self._lock:
            return self._connections.get(sid)

    def remove(self, sid: str) -> None:
        """Forget a closed connection (and the budgets nobody draws on any more)."""
        with self._lock:
            connection = self._connections.pop(sid, None)
            if connection is None:
                return
            sids = self._by_user.get(connection.user_id, set())
            sids.discard(sid)
            if not sids:
                self._by_user.pop(connection.user_id, None)
                # A spent budget is kept, or reconnecting would refill it; a full one is the same as a new one.
                self._drop_if_full(self._user_buckets, connection.user_id)
            at_address = self._by_address.get(connection.address, set())
            at_address.discard(sid)
            if not at_address:
                # (an index, not a scan of every connection: thousands reconnect at once after an outage)
                self._by_address.pop(connection.address, None)
                self._drop_if_full(self._address_buckets, connection.address)

    @staticmethod
    def _drop_if_full(buckets: dict[Any, TokenBucket], key: Any) -> None:
        bucket = buckets.get(key)
        if bucket is not None and bucket.refill() >= bucket.burst:
            del buckets[key]

    def clear(self) -> None:
        """Forget every connection and budget."""
        with self._lock:
            self._connections.clear()
            self._by_user.clear()
            self._by_address.clear()
            self._user_buckets.clear()
            self._address_buckets.clear()

    def all(self) -> list[Connection]:
        """Return every open connection."""
        with self._lock:
            return list(self._connections.values())

    def ended_by(self, changes: list[AccessChange]) -> list[Connection]:
        """Mark and return the connections these changes end."""
        ended: list[Connection] = []
        with self._lock:
            for change in changes:
                for sid in self._by_user.get(change.user_id, ()):
                    connection = self._connections[sid]
                    if change.ends(connection.grant):
                        connection.ended = True
                        ended.append(connection)
        return ended

    def __len__(self) -> int:
        with self._lock:
            return len(self._connections)


connections = ConnectionRegistry()
