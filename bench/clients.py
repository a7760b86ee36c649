"""Load clients for bench/live.py: operator consoles and dashboards, many per process on one asyncio loop.

Each worker process is started by the harness (multiprocessing, spawn) with its share of the operators and
dashboards and talks to it over a pipe in four steps: connect everything and report "ready"; on "go", run the
roll-call (Poisson arrivals or a burst) and report every ack ("sent"); on "final" (the database's last seq and
state, and the send time of every seq), wait until each dashboard matches it and report latencies ("done");
then, when the harness runs a poll phase, on "poll" (the open polls) each operator answers for its present and late
people (and gives its endpoint's counts to an endpoint poll) at random moments of the window, and reports every ack
("poll_sent"); on "poll_final" (the seq and the tallies the database holds) wait until each dashboard's tallies match
("poll_done"); on "stop", disconnect.

Clients are python-socketio AsyncClients over aiohttp websockets that offer permessage-deflate as browsers do
(the server decides whether to accept). Operators behave like the console: one check-in in flight at a time, the
same client_op_id again after a lost ack or a reconnect. Dashboards apply events in seq order, drop duplicates,
and resync with `watch {last_seq}` when a gap stays open: what PRODUCT.md's contract promises a real dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import resource
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "/live"
ACK_TIMEOUT = 10.0
CONNECT_TIMEOUT = 20.0
MAX_ATTEMPTS = 30
#: A dashboard whose seq gap stays open this long asks the server for what it missed (as static/js/live_client.js).
GAP_RESYNC_SECONDS = 2.0
CONNECT_CONCURRENCY = 24
#: Latency histogram bins of 0.1 ms.
BIN_MS = 0.1


def _new_client(deflate: bool) -> Any:
    import aiohttp
    import socketio

    # compress=15 makes aiohttp offer "permessage-deflate" on the handshake, as browsers do.
    options: dict[str, Any] = {"compress": 15} if deflate else {}
    return socketio.AsyncClient(
        reconnection=False,
        handle_sigint=False,
        request_timeout=CONNECT_TIMEOUT,
        websocket_extra_options=options,
        http_session=aiohttp.ClientSession(trust_env=False),
    )


async def _close(client: Any) -> None:
    with contextlib.suppress(Exception):
        await client.disconnect()
    session = getattr(client.eio, "http", None)
    if session is not None:
        with contextlib.suppress(Exception):
            await session.close()


class Endpointed:
    """A socket that reconnects to the next server URL when its own goes away."""

    def __init__(self, worker: Worker, auth: dict[str, Any], first_url: int) -> None:
        self.worker = worker
        self.auth = auth
        self.url_index = first_url
        self.client: Any = None
        self.reconnects = 0

    async def connect(self) -> dict[str, Any]:
        """Connect (trying each URL in turn) and watch the briefing; return the watch ack."""
        urls = self.worker.urls
        last_error: Exception | None = None
        for attempt in range(len(urls) * 20):
            if self.client is not None:
                await _close(self.client)
            self.client = _new_client(self.worker.deflate)
            self._register(self.client)
            url = urls[self.url_index % len(urls)]
            try:
                await self.client.connect(
                    url,
                    namespaces=[NAMESPACE],
                    transports=["websocket"],
                    auth=self.auth,
                    wait_timeout=CONNECT_TIMEOUT,
                )
                ack: dict[str, Any] = await self.client.call(
                    "watch", self.watch_message(), namespace=NAMESPACE, timeout=ACK_TIMEOUT * 3
                )
                if not ack.get("ok"):
                    raise RuntimeError(f"watch refused: {ack}")
                return ack
            except Exception as error:  # server gone, refused or slow: try the next one
                last_error = error
                self.url_index += 1
                await asyncio.sleep(min(0.2 * (attempt + 1), 1.0))
        raise RuntimeError(f"cannot connect to any of {urls}: {last_error!r}")

    def watch_message(self) -> dict[str, Any]:
        return {"briefing_id": self.worker.briefing_id}

    def _register(self, client: Any) -> None:
        """Subscribe to server events (dashboards do)."""

    @property
    def connected(self) -> bool:
        return bool(self.client is not None and self.client.connected and NAMESPACE in self.client.namespaces)


@dataclass
class Ack:
    """One check-in's outcome."""

    person_id: int
    seq: int
    first_send: float
    last_send: float
    acked_at: float
    replayed: bool
    attempts: int


@dataclass
class PollAck:
    """One poll answer's outcome: who (a person, or None for an endpoint's counts), what, and when."""

    poll_id: int
    person_id: int | None
    endpoint_id: int
    choices: list[int]
    counts: list[int] | None
    seq: int
    first_send: float
    acked_at: float
    replayed: bool
    attempts: int


class Operator(Endpointed):
    """An endpoint's console: sends its outbox one check-in at a time, resending the same client_op_id on failure."""

    def __init__(self, worker: Worker, spec: dict[str, Any], first_url: int) -> None:
        super().__init__(
            worker, {"token": spec["token"], "kind": "operator", "endpoint_id": spec["endpoint_id"]}, first_url
        )
        self.spec = spec
        self.queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()
        self.acks: list[Ack] = []
        self.errors: Counter[str] = Counter()
        self.heartbeats = 0
        self.heartbeat_errors: Counter[str] = Counter()
        self.answers: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.poll_acks: list[PollAck] = []
        self.poll_errors: Counter[str] = Counter()

    async def run(self) -> None:
        beating = asyncio.create_task(self.beat()) if self.worker.heartbeat_seconds > 0 else None
        try:
            while (item := await self.queue.get()) is not None:
                await self.check_in(*item)
        finally:
            if beating is not None:
                beating.cancel()

    async def beat(self) -> None:
        """Send a heartbeat every period, as the console does, starting at a random point of the first period."""
        period = self.worker.heartbeat_seconds
        await asyncio.sleep(random.uniform(0, period))
        while True:
            if self.connected:
                try:
                    ack = await self.client.call(
                        "heartbeat", {"briefing_id": self.worker.briefing_id}, namespace=NAMESPACE, timeout=ACK_TIMEOUT
                    )
                    if ack.get("ok"):
                        self.heartbeats += 1
                    else:
                        self.heartbeat_errors[str(ack.get("error", {}).get("code"))] += 1
                except Exception as error:  # a lost heartbeat is only a missed beat
                    self.heartbeat_errors[type(error).__name__] += 1
            await asyncio.sleep(period)

    async def check_in(self, person_id: int, status: str) -> None:
        op_id = f"bench-{self.worker.run_id}-{person_id}"
        message = {
            "briefing_id": self.worker.briefing_id,
            "person_id": person_id,
            "status": status,
            "client_op_id": op_id,
        }
        acked = await self._send_until_acked("check_in", message, self.errors, retry_on=("rate_limited", "conflict"))
        if acked is not None:
            ack, first_send, sent, attempt = acked
            self.acks.append(
                Ack(person_id, int(ack["seq"]), first_send, sent, time.monotonic(), bool(ack.get("replayed")), attempt)
            )

    async def _send_until_acked(
        self, event: str, message: dict[str, Any], errors: Counter[str], retry_on: tuple[str, ...]
    ) -> tuple[dict[str, Any], float, float, int] | None:
        """Send until acked, with the same client_op_id after a lost ack or a reconnect, as the console's outbox does;
        return the ack, the first and the last send times and the attempt, or None when refused or given up."""
        first_send = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if not self.connected:
                try:
                    await self.connect()
                    self.reconnects += 1
                except RuntimeError:
                    errors["reconnect_failed"] += 1
                    continue
            sent = time.monotonic()
            first_send = first_send or sent
            try:
                ack = await self.client.call(event, message, namespace=NAMESPACE, timeout=ACK_TIMEOUT)
            except Exception as error:  # lost ack, closed socket: the outbox keeps the item and sends it again
                errors[type(error).__name__] += 1
                await asyncio.sleep(0.1)
                continue
            if ack.get("ok"):
                return ack, first_send, sent, attempt
            code = str(ack.get("error", {}).get("code"))
            errors[code] += 1
            if code not in retry_on:
                return None
            await asyncio.sleep(0.25)
        errors["gave_up"] += 1
        return None

    async def run_answers(self) -> None:
        """Send the queued poll answers one at a time, as the console's outbox does."""
        while (message := await self.answers.get()) is not None:
            await self.answer(message)

    async def answer(self, message: dict[str, Any]) -> None:
        """Send one answer until acked."""
        acked = await self._send_until_acked(
            "answer", message, self.poll_errors, retry_on=("rate_limited", "try_again")
        )
        if acked is not None:
            ack, first_send, _sent, attempt = acked
            self.poll_acks.append(
                PollAck(
                    message["poll_id"],
                    message.get("person_id"),
                    int(ack["result"]["endpoint_id"]),
                    list(message.get("choices") or ()),
                    message.get("counts"),
                    int(ack["seq"]),
                    first_send,
                    time.monotonic(),
                    bool(ack.get("replayed")),
                    attempt,
                )
            )


#: A dashboard's poll tallies: (poll, endpoint) -> (answered, counts), endpoints without answers left out.
PollTallies = dict[tuple[int, int], tuple[int, tuple[int, ...]]]


def _set_tally(tallies: PollTallies, poll_id: int, endpoint_id: int, answered: int, counts: Any) -> None:
    if answered or any(counts):
        tallies[(poll_id, endpoint_id)] = (answered, tuple(counts))
    else:
        tallies.pop((poll_id, endpoint_id), None)


class Dashboard(Endpointed):
    """A dashboard: keeps person -> status by applying events in seq order on top of its watch snapshot."""

    def __init__(self, worker: Worker, token: str, first_url: int) -> None:
        super().__init__(worker, {"token": token, "kind": "dashboard"}, first_url)
        self.applied = -1
        self.state: dict[int, str] = {}
        self.pending: dict[int, dict[str, Any]] = {}
        self.received = array("d", bytes(8 * worker.seq_capacity))
        self.gap_since: float | None = None
        self.messages = self.deliveries = self.duplicates = self.resyncs = 0
        self.last_delivery = 0.0
        self.reached_at: float | None = None
        self.resyncing = False
        self.watch_ms: list[float] = []
        self.polls: PollTallies = {}

    def watch_message(self) -> dict[str, Any]:
        message = super().watch_message()
        if self.applied >= 0:
            message["last_seq"] = self.applied
        return message

    def _register(self, client: Any) -> None:
        client.on("events", self.on_events, namespace=NAMESPACE)

    async def start(self) -> None:
        started = time.monotonic()
        self.apply_ack(await self.connect())
        self.watch_ms.append((time.monotonic() - started) * 1000)

    def on_events(self, data: dict[str, Any]) -> None:
        now = time.monotonic()
        self.messages += 1
        for event in data.get("events", ()):
            seq = int(event["seq"])
            self.deliveries += 1
            self.last_delivery = now
            if seq >= len(self.received):
                self.received.extend(bytes(8 * max(seq + 1 - len(self.received), 1024)))
            if self.received[seq] == 0.0:
                self.received[seq] = now
            if seq <= self.applied or seq in self.pending:
                self.duplicates += 1
                continue
            self.pending[seq] = event
        self._drain(now)

    def apply_ack(self, ack: dict[str, Any]) -> None:
        """Take a watch ack: a snapshot replaces the state, events are applied on top."""
        snapshot = ack.get("snapshot")
        if snapshot is not None:
            self.state = {int(r["person_id"]): r["status"] for r in snapshot.get("records", ())}
            self.polls = {}
            for poll in snapshot.get("polls", ()):
                for row in poll["by_endpoint"]:
                    _set_tally(self.polls, poll["id"], row["endpoint_id"], row["answered"], row["counts"])
            self.applied = int(snapshot["seq"])
            self.pending = {seq: e for seq, e in self.pending.items() if seq > self.applied}
        for event in ack.get("events") or ():
            seq = int(event["seq"])
            if seq > self.applied:
                self.pending[seq] = event
        self._drain(time.monotonic())

    def _drain(self, now: float) -> None:
        while (event := self.pending.pop(self.applied + 1, None)) is not None:
            self.applied += 1
            if event.get("type") == "attendance":
                self.state[int(event["person_id"])] = event["status"]
            elif event.get("type") == "poll":
                self.apply_poll(event)
        self.gap_since = (self.gap_since or now) if self.pending else None
        final = self.worker.final_seq
        if final is not None and self.reached_at is None and self.applied >= final and self.matches():
            self.reached_at = now

    def apply_poll(self, event: dict[str, Any]) -> None:
        """Apply a poll event in seq order: an endpoint's whole tally, or every endpoint's (opened, closed)."""
        poll_id = int(event["poll_id"])
        if event.get("action") == "answered":
            tally = event["tally"]
            _set_tally(self.polls, poll_id, int(event["endpoint_id"]), tally["answered"], tally["counts"])
        else:
            for row in event["poll"]["results"]["by_endpoint"]:
                _set_tally(self.polls, poll_id, row["endpoint_id"], row["answered"], row["counts"])

    def matches(self) -> bool:
        expected = self.worker.expected
        polls = self.worker.expected_polls
        return expected is not None and self.state == expected and (polls is None or self.polls == polls)

    async def resync(self) -> None:
        """Ask for what was missed (watch with last_seq); reconnect first if the socket is gone."""
        if self.resyncing:
            return
        self.resyncing = True
        self.resyncs += 1
        try:
            if not self.connected:
                ack = await self.connect()
                self.reconnects += 1
            else:
                ack = await self.client.call("watch", self.watch_message(), namespace=NAMESPACE, timeout=ACK_TIMEOUT)
            if ack.get("ok"):
                self.apply_ack(ack)
        except Exception:  # the next maintenance round tries again
            pass
        finally:
            self.resyncing = False


@dataclass
class Worker:
    """One client process: its sockets and what the harness told it."""

    urls: list[str]
    briefing_id: int
    deflate: bool
    resync: bool
    run_id: str
    seq_capacity: int
    heartbeat_seconds: float = 0.0
    final_seq: int | None = None
    expected: dict[int, str] | None = None
    final_at: float = 0.0
    #: The poll phase's tallies as the database holds them (None before it).
    expected_polls: PollTallies | None = None
    operators: list[Operator] = field(default_factory=list)
    dashboards: list[Dashboard] = field(default_factory=list)

    async def maintain(self, stop: asyncio.Event) -> None:
        """Resync dashboards with a gap that stays open, or that lag behind the final seq."""
        while not stop.is_set():
            await asyncio.sleep(0.25)
            if not self.resync:
                continue
            now = time.monotonic()
            for dashboard in self.dashboards:
                gap = dashboard.gap_since is not None and now - dashboard.gap_since > GAP_RESYNC_SECONDS
                lagging = (
                    self.final_seq is not None
                    and dashboard.reached_at is None
                    and now - self.final_at > GAP_RESYNC_SECONDS
                    and now - dashboard.last_delivery > GAP_RESYNC_SECONDS
                )
                if gap or lagging or not dashboard.connected:
                    asyncio.create_task(dashboard.resync())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _gather_limited(coroutines: list[Any], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> Any:
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines), return_exceptions=True)


async def _recv(conn: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


async def _schedule(worker: Worker, arrivals: str, rate: float, seed: int, deadline: float) -> None:
    """Feed the operators' outboxes: all at once (burst) or as a Poisson process of the given rate."""
    items = [(op, person_id, status) for op in worker.operators for person_id, status in op.spec["people"]]
    if arrivals == "burst" or rate <= 0:
        for op, person_id, status in items:
            op.queue.put_nowait((person_id, status))
    else:
        rng = random.Random(seed)
        rng.shuffle(items)
        loop = asyncio.get_running_loop()
        at = loop.time()
        for op, person_id, status in items:
            at += rng.expovariate(rate)
            if at > deadline:
                break
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            op.queue.put_nowait((person_id, status))
    for op in worker.operators:
        op.queue.put_nowait(None)


async def _main(conn: Any, spec: dict[str, Any]) -> None:
    worker = Worker(
        urls=spec["urls"],
        briefing_id=spec["briefing_id"],
        deflate=spec["deflate"],
        resync=spec["resync"],
        run_id=spec["run_id"],
        seq_capacity=spec["seq_capacity"],
        heartbeat_seconds=spec["heartbeat_seconds"],
    )
    worker.dashboards = [Dashboard(worker, token, i) for i, token in enumerate(spec["dashboards"], spec["index"])]
    worker.operators = [Operator(worker, op, i) for i, op in enumerate(spec["operators"], spec["index"])]
    started = time.monotonic()
    results = await _gather_limited(
        [d.start() for d in worker.dashboards] + [o.connect() for o in worker.operators], CONNECT_CONCURRENCY
    )
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    conn.send(("ready", {"failures": failures[:5], "failed": len(failures), "connect_s": time.monotonic() - started}))

    command, go = await _recv(conn)
    assert command == "go"
    stop = asyncio.Event()
    maintenance = asyncio.create_task(worker.maintain(stop))
    cpu_at_go, go_at = _cpu_seconds(), time.monotonic()
    senders = [asyncio.create_task(op.run()) for op in worker.operators]
    await _schedule(worker, go["arrivals"], go["rate"], go["seed"], go_at + go["max_seconds"])
    _done, still = await asyncio.wait(senders, timeout=max(go["max_seconds"] - (time.monotonic() - go_at), 1.0))
    for task in still:
        task.cancel()
    conn.send(
        (
            "sent",
            {
                "acks": [
                    (a.person_id, a.seq, a.first_send, a.last_send, a.acked_at, a.replayed, a.attempts)
                    for op in worker.operators
                    for a in op.acks
                ],
                "assigned": sum(len(op.spec["people"]) for op in worker.operators),
                "errors": dict(sum((op.errors for op in worker.operators), Counter())),
                "unfinished_operators": len(still),
                "reconnects": sum(op.reconnects for op in worker.operators),
                "heartbeats": sum(op.heartbeats for op in worker.operators),
                "heartbeat_errors": dict(sum((op.heartbeat_errors for op in worker.operators), Counter())),
            },
        )
    )

    command, final = await _recv(conn)
    assert command == "final"
    worker.expected = final["expected"]
    worker.final_seq = final["final_seq"]
    worker.final_at = time.monotonic()
    now = time.monotonic()
    for dashboard in worker.dashboards:
        dashboard._drain(now)
    deadline = time.monotonic() + final["converge_timeout"]
    while time.monotonic() < deadline and any(d.reached_at is None for d in worker.dashboards):
        await asyncio.sleep(0.02)
    cpu_at_done, done_at = _cpu_seconds(), time.monotonic()
    stop.set()
    await maintenance

    send_times: array[float] = final["send_times"]
    histogram: Counter[int] = Counter()
    deliveries = 0
    first_delivery, last_delivery = float("inf"), 0.0
    for dashboard in worker.dashboards:
        received = dashboard.received
        for seq in range(1, min(len(send_times), len(received))):
            sent_at, got_at = send_times[seq], received[seq]
            if sent_at > 0 and got_at > 0:
                deliveries += 1
                first_delivery = min(first_delivery, got_at)
                last_delivery = max(last_delivery, got_at)
                histogram[int(max(got_at - sent_at, 0.0) * 1000 / BIN_MS)] += 1
    conn.send(
        (
            "done",
            {
                "histogram": dict(histogram),
                "deliveries": deliveries,
                "first_delivery": first_delivery if deliveries else None,
                "last_delivery": last_delivery if deliveries else None,
                "messages": sum(d.messages for d in worker.dashboards),
                "event_deliveries": sum(d.deliveries for d in worker.dashboards),
                "duplicate_deliveries": sum(d.duplicates for d in worker.dashboards),
                "resyncs": sum(d.resyncs for d in worker.dashboards),
                "dashboard_reconnects": sum(d.reconnects for d in worker.dashboards),
                "reached_at": [d.reached_at for d in worker.dashboards],
                "watch_ms": [ms for d in worker.dashboards for ms in d.watch_ms],
                "cpu_s": cpu_at_done - cpu_at_go,
                "wall_s": done_at - go_at,
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            },
        )
    )
    command, poll = await _recv(conn)
    if command == "poll":
        await _poll_phase(conn, worker, poll)
        command, _ = await _recv(conn)
    await _gather_limited([_close(s.client) for s in [*worker.dashboards, *worker.operators] if s.client], 64)


def _poll_messages(worker: Worker, poll: dict[str, Any], rng: random.Random) -> list[tuple[Operator, dict[str, Any]]]:
    """Return each answer to send: one per present or late person (named), one per endpoint (endpoint poll)."""
    messages = []
    width = poll["options"]
    for op in worker.operators:
        eligible = [person for person, status in op.spec["people"] if status in ("present", "late")]
        for person_id in eligible:
            choice = rng.randrange(width)
            messages.append(
                (
                    op,
                    {
                        "poll_id": poll["named_id"],
                        "person_id": person_id,
                        "choices": [choice],
                        "client_op_id": f"bench-{worker.run_id}-p{poll['named_id']}-{person_id}",
                    },
                )
            )
        if poll.get("endpoint_id") is not None:
            counts = [0] * width
            for _ in eligible:
                counts[rng.randrange(width)] += 1
            messages.append(
                (
                    op,
                    {
                        "poll_id": poll["endpoint_id"],
                        "counts": counts,
                        "client_op_id": f"bench-{worker.run_id}-p{poll['endpoint_id']}-e{op.spec['endpoint_id']}",
                    },
                )
            )
    return messages


async def _poll_phase(conn: Any, worker: Worker, poll: dict[str, Any]) -> None:
    """Answer the open polls within the window while the dashboards watch; then wait for their tallies to match."""
    rng = random.Random(poll["seed"])
    messages = _poll_messages(worker, poll, rng)
    loop = asyncio.get_running_loop()
    started = loop.time()
    moments = sorted((started + rng.uniform(0, poll["spread_s"]), index) for index in range(len(messages)))
    resyncs_before = sum(d.resyncs for d in worker.dashboards)
    stop = asyncio.Event()
    maintenance = asyncio.create_task(worker.maintain(stop))
    senders = [asyncio.create_task(op.run_answers()) for op in worker.operators]
    for at, index in moments:
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        op, message = messages[index]
        op.answers.put_nowait(message)
    for op in worker.operators:
        op.answers.put_nowait(None)
    _done, still = await asyncio.wait(senders, timeout=poll["max_seconds"])
    for task in still:
        task.cancel()
    conn.send(
        (
            "poll_sent",
            {
                "acks": [dataclasses.astuple(a) for op in worker.operators for a in op.poll_acks],
                "assigned": len(messages),
                "errors": dict(sum((op.poll_errors for op in worker.operators), Counter())),
                "unfinished_operators": len(still),
            },
        )
    )
    command, final = await _recv(conn)
    assert command == "poll_final"
    worker.expected_polls = {
        (int(poll_id), int(endpoint_id)): (answered, tuple(counts))
        for poll_id, endpoint_id, answered, counts in final["tallies"]
    }
    worker.final_seq = final["final_seq"]
    worker.final_at = time.monotonic()
    now = time.monotonic()
    for dashboard in worker.dashboards:
        dashboard.reached_at = None
        dashboard._drain(now)
    deadline = time.monotonic() + final["converge_timeout"]
    while time.monotonic() < deadline and any(d.reached_at is None for d in worker.dashboards):
        await asyncio.sleep(0.02)
    stop.set()
    await maintenance
    conn.send(
        (
            "poll_done",
            {
                "reached_at": [d.reached_at for d in worker.dashboards],
                "resyncs": sum(d.resyncs for d in worker.dashboards) - resyncs_before,
            },
        )
    )


def worker_main(conn: Any, spec: dict[str, Any]) -> None:
    """Entry point of a client process (multiprocessing target)."""
    try:
        asyncio.run(_main(conn, spec))
    except BaseException as error:
        with contextlib.suppress(Exception):
            conn.send(("error", repr(error)))
        raise
    finally:
        conn.close()
