"""Group commit of the roll-call: socket check-ins and heartbeats are written in batches, one transaction per batch,
by one writer per live briefing.

Every check-in of a briefing takes the briefing's next seq, and the seq row stays locked until its transaction
commits, so a briefing's check-ins are written one after the other whatever the number of processes. Measured with
bench/live.py, one transaction per check-in made that serial section the limit of the whole roll-call (and, at 1,052
endpoints, a queue of connections held while waiting). Here the socket handlers of a process hand their check-ins to
their briefing's writer, which takes everything that arrived for it while it was busy and writes it as one batch
(services.record_check_ins: a fixed number of statements and one commit), then answers each handler. Under light load
a batch holds one check-in and costs what it did before; under heavy load the serial section is paid per batch.

Each briefing has its own writer (a queue and a greenlet/thread), started by the first item for it and ended after
IDLE_SECONDS without work: briefings do not share a serial section in the database, so a slow or large batch of one
must not delay the acks of another (measured with bench/two_briefings.py). A briefing's own writes stay serial, as
its seq row would make them anyway. Writers run only for briefings with writes in the last IDLE_SECONDS, and a batch
for an id that is no briefing ends its writer at once. Each holds a connection while it writes, and at most half the
pool's connections write at once (more live briefings than that take turns).

Other domains' live writes to a briefing's log join the same batches through `run` (poll answers: polls/events.py),
written by the function their domain registered for their kind (register_batch_write): like record_check_ins, a fixed
number of statements for all of a batch's items of that kind, each refusal refusing only its own item.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from meeting_hub import database
from meeting_hub.attendance import services
from meeting_hub.errors import ServiceError, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db, socketio
from meeting_hub.observability import logs, metrics
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing

logger = logging.getLogger(__name__)

#: A briefing's writer (greenlet/thread) ends after this long without work, and starts again with its next item.
IDLE_SECONDS = 5.0
#: Batches written at once by one process when init_app does not derive it from the connection pool.
MAX_WRITING = 8


Outcome = services.WriteResult | dict[str, Any] | ServiceError
#: How another domain writes its items of a batch, in the batch's transaction (it must not commit): each one's result
#: or refusal, in order.
BatchWrite = Callable[[Briefing, list[Any]], list[services.WriteResult | ServiceError]]
_BATCH_WRITES: dict[str, BatchWrite] = {}


def register_batch_write(kind: str, write: BatchWrite) -> None:
    """Let another domain's live writes of this kind join the batches (that domain imports this one, not the
    reverse)."""
    _BATCH_WRITES[kind] = write


@dataclass
class _Waiting:
    """A check-in, a heartbeat or another domain's write handed to its briefing's writer, and the handler's wait for
    its outcome."""

    briefing_id: int
    language: str
    check_in: services.CheckInRequest | None = None
    heartbeat: services.Recorder | None = None
    #: Another domain's write: its kind (register_batch_write) and the item.
    item: tuple[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None


def _not_written() -> TryAgain:
    """The answer when a batch failed: nothing of it was written, and the client resends the same operation."""
    return TryAgain(_("Chưa ghi được, vui lòng gửi lại."))


def _failure_outcome(error: Exception, language: str) -> ServiceError:
    """The answer to a check-in whose transaction failed: a permanent refusal when its own values caused the
    failure (sending it again would fail again, and an outbox resends a try_again forever), else try_again."""
    with force_locale(language):
        if database.is_caused_by_data(error):
            return ValidationFailed(_("Không ghi được điểm danh này: dữ liệu không hợp lệ."))
        return _not_written()


class CheckInWriter:
    """This process's group commit (one per app): a writer per briefing with live writes."""

    def __init__(
        self,
        app: Flask,
        max_batch: int,
        wait_seconds: float,
        idle_seconds: float = IDLE_SECONDS,
        max_writing: int = MAX_WRITING,
    ) -> None:
        self._app = app
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self.idle_seconds = idle_seconds
        #: At most this many batches are written at once, a database connection each: with many live briefings the
        #: others wait their turn (and gather bigger batches meanwhile), and the pool keeps connections for pages.
        self._writing = threading.BoundedSemaphore(max_writing)
        #: How many transactions the writers have committed or rolled back: check-ins / batches is the gain.
        self.batches_written = 0
        #: Briefing id -> the queue of its running writer. A briefing has a writer exactly while it has an entry:
        #: entries are added and removed under the lock, so an item is never queued where no writer will take it.
        self._queues: dict[int, queue.SimpleQueue[_Waiting]] = {}
        self._lock = threading.Lock()
        self._batch_numbers = itertools.count(1)

    def submit(self, briefing_id: int, request: services.CheckInRequest, language: str) -> services.WriteResult:
        """Have the check-in written with its briefing's next batch; return its result or raise its refusal.

        The caller must hold no open transaction: on SQLite it would hold the write lock the writer needs.
        """
        outcome = self._wait(_Waiting(briefing_id, language, check_in=request))
        assert isinstance(outcome, services.WriteResult)
        return outcome

    def beat(self, briefing_id: int, recorder: services.Recorder, language: str) -> dict[str, Any]:
        """Have a heartbeat noted with the next batch; return {"seq"} (of its presence event, or the current one)."""
        outcome = self._wait(_Waiting(briefing_id, language, heartbeat=recorder))
        assert isinstance(outcome, dict)
        return outcome

    def run(self, briefing_id: int, kind: str, item: Any, language: str) -> services.WriteResult:
        """Have another domain's write (of a kind registered with register_batch_write) done with the next batch;
        return its result or raise its refusal. The caller must hold no open transaction (see submit)."""
        outcome = self._wait(_Waiting(briefing_id, language, item=(kind, item)))
        assert isinstance(outcome, services.WriteResult)
        return outcome

    def running_briefings(self) -> list[int]:
        """Return the briefings whose writer is running in this process."""
        with self._lock:
            return sorted(self._queues)

    def _wait(self, waiting: _Waiting) -> Outcome:
        self._enqueue(waiting)
        if not waiting.done.wait(self.wait_seconds):
            # The batch may still commit later: the client resends the same client_op_id and gets that result.
            raise TryAgain(_("Máy chủ đang bận, vui lòng gửi lại sau."))
        if isinstance(waiting.outcome, ServiceError):
            raise waiting.outcome
        assert waiting.outcome is not None
        return waiting.outcome

    def _enqueue(self, waiting: _Waiting) -> None:
        """Queue the item for its briefing's writer, starting one when the briefing has none."""
        briefing_id = waiting.briefing_id
        with self._lock:
            pending = self._queues.get(briefing_id)
            if pending is None:
                pending = self._queues[briefing_id] = queue.SimpleQueue()
                try:
                    socketio.start_background_task(self._run, briefing_id, pending)
                except BaseException:  # no writer: leave no entry that would keep the briefing's items waiting
                    del self._queues[briefing_id]
                    raise
            pending.put(waiting)

    def _run(self, briefing_id: int, pending: queue.SimpleQueue[_Waiting]) -> None:
        """One briefing's writer: write what its queue holds, batch after batch, until it stays idle."""
        metrics.CHECK_IN_WRITERS.inc()
        try:
            while True:
                try:
                    first = pending.get(timeout=self.idle_seconds)
                except queue.Empty:
                    if self._retire(briefing_id, pending):
                        return
                    continue
                with self._writing:  # what arrives while waiting for a turn joins this batch
                    batch = [first]
                    while len(batch) < self.max_batch:
                        try:
                            batch.append(pending.get_nowait())
                        except queue.Empty:
                            break
                    result = self._write_or_answer(briefing_id, batch)
                if result == "refused" and self._retire(briefing_id, pending):
                    return  # no such briefing: keep no writer waiting for it (any client may send any id)
        finally:
            metrics.CHECK_IN_WRITERS.dec()

    def _write_or_answer(self, briefing_id: int, batch: list[_Waiting]) -> str:
        """Write a batch and return its result for the metrics; should that fail outside its transaction, answer
        each item try_again."""
        try:
            return self._write(briefing_id, batch)
        except Exception:  # never leave handlers waiting, and keep the writer alive for the next batch
            logger.exception("the check-in writer failed outside its transaction")
            for waiting in batch:
                if not waiting.done.is_set():
                    waiting.outcome = _not_written()
                    waiting.done.set()
            return "error"

    def _retire(self, briefing_id: int, pending: queue.SimpleQueue[_Waiting]) -> bool:
        """End the briefing's writer unless an item came in since it last looked; tell whether it ended.

        Checked under the lock _enqueue takes: an item queued before is written by this writer, one queued after
        finds no entry and starts a new writer.
        """
        with self._lock:
            if not pending.empty():
                return False
            del self._queues[briefing_id]
            return True

    def _write(self, briefing_id: int, group: list[_Waiting]) -> str:
        started = time.perf_counter()
        # The writer's lines name their batch: its handlers' events wait on it, under their own ids.
        with self._app.app_context(), logs.log_context(request_id=f"batch-{next(self._batch_numbers)}"):
            outcomes, result, failure = self._attempt(briefing_id, group)
            if failure is not None and len(group) > 1 and database.is_caused_by_data(failure):
                # One bad check-in fails the whole transaction: write each alone, so that only it is refused and
                # the others of its batch are written (each then costs a transaction, only after such a failure).
                outcomes = [self._attempt(briefing_id, [waiting])[0][0] for waiting in group]
                result = "isolated"
        with self._lock:  # writers of several briefings count here
            self.batches_written += 1
        metrics.CHECK_IN_BATCHES.labels(result).inc()
        metrics.CHECK_IN_BATCH_SIZE.observe(len(group))
        metrics.CHECK_IN_BATCH_SECONDS.observe(time.perf_counter() - started)
        for waiting, outcome in zip(group, outcomes, strict=True):
            waiting.outcome = outcome
            waiting.done.set()
        return result

    def _attempt(self, briefing_id: int, group: list[_Waiting]) -> tuple[list[Outcome], str, Exception | None]:
        """Write a group in one transaction; return each one's outcome, the result for the metrics, and the
        database's failure if it failed."""
        try:
            briefing = scheduling.get_briefing(briefing_id)
            outcomes = self._record(briefing, group)
            db.session.commit()
            return outcomes, "committed", None
        except ServiceError as error:  # the briefing is gone: every check-in of the group gets the refusal
            db.session.rollback()
            return [error] * len(group), "refused", None
        except Exception as error:  # nothing of the group was written
            db.session.rollback()
            logger.exception("writing a batch of %d check-ins failed", len(group))
            return [_failure_outcome(error, waiting.language) for waiting in group], "failed", error
        finally:
            db.session.remove()

    @staticmethod
    def _record(briefing: Briefing, group: list[_Waiting]) -> list[Outcome]:
        """Record a briefing's check-ins and heartbeats in the current transaction, refusals in each sender's
        language."""
        outcomes: list[Outcome | None] = [None] * len(group)
        by_language: dict[str, list[int]] = defaultdict(list)
        for index, waiting in enumerate(group):
            by_language[waiting.language].append(index)
        for language, indexes in by_language.items():
            check_ins = [(i, request) for i in indexes if (request := group[i].check_in) is not None]
            heartbeats = [(i, recorder) for i in indexes if (recorder := group[i].heartbeat) is not None]
            with force_locale(language):
                if check_ins:
                    recorded = services.record_check_ins(briefing, [request for _i, request in check_ins])
                    for (index, _request), outcome in zip(check_ins, recorded, strict=True):
                        outcomes[index] = outcome
                if heartbeats:
                    noted = services.record_heartbeats(briefing, [recorder for _i, recorder in heartbeats])
                    for (index, _recorder), event in zip(heartbeats, noted, strict=True):
                        outcomes[index] = {"seq": event["seq"]} if isinstance(event, dict) else event
                items: dict[str, list[tuple[int, Any]]] = defaultdict(list)
                for index in indexes:
                    if (kind_and_item := group[index].item) is not None:
                        items[kind_and_item[0]].append((index, kind_and_item[1]))
                for kind, entries in items.items():
                    written = _BATCH_WRITES[kind](briefing, [item for _index, item in entries])
                    for (index, _item), outcome in zip(entries, written, strict=True):
                        outcomes[index] = outcome
        if None in outcomes:  # heartbeats that logged nothing answer with the seq the briefing is at
            current = {"seq": log.current_seq(briefing.id)}
            outcomes = [current if outcome is None else outcome for outcome in outcomes]
        return [outcome for outcome in outcomes if outcome is not None]


def init_app(app: Flask) -> None:
    """Give the app its group commit, a writer per live briefing (used by the socket handlers when LIVE_GROUP_COMMIT
    is on)."""
    app.extensions["meeting_hub.check_in_writer"] = CheckInWriter(
        app,
        int(app.config["LIVE_GROUP_COMMIT_MAX"]),
        float(app.config["LIVE_GROUP_COMMIT_WAIT_SECONDS"]),
        # Half the pool at most for the writers: HTTP requests and snapshots keep the rest.
        max_writing=max(1, int(app.config["DATABASE_POOL_SIZE"]) // 2),
    )


def writer(app: Flask) -> CheckInWriter | None:
    """Return the app's group commit (its writers per briefing), or None when check-ins are written one transaction
    each."""
    if not app.config["LIVE_GROUP_COMMIT"]:
        return None
    found: CheckInWriter = app.extensions["meeting_hub.check_in_writer"]
    return found
