"""Close the sockets whose authorisation ended (the grants and epochs are in meeting_hub/accounts/live_access.py).

A change made in this process closes the affected sockets as soon as it commits: they leave every room and are
disconnected (the browser's client connects again, and is refused, or authorised afresh for its new role or
endpoint). A change made by another process is found by the sweep, every LIVE_USER_RECHECK_SECONDS: one query of
the epochs of every user connected here, and a recheck of the grants whose epoch moved. Socket handlers also check
the grant before serving an event once the last check is that old (attendance/events.py).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from meeting_hub.accounts import live_access
from meeting_hub.extensions import db, socketio
from meeting_hub.realtime.connections import Connection, connections
from meeting_hub.realtime.transport import NAMESPACE

logger = logging.getLogger(__name__)


def close(connection: Connection) -> None:
    """Refuse the connection's further events and disconnect it (which leaves its rooms)."""
    connection.ended = True
    try:
        socketio.server.disconnect(connection.sid, namespace=NAMESPACE)
    except Exception:  # a socket already gone, Redis down: the connection is refused anyway, the sweep tries again
        logger.exception("could not close live connection %s", connection.sid[:8])


def close_ended(changes: list[live_access.AccessChange]) -> None:
    """Close this process's connections that committed access changes end (an access_changes subscriber)."""
    for connection in connections.ended_by(changes):
        close(connection)


def sweep() -> int:
    """Recheck the connections whose user's epoch moved, close those whose grant ended; return how many closed.

    Runs inside an application context; one query when nothing changed.
    """
    open_connections = connections.all()
    epochs = live_access.current_epochs(connection.user_id for connection in open_connections)
    closed = 0
    try:
        for connection in open_connections:
            if connection.ended:
                close(connection)  # ended earlier but still there (a failed disconnect)
                closed += 1
                continue
            if epochs.get(connection.user_id) == connection.grant.epoch:
                continue
            grant = live_access.recheck(connection.grant)
            if grant is None:
                close(connection)
                closed += 1
            else:
                connection.grant = grant
    finally:
        db.session.rollback()
    return closed


class Sweeper:
    """Runs `sweep` every LIVE_USER_RECHECK_SECONDS (every second when that is 0) in a background task, from the
    first connection on. Tests turn it off (config LIVE_SWEEP = False) and call `sweep` themselves."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._started = False
        self._lock = threading.Lock()

    def interval(self) -> float:
        """Return the pause between two sweeps (read each time: a changed setting applies to the next one)."""
        recheck = float(self.app.config["LIVE_USER_RECHECK_SECONDS"])
        return recheck if recheck > 0 else 1.0

    def start(self) -> None:
        """Start the background task once (no thread for processes that never hold a socket: the CLI, workers)."""
        if not self.app.config.get("LIVE_SWEEP", True):
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            socketio.sleep(self.interval())
            if _sweeper is not self:
                return  # a newer app took over this process (tests, the CLI): its sweeper does the work
            try:
                with self.app.app_context():
                    sweep()
            except Exception:  # the database away for a moment: try again at the next interval
                logger.exception("live connection sweep failed")


_sweeper: Sweeper | None = None


def start_sweeping() -> None:
    """Make sure the sweep runs (called when a connection opens)."""
    if _sweeper is not None:
        _sweeper.start()


def init_app(app: Flask) -> None:
    """Close ended connections as changes commit, and sweep every LIVE_USER_RECHECK_SECONDS."""
    global _sweeper
    connections.clear()  # a new app has a new Socket.IO server: no connection of an earlier one is still served
    live_access.subscribe(close_ended)
    _sweeper = Sweeper(app)
