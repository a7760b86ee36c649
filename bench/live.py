"""Benchmark of the live roll-call: `python bench/live.py --scenario S|L [--ceiling] [--peer node]`.

Starts its own server process(es) on 127.0.0.1 with a fresh database, creates N endpoints x M people and a live
briefing, connects N operator consoles and D dashboards (python-socketio clients spread over several processes),
runs the roll-call (Poisson arrivals, or --arrivals burst) and prints one JSON line, last: check-ins sent, acked and
stored, lost and duplicated, ack and check-in-to-dashboard latency percentiles, dashboard convergence after the last
ack, check-ins and deliveries per second, CPU and peak RSS of every process. --ceiling runs the same load against a
bare python-socketio server, --peer node against a bare Node.js socket.io server, in the same run, and reports the
ratios. See docs/performance.md for the results and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `meeting_hub` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402
from bench.clients import BIN_MS, worker_main  # noqa: E402

DEFAULT_POSTGRES = os.environ.get("MEETING_HUB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Settings:
    """One benchmark run."""

    scenario: str = "S"
    endpoints: int = 19
    people: int = 40
    dashboards: int = 50
    database: str = "sqlite"  # or postgresql
    processes: int = 1
    server: str = "run"  # or gunicorn
    async_mode: str = "threading"
    arrivals: str = "poisson"  # or burst
    rate: float = 50.0  # check-ins per second, Poisson
    client_procs: int = 2
    deflate: str = "never"  # the app's LIVE_WEBSOCKET_DEFLATE (and the bare servers' equivalent)
    client_deflate: bool = True  # clients offer permessage-deflate, as browsers do
    coalesce_ms: int | None = None
    ceiling: bool = False
    peer: str | None = None
    fault: str | None = None  # kill | redis
    fault_at: float = 0.4  # fraction of the expected roll-call time
    max_seconds: float = 300.0
    converge_timeout: float = 30.0
    seed: int = 1
    keep: bool = False
    profile: str | None = None  # a folder: py-spy samples every app process during the roll-call (raw stacks)
    # Operators' consoles send a heartbeat this often, as the real console does (LIVE_HEARTBEAT_SECONDS); 0: none.
    # Only against the app: the bare servers have no heartbeat handler.
    heartbeat_seconds: float = 15.0
    # The poll phase, after the roll-call (the app only): "named" opens a named poll every present or late person
    # answers through their operator's console within poll_seconds; endpoint_poll adds an endpoint poll, answered
    # with each endpoint's counts. "none": no poll phase.
    poll: str = "named"
    endpoint_poll: bool = False
    poll_seconds: float = 45.0
    poll_options: int = 4


SCENARIOS: dict[str, dict[str, Any]] = {
    "S": {
        "endpoints": 19,
        "people": 40,
        "dashboards": 50,
        "database": "sqlite",
        "processes": 1,
        "server": "run",
        "async_mode": "threading",
        "rate": 50.0,
        "client_procs": 2,
    },
    "L": {
        "endpoints": 1052,
        "people": 30,
        "dashboards": 200,
        "database": "postgresql",
        "processes": 2,
        "server": "gunicorn",
        "async_mode": "gevent",
        "rate": 300.0,
        "client_procs": 4,
    },
}


# Load


@dataclass
class LoadResult:
    """What the clients measured against one server (set)."""

    acks: list[tuple[Any, ...]]
    assigned: int
    errors: dict[str, int]
    unfinished_operators: int
    reconnects: int
    heartbeats: int
    histogram: Counter[int]
    deliveries: int
    first_delivery: float | None
    last_delivery: float | None
    messages: int
    event_deliveries: int
    duplicate_deliveries: int
    resyncs: int
    dashboard_reconnects: int
    reached_at: list[float | None]
    watch_ms: list[float]
    go_at: float
    client_cpu_s: list[float]
    client_wall_s: list[float]
    client_rss_mb: list[float]
    connect_s: float
    final_seq: int = 0
    poll: dict[str, Any] | None = None
    server_cpu_s: dict[str, float] = field(default_factory=dict)
    machine_cpu_pct: float = 0.0
    window_s: float = 0.0
    other_cpu_pct: float = 0.0


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


def run_load(
    urls: list[str],
    population: Any,
    settings: Settings,
    finalize: Any,
    watched: list[servers.Process],
    on_go: Any = None,
    poll_phase: Any = None,
) -> LoadResult:
    """Run the roll-call with client processes; `finalize(acks)` returns (final_seq, expected state) once acked.
    `poll_phase(workers)`, if given, runs after the roll-call has converged and returns its measures."""
    context = multiprocessing.get_context("spawn")
    procs = max(1, settings.client_procs)
    run_id = uuid.uuid4().hex[:10]
    operator_parts = _split(population.operators, procs)
    dashboard_parts = _split(population.dashboard_tokens, procs)
    workers = []
    for index in range(procs):
        parent_end, child_end = context.Pipe()
        spec = {
            "urls": urls,
            "briefing_id": population.briefing_id,
            "deflate": settings.client_deflate,
            "resync": True,
            "run_id": run_id,
            "seq_capacity": population.expected_checkins + 4096,
            "heartbeat_seconds": settings.heartbeat_seconds,
            "operators": operator_parts[index],
            "dashboards": dashboard_parts[index],
            # Sockets are spread over the servers: the i-th socket of every process starts on server i mod n.
            "index": index,
        }
        process = context.Process(target=worker_main, args=(child_end, spec), daemon=True)
        process.start()
        child_end.close()
        workers.append((process, parent_end))
    try:
        load = _drive(workers, population, settings, finalize, watched, on_go)
        if poll_phase is not None:
            load.poll = poll_phase(workers)
        return load
    finally:
        for _process, conn in workers:
            with contextlib.suppress(Exception):
                conn.send(("stop", None))
        for process, conn in workers:
            process.join(timeout=20)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()


def receive(workers: list[Any], expected: str, timeout: float) -> list[dict[str, Any]]:
    replies = []
    deadline = time.monotonic() + timeout
    for process, conn in workers:
        while not conn.poll(0.2):
            if not process.is_alive():
                raise RuntimeError(f"a client process died (exit {process.exitcode}) before '{expected}'")
            if time.monotonic() > deadline:
                raise RuntimeError(f"client processes did not report '{expected}' within {timeout:.0f} s")
        kind, payload = conn.recv()
        if kind != expected:
            raise RuntimeError(f"a client process reported {kind}: {payload}")
        replies.append(payload)
    return replies


def _drive(
    workers: list[Any], population: Any, settings: Settings, finalize: Any, watched: list[servers.Process], on_go: Any
) -> LoadResult:
    connect_started = time.monotonic()
    ready = receive(workers, "ready", 300)
    failed = sum(r["failed"] for r in ready)
    if failed:
        raise RuntimeError(f"{failed} sockets could not connect: {[r['failures'] for r in ready]}")
    connect_s = time.monotonic() - connect_started
    for process in watched:
        process.mark_cpu()
    machine_at_go = servers.machine_busy_seconds()
    go_at = time.monotonic()
    for index, (_process, conn) in enumerate(workers):
        # Each process gets an equal share of the operators and of the rate: together a Poisson process of `rate`.
        conn.send(
            (
                "go",
                {
                    "arrivals": settings.arrivals,
                    "rate": settings.rate / len(workers),
                    "seed": settings.seed * 1000 + index,
                    "max_seconds": settings.max_seconds,
                },
            )
        )
    if on_go is not None:
        on_go(go_at)
    sent = receive(workers, "sent", settings.max_seconds + 120)
    acks = [a for s in sent for a in s["acks"]]
    final_seq, expected = finalize(acks)
    send_times = array("d", bytes(8 * (max([final_seq, *[a[1] for a in acks]], default=0) + 1)))
    for _person, seq, first_send, *_rest in acks:
        if send_times[seq] == 0.0:
            send_times[seq] = first_send
    for _process, conn in workers:
        conn.send(
            (
                "final",
                {
                    "final_seq": final_seq,
                    "expected": expected,
                    "send_times": send_times,
                    "converge_timeout": settings.converge_timeout,
                },
            )
        )
    done = receive(workers, "done", settings.converge_timeout + 120)
    server_cpu = {p.name: round(p.cpu_since_mark(), 2) for p in watched if p.alive()}
    machine_busy = servers.machine_busy_seconds() - machine_at_go
    window = time.monotonic() - go_at
    client_cpu = sum(d["cpu_s"] for d in done)
    histogram: Counter[int] = Counter()
    for d in done:
        histogram.update({int(k): v for k, v in d["histogram"].items()})
    errors: Counter[str] = Counter()
    for s in sent:
        errors.update(s["errors"])
        errors.update({f"heartbeat:{code}": n for code, n in s["heartbeat_errors"].items()})
    firsts = [d["first_delivery"] for d in done if d["first_delivery"] is not None]
    lasts = [d["last_delivery"] for d in done if d["last_delivery"] is not None]
    return LoadResult(
        acks=acks,
        assigned=sum(s["assigned"] for s in sent),
        errors=dict(errors),
        unfinished_operators=sum(s["unfinished_operators"] for s in sent),
        reconnects=sum(s["reconnects"] for s in sent),
        heartbeats=sum(s["heartbeats"] for s in sent),
        histogram=histogram,
        deliveries=sum(d["deliveries"] for d in done),
        first_delivery=min(firsts) if firsts else None,
        last_delivery=max(lasts) if lasts else None,
        messages=sum(d["messages"] for d in done),
        event_deliveries=sum(d["event_deliveries"] for d in done),
        duplicate_deliveries=sum(d["duplicate_deliveries"] for d in done),
        resyncs=sum(d["resyncs"] for d in done),
        dashboard_reconnects=sum(d["dashboard_reconnects"] for d in done),
        reached_at=[t for d in done for t in d["reached_at"]],
        watch_ms=[ms for d in done for ms in d["watch_ms"]],
        go_at=go_at,
        client_cpu_s=[round(d["cpu_s"], 2) for d in done],
        client_wall_s=[round(d["wall_s"], 2) for d in done],
        client_rss_mb=[round(d["maxrss_kb"] / 1024, 1) for d in done],
        connect_s=round(connect_s, 2),
        final_seq=final_seq,
        server_cpu_s=server_cpu,
        machine_cpu_pct=round(100 * machine_busy / window, 1),
        window_s=round(window, 2),
        # Busy time of the machine that is neither the servers' nor the clients' (other jobs, the database, redis).
        other_cpu_pct=round(100 * (machine_busy - sum(server_cpu.values()) - client_cpu) / window, 1),
    )


# Measures


def _percentile(histogram: Counter[int], fraction: float) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = fraction * total, 0
    for bin_index in sorted(histogram):
        seen += histogram[bin_index]
        if seen >= rank:
            return round((bin_index + 1) * BIN_MS, 1)
    return None


def _list_percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def summarize(load: LoadResult, dashboards: int) -> dict[str, Any]:
    """Turn what the clients measured into the report's numbers."""
    acks = load.acks
    ack_ms = [(a[4] - a[3]) * 1000 for a in acks]
    last_ack = max((a[4] for a in acks), default=load.go_at)
    first_send = min((a[2] for a in acks), default=load.go_at)
    reached = [t for t in load.reached_at if t is not None]
    converged = len(reached) == len(load.reached_at) and len(reached) == dashboards
    window = (load.last_delivery - first_send) if load.last_delivery else None
    return {
        "acked": len(acks),
        "replayed_acks": sum(1 for a in acks if a[5]),
        "retried_checkins": sum(1 for a in acks if a[6] > 1),
        "client_errors": load.errors,
        "ack_p50_ms": _list_percentile(ack_ms, 0.50),
        "ack_p95_ms": _list_percentile(ack_ms, 0.95),
        "ack_p99_ms": _list_percentile(ack_ms, 0.99),
        "dashboard_p50_ms": _percentile(load.histogram, 0.50),
        "dashboard_p95_ms": _percentile(load.histogram, 0.95),
        "dashboard_p99_ms": _percentile(load.histogram, 0.99),
        "dashboards_converged": len(reached),
        "converge_ms": round(max(0.0, max(reached) - last_ack) * 1000, 1) if converged else None,
        "checkins_per_s": round(len(acks) / (last_ack - first_send), 1)
        if len(acks) > 1 and last_ack > first_send
        else None,
        "deliveries": load.deliveries,
        "deliveries_per_s": round(load.deliveries / window, 1) if window else None,
        "messages_to_dashboards": load.messages,
        "events_per_message": round(load.event_deliveries / load.messages, 2) if load.messages else None,
        "duplicate_deliveries": load.duplicate_deliveries,
        "dashboard_resyncs": load.resyncs,
        "operator_reconnects": load.reconnects,
        "heartbeats_acked": load.heartbeats,
        "dashboard_reconnects": load.dashboard_reconnects,
        "watch_p50_ms": _list_percentile(load.watch_ms, 0.5),
        "connect_s": load.connect_s,
        "roll_call_s": round(last_ack - first_send, 2),
        "server_cpu_s": load.server_cpu_s,
        "server_cpu_pct": {name: round(100 * cpu / load.window_s, 1) for name, cpu in load.server_cpu_s.items()}
        if load.window_s
        else {},
        "machine_cpu_pct": load.machine_cpu_pct,
        "other_cpu_pct": load.other_cpu_pct,
        "client_cpu_s": load.client_cpu_s,
        "client_cpu_pct": [
            round(100 * c / w, 1) for c, w in zip(load.client_cpu_s, load.client_wall_s, strict=True) if w
        ],
        "client_peak_rss_mb": load.client_rss_mb,
    }


# The app


def _create_postgres_database(admin_url: str) -> tuple[str, Any]:
    import sqlalchemy as sa

    name = f"mh_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}", (engine, name)


def _drop_postgres_database(handle: Any) -> None:
    import sqlalchemy as sa

    engine, name = handle
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@dataclass
class Tally:
    """The exact count, per person, of what the database holds after a run."""

    #: person -> attendance events logged for them
    events: Counter[int]
    #: person -> seq of their attendance record
    records: dict[int, int]
    #: person -> client operations remembered for them (each bench person is sent one operation)
    operations: Counter[int]
    #: attendance events that no remembered operation produced
    events_without_operation: int

    def lost(self, acked: dict[int, int]) -> list[int]:
        """Return the people whose acked seq is not what their record holds."""
        return sorted(person for person, seq in acked.items() if self.records.get(person) != seq)

    def duplicated(self) -> dict[int, int]:
        """Return person -> events beyond one per operation (a check-in written twice)."""
        extra = {person: count - self.operations.get(person, 0) for person, count in self.events.items()}
        return {person: n for person, n in sorted(extra.items()) if n > 0}


class Verifier:
    """Reads the truth from the database: the stored check-ins, the last seq, doubles."""

    def __init__(self, database_url: str) -> None:
        from meeting_hub import create_app

        self.app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "LIVE_COALESCE_MS": 0})

    def state(self, briefing_id: int) -> tuple[int, dict[int, str], dict[int, int], int]:
        """Return (last seq, person -> status, person -> record seq, attendance events logged)."""
        import sqlalchemy as sa

        from meeting_hub.attendance.models import AttendanceRecord
        from meeting_hub.event_log import log
        from meeting_hub.event_log.models import BriefingEvent
        from meeting_hub.extensions import db

        with self.app.app_context():
            seq = log.current_seq(briefing_id)
            rows = db.session.execute(
                sa.select(AttendanceRecord.person_id, AttendanceRecord.status, AttendanceRecord.seq).where(
                    AttendanceRecord.briefing_id == briefing_id
                )
            ).all()
            events = db.session.scalar(
                sa.select(sa.func.count(BriefingEvent.id)).where(
                    BriefingEvent.briefing_id == briefing_id, BriefingEvent.type == "attendance"
                )
            )
            db.session.rollback()
            db.session.remove()
        return (
            seq,
            {p: str(s.value if hasattr(s, "value") else s) for p, s, _ in rows},
            {p: q for p, _, q in rows},
            int(events or 0),
        )

    def tally(self, briefing_id: int) -> Tally:
        """Count, per person, the attendance events, the record and the operations remembered, in one snapshot.

        Call it once every writer has stopped: then no late write can fall between two reads, and each figure is
        exact rather than a difference of two counts taken at different moments.
        """
        import sqlalchemy as sa

        from meeting_hub.attendance.models import AttendanceRecord
        from meeting_hub.event_log.models import BriefingEvent, ClientOperation
        from meeting_hub.extensions import db

        with self.app.app_context():
            options = {"isolation_level": "REPEATABLE READ"} if db.engine.dialect.name == "postgresql" else {}
            connection = db.session.connection(execution_options=options)
            events: Counter[int] = Counter()
            event_seqs: dict[int, int] = {}
            for seq, payload in connection.execute(
                sa.select(BriefingEvent.seq, BriefingEvent.payload).where(
                    BriefingEvent.briefing_id == briefing_id, BriefingEvent.type == "attendance"
                )
            ):
                person = int(json.loads(payload)["person_id"])
                events[person] += 1
                event_seqs[seq] = person
            records = dict(
                connection.execute(
                    sa.select(AttendanceRecord.person_id, AttendanceRecord.seq).where(
                        AttendanceRecord.briefing_id == briefing_id
                    )
                ).all()
            )
            operations: Counter[int] = Counter()
            operation_seqs: set[int] = set()
            for (result,) in connection.execute(sa.select(ClientOperation.result)):
                try:
                    answer = json.loads(result or "{}")
                    seq, person = int(answer["seq"]), int(answer["record"]["person_id"])
                except (ValueError, KeyError, TypeError):
                    continue  # another kind of operation (an issue, a heartbeat)
                if event_seqs.get(seq) == person:
                    operations[person] += 1
                    operation_seqs.add(seq)
            db.session.rollback()
            db.session.remove()
        return Tally(events, records, operations, len(event_seqs.keys() - operation_seqs))

    def poll_tallies(self, briefing_id: int, poll_ids: list[int]) -> tuple[int, list[tuple[int, int, int, list[int]]]]:
        """Return the last seq and, per poll and endpoint with answers, (poll, endpoint, answered, counts)."""
        from meeting_hub.event_log import log
        from meeting_hub.extensions import db
        from meeting_hub.polls import services
        from meeting_hub.polls.models import Poll

        with self.app.app_context():
            seq = log.current_seq(briefing_id)
            tallies = []
            for poll_id in poll_ids:
                poll = db.session.get(Poll, poll_id)
                assert poll is not None
                for row in services.poll_results(poll)["by_endpoint"]:
                    if row["answered"] or any(row["counts"]):
                        tallies.append((poll_id, row["endpoint_id"], row["answered"], row["counts"]))
            db.session.rollback()
            db.session.remove()
        return seq, tallies

    def poll_check(self, briefing_id: int, named_id: int, endpoint_id: int | None, acks: list[Any]) -> dict[str, Any]:
        """Compare the acked answers with the database, in one snapshot once every writer has stopped.

        lost: an acked answer the database does not hold as sent (a named ballot missing or with other choices, an
        endpoint's counts not those sent). doubled: "answered" events beyond one per person (per endpoint for the
        endpoint poll), each being sent one answer under one client_op_id.
        """
        import sqlalchemy as sa

        from meeting_hub.event_log.models import BriefingEvent
        from meeting_hub.extensions import db
        from meeting_hub.polls.models import PollBallot, PollEndpointReport

        acked_people = {a[1]: a[3] for a in acks if a[0] == named_id}
        acked_endpoints = {a[2]: a[4] for a in acks if endpoint_id is not None and a[0] == endpoint_id}
        with self.app.app_context():
            options = {"isolation_level": "REPEATABLE READ"} if db.engine.dialect.name == "postgresql" else {}
            connection = db.session.connection(execution_options=options)
            ballots = dict(
                connection.execute(
                    sa.select(PollBallot.person_id, PollBallot.choices).where(PollBallot.poll_id == named_id)
                ).all()
            )
            reports = {}
            if endpoint_id is not None:
                reports = dict(
                    connection.execute(
                        sa.select(PollEndpointReport.endpoint_id, PollEndpointReport.counts).where(
                            PollEndpointReport.poll_id == endpoint_id
                        )
                    ).all()
                )
            events: Counter[tuple[int, int]] = Counter()
            for (payload,) in connection.execute(
                sa.select(BriefingEvent.payload).where(
                    BriefingEvent.briefing_id == briefing_id, BriefingEvent.type == "poll"
                )
            ):
                event = json.loads(payload)
                if event.get("action") != "answered":
                    continue
                if event["poll_id"] == named_id:
                    events[(named_id, int(event["person_id"]))] += 1
                else:
                    events[(int(event["poll_id"]), -int(event["endpoint_id"]))] += 1
            db.session.rollback()
            db.session.remove()
        lost = [p for p, choices in acked_people.items() if list(ballots.get(p, ())) != sorted(choices)]
        lost += [-e for e, counts in acked_endpoints.items() if list(reports.get(e, ())) != list(counts)]
        # Each person (each endpoint) is sent one answer with one client_op_id: a second event is a double write.
        doubled = sum(n - 1 for n in events.values() if n > 1)
        # Stored although no ack came back (the ack was lost, or the console gave up): not a double, but reported.
        unacked = len(ballots.keys() - acked_people.keys()) + len(reports.keys() - acked_endpoints.keys())
        return {
            "poll_lost": len(lost),
            "poll_doubled": doubled,
            "poll_stored_unacked": unacked,
            "poll_lost_examples": lost[:10],
            "poll_stored_answers": len(ballots) + len(reports),
        }

    def close(self) -> None:
        from meeting_hub.extensions import db

        with self.app.app_context():
            db.engine.dispose()


def _snapshot_ms(url: str, briefing_id: int, token: str, times: int = 5) -> tuple[float | None, int]:
    samples, size = [], 0
    for _ in range(times):
        started = time.monotonic()
        status, body = servers.get(
            f"{url}/api/v1/briefings/{briefing_id}/attendance", timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        if status == 200:
            samples.append((time.monotonic() - started) * 1000)
            size = len(body)
    return (round(statistics.median(samples), 1) if samples else None), size


def _fault_thread(
    settings: Settings,
    apps: list[servers.Process],
    redis: servers.Process | None,
    workdir: Path,
    report: dict[str, Any],
    total_s: float,
) -> Any:
    """Return an on_go callback that injects the fault at fault_at of the expected roll-call time."""

    def inject(go_at: float) -> None:
        time.sleep(max(0.0, go_at + settings.fault_at * total_s - time.monotonic()))
        if settings.fault == "kill":
            victim = apps[-1]
            report["killed"] = victim.name
            report["killed_at_s"] = round(time.monotonic() - go_at, 2)
            victim.kill9()
        elif settings.fault == "redis" and redis is not None:
            port = redis.extra["port"]
            report["redis_stopped_at_s"] = round(time.monotonic() - go_at, 2)
            redis.kill9()
            seen: Counter[str] = Counter()
            stopped = time.monotonic()
            while time.monotonic() - stopped < 10.0:
                for app in apps:
                    status, body = servers.get(f"{app.url}/healthz", timeout=3)
                    with contextlib.suppress(ValueError):
                        seen[f"{status} {json.loads(body).get('status')}"] += 1
                time.sleep(0.5)
            report["healthz_while_redis_down"] = dict(seen)
            report["redis_restarted_at_s"] = round(time.monotonic() - go_at, 2)
            report["redis_process"] = servers.start_redis(workdir, port)
            after: Counter[str] = Counter()
            for app in apps:
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    status, body = servers.get(f"{app.url}/healthz", timeout=3)
                    if status == 200:
                        break
                    time.sleep(0.2)
                after[f"{status}"] += 1
            report["healthz_after_redis_back"] = dict(after)

    def on_go(go_at: float) -> None:
        thread = threading.Thread(target=inject, args=(go_at,), daemon=True)
        thread.start()
        report["thread"] = thread

    return on_go


def run_app(settings: Settings, workdir: Path) -> dict[str, Any]:
    """Measure the app itself: setup, servers, load, verification."""
    from bench.population import populate

    cleanup: list[Any] = []
    redis: servers.Process | None = None
    fault_report: dict[str, Any] = {}
    try:
        redis_url = None
        if settings.processes > 1 or settings.fault == "redis":
            redis = servers.start_redis(workdir)
            cleanup.append(redis.stop)
            redis_url = redis.url
        if settings.database == "postgresql":
            database_url, handle = _create_postgres_database(DEFAULT_POSTGRES)
            cleanup.append(lambda: _drop_postgres_database(handle))
        else:
            database_url = f"sqlite:///{workdir / 'bench.db'}"
        env = servers.app_env(workdir, database_url, settings.async_mode, redis_url, settings.deflate)
        if settings.coalesce_ms is not None:
            env["MEETING_HUB_LIVE_COALESCE_MS"] = str(settings.coalesce_ms)
        started = time.monotonic()
        servers.run_cli(["db", "upgrade"], env, workdir)
        population = populate(database_url, settings.endpoints, settings.people, settings.dashboards)
        setup_s = time.monotonic() - started

        apps = [servers.start_app(f"app-{i}", settings.server, env, workdir) for i in range(settings.processes)]
        cleanup.extend(app.stop for app in apps)
        for app in apps:
            servers.wait_healthy(app)
        verifier = Verifier(database_url)
        cleanup.append(verifier.close)
        empty_snapshot_ms, _size = _snapshot_ms(apps[0].url, population.briefing_id, population.organizer_token)

        def finalize(acks: list[tuple[Any, ...]]) -> tuple[int, dict[int, str]]:
            thread = fault_report.get("thread")
            if thread is not None:
                thread.join(timeout=60)
            seq, records, _seqs, _events = verifier.state(population.briefing_id)
            return seq, records

        poll_phase = None
        polls: dict[str, Any] = {}
        if settings.poll != "none":

            def poll_phase(workers: list[Any]) -> dict[str, Any]:
                return _run_poll_phase(workers, settings, apps, population, verifier, polls)

        expected_s = population.expected_checkins / settings.rate if settings.arrivals == "poisson" else 10.0
        on_go = _fault_thread(settings, apps, redis, workdir, fault_report, expected_s) if settings.fault else None
        profilers = [servers.start_profiler(app, Path(settings.profile)) for app in apps] if settings.profile else []
        try:
            load = run_load([a.url for a in apps], population, settings, finalize, apps, on_go, poll_phase)
        finally:
            for profiler in profilers:
                servers.stop_profiler(profiler)
        alive = [a for a in apps if a.alive()]
        full_snapshot_ms, snapshot_bytes = _snapshot_ms(
            alive[0].url, population.briefing_id, population.organizer_token
        )
        peak_rss = {a.name: servers.peak_rss_mb(a.popen.pid) for a in alive}

        # Every writer stops before the count: a late commit can no longer fall between two reads.
        for app in apps:
            app.stop()
        seq, records, _record_seqs, _events = verifier.state(population.briefing_id)
        tally = verifier.tally(population.briefing_id)
        acked_people = {a[0]: a[1] for a in load.acks}
        lost, duplicated = tally.lost(acked_people), tally.duplicated()
        result = summarize(load, settings.dashboards)
        result.update(
            sent=load.assigned,
            stored=len(records),
            lost=len(lost),
            duplicated=sum(duplicated.values()),
            # Examples, to look up in the event log when either is not 0.
            lost_people=lost[:10],
            duplicated_people=list(duplicated)[:10],
            events_without_operation=tally.events_without_operation,
            final_seq=seq,
            snapshot_empty_ms=empty_snapshot_ms,
            snapshot_full_ms=full_snapshot_ms,
            snapshot_full_bytes=snapshot_bytes,
            setup_s=round(setup_s, 1),
            server_peak_rss_mb=peak_rss,
        )
        if load.poll is not None:
            measures = load.poll
            result.update(_poll_summary(measures))
            result.update(
                verifier.poll_check(
                    population.briefing_id, polls["named_id"], polls.get("endpoint_id"), measures["acks"]
                )
            )
        if settings.fault:
            fault_report.pop("thread", None)
            restarted = fault_report.pop("redis_process", None)
            if restarted is not None:
                cleanup.append(restarted.stop)
            result["fault"] = {"kind": settings.fault, **fault_report}
        return result
    finally:
        for step in reversed(cleanup):
            with contextlib.suppress(Exception):
                step()


def _open_poll(url: str, briefing_id: int, token: str, kind: str, options: int) -> int:
    """Create and open a poll as the organizer, through the REST API as the briefing page does; return its id."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "question": f"Câu hỏi thăm dò ({kind})",
        "options": [f"Phương án {index + 1}" for index in range(options)],
        "kind": kind,
    }
    status, created = servers.post_json(f"{url}/api/v1/briefings/{briefing_id}/polls", body, headers)
    if status != 201:
        raise RuntimeError(f"creating the {kind} poll answered {status}: {created}")
    status, opened = servers.post_json(f"{url}/api/v1/polls/{created['id']}/open", {}, headers)
    if status != 200:
        raise RuntimeError(f"opening the {kind} poll answered {status}: {opened}")
    return int(created["id"])


def _run_poll_phase(
    workers: list[Any],
    settings: Settings,
    apps: list[servers.Process],
    population: Any,
    verifier: Verifier,
    polls: dict[str, Any],
) -> dict[str, Any]:
    """After the roll-call: open the polls, have every present or late person answered within the window while the
    dashboards watch, then wait for the dashboards' tallies to equal the database's."""
    url = apps[0].url
    for app in apps:
        app.mark_cpu()
    machine_at_start = servers.machine_busy_seconds()
    polls["named_id"] = _open_poll(
        url, population.briefing_id, population.organizer_token, "named", settings.poll_options
    )
    if settings.endpoint_poll:
        polls["endpoint_id"] = _open_poll(
            url, population.briefing_id, population.organizer_token, "endpoint", settings.poll_options
        )
    started = time.monotonic()
    for index, (_process, conn) in enumerate(workers):
        conn.send(
            (
                "poll",
                {
                    **polls,
                    "options": settings.poll_options,
                    "spread_s": settings.poll_seconds,
                    "seed": settings.seed * 1000 + 500 + index,
                    "max_seconds": settings.poll_seconds + settings.max_seconds,
                },
            )
        )
    sent = receive(workers, "poll_sent", 2 * settings.poll_seconds + settings.max_seconds + 120)
    sent_s = time.monotonic() - started
    acks = [tuple(a) for s in sent for a in s["acks"]]
    final_seq, tallies = verifier.poll_tallies(population.briefing_id, list(polls.values()))
    for _process, conn in workers:
        conn.send(
            ("poll_final", {"final_seq": final_seq, "tallies": tallies, "converge_timeout": settings.converge_timeout})
        )
    done = receive(workers, "poll_done", settings.converge_timeout + 120)
    window = time.monotonic() - started
    server_cpu = sum(app.cpu_since_mark() for app in apps if app.alive())
    machine_busy = servers.machine_busy_seconds() - machine_at_start
    errors: Counter[str] = Counter()
    for s in sent:
        errors.update(s["errors"])
    return {
        "acks": acks,
        "assigned": sum(s["assigned"] for s in sent),
        "errors": dict(errors),
        "unfinished_operators": sum(s["unfinished_operators"] for s in sent),
        "reached_at": [t for d in done for t in d["reached_at"]],
        "resyncs": sum(d["resyncs"] for d in done),
        "sent_s": round(sent_s, 2),
        "server_cpu_pct": round(100 * server_cpu / window, 1),
        # The servers', the clients' and everything else's (other jobs on the machine, the database, redis).
        "machine_cpu_pct": round(100 * machine_busy / window, 1),
    }


def _poll_summary(measures: dict[str, Any]) -> dict[str, Any]:
    """Turn the poll phase's measures into the report's numbers (PollAck tuples: see bench/clients.py)."""
    acks = measures["acks"]
    # (poll_id, person_id, endpoint_id, choices, counts, seq, first_send, acked_at, replayed, attempts)
    ack_ms = [(a[7] - a[6]) * 1000 for a in acks]
    first_send = min((a[6] for a in acks), default=0.0)
    last_ack = max((a[7] for a in acks), default=0.0)
    reached = [t for t in measures["reached_at"] if t is not None]
    converged = bool(reached) and len(reached) == len(measures["reached_at"])
    return {
        "poll_answers_sent": measures["assigned"],
        "poll_answers_acked": len(acks),
        "poll_replayed_acks": sum(1 for a in acks if a[8]),
        "poll_client_errors": measures["errors"],
        "poll_unfinished_operators": measures["unfinished_operators"],
        "poll_ack_p50_ms": _list_percentile(ack_ms, 0.50),
        "poll_ack_p95_ms": _list_percentile(ack_ms, 0.95),
        "poll_ack_p99_ms": _list_percentile(ack_ms, 0.99),
        "poll_answering_s": round(last_ack - first_send, 2) if acks else None,
        "poll_answers_per_s": round(len(acks) / (last_ack - first_send), 1) if len(acks) > 1 else None,
        "poll_dashboards_converged": len(reached),
        "poll_converge_ms": round(max(0.0, max(reached) - last_ack) * 1000, 1) if converged else None,
        "poll_dashboard_resyncs": measures["resyncs"],
        "poll_server_cpu_pct": measures["server_cpu_pct"],
        "poll_machine_cpu_pct": measures["machine_cpu_pct"],
    }


def run_bare(kind: str, settings: Settings, workdir: Path) -> dict[str, Any]:
    """Measure a bare server (python-socketio ceiling or Node peer) under the same load."""
    from bench.population import Population

    process = (
        servers.start_ceiling(settings.async_mode, settings.deflate, workdir)
        if kind == "ceiling"
        else servers.start_peer(settings.deflate, workdir)
    )
    try:
        servers.wait_healthy(process)
        people = iter(range(1, settings.endpoints * settings.people + 1))
        population = Population(
            briefing_id=1,
            operators=[
                {
                    "token": "bare",
                    "endpoint_id": e,
                    "people": [(p, "present") for p in (next(people) for _ in range(settings.people))],
                }
                for e in range(1, settings.endpoints + 1)
            ],
            dashboard_tokens=["bare"] * settings.dashboards,
            organizer_token="bare",
            expected_checkins=settings.endpoints * settings.people,
        )

        def finalize(acks: list[tuple[Any, ...]]) -> tuple[int, dict[int, str]]:
            return max((a[1] for a in acks), default=0), {a[0]: "present" for a in acks}

        load = run_load(
            [process.url], population, dataclasses.replace(settings, heartbeat_seconds=0), finalize, [process]
        )
        result = summarize(load, settings.dashboards)
        result["server_peak_rss_mb"] = {process.name: servers.peak_rss_mb(process.popen.pid)}
        return result
    finally:
        process.stop()


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 3) if ours and theirs else None


def _progress(name: str, result: dict[str, Any]) -> None:
    keys = (
        "acked",
        "lost",
        "duplicated",
        "ack_p99_ms",
        "dashboard_p99_ms",
        "converge_ms",
        "checkins_per_s",
        "deliveries_per_s",
        "server_cpu_pct",
        "client_cpu_pct",
        "other_cpu_pct",
    )
    print(f"[{name}] " + json.dumps({k: result.get(k) for k in keys}), file=sys.stderr, flush=True)


def run(settings: Settings) -> dict[str, Any]:
    """Run the benchmark and return the report (what the JSON line prints)."""
    workdir = Path(tempfile.mkdtemp(prefix="mh-bench-"))
    try:
        report: dict[str, Any] = {"settings": {k: v for k, v in asdict(settings).items() if k != "keep"}}
        report.update(run_app(settings, workdir))
        _progress("app", report)
        report["ceiling"] = run_bare("ceiling", settings, workdir) if settings.ceiling else None
        report["peer"] = run_bare("peer", settings, workdir) if settings.peer == "node" else None
        for name in ("ceiling", "peer"):
            if report[name]:
                _progress(name, report[name])
        report["ceiling_ratio"] = (
            _ratio(report["deliveries_per_s"], report["ceiling"]["deliveries_per_s"]) if report["ceiling"] else None
        )
        report["peer_ratio"] = (
            _ratio(report["deliveries_per_s"], report["peer"]["deliveries_per_s"]) if report["peer"] else None
        )
        return report
    finally:
        if settings.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> Settings:
    """Read the command line into Settings (scenario defaults first, then explicit options)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="S")
    parser.add_argument(
        "--ceiling", action="store_true", help="also run the load against a bare python-socketio server"
    )
    parser.add_argument("--peer", choices=["node"], help="also run the load against a bare Node.js socket.io server")
    parser.add_argument("--async-mode", choices=["threading", "gevent"])
    parser.add_argument("--server", choices=["run", "gunicorn"])
    parser.add_argument("--processes", type=int)
    parser.add_argument("--database", choices=["sqlite", "postgresql"])
    parser.add_argument("--endpoints", type=int)
    parser.add_argument("--people", type=int)
    parser.add_argument("--dashboards", type=int)
    parser.add_argument("--arrivals", choices=["poisson", "burst"])
    parser.add_argument("--rate", type=float, help="Poisson arrivals: check-ins per second in total")
    parser.add_argument("--client-procs", type=int)
    parser.add_argument(
        "--deflate",
        choices=["never", "on-request", "always"],
        help="the server's permessage-deflate policy (clients always offer it)",
    )
    parser.add_argument("--no-client-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--coalesce-ms", type=int)
    parser.add_argument("--fault", choices=["kill", "redis"])
    parser.add_argument("--fault-at", type=float)
    parser.add_argument("--max-seconds", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--heartbeat-seconds", type=float, help="operator heartbeat period (default 15; 0: none)")
    parser.add_argument(
        "--poll", choices=["named", "none"], help="the poll phase after the roll-call (default named; none: skip it)"
    )
    parser.add_argument("--endpoint-poll", action="store_true", help="also open an endpoint poll in the poll phase")
    parser.add_argument("--poll-seconds", type=float, help="window over which the answers are sent (default 45)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, SQLite file)")
    parser.add_argument("--profile", metavar="DIR", help="sample the app processes with py-spy into DIR")
    args = parser.parse_args(argv)
    values: dict[str, Any] = {"scenario": args.scenario, **SCENARIOS[args.scenario]}
    for name in (
        "ceiling",
        "peer",
        "async_mode",
        "server",
        "processes",
        "database",
        "endpoints",
        "people",
        "dashboards",
        "arrivals",
        "rate",
        "client_procs",
        "deflate",
        "coalesce_ms",
        "fault",
        "fault_at",
        "max_seconds",
        "seed",
        "keep",
        "profile",
        "heartbeat_seconds",
        "poll",
        "endpoint_poll",
        "poll_seconds",
    ):
        value = getattr(args, name)
        if value is not None and value is not False:
            values[name] = value
    if args.no_client_deflate:
        values["client_deflate"] = False
    if values.get("fault") == "kill" and values["processes"] < 2:
        parser.error("--fault kill needs two server processes (--processes 2)")
    return Settings(**values)


def main(argv: list[str] | None = None) -> int:
    """Run from the command line; the JSON report is the last line printed."""
    os.environ.pop("MEETING_HUB_ASYNC_MODE", None)  # the harness itself never runs under gevent
    settings = parse_args(argv)
    report = run(settings)
    print(json.dumps(report, ensure_ascii=False, default=str), flush=True)
    clean = report["lost"] == 0 and report["duplicated"] == 0
    clean = clean and report.get("poll_lost", 0) == 0 and report.get("poll_doubled", 0) == 0
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
