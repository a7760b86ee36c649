"""What became of each run, for whoever counts it (the metrics' `jobs_total{job,outcome}`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    """How one attempt of a run ended."""

    DONE = "done"
    #: Failed, and queued again for a later attempt.
    RETRY = "retry"
    #: Failed for good: its attempts are used up (or the job is unknown to this worker).
    FAILED = "failed"
    #: Not run: another worker had it, or it was already done (a repeated hand-over).
    SKIPPED = "skipped"
    #: Found running in the ledger after its worker died, and queued again.
    RECOVERED = "recovered"


Listener = Callable[[str, Outcome], None]
_listeners: list[Listener] = []


def on_outcome(listener: Listener) -> Listener:
    """Call `listener(job_name, outcome)` after every attempt (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def remove_listener(listener: Listener) -> None:
    """Stop calling a listener."""
    if listener in _listeners:
        _listeners.remove(listener)


def report(job_name: str, outcome: Outcome) -> None:
    """Tell every listener; a failing listener is logged, never allowed to fail the job."""
    for listener in list(_listeners):
        try:
            listener(job_name, outcome)
        except Exception:
            logger.exception("job outcome listener failed")
