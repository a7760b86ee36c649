"""What SQLite's `synchronous = FULL` would cost the roll-call: `python bench/sqlite_sync.py [--commits N] [--dir D]`.

The app runs SQLite in WAL mode with `synchronous = NORMAL` (meeting_hub/database.py): a commit is safe from a crash of
the process, but a power cut can take back the last transactions that were not yet checkpointed. `FULL` syncs the WAL
at every commit. This writes check-in-like rows (an upsert of a record and an appended event, like
attendance.services.record_check_ins) in transactions of 1, 10 and 50 rows (the group-commit writer's batches), with
each setting, on a file in --dir (default: the system's temporary folder; use the instance folder's disk), and prints
one JSON line per case with commits per second and the median and p99 commit time.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS records (person_id INTEGER PRIMARY KEY, status TEXT, note TEXT, seq INTEGER)"
    )
    connection.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, payload TEXT)")
    return connection


def run_case(folder: Path, synchronous: str, batch: int, commits: int) -> dict[str, object]:
    """Write `commits` transactions of `batch` check-ins each and time every commit."""
    path = folder / f"sync-{synchronous}-{batch}.db"
    path.unlink(missing_ok=True)
    connection = _connect(path, synchronous)
    seq = 0
    durations = []
    started = time.perf_counter()
    for _ in range(commits):
        began = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for _ in range(batch):
            seq += 1
            person = seq % 31_560
            connection.execute(
                "INSERT INTO records VALUES (?, 'present', '', ?) "
                "ON CONFLICT(person_id) DO UPDATE SET status = excluded.status, seq = excluded.seq",
                (person, seq),
            )
            payload = json.dumps({"person_id": person, "status": "present", "seq": seq})
            connection.execute("INSERT INTO events VALUES (?, ?)", (seq, payload))
        connection.execute("COMMIT")
        durations.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    durations.sort()
    return {
        "synchronous": synchronous,
        "batch": batch,
        "commits": commits,
        "commits_per_s": round(commits / elapsed, 1),
        "check_ins_per_s": round(commits * batch / elapsed, 1),
        "commit_p50_ms": round(statistics.median(durations) * 1000, 3),
        "commit_p99_ms": round(durations[int(len(durations) * 0.99) - 1] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for batch in (1, 10, 50):
            for synchronous in ("NORMAL", "FULL"):
                print(json.dumps(run_case(Path(folder), synchronous, batch, args.commits)), flush=True)


if __name__ == "__main__":
    main()
