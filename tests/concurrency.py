"""Run the same request from several threads at once: the idempotency tests' race (one client_op_id, many senders)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

from meeting_hub.extensions import db

T = TypeVar("T")


def run_at_once(app: Flask, send: Callable[[Callable[[], None]], T], times: int = 5) -> list[T]:
    """Run `send(ready)` in `times` threads, each in its own app context, and commit; return what each one returned.

    `send` loads what it needs, calls `ready()`, then writes: `ready` waits until every thread has got there, so the
    writes race each other. Any error in a thread fails the caller.
    """
    barrier = threading.Barrier(times)
    outcomes: list[T] = []
    errors: list[BaseException] = []

    def ready() -> None:
        db.session.rollback()  # start the write transaction only when all threads are ready
        barrier.wait(timeout=10)

    def run() -> None:
        try:
            with app.app_context():
                outcome = send(ready)
                db.session.commit()
                outcomes.append(outcome)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return outcomes
