"""Several `meeting-hub run` processes sharing PostgreSQL and Redis: live events cross processes through the queue.

Each test starts real server subprocesses (the Socket.IO test client refuses a message queue) with an explicit
environment: their own database, instance folder, secret key and a Socket.IO channel of their own on the shared Redis,
so parallel or earlier runs never see each other's events. Clients are python-socketio's `socketio.Client` over
long-polling (websocket-client, which its websocket transport needs, is not installed; the path through the server,
the origin check and the message queue are the same).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from tests.server_processes import free_port, meeting_hub_command

NAMESPACE = "/live"
SERVER_START_TIMEOUT = 30.0
EVENT_TIMEOUT = 10.0
FOREIGN_ORIGIN = "http://evil.example"


# Servers


def _server_env(workdir: Path, database_url: str, redis_url: str, channel: str) -> dict[str, str]:
    """The environment of the servers and their commands: nothing of the test run's MEETING_HUB_* leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEETING_HUB_", "FLASK_")) and key != "PYTHONWARNINGS"
    }
    env.update(
        MEETING_HUB_DATABASE_URL=database_url,
        MEETING_HUB_INSTANCE_PATH=str(workdir / "instance"),
        MEETING_HUB_SECRET_KEY=secrets.token_hex(32),
        MEETING_HUB_REDIS_URL=redis_url,
        MEETING_HUB_SOCKETIO_CHANNEL=channel,
        MEETING_HUB_SIGN_IN_RATE_LIMIT="1000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run_command(args: list[str], env: dict[str, str], workdir: Path) -> str:
    """Run a `meeting-hub` command; return its output, or fail with it."""
    command = [*meeting_hub_command(), *args]
    result = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(
            f"`meeting-hub {' '.join(args)}` exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def _create_tokens(usernames: list[str], env: dict[str, str], workdir: Path) -> list[str]:
    """Issue an API token per user with `meeting-hub create-token`, run side by side: the token is the last line."""
    tokens = []
    with ExitStack() as stack:
        processes = [
            stack.enter_context(
                subprocess.Popen(
                    [*meeting_hub_command(), "create-token", username],
                    env=env,
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            for username in usernames
        ]
        for username, process in zip(usernames, processes, strict=True):
            try:
                stdout, stderr = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
            if process.returncode != 0:
                pytest.fail(
                    f"`meeting-hub create-token {username}` exited with {process.returncode}:\n{stdout}\n{stderr}"
                )
            tokens.append(stdout.strip().splitlines()[-1])
    return tokens


@dataclass
class Server:
    """A `meeting-hub run` subprocess."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start_server(stack: ExitStack, name: str, env: dict[str, str], workdir: Path) -> Server:
    """Start a server on a free port; the stack stops it and closes its log files."""
    port = free_port()
    stdout = stack.enter_context((workdir / f"{name}.out").open("wb"))
    stderr = stack.enter_context((workdir / f"{name}.err").open("wb"))
    process = subprocess.Popen(
        [*meeting_hub_command(), "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
    )
    stack.callback(_stop, process)
    return Server(name, f"http://127.0.0.1:{port}", process, workdir / f"{name}.err")


def _wait_until_answering(http: requests.Session, servers: list[Server], ready: Callable[[int], bool]) -> None:
    """Poll each server's /healthz until `ready(status)`; fail with its stderr when it dies or the time runs out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    for server in servers:
        while True:
            try:
                if ready(http.get(f"{server.url}/healthz", timeout=5).status_code):
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if server.process.poll() is not None:
                pytest.fail(
                    f"Server {server.name} exited with {server.process.returncode} on start:\n{server.stderr()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Server {server.name} did not answer {server.url}/healthz within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{server.stderr()}"
                )
            time.sleep(0.1)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """An HTTP session straight to the local servers, whatever *_proxy variables the machine has."""
    session = requests.Session()
    session.trust_env = False
    with session:
        yield session


# Socket clients


class Inbox:
    """The events of every `events` message a client receives, in arrival order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def receive(self, message: dict[str, Any]) -> None:
        with self._changed:
            self.events.extend(message["events"])
            self._changed.notify_all()

    def wait_for(self, count: int, servers: list[Server], timeout: float = EVENT_TIMEOUT) -> list[dict[str, Any]]:
        """Return the events once at least `count` arrived; fail with what did arrive (and the servers' logs)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.events) >= count, timeout=timeout):
                logs = "\n".join(f"--- server {server.name}:\n{server.stderr()[-4000:]}" for server in servers)
                pytest.fail(f"expected {count} events within {timeout:.0f} s, got {self.events}\n{logs}")
            return list(self.events)


class Client(socketio.Client):
    """python-socketio's client, made to disconnect at once over long-polling.

    python-engineio's polling write loop stops as soon as the client leaves the "connected" state, even when it is
    still waiting for the answer to a POST (the namespace CONNECT, an event): the DISCONNECT and CLOSE packets queued
    by disconnect() are then never sent, and disconnect() (also called by a refused connect()) waits for the server's
    next ping, 25 s later. Letting the queued packets go out first avoids that.
    """

    def disconnect(self) -> None:
        deadline = time.monotonic() + 5
        while self.eio.state == "connected" and self.eio.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        super().disconnect()


@contextmanager
def live_client(
    url: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    inbox: Inbox | None = None,
    connect_errors: list[Any] | None = None,
) -> Iterator[socketio.Client]:
    """A Socket.IO client connected to the server's /live namespace; disconnected and closed afterwards."""
    session = requests.Session()
    session.trust_env = False
    client = Client(reconnection=False, handle_sigint=False, http_session=session)
    if inbox is not None:
        client.on("events", inbox.receive, namespace=NAMESPACE)
    if connect_errors is not None:
        client.on("connect_error", connect_errors.append, namespace=NAMESPACE)
    try:
        client.connect(
            url,
            namespaces=[NAMESPACE],
            transports=["polling"],
            auth={"token": token} if token else None,
            headers=headers or {},
            wait_timeout=10,
        )
        yield client
    finally:
        client.shutdown()
        session.close()


def assert_refused(url: str, token: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """Assert the server refuses the connection; return what the client's connect_error handler got."""
    errors: list[Any] = []
    with (
        pytest.raises(socketio.exceptions.ConnectionError),
        live_client(url, token, headers, connect_errors=errors),
    ):
        pass
    assert len(errors) == 1, errors
    return errors[0]


# The cluster


@dataclass
class Cluster:
    """Two server processes on one database and one Redis channel, with the demo loaded and a live briefing."""

    a: Server
    b: Server
    redis_url: str
    channel: str
    organizer_token: str
    operator_token: str
    briefing_id: int
    sao_do_people: list[dict[str, Any]]


def _require_services() -> tuple[str, str]:
    """Return the test PostgreSQL and Redis URLs; skip without them, except in CI, which must run this test."""
    postgres_url = os.environ.get("MEETING_HUB_TEST_POSTGRES_URL")
    redis_url = os.environ.get("MEETING_HUB_TEST_REDIS_URL")
    missing = [
        name
        for name, value in (
            ("MEETING_HUB_TEST_POSTGRES_URL", postgres_url),
            ("MEETING_HUB_TEST_REDIS_URL", redis_url),
        )
        if not value
    ]
    if missing:
        message = f"{' and '.join(missing)} not set: the multi-process test needs PostgreSQL and Redis"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run this test, but {message}", pytrace=False)
        pytest.skip(message)
    assert postgres_url and redis_url
    return postgres_url, redis_url


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path, http: requests.Session) -> Iterator[Cluster]:
    """Start two servers sharing a fresh PostgreSQL database and Redis; open the demo's upcoming briefing."""
    _postgres, redis_url = _require_services()
    database_url = request.getfixturevalue("postgres_url")  # created only once the services are known to be there
    channel = f"meeting-hub-test-{uuid.uuid4().hex}"
    env = _server_env(tmp_path, database_url, redis_url, channel)
    _run_command(["db", "upgrade"], env, tmp_path)
    _run_command(["demo"], env, tmp_path)

    with ExitStack() as stack:
        servers = [_start_server(stack, name, env, tmp_path) for name in ("a", "b")]
        # The servers start while the tokens are issued.
        organizer_token, operator_token = _create_tokens(["organizer", "op-sao-do"], env, tmp_path)
        _wait_until_answering(http, servers, lambda status: status == 200)
        a, b = servers

        today = date.today()
        listed = http.get(
            f"{a.url}/api/v1/briefings",
            params={"from": (today - timedelta(days=45)).isoformat(), "to": (today + timedelta(days=90)).isoformat()},
            headers=_bearer(organizer_token),
            timeout=10,
        )
        assert listed.status_code == 200, listed.text
        upcoming = sorted(
            (item for item in listed.json() if item["status"] == "scheduled"), key=lambda item: item["starts_at"]
        )
        assert upcoming, f"the demo has no upcoming briefing: {listed.json()}"
        briefing_id = int(upcoming[0]["id"])
        opened = http.post(
            f"{a.url}/api/v1/briefings/{briefing_id}/open",
            json={"confirm_early": True},
            headers=_bearer(organizer_token),
            timeout=10,
        )
        assert opened.status_code == 200, opened.text
        assert opened.json()["status"] == "live"

        endpoints = http.get(f"{a.url}/api/v1/endpoints", headers=_bearer(operator_token), timeout=10).json()
        sao_do_id = next(endpoint["id"] for endpoint in endpoints if endpoint["code"] == "sao-do")
        people = http.get(
            f"{a.url}/api/v1/endpoints/{sao_do_id}/people", headers=_bearer(operator_token), timeout=10
        ).json()
        assert len(people) >= 2, people

        yield Cluster(a, b, redis_url, channel, organizer_token, operator_token, briefing_id, people)


def _wait_for_subscribers(redis_url: str, channel: str, count: int) -> None:
    """Wait until `count` server processes listen on the channel (python-socketio subscribes on the first client)."""
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + EVENT_TIMEOUT
        while (subscribers := dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{subscribers} server(s) subscribed to {channel}, expected {count}")
            time.sleep(0.05)
    finally:
        client.close()


# Tests


@pytest.mark.postgres
def test_a_check_in_sent_to_one_process_reaches_a_dashboard_on_the_other(
    cluster: Cluster, http: requests.Session
) -> None:
    a, b = cluster.a, cluster.b
    for server in (a, b):
        health = http.get(f"{server.url}/healthz", timeout=10)
        body = health.json()
        assert (health.status_code, body["status"], body["database"], body["redis"]) == (200, "ok", "ok", "ok")
        assert body["checks"]["redis"]["ok"] is True and body["checks"]["redis"]["configured"] is True

    # Refused: no credentials (on either process); a valid token from a foreign origin.
    for server in (a, b):
        # The /live connect handler refuses: a CONNECT_ERROR for the namespace, not a transport failure.
        assert set(assert_refused(server.url)) == {"message"}
        # python-engineio's answer to the handshake: 400 before any Socket.IO handler runs.
        refusal = assert_refused(server.url, cluster.organizer_token, headers={"Origin": FOREIGN_ORIGIN})
        assert refusal == "Not an accepted origin."
    # The same token from the server's own origin is accepted: the origin was the reason.
    with live_client(b.url, cluster.organizer_token, headers={"Origin": b.url}) as same_origin:
        assert same_origin.connected

    inbox = Inbox()
    with live_client(b.url, cluster.organizer_token, inbox=inbox) as dashboard:
        watched = dashboard.call("watch", {"briefing_id": cluster.briefing_id}, namespace=NAMESPACE, timeout=10)
        assert watched["ok"] is True, watched
        seq = watched["seq"]
        _wait_for_subscribers(cluster.redis_url, cluster.channel, 1)  # process B listens to the queue

        first, second = cluster.sao_do_people[0]["id"], cluster.sao_do_people[1]["id"]
        by_rest = http.post(
            f"{a.url}/api/v1/briefings/{cluster.briefing_id}/attendance",
            json={"person_id": first, "status": "present", "client_op_id": f"rest-{uuid.uuid4().hex}"},
            headers=_bearer(cluster.operator_token),
            timeout=10,
        )
        assert by_rest.status_code == 201, by_rest.text
        assert by_rest.json()["seq"] == seq + 1

        with live_client(a.url, cluster.operator_token) as console:
            by_socket = console.call(
                "check_in",
                {
                    "briefing_id": cluster.briefing_id,
                    "person_id": second,
                    "status": "late",
                    "client_op_id": f"socket-{uuid.uuid4().hex}",
                },
                namespace=NAMESPACE,
                timeout=10,
            )
        assert by_socket["ok"] is True, by_socket
        assert by_socket["seq"] == seq + 2

        events = inbox.wait_for(2, [a, b])
        time.sleep(0.3)  # a few coalescing windows: nothing more (no duplicate) may follow
        assert inbox.events == events
        assert [(e["type"], e["seq"], e["person_id"], e["status"]) for e in events] == [
            ("attendance", seq + 1, first, "present"),
            ("attendance", seq + 2, second, "late"),
        ]


def test_healthz_reports_an_unreachable_redis(tmp_path: Path, http: requests.Session) -> None:
    # Nothing listens on port 1; the shared Redis is left alone. An empty SQLite file is enough for the database check.
    env = _server_env(
        tmp_path, f"sqlite:///{tmp_path / 'health.db'}", "redis://127.0.0.1:1/0", f"meeting-hub-test-{uuid.uuid4().hex}"
    )
    with ExitStack() as stack:
        server = _start_server(stack, "no-redis", env, tmp_path)
        _wait_until_answering(http, [server], lambda _status: True)  # 503 is the answer expected
        started = time.monotonic()
        health = http.get(f"{server.url}/healthz", timeout=10)
        assert time.monotonic() - started < 5
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: ")
    assert body["checks"]["redis"]["ok"] is False
