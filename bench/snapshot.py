"""Benchmark of the attendance snapshot: `python bench/snapshot.py [--database-url URL] [--records N]`.

Builds an L-sized network in a fresh database (PostgreSQL `mh_bench_*`, dropped afterwards, or a temporary SQLite
file with `--database-url sqlite`), the same way bench/live.py does (bench/population.py), then writes N attendance
records as a roll-call would have left them: one "attendance" event per record plus a correction for some, the
briefing's seq at the last event, and a link row per endpoint (operators send heartbeats). It then times, in
process (no server, no network):

- `GET /api/v1/briefings/{id}/attendance` as an organizer (the whole briefing) through Flask's test client;
- the same GET as operators (their endpoint only), round-robin over the endpoints;
- `attendance_snapshot()` alone, whole and for one endpoint, each in a fresh session;
- what json.dumps would take for the same snapshot, and deflate (zlib levels 1 and 6, as a gzipping proxy) on the
  full body;

and prints one JSON line, last: medians in ms, body size, statements per call.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `meeting_hub` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402
from bench.live import DEFAULT_POSTGRES, _create_postgres_database, _drop_postgres_database  # noqa: E402
from bench.population import STATUSES, Population, populate  # noqa: E402

#: One record in this many is corrected later (a second event; the record keeps the last seq).
CORRECTION_EVERY = 40


def fill_roll_call(app: Any, population: Population, records: int, seed: int) -> int:
    """Write `records` attendance records, their events, the seq and a link per endpoint; return the last seq."""
    import sqlalchemy as sa

    from meeting_hub.accounts.models import User
    from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, CheckInVia, EndpointLink, LinkStatus
    from meeting_hub.database import utcnow
    from meeting_hub.event_log import log
    from meeting_hub.event_log.models import BriefingEvent, BriefingSequence
    from meeting_hub.extensions import db

    briefing_id = population.briefing_id
    people = [(p, op["endpoint_id"]) for op in population.operators for p, _status in op["people"]]
    chosen = random.Random(seed).sample(people, min(records, len(people)))
    with app.app_context():
        operator_of = dict(db.session.execute(sa.select(User.endpoint_id, User.username)).all())
        operator_id = dict(db.session.execute(sa.select(User.endpoint_id, User.id)).all())
        seq = log.current_seq(briefing_id)
        now = utcnow()
        start = now - timedelta(minutes=len(chosen) // 300 + 1)
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []

        def event(record: dict[str, Any]) -> None:
            payload = {
                "seq": record["seq"],
                "type": "attendance",
                "briefing_id": briefing_id,
                "person_id": record["person_id"],
                "endpoint_id": record["endpoint_id"],
                "status": record["status"].value,
                "note": record["note"],
                "substitute_name": record["substitute_name"],
                "recorded_at": record["recorded_at"].isoformat(),
                "recorded_by": operator_of[record["endpoint_id"]],
                "via": record["via"].value,
            }
            events.append(
                {
                    "briefing_id": briefing_id,
                    "seq": record["seq"],
                    "type": "attendance",
                    "payload": json.dumps(payload, ensure_ascii=False),
                    "created_at": record["recorded_at"],
                }
            )

        for i, (person_id, endpoint_id) in enumerate(chosen):
            seq += 1
            status = AttendanceStatus(STATUSES[person_id % len(STATUSES)])
            record = {
                "briefing_id": briefing_id,
                "person_id": person_id,
                "endpoint_id": endpoint_id,
                "status": status,
                "note": "Đi công tác, báo trước" if status == AttendanceStatus.EXCUSED else "",
                "substitute_name": "Phó bí thư dự thay" if i % 25 == 0 and status == AttendanceStatus.PRESENT else "",
                "via": CheckInVia.OPERATOR,
                "recorded_at": start + timedelta(milliseconds=3 * i),
                "recorded_by_id": operator_id[endpoint_id],
                "seq": seq,
            }
            event(record)
            rows.append(record)
        for i, record in enumerate(rows):
            if i % CORRECTION_EVERY == 0:
                seq += 1
                record.update(status=AttendanceStatus.LATE, substitute_name="", seq=seq, recorded_at=now)
                event(record)
        for chunk in range(0, len(rows), 5000):
            db.session.execute(sa.insert(AttendanceRecord), rows[chunk : chunk + 5000])
        for chunk in range(0, len(events), 5000):
            db.session.execute(sa.insert(BriefingEvent), events[chunk : chunk + 5000])
        db.session.execute(
            sa.insert(EndpointLink),
            [
                {
                    "briefing_id": briefing_id,
                    "endpoint_id": op["endpoint_id"],
                    "status": LinkStatus.DEGRADED if n % 17 == 0 else LinkStatus.CONNECTED,
                    "last_seen_at": now - timedelta(seconds=n % 10),
                    "last_presence_event_at": now,
                }
                for n, op in enumerate(population.operators)
            ],
        )
        db.session.execute(
            sa.update(BriefingSequence).where(BriefingSequence.briefing_id == briefing_id).values(last_seq=seq)
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE"))  # as autovacuum would soon after a roll-call
        db.session.remove()
    return seq


class StatementCounter:
    """Count the SQL statements the app's engine runs."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1


def median_ms(action: Callable[[int], Any], runs: int) -> float:
    """Run action(i) once to warm up, then `runs` times; return the median wall time in ms."""
    action(-1)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def measure(app: Any, population: Population, runs: int, profile: str | None) -> dict[str, Any]:
    """Time the snapshot through the API and alone; return the figures."""
    from meeting_hub.attendance.snapshot import attendance_snapshot
    from meeting_hub.extensions import db
    from meeting_hub.scheduling.models import Briefing

    url = f"/api/v1/briefings/{population.briefing_id}/attendance"
    client = app.test_client()
    organizer = {"Authorization": f"Bearer {population.organizer_token}"}
    operators = population.operators
    with app.app_context():
        counter = StatementCounter(db.engine)
    body = b""

    def full_get(_i: int) -> None:
        nonlocal body
        response = client.get(url, headers=organizer)
        assert response.status_code == 200, response.data[:500]
        body = response.data

    def endpoint_get(i: int) -> None:
        operator = operators[(i * 37) % len(operators)]
        response = client.get(url, headers={"Authorization": f"Bearer {operator['token']}"})
        assert response.status_code == 200, response.data[:500]
        assert [e["endpoint_id"] for e in response.json["endpoints"]] == [operator["endpoint_id"]]

    def snapshot_alone(only_endpoint: int | None) -> dict[str, Any]:
        with app.app_context():
            briefing = db.session.get(Briefing, population.briefing_id)
            assert briefing is not None
            counter.count = 0
            result = attendance_snapshot(briefing, only_endpoint)
            db.session.remove()
        return result

    figures: dict[str, Any] = {
        "full_get_ms": median_ms(full_get, runs),
        "endpoint_get_ms": median_ms(endpoint_get, runs * 4),
        "snapshot_full_ms": median_ms(lambda _i: snapshot_alone(None), runs),
        "snapshot_endpoint_ms": median_ms(
            lambda i: snapshot_alone(operators[(i * 37) % len(operators)]["endpoint_id"]), runs * 4
        ),
    }
    snapshot = snapshot_alone(None)
    figures["statements_full"] = counter.count
    snapshot_alone(operators[0]["endpoint_id"])
    figures["statements_endpoint"] = counter.count
    document = json.loads(body)
    assert document == json.loads(json.dumps(snapshot)), "the API body differs from attendance_snapshot()"
    figures.update(
        body_bytes=len(body),
        endpoints=len(document["endpoints"]),
        records=len(document["records"]),
        seq=document["seq"],
        json_dumps_ms=median_ms(lambda _i: json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")), runs),
        # What gzip at a proxy would cost (nginx's default level is 1); the app itself compresses no HTTP body.
        deflate_1_ms=median_ms(lambda _i: zlib.compress(body, 1), runs),
        deflate_6_ms=median_ms(lambda _i: zlib.compress(body, 6), runs),
        deflated_1_bytes=len(zlib.compress(body, 1)),
        deflated_6_bytes=len(zlib.compress(body, 6)),
    )
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            full_get(0)
        profiler.disable()
        profiler.dump_stats(profile)
    return figures


def run(database_url: str, endpoints: int, people: int, records: int, runs: int, profile: str | None) -> dict[str, Any]:
    """Build the database, fill the roll-call, measure, clean up; return the report."""
    from meeting_hub import create_app
    from meeting_hub.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="mh-snapshot-"))
    cleanup: list[Callable[[], None]] = [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    try:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            url, handle = _create_postgres_database(database_url)
            cleanup.append(lambda: _drop_postgres_database(handle))
        env = servers.app_env(workdir, url, "threading", None, "never")
        os.environ["MEETING_HUB_INSTANCE_PATH"] = env["MEETING_HUB_INSTANCE_PATH"]
        started = time.monotonic()
        servers.run_cli(["db", "upgrade"], env, workdir)
        population = populate(url, endpoints, people, dashboards=0)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LIVE_COALESCE_MS": 0})
        seq = fill_roll_call(app, population, records, seed=1)
        setup_s = round(time.monotonic() - started, 1)
        try:
            figures = measure(app, population, runs, profile)
        finally:
            with app.app_context():
                db.engine.dispose()
        assert figures["seq"] == seq
        return {
            "database": "sqlite" if url.startswith("sqlite") else "postgresql",
            "endpoint_count": endpoints,
            "people_per_endpoint": people,
            "runs": runs,
            "setup_s": setup_s,
            **figures,
        }
    finally:
        for step in reversed(cleanup):
            with contextlib.suppress(Exception):
                step()


def main(argv: list[str] | None = None) -> int:
    """Run from the command line; the JSON report is the last line printed."""
    os.environ.pop("MEETING_HUB_ASYNC_MODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL server URL (a fresh mh_bench_* database is created there and dropped), or 'sqlite'",
    )
    parser.add_argument("--endpoints", type=int, default=1052)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--records", type=int, help="attendance records to write (default: everyone)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (the endpoint ones run 4x)")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the full GET to FILE")
    args = parser.parse_args(argv)
    records = args.endpoints * args.people if args.records is None else args.records
    report = run(args.database_url, args.endpoints, args.people, records, args.runs, args.profile)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
