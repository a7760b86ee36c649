"""Helpers for tests that start real `meeting-hub` server processes."""

from __future__ import annotations

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
