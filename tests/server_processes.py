"""Helpers for tests that start real `meeting-hub` server processes."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path


def meeting_hub_command() -> list[str]:
    """Return the `meeting-hub` console script next to this interpreter, or the same entry point through it."""
    script = Path(sys.executable).parent / "meeting-hub"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from meeting_hub.cli import main; main()"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_environment(folder: Path, root: Path) -> dict[str, str]:
    """Return the environment of `meeting-hub worker` processes on an SQLite app and an SQLite job queue in `folder`
    (none of the caller's MEETING_HUB_ settings leak in; the checkout `root` is importable for test jobs)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEETING_HUB_")}
    return env | {
        "MEETING_HUB_INSTANCE_PATH": str(folder / "instance"),
        "MEETING_HUB_DATABASE_URL": f"sqlite:///{folder / 'test.db'}",
        "MEETING_HUB_SECRET_KEY": "test-secret-key",
        "MEETING_HUB_JOBS_BACKEND": "sqlite",
        "MEETING_HUB_JOBS_SQLITE_PATH": str(folder / "jobs.db"),
        "MEETING_HUB_JOBS_POLL_SECONDS": "0.2",
        "PYTHONPATH": str(root),
    }
