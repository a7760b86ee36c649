"""Server processes for the benchmark: the app (`meeting-hub run` or gunicorn), the bare ceiling and Node peer
servers, a private redis-server, and what /proc says about their CPU time and peak memory."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET a local URL (no proxy); return status and body, or (0, b"") when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def post_json(url: str, body: Any, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, Any]:
    """POST JSON to a local URL (no proxy); return status and the decoded answer (None when nothing answers)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}, method="POST"
    )
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read() or b"null")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, None


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for child in _children(pid):
        pids.extend(_tree(child))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children still alive."""
    total = 0.0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the process tree's largest member, in MB."""
    peak = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return round(peak / 1024, 1)


@dataclass
class Process:
    """A server subprocess and its log."""

    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    cpu_mark: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def log(self, tail: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def mark_cpu(self) -> None:
        self.cpu_mark = cpu_seconds(self.popen.pid)

    def cpu_since_mark(self) -> float:
        return cpu_seconds(self.popen.pid) - self.cpu_mark

    def kill9(self) -> None:
        """Kill the process tree at once (SIGKILL), as a crash would."""
        for p in reversed(_tree(self.popen.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()


def _spawn(
    name: str, command: list[str], env: dict[str, str], workdir: Path, url: str, root: Path = REPO_ROOT
) -> Process:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            command, env=env, cwd=root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    return Process(name, url, popen, log_path)


def wait_healthy(process: Process, accept: tuple[int, ...] = (200,)) -> None:
    """Wait until the server's /healthz answers with an accepted status."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        status, _body = get(f"{process.url}/healthz", timeout=2)
        if status in accept:
            return
        if not process.alive():
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} did not answer /healthz within {START_TIMEOUT:.0f} s:\n{process.log()}")
        time.sleep(0.1)


def app_env(workdir: Path, database_url: str, async_mode: str, redis_url: str | None, deflate: str) -> dict[str, str]:
    """The app's environment: its own database, instance folder, key, channel; nothing of the caller's MEETING_HUB_*."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MEETING_HUB_", "FLASK_")) and k != "PYTHONWARNINGS"
    }
    env.update(
        MEETING_HUB_DATABASE_URL=database_url,
        MEETING_HUB_INSTANCE_PATH=str(workdir / "instance"),
        MEETING_HUB_SECRET_KEY=secrets.token_hex(32),
        MEETING_HUB_ASYNC_MODE=async_mode,
        MEETING_HUB_LIVE_WEBSOCKET_DEFLATE=deflate,
        MEETING_HUB_SOCKETIO_CHANNEL=f"meeting-hub-bench-{secrets.token_hex(6)}",
        # The harness's operators send a whole endpoint's roll-call back to back in burst mode.
        MEETING_HUB_LIVE_EVENTS_BURST="100",
        # Every client of the harness comes from 127.0.0.1, where consoles in the field come from as many addresses
        # as endpoints: the per-address budget (tested in tests/realtime) would throttle them all as one.
        MEETING_HUB_LIVE_ADDRESS_EVENTS_PER_SECOND="0",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["MEETING_HUB_REDIS_URL"] = redis_url
    return env


def run_cli(args: list[str], env: dict[str, str], workdir: Path) -> str:
    """Run a `meeting-hub` command to completion; return its output."""
    result = subprocess.run(
        [str(BIN / "meeting-hub"), *args],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"meeting-hub {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_app(name: str, server: str, env: dict[str, str], workdir: Path, root: Path = REPO_ROOT) -> Process:
    """Start one app process: `meeting-hub run` or gunicorn with one gevent worker (deploy/gunicorn.conf.py).

    `root` is the checkout whose code it runs (another revision's, exported: bench/two_briefings.py); the
    environment must then put it first on PYTHONPATH too."""
    port = free_port()
    if server == "gunicorn":
        command = [
            str(BIN / "gunicorn"),
            "-c",
            str(root / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ]
    else:
        command = [str(BIN / "meeting-hub"), "run", "--host", "127.0.0.1", "--port", str(port)]
    return _spawn(
        name,
        command,
        {**env, "MEETING_HUB_INSTANCE_PATH": str(workdir / "instance")},
        workdir,
        f"http://127.0.0.1:{port}",
        root,
    )


def start_ceiling(async_mode: str, deflate: str, workdir: Path) -> Process:
    """Start the bare python-socketio server."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    command = [sys.executable, str(REPO_ROOT / "bench" / "ceiling_server.py"), str(port), async_mode, deflate]
    return _spawn(f"ceiling-{async_mode}", command, env, workdir, f"http://127.0.0.1:{port}")


PEER_DIR = REPO_ROOT / "bench" / "peer"


def ensure_peer_installed() -> None:
    """Install the Node peer's socket.io from its lock file (npm ci) when node_modules is missing."""
    if (PEER_DIR / "node_modules" / "socket.io").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("--peer node needs Node.js and npm on PATH")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER_DIR, check=True, timeout=300)


def start_peer(deflate: str, workdir: Path) -> Process:
    """Start the bare Node.js socket.io server."""
    ensure_peer_installed()
    port = free_port()
    node = shutil.which("node") or "node"
    return _spawn(
        "peer-node",
        [node, str(PEER_DIR / "server.js"), str(port), deflate],
        dict(os.environ),
        workdir,
        f"http://127.0.0.1:{port}",
    )


def start_redis(workdir: Path, port: int | None = None) -> Process:
    """Start a private, non-persistent redis-server (never the machine's shared one)."""
    port = port or free_port()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise RuntimeError("scenario L needs redis-server on PATH")
    command = [
        redis_server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    process = _spawn(f"redis-{port}", command, dict(os.environ), workdir, f"redis://127.0.0.1:{port}/0")
    process.extra["port"] = port
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if time.monotonic() > deadline or not process.alive():
                raise RuntimeError(f"redis-server did not start:\n{process.log()}") from None
            time.sleep(0.05)


def start_profiler(process: Process, folder: Path) -> subprocess.Popen[bytes]:
    """Sample a server (and its gunicorn worker) with py-spy until stop_profiler; raw collapsed stacks in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("--profile needs py-spy (pip install py-spy)")
    command = [
        py_spy,
        "record",
        "--pid",
        str(process.popen.pid),
        "--subprocesses",
        "--nonblocking",
        "--rate",
        "250",
        "--format",
        "raw",
        "--output",
        str(folder / f"{process.name}.raw"),
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(profiler: subprocess.Popen[bytes]) -> None:
    """Stop py-spy the way Ctrl-C does, so it writes its file."""
    if profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.kill()
            profiler.wait()


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, from /proc/stat), to tell others' load from ours."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICKS
