"""A PostgreSQL server the tests own: initdb in a temporary folder, on a free port, stopped and started at will.

Fault tests (a server restarted mid roll-call) stop and start it; the machine's own server, which others use, is
never touched. PostgreSQL refuses to run as root: as root, every command runs as the `postgres` OS user, which
owns the folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.server_processes import free_port

#: The server's own user (initdb --username): the test databases' URLs name it, with trust on 127.0.0.1 only.
SUPERUSER = "postgres"
COMMAND_TIMEOUT = 60.0


def binaries() -> Path | None:
    """Return the folder of initdb and pg_ctl (on PATH or in Debian's /usr/lib/postgresql/<major>/bin), or None."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda path: int(Path(path).parts[-3]))
    return Path(found[-1]).parent if found else None


def _run_as() -> list[str]:
    """The prefix that runs a server command as an unprivileged user when the tests run as root."""
    return ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []


def _memory_folder() -> str | None:
    """Return /dev/shm when it is there: a restart is a crash of the server, not of the machine, and on a disk
    deleting the cluster's files alone took 3 s here (ext4 with discard). None: the usual temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def unavailable_reason() -> str | None:
    """Say why no private server can be started here, or None when one can."""
    if binaries() is None:
        return "the PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root without a {SUPERUSER!r} OS user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root without runuser"
    return None


class PrivatePostgres:
    """One PostgreSQL server in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        bin_dir = binaries()
        assert bin_dir is not None
        self._bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="meeting-hub-pg-", dir=_memory_folder()))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)
        self._command("initdb", "--pgdata", str(self.data), "--username", SUPERUSER, "--auth", "trust",
                      "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync")  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        """The URL of the server's `postgres` database (create the test's own database in it)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        # The socket file stays in the folder: the machine's server keeps /var/run/postgresql to itself.
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=60"
        self._command("pg_ctl", "start", "--wait", "--pgdata", str(self.data), "--log", str(self.folder / "log"),
                      "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" (roll back open transactions, checkpoint) or "immediate" (as if it crashed: the
        next start recovers from the WAL)."""
        self._command("pg_ctl", "stop", "--wait", "--pgdata", str(self.data), "--mode", mode)

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _command(self, name: str, *args: str) -> None:
        subprocess.run(
            [*_run_as(), str(self._bin / name), *args],
            check=True,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            cwd=self.folder,
        )
