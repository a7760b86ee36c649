"""The coalescer: the first events after a quiet window go out at once, those that follow within it are gathered, and
sending never happens in the thread that committed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask

from meeting_hub.realtime import transport


def _event(seq: int) -> tuple[int, dict[str, Any]]:
    return 7, {"seq": seq, "type": "attendance", "endpoint_id": 3}


def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_leading_events_go_out_at_once_and_followers_wait_for_the_window(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[list[int]] = []
    senders: set[int] = set()

    def deliver(_briefing: int, events: list[dict[str, Any]]) -> None:
        senders.add(threading.get_ident())
        sent.append([e["seq"] for e in events])

    monkeypatch.setattr(transport, "deliver", deliver)
    coalescer = transport.Coalescer(window_seconds=2.0)

    coalescer.add([_event(1)])  # quiet before: the flusher is woken at once, well before a window ends
    _wait_for(lambda: sent == [[1]], seconds=1.0)
    coalescer.add([_event(3)])
    coalescer.add([_event(2)])
    time.sleep(0.1)
    assert sent == [[1]]  # within the window: gathered
    _wait_for(lambda: len(sent) == 2, seconds=4.0)
    assert sent == [[1], [2, 3]]  # one message at the window's end, in seq order
    time.sleep(2.1)  # a quiet window
    coalescer.add([_event(4)])
    _wait_for(lambda: len(sent) == 3, seconds=1.0)
    assert threading.get_ident() not in senders  # the committing thread never sends
