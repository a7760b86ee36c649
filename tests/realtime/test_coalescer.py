"""The coalescer: the first events after a quiet window go out at once, those that follow within it are gathered."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from meeting_hub.realtime import transport


def _event(seq: int) -> tuple[int, dict[str, Any]]:
    return 7, {"seq": seq, "type": "attendance", "endpoint_id": 3}


def test_leading_events_go_out_at_once_and_followers_wait_for_the_window(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[list[int]] = []
    monkeypatch.setattr(transport, "deliver", lambda _briefing, events: sent.append([e["seq"] for e in events]))
    clock = [1000.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: clock[0])
    # A long window: its own flush never runs during the test, the test flushes by hand.
    coalescer = transport.Coalescer(window_seconds=60)

    coalescer.add([_event(1)])
    assert sent == [[1]]  # quiet before: sent at once
    clock[0] += 1
    coalescer.add([_event(3)])
    coalescer.add([_event(2)])
    assert sent == [[1]]  # within the window: gathered
    coalescer.flush()
    assert sent == [[1], [2, 3]]  # one message, in seq order
    clock[0] += 30
    coalescer.add([_event(4)])
    assert sent == [[1], [2, 3]]  # the flush just sent: still within its window
    clock[0] += 61
    coalescer.flush()
    assert sent == [[1], [2, 3], [4]]
    coalescer.add([_event(5)])
    clock[0] += 61
    coalescer.add([_event(6)])
    assert sent == [[1], [2, 3], [4]]  # 5 waits for a flush, so 6 joins it even after a long pause
    coalescer.flush()
    clock[0] += 61
    coalescer.add([_event(7)])
    assert sent == [[1], [2, 3], [4], [5, 6], [7]]
