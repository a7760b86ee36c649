"""Scenario S of bench/live.py at a reduced size: correctness only (nothing lost or doubled, dashboards converge),
for the roll-call and the poll phase after it.

Real server processes and websocket clients in separate processes, as in the benchmark; no timing is asserted, the
numbers belong to docs/performance.md. The second test serves the app the production way: gunicorn with one gevent
worker (deploy/gunicorn.conf.py), MEETING_HUB_ASYNC_MODE=gevent.
"""

from __future__ import annotations

import pytest

from bench.live import Settings, run

SMALL = {
    "endpoints": 4,
    "people": 10,
    "dashboards": 6,
    "client_procs": 2,
    "arrivals": "burst",
    "max_seconds": 60.0,
    "converge_timeout": 20.0,
    "poll_seconds": 3.0,
}


def _assert_exact(report: dict[str, object], checkins: int, dashboards: int) -> None:
    assert report["sent"] == report["acked"] == report["stored"] == checkins, report
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["dashboards_converged"] == dashboards, report
    assert report["converge_ms"] is not None, report
    assert report["duplicate_deliveries"] == 0, report


def test_reduced_scenario_s_threading_loses_and_doubles_nothing() -> None:
    report = run(Settings(scenario="S", endpoint_poll=True, **SMALL))  # type: ignore[arg-type]
    _assert_exact(report, 40, 6)
    # The poll phase: a named answer per present or late person and the counts of each endpoint, all acked.
    assert report["poll_answers_sent"] == report["poll_answers_acked"] == report["poll_stored_answers"] > 4, report
    assert (report["poll_lost"], report["poll_doubled"]) == (0, 0), report
    assert report["poll_dashboards_converged"] == 6 and report["poll_converge_ms"] is not None, report


@pytest.mark.parametrize("deflate", ["always"])
def test_gunicorn_gevent_worker_serves_the_roll_call(deflate: str) -> None:
    settings = Settings(scenario="S", server="gunicorn", async_mode="gevent", deflate=deflate, **SMALL)  # type: ignore[arg-type]
    report = run(settings)
    _assert_exact(report, 40, 6)
