"""Dashboards asking for a full snapshot at once share one build, and never get one that started before they asked."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from meeting_hub.attendance.snapshot import SharedSnapshots


def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_callers_that_arrive_during_a_build_share_the_next_one() -> None:
    shared = SharedSnapshots()
    builds: list[int] = []
    release_first = threading.Event()

    def build() -> dict[str, Any]:
        builds.append(len(builds) + 1)
        number = len(builds)
        if number == 1:
            release_first.wait(5)
        return {"build": number}

    results: dict[str, dict[str, Any]] = {}

    def ask(name: str) -> None:
        results[name] = shared.get(7, build)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    _wait_for(lambda: builds == [1])
    late = [threading.Thread(target=ask, args=(name,)) for name in ("second", "third", "fourth")]
    for thread in late:
        thread.start()
    time.sleep(0.1)  # they wait for the running build to end: it started before they asked
    assert builds == [1]
    release_first.set()
    for thread in [first, *late]:
        thread.join(5)

    assert builds == [1, 2]
    assert results["first"] == {"build": 1}
    assert results["second"] == results["third"] == results["fourth"] == {"build": 2}
    assert results["second"] is results["third"]  # one object, built once


def test_a_failed_build_fails_its_caller_and_the_next_caller_builds_again() -> None:
    shared = SharedSnapshots()
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def failing() -> dict[str, Any]:
        calls.append("failing")
        started.set()
        release.wait(5)
        raise RuntimeError("database gone")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            shared.get(7, failing)
        except RuntimeError as error:
            errors.append(error)

    leader = threading.Thread(target=ask)
    leader.start()
    started.wait(5)
    release.set()
    leader.join(5)
    assert len(errors) == 1
    assert shared.get(7, lambda: {"build": "again"}) == {"build": "again"}
    with pytest.raises(RuntimeError):
        shared.get(8, lambda: (_ for _ in ()).throw(RuntimeError("other briefing")))
