"""Group commit of the roll-call: socket check-ins are written in batches, one transaction per batch and briefing.

Every check-in of a briefing takes the briefing's next seq, and the seq row stays locked until its transaction
commits, so a briefing's check-ins are written one after the other whatever the number of processes. Measured with
bench/live.py, one transaction per check-in made that serial section the limit of the whole roll-call (and, at 1,052
endpoints, a queue of connections held while waiting). Here the socket handlers of a process hand their check-ins to
one writer, which takes everything that arrived while it was busy and writes it as one batch
(services.record_check_ins: a fixed number of statements and one commit), then answers each handler. Under light load
a batch holds one check-in and costs what it did before; under heavy load the serial section is paid per batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from meeting_hub.attendance import services
from meeting_hub.errors import ServiceError, TryAgain
from meeting_hub.extensions import db, socketio
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

logger = logging.getLogger(__name__)

#: The writer greenlet/thread ends after this long without work, and starts again with the next check-in.
IDLE_SECONDS = 5.0


@dataclass
class _Waiting:
    """One check-in handed to the writer, and the handler's wait for its outcome."""

    briefing_id: int
    request: services.CheckInRequest
    language: str
    done: threading.Event = field(default_factory=threading.Event)
    outcome: services.WriteResult | ServiceError | None = None


class CheckInWriter:
    """This process's writer of socket check-ins (one per app)."""

    def __init__(self, app: Flask, max_batch: int, wait_seconds: float, idle_seconds: float = IDLE_SECONDS) -> None:
        self._app = app
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self.idle_seconds = idle_seconds
        #: How many transactions the writer has committed or rolled back: check-ins / batches is the gain.
        self.batches_written = 0
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, briefing_id: int, request: services.CheckInRequest, language: str) -> services.WriteResult:
        """Have the check-in written with the next batch; return its result or raise its refusal.

        The caller must hold no open transaction: on SQLite it would hold the write lock the writer needs.
        """
        waiting = _Waiting(briefing_id, request, language)
        with self._lock:
            self._queue.put(waiting)
            if not self._running:
                self._running = True
                socketio.start_background_task(self._run)
        if not waiting.done.wait(self.wait_seconds):
            # The batch may still commit later: the client resends the same client_op_id and gets that result.
            raise TryAgain(_("Máy chủ đang bận, vui lòng gửi lại sau."))
        if isinstance(waiting.outcome, ServiceError):
            raise waiting.outcome
        assert waiting.outcome is not None
        return waiting.outcome

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # nothing came in between: submit() will start a new writer
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_briefing: dict[int, list[_Waiting]] = defaultdict(list)
            for waiting in batch:
                by_briefing[waiting.briefing_id].append(waiting)
            for briefing_id, group in by_briefing.items():
                self._write(briefing_id, group)

    def _write(self, briefing_id: int, group: list[_Waiting]) -> None:
        outcomes: list[services.WriteResult | ServiceError]
        with self._app.app_context():
            try:
                briefing = scheduling.get_briefing(briefing_id)
                outcomes = self._record(briefing, group)
                db.session.commit()
            except ServiceError as error:  # the briefing is gone: every check-in of the group gets the refusal
                db.session.rollback()
                outcomes = [error] * len(group)
            except Exception:  # the database failed: nothing was written, each client resends the same operation
                db.session.rollback()
                logger.exception("writing a batch of %d check-ins failed", len(group))
                outcomes = [TryAgain(_("Chưa ghi được, vui lòng gửi lại."))] * len(group)
            finally:
                db.session.remove()
        self.batches_written += 1
        for waiting, outcome in zip(group, outcomes, strict=True):
            waiting.outcome = outcome
            waiting.done.set()

    @staticmethod
    def _record(briefing: Briefing, group: list[_Waiting]) -> list[services.WriteResult | ServiceError]:
        """Record a briefing's check-ins in the current transaction, refusals in each sender's language."""
        by_language: dict[str, list[int]] = defaultdict(list)
        for index, waiting in enumerate(group):
            by_language[waiting.language].append(index)
        outcomes: list[services.WriteResult | ServiceError | None] = [None] * len(group)
        for language, indexes in by_language.items():
            with force_locale(language):
                recorded = services.record_check_ins(briefing, [group[index].request for index in indexes])
            for index, outcome in zip(indexes, recorded, strict=True):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]


def init_app(app: Flask) -> None:
    """Give the app its check-in writer (used by the socket handlers when LIVE_GROUP_COMMIT is on)."""
    app.extensions["meeting_hub.check_in_writer"] = CheckInWriter(
        app, int(app.config["LIVE_GROUP_COMMIT_MAX"]), float(app.config["LIVE_GROUP_COMMIT_WAIT_SECONDS"])
    )


def writer(app: Flask) -> CheckInWriter | None:
    """Return the app's check-in writer, or None when check-ins are written one transaction each."""
    if not app.config["LIVE_GROUP_COMMIT"]:
        return None
    found: CheckInWriter = app.extensions["meeting_hub.check_in_writer"]
    return found
