"""Jobs used by the tests only: they leave their traces in files, so a test (or a worker process) can count runs."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from meeting_hub.accounts.models import User
from meeting_hub.extensions import db
from meeting_hub.jobs.registry import job

#: How long a waiting job waits for its release file before it gives up.
WAIT_LIMIT_SECONDS = 60


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()


def lines(path: Path) -> list[str]:
    """Return the lines a job wrote to a file (none when it does not exist)."""
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@job("tests.append_line")
def append_line(path: str, text: str) -> None:
    """Append one line to a file."""
    _append(Path(path), text)


@job("tests.rename_user")
def rename_user(user_id: int, display_name: str, fail: bool = False) -> None:
    """Change a user's display name (a database write), then fail when asked to."""
    user = db.session.get(User, user_id)
    assert user is not None
    user.display_name = display_name
    db.session.flush()
    if fail:
        raise RuntimeError("asked to fail after writing")


@job("tests.fail_until")
def fail_until(path: str, succeed_on_attempt: int) -> None:
    """Count attempts in a file and fail until the given attempt."""
    target = Path(path)
    _append(target, "attempt")
    if len(lines(target)) < succeed_on_attempt:
        raise RuntimeError(f"attempt {len(lines(target))} fails on purpose")


@job("tests.wait_for_release")
def wait_for_release(folder: str) -> None:
    """Note the start, wait until a "release" file appears in the folder, then note the end (with the pid)."""
    base = Path(folder)
    _append(base / "started", str(os.getpid()))
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not (base / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.05)
    _append(base / "finished", str(os.getpid()))


@job("tests.take_write_lock")
def take_write_lock(database: str) -> None:
    """Take SQLite's write lock from another connection: fails when the worker keeps a transaction open."""
    connection = sqlite3.connect(database, timeout=0.5, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()
