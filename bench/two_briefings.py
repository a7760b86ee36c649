"""Two live briefings at once: `python bench/two_briefings.py [--rounds N] [--before REV] [options]`.

Does a burst of one briefing delay the acks of another? Briefing A gets a burst (every console of its endpoints
sends its whole endpoint back to back, one check-in in flight per console, as the real console does) while the
consoles of briefing B send one check-in every --b-interval seconds each, and B's ack latencies are compared:
before the burst (quiet) and during it (from A's first send to A's last ack).

Each round runs two servers one after the other, each on a fresh PostgreSQL database (`mh_bench_*`, dropped
afterwards) with gunicorn and one gevent worker (deploy/gunicorn.conf.py): "after" runs this checkout's code, "before"
runs REV's (default: the merge base with `main`), exported with `git archive` into the work folder (the repository
is only read). Which file each server imported its group commit from is reported. The order alternates from round
to round, so that a change of the machine's load falls on both. Clients: one process for A's consoles, one for B's
(python-socketio AsyncClients; B's own process, so that A's client load does not delay B's measurement).

Prints one JSON line, last: per round and variant B's ack p50/p95/p99/max quiet and during the burst, A's check-ins
and check-ins/s, B's burst p50 over A's ack p50 (the share of A's wait B still has: both move with the machine's
load, their ratio much less), errors, stored versus acked check-ins per briefing, CPU of the server, the clients and
the rest of the machine (`other_cpu_pct`, % of one core); then the before/after ratios of these per round and their
medians. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `meeting_hub` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402
from bench.clients import ACK_TIMEOUT, CONNECT_TIMEOUT, NAMESPACE, _close, _new_client  # noqa: E402
from bench.live import DEFAULT_POSTGRES, _create_postgres_database, _drop_postgres_database  # noqa: E402
from bench.population import open_live_briefing  # noqa: E402


@dataclass
class Settings:
    """One benchmark run."""

    rounds: int = 2
    before: str | None = None  # a git revision; default: the merge base of HEAD and main
    a_endpoints: int = 100
    b_endpoints: int = 10
    people: int = 40
    b_interval: float = 0.25  # seconds between two check-ins of one of B's consoles
    quiet_seconds: float = 3.0  # B alone before A's burst
    max_seconds: float = 120.0
    seed: int = 1


# Clients (run in their own processes)


async def _connect(url: str, operator: dict[str, Any], briefing_id: int) -> Any:
    client = _new_client(False)
    auth = {"token": operator["token"], "kind": "operator", "endpoint_id": operator["endpoint_id"]}
    await client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], auth=auth, wait_timeout=CONNECT_TIMEOUT)
    ack = await client.call("watch", {"briefing_id": briefing_id}, namespace=NAMESPACE, timeout=ACK_TIMEOUT * 3)
    if not ack.get("ok"):
        raise RuntimeError(f"watch refused: {ack}")
    return client


async def _check_in(
    client: Any, briefing_id: int, person_id: int, op_id: str, acks: list[tuple[float, float]], errors: dict[str, int]
) -> None:
    """Send one check-in until it is acked (the same client_op_id again, as the console's outbox does)."""
    message = {"briefing_id": briefing_id, "person_id": person_id, "status": "present", "client_op_id": op_id}
    for _attempt in range(10):
        sent = time.monotonic()
        try:
            ack = await client.call("check_in", message, namespace=NAMESPACE, timeout=ACK_TIMEOUT)
        except Exception as error:  # a lost ack: send it again
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            continue
        if ack.get("ok"):
            acks.append((sent, time.monotonic()))
            return
        code = str(ack.get("error", {}).get("code"))
        errors[code] = errors.get(code, 0) + 1
        if code not in ("try_again", "rate_limited", "conflict"):
            return
        await asyncio.sleep(0.1)
    errors["gave_up"] = errors.get("gave_up", 0) + 1


async def _clients(conn: Any, spec: dict[str, Any]) -> None:
    briefing_id, run_id = spec["briefing_id"], spec["run_id"]
    clients = []
    for operator in spec["operators"]:
        clients.append(await _connect(spec["url"], operator, briefing_id))
    conn.send(("ready", None))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "go"
    acks: list[tuple[float, float]] = []
    errors: dict[str, int] = {}
    stop = asyncio.Event()
    started = time.monotonic()

    async def burst(client: Any, operator: dict[str, Any]) -> None:
        for person in operator["people"]:
            await _check_in(client, briefing_id, person, f"bench-{run_id}-{person}", acks, errors)

    async def steady(client: Any, operator: dict[str, Any], index: int) -> None:
        rng = random.Random(spec["seed"] * 1000 + index)
        await asyncio.sleep(rng.uniform(0, spec["interval"]))
        turn = 0
        while not stop.is_set() and time.monotonic() - started < spec["max_seconds"]:
            began = time.monotonic()
            person = operator["people"][turn % len(operator["people"])]
            # A new operation each turn (a correction once the endpoint is done): never a replay.
            await _check_in(client, briefing_id, person, f"bench-{run_id}-{person}-{turn}", acks, errors)
            turn += 1
            await asyncio.sleep(max(0.0, spec["interval"] - (time.monotonic() - began)))

    if spec["mode"] == "burst":
        await asyncio.sleep(spec["delay"])
        await asyncio.gather(*(burst(c, o) for c, o in zip(clients, spec["operators"], strict=True)))
    else:
        tasks = [
            asyncio.create_task(steady(c, o, i))
            for i, (c, o) in enumerate(zip(clients, spec["operators"], strict=True))
        ]
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
        stop.set()
        await asyncio.gather(*tasks)
    cpu = time.process_time()
    for client in clients:
        await _close(client)
    conn.send(("acks", {"acks": acks, "errors": errors, "cpu_s": cpu}))


def client_main(conn: Any, spec: dict[str, Any]) -> None:
    """Entry point of a client process (multiprocessing target)."""
    try:
        asyncio.run(_clients(conn, spec))
    except BaseException as error:
        with contextlib.suppress(Exception):
            conn.send(("error", repr(error)))
        raise
    finally:
        conn.close()


def _receive(conn: Any, process: Any, expected: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not conn.poll(0.2):
        if not process.is_alive():
            raise RuntimeError(f"a client process died (exit {process.exitcode}) before '{expected}'")
        if time.monotonic() > deadline:
            raise RuntimeError(f"a client process did not report '{expected}' within {timeout:.0f} s")
    kind, payload = conn.recv()
    if kind != expected:
        raise RuntimeError(f"a client process reported {kind}: {payload}")
    return payload


# Setup


def export_revision(revision: str, folder: Path) -> tuple[Path, str]:
    """Export the revision's files with `git archive` (the repository is only read); return the folder and commit."""
    commit = subprocess.run(
        ["git", "rev-parse", revision], cwd=servers.REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = folder / "before.tar"
    subprocess.run(["git", "archive", "--format=tar", f"--output={archive}", commit], cwd=servers.REPO_ROOT, check=True)
    root = folder / f"before-{commit[:10]}"
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    archive.unlink()
    return root, commit


def add_second_briefing(database_url: str, endpoint_ids: list[int]) -> int:
    """Open a second live briefing, inviting the given endpoints, as the population's organizer; return its id."""
    from meeting_hub import create_app
    from meeting_hub.accounts import services as accounts
    from meeting_hub.extensions import db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "LIVE_COALESCE_MS": 0})
    with app.app_context():
        briefing_id = open_live_briefing(
            accounts.find_user("bench-organizer"), endpoint_ids, "Giao ban trực tuyến thứ hai (benchmark)"
        )
        db.session.remove()
        db.engine.dispose()
    return briefing_id


def stored_records(database_url: str, briefing_ids: list[int]) -> dict[int, int]:
    """Return briefing -> attendance events logged (one per acked check-in when nothing is lost or doubled)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT briefing_id, count(*) FROM briefing_events WHERE type = 'attendance' "
                    "AND briefing_id = ANY(:ids) GROUP BY briefing_id"
                ),
                {"ids": briefing_ids},
            ).all()
    finally:
        engine.dispose()
    found = {int(b): int(n) for b, n in rows}
    return {b: found.get(b, 0) for b in briefing_ids}


def _imported_from(env: dict[str, str], root: Path) -> str:
    """The file the server's interpreter imports the group commit from, with that environment and folder."""
    return subprocess.run(
        [sys.executable, "-c", "import meeting_hub.attendance.group_commit as m; print(m.__file__)"],
        env={**env, "MEETING_HUB_ASYNC_MODE": "threading"},
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# A run


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 2) if numerator and denominator else None


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def run_variant(name: str, root: Path, settings: Settings, workdir: Path, round_number: int) -> dict[str, Any]:
    """Measure one server (this checkout's code or the exported revision's) on a fresh database."""
    from bench.population import populate

    cleanup: list[Any] = []
    try:
        database_url, handle = _create_postgres_database(DEFAULT_POSTGRES)
        cleanup.append(lambda: _drop_postgres_database(handle))
        env = servers.app_env(workdir, database_url, "gevent", None, "never")
        if root != servers.REPO_ROOT:
            env["PYTHONPATH"] = str(root)
        servers.run_cli(["db", "upgrade"], env, workdir)
        population = populate(database_url, settings.a_endpoints + settings.b_endpoints, settings.people, 1)
        a_operators = population.operators[: settings.a_endpoints]
        b_operators = population.operators[settings.a_endpoints :]
        a_id = population.briefing_id
        b_id = add_second_briefing(database_url, [o["endpoint_id"] for o in b_operators])

        app = servers.start_app(f"{name}-{round_number}", "gunicorn", env, workdir, root)
        cleanup.append(app.stop)
        servers.wait_healthy(app)

        context = multiprocessing.get_context("spawn")
        run_id = uuid.uuid4().hex[:10]
        common = {"url": app.url, "run_id": run_id, "seed": settings.seed, "max_seconds": settings.max_seconds}
        specs = {
            "a": {
                **common,
                "mode": "burst",
                "briefing_id": a_id,
                "operators": [{**o, "people": [p for p, _s in o["people"]]} for o in a_operators],
                "delay": settings.quiet_seconds,
            },
            "b": {
                **common,
                "mode": "steady",
                "briefing_id": b_id,
                "operators": [{**o, "people": [p for p, _s in o["people"]]} for o in b_operators],
                "interval": settings.b_interval,
            },
        }
        workers: dict[str, tuple[Any, Any]] = {}
        for key, spec in specs.items():
            parent_end, child_end = context.Pipe()
            process = context.Process(target=client_main, args=(child_end, spec), daemon=True)
            process.start()
            child_end.close()
            workers[key] = (process, parent_end)
        cleanup.append(lambda: [p.kill() for p, _c in workers.values() if p.is_alive()])
        for process, conn in workers.values():
            _receive(conn, process, "ready", 120)

        app.mark_cpu()
        machine_at_go = servers.machine_busy_seconds()
        go_at = time.monotonic()
        for _process, conn in workers.values():
            conn.send("go")
        a = _receive(workers["a"][1], workers["a"][0], "acks", settings.max_seconds + 60)
        workers["b"][1].send("stop")
        b = _receive(workers["b"][1], workers["b"][0], "acks", 60)
        window = time.monotonic() - go_at
        server_cpu = app.cpu_since_mark()
        machine_busy = servers.machine_busy_seconds() - machine_at_go
        for process, _conn in workers.values():
            process.join(timeout=20)
        app.stop()  # every write has ended before the count

        burst_start = min((sent for sent, _acked in a["acks"]), default=go_at)
        burst_end = max((acked for _sent, acked in a["acks"]), default=go_at)
        quiet = [(acked - sent) * 1000 for sent, acked in b["acks"] if acked < burst_start]
        during = [(acked - sent) * 1000 for sent, acked in b["acks"] if burst_start <= sent <= burst_end]
        stored = stored_records(database_url, [a_id, b_id])
        a_ack_p50 = _percentile([(acked - sent) * 1000 for sent, acked in a["acks"]], 0.5)
        b_burst_p50 = _percentile(during, 0.5)
        client_cpu = a["cpu_s"] + b["cpu_s"]
        return {
            "variant": name,
            "round": round_number,
            "code": _imported_from(env, root),
            "b_quiet_checkins": len(quiet),
            "b_quiet_p50_ms": _percentile(quiet, 0.5),
            "b_quiet_p95_ms": _percentile(quiet, 0.95),
            "b_burst_checkins": len(during),
            "b_burst_p50_ms": b_burst_p50,
            "b_burst_p95_ms": _percentile(during, 0.95),
            "b_burst_p99_ms": _percentile(during, 0.99),
            "b_burst_max_ms": round(max(during), 1) if during else None,
            "a_checkins": len(a["acks"]),
            "a_burst_s": round(burst_end - burst_start, 2),
            "a_checkins_per_s": round(len(a["acks"]) / (burst_end - burst_start), 1)
            if burst_end > burst_start
            else None,
            "a_ack_p50_ms": a_ack_p50,
            # B's wait in A's terms, on the same server at the same moment: how much of A's queue B still shares.
            # Less sensitive to the machine's load, which moves both, than B's latency alone.
            "b_burst_p50_over_a_ack_p50": _ratio(b_burst_p50, a_ack_p50),
            "errors": {"a": a["errors"], "b": b["errors"]},
            "acked": {"a": len(a["acks"]), "b": len(b["acks"])},
            "stored": {"a": stored[a_id], "b": stored[b_id]},
            "server_cpu_pct": round(100 * server_cpu / window, 1),
            "client_cpu_pct": round(100 * client_cpu / window, 1),
            # Busy time of the machine that is neither the server's nor the clients' (other jobs, PostgreSQL).
            "other_cpu_pct": round(100 * (machine_busy - server_cpu - client_cpu) / window, 1),
        }
    finally:
        for step in reversed(cleanup):
            with contextlib.suppress(Exception):
                step()


def run(settings: Settings) -> dict[str, Any]:
    """Run every round (before and after, in alternating order) and return the report."""
    workdir = Path(tempfile.mkdtemp(prefix="mh-bench-two-"))
    try:
        revision = (
            settings.before
            or subprocess.run(
                ["git", "merge-base", "HEAD", "main"], cwd=servers.REPO_ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        before_root, before_commit = export_revision(revision, workdir)
        roots = {"before": before_root, "after": servers.REPO_ROOT}
        results: list[dict[str, Any]] = []
        ratios: list[dict[str, Any]] = []
        for round_number in range(1, settings.rounds + 1):
            order = ["before", "after"] if round_number % 2 else ["after", "before"]
            measured: dict[str, dict[str, Any]] = {}
            for name in order:
                measured[name] = run_variant(name, roots[name], settings, workdir, round_number)
                print(json.dumps(measured[name], ensure_ascii=False), file=sys.stderr, flush=True)
                results.append(measured[name])
            before, after = measured["before"], measured["after"]
            ratios.append(
                {
                    "round": round_number,
                    "b_burst_p50": _ratio(before["b_burst_p50_ms"], after["b_burst_p50_ms"]),
                    "b_burst_p95": _ratio(before["b_burst_p95_ms"], after["b_burst_p95_ms"]),
                    "b_burst_p50_over_a_ack_p50": _ratio(
                        before["b_burst_p50_over_a_ack_p50"], after["b_burst_p50_over_a_ack_p50"]
                    ),
                }
            )
        report: dict[str, Any] = {
            "settings": asdict(settings),
            "before_commit": before_commit,
            "results": results,
            "before_over_after": ratios,
        }
        for key in ("b_burst_p50", "b_burst_p95", "b_burst_p50_over_a_ack_p50"):
            values = [r[key] for r in ratios if r[key] is not None]
            report[f"median_before_over_after_{key}"] = round(statistics.median(values), 2) if values else None
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run from the command line; the JSON report is the last line printed."""
    os.environ.pop("MEETING_HUB_ASYNC_MODE", None)  # the harness itself never runs under gevent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=Settings.rounds)
    parser.add_argument("--before", help="git revision of the 'before' server (default: merge base with main)")
    parser.add_argument("--a-endpoints", type=int, default=Settings.a_endpoints)
    parser.add_argument("--b-endpoints", type=int, default=Settings.b_endpoints)
    parser.add_argument("--people", type=int, default=Settings.people)
    parser.add_argument("--b-interval", type=float, default=Settings.b_interval)
    parser.add_argument("--quiet-seconds", type=float, default=Settings.quiet_seconds)
    parser.add_argument("--max-seconds", type=float, default=Settings.max_seconds)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    args = parser.parse_args(argv)
    settings = Settings(**{k: v for k, v in vars(args).items()})
    report = run(settings)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    lost = [r for r in report["results"] if r["stored"]["a"] < r["acked"]["a"] or r["stored"]["b"] < r["acked"]["b"]]
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
