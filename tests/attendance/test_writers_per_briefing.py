"""One group-commit writer per live briefing: a held batch of one briefing never delays another's acks, a briefing's
own writes stay serial, an item submitted as its writer stops is never lost, and writers end with their briefings'
traffic (no leak)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client import REGISTRY

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import group_commit, services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus
from meeting_hub.errors import NotFound, ServiceError, TryAgain
from meeting_hub.extensions import db, socketio
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.conftest import base_config

#: Long enough that a writer never retires between a test's submission and its next look; short enough to wait out.
IDLE_SECONDS = 0.5

#: A batch write of the tests: each item is a function that writes (and may wait) inside the batch's transaction.
HELD = "test-held-write"
group_commit.register_batch_write(HELD, lambda _briefing, writes: [write() for write in writes])


@dataclass
class TwoBriefings:
    """Two briefings live at the same time, both inviting Sao Đỏ."""

    app: Flask
    first_id: int
    second_id: int
    people: list[int]


def _make_two_briefings(app: Flask) -> TwoBriefings:
    with app.app_context():
        network = factories.make_small_network()
        first = factories.make_live_briefing()
        second = factories.make_live_briefing()
        return TwoBriefings(app, first.id, second.id, [p.id for p in network.sao_do_people])


def _app_on(url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def briefings(tmp_path: Path) -> Iterator[TwoBriefings]:
    """On SQLite: enough for what does not depend on two writers being in the database at once."""
    for app in _app_on(f"sqlite:///{tmp_path / 'writers.db'}", tmp_path):
        yield _make_two_briefings(app)


@pytest.fixture
def postgres_briefings(tmp_path: Path, postgres_url: str) -> Iterator[TwoBriefings]:
    """On PostgreSQL, where two briefings' transactions really run side by side (SQLite has one write lock for all)."""
    for app in _app_on(postgres_url, tmp_path):
        yield _make_two_briefings(app)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Every writer thread the test's writers start, to count them and to see them end."""
    threads: list[threading.Thread] = []

    def start(target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    monkeypatch.setattr(socketio, "start_background_task", start)
    return threads


def _request(app: Flask, person_id: int, op: str) -> services.CheckInRequest:
    with app.app_context():
        recorder = services.Recorder.of(accounts.find_user("op-sao-do"))
    return services.CheckInRequest(recorder, services.CheckIn(person_id, AttendanceStatus.PRESENT, op))


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run the call in a thread; its answer (or refusal) lands in the returned list."""
    answers: list[object] = []

    def run() -> None:
        try:
            answers.append(call())
        except ServiceError as error:
            answers.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answers


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _writers_gauge() -> float:
    return REGISTRY.get_sample_value("meeting_hub_check_in_writers") or 0.0


@pytest.mark.postgres
def test_a_held_batch_of_one_briefing_does_not_delay_the_acks_of_another(
    postgres_briefings: TwoBriefings, started: list[threading.Thread]
) -> None:
    two = postgres_briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=5.0, idle_seconds=IDLE_SECONDS)
    first_person, second_person = two.people
    entered, release = threading.Event(), threading.Event()

    def held_check_in() -> services.WriteResult:
        # A real write of the first briefing (its seq row stays locked), then a batch that takes its time.
        briefing = scheduling.get_briefing(two.first_id)
        check_in = services.CheckIn(first_person, AttendanceStatus.LATE, "op-held-1")
        result = services.record_check_in(briefing, check_in, accounts.find_user("op-sao-do"))
        entered.set()
        assert release.wait(10), "the test never released the held batch"
        return result

    held_thread, held = _in_thread(lambda: writer.run(two.first_id, HELD, held_check_in, "vi"))
    assert entered.wait(10)
    # The first briefing's next check-in queues behind its held batch: a briefing's writes stay serial.
    queued_request = _request(two.app, second_person, "op-queued-1")
    queued_thread, queued = _in_thread(lambda: writer.submit(two.first_id, queued_request, "vi"))
    _wait_until(lambda: two.first_id in writer._queues and writer._queues[two.first_id].qsize() == 1)

    # Meanwhile the second briefing's check-ins are written and acked, one after the other.
    for index, person in enumerate(two.people):
        began = time.monotonic()
        result = writer.submit(two.second_id, _request(two.app, person, f"op-other-{index}"), "vi")
        assert time.monotonic() - began < 2.0
        assert not result.replayed and result.result["seq"] == 2 + index
    assert not release.is_set() and held == [] and queued == []
    with two.app.app_context():  # committed, while the first briefing's transaction is still open
        stored = db.session.execute(
            sa.select(AttendanceRecord.briefing_id, sa.func.count()).group_by(AttendanceRecord.briefing_id)
        ).all()
        assert dict(stored) == {two.second_id: 2}
        db.session.rollback()
    assert writer.running_briefings() == sorted([two.first_id, two.second_id])

    release.set()
    held_thread.join(10)
    queued_thread.join(10)
    (held_result,), (queued_result,) = held, queued
    assert isinstance(held_result, services.WriteResult) and held_result.result["seq"] == 2
    assert isinstance(queued_result, services.WriteResult) and queued_result.result["seq"] == 3
    assert len(started) == 2  # one writer per briefing
    for thread in started:
        thread.join(10 * IDLE_SECONDS)
    assert writer.running_briefings() == []


def test_writers_end_when_idle_and_leave_nothing_behind(
    briefings: TwoBriefings, started: list[threading.Thread]
) -> None:
    two = briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=10.0, idle_seconds=IDLE_SECONDS)
    gauge_before = _writers_gauge()
    for round_number in range(3):
        for briefing_id in (two.first_id, two.second_id):
            request = _request(two.app, two.people[0], f"op-round-{round_number}-{briefing_id}")
            assert not writer.submit(briefing_id, request, "vi").replayed
        assert writer.running_briefings() == sorted([two.first_id, two.second_id])
        assert _writers_gauge() == gauge_before + 2
        for thread in started:
            thread.join(10 * IDLE_SECONDS)
            assert not thread.is_alive()
        # Both ended: no writer, no queue, until the next item.
        assert writer.running_briefings() == [] and writer._queues == {}
        assert _writers_gauge() == gauge_before
    assert len(started) == 3 * 2  # each round started a writer per briefing anew


def test_an_item_queued_as_its_writer_decides_to_stop_is_written_by_that_writer(
    briefings: TwoBriefings, started: list[threading.Thread], monkeypatch: pytest.MonkeyPatch
) -> None:
    two = briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    late_request = _request(two.app, two.people[1], "op-late-1")
    late: list[tuple[threading.Thread, list[object]]] = []
    retire = writer._retire

    def retire_after_a_late_item(briefing_id: int, pending: Any) -> bool:
        # The writer's wait for work has just timed out: an item arrives before it takes the lock to stop.
        if not late:
            late.append(_in_thread(lambda: writer.submit(two.first_id, late_request, "vi")))
            _wait_until(lambda: pending.qsize() == 1)
        return retire(briefing_id, pending)

    monkeypatch.setattr(writer, "_retire", retire_after_a_late_item)
    writer.submit(two.first_id, _request(two.app, two.people[0], "op-early-1"), "vi")
    _wait_until(lambda: bool(late))
    thread, answers = late[0]
    thread.join(10)
    assert len(answers) == 1 and isinstance(answers[0], services.WriteResult)
    assert answers[0].result["seq"] == 3
    assert len(started) == 1  # the same writer went on and wrote it
    started[0].join(10)
    assert writer.running_briefings() == []


def test_an_item_submitted_just_after_its_writer_stopped_starts_a_new_one(
    briefings: TwoBriefings, started: list[threading.Thread], monkeypatch: pytest.MonkeyPatch
) -> None:
    two = briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    late_request = _request(two.app, two.people[1], "op-after-1")
    answers: list[services.WriteResult] = []
    retire = writer._retire

    def submit_once_stopped(briefing_id: int, pending: Any) -> bool:
        stopped = retire(briefing_id, pending)
        if stopped and not answers:  # the writer has let go of the briefing but is still finishing its loop
            answers.append(writer.submit(two.first_id, late_request, "vi"))
        return stopped

    monkeypatch.setattr(writer, "_retire", submit_once_stopped)
    writer.submit(two.first_id, _request(two.app, two.people[0], "op-before-1"), "vi")
    _wait_until(lambda: bool(answers))
    assert answers[0].result["seq"] == 3 and not answers[0].replayed
    assert len(started) == 2
    for thread in started:
        thread.join(10)
    assert writer.running_briefings() == []


def test_items_racing_writers_that_stop_all_the_time_are_all_written(
    briefings: TwoBriefings, started: list[threading.Thread]
) -> None:
    # Writers that give up after a millisecond: many items meet their writer as it stops or starts.
    two = briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.001)
    per_sender = 15

    def send(briefing_id: int, sender: int) -> list[services.WriteResult]:
        results = []
        for i in range(per_sender):
            time.sleep(0.002 * (i % 3))
            request = _request(two.app, two.people[sender], f"op-race-{briefing_id}-{sender}-{i}")
            results.append(writer.submit(briefing_id, request, "vi"))
        return results

    senders = {
        (briefing_id, sender): _in_thread(functools.partial(send, briefing_id, sender))
        for briefing_id in (two.first_id, two.second_id)
        for sender in (0, 1)
    }
    for thread, _answers in senders.values():
        thread.join(30)
    for briefing_id in (two.first_id, two.second_id):
        seqs = []
        for sender in (0, 1):
            (results,) = senders[briefing_id, sender][1]
            assert isinstance(results, list) and not any(result.replayed for result in results)
            seqs += [result.result["seq"] for result in results]
        assert sorted(seqs) == list(range(2, 2 + 2 * per_sender))  # every one written, once
    for thread in started:
        thread.join(10)
    assert writer.running_briefings() == []
    assert len(started) > 2  # writers did stop and start again meanwhile


def test_a_writer_for_an_id_that_is_no_briefing_ends_at_once(
    briefings: TwoBriefings, started: list[threading.Thread]
) -> None:
    # Any signed-in client may send any briefing id: such a writer must not wait for more work like a live one.
    two = briefings
    writer = group_commit.CheckInWriter(two.app, max_batch=50, wait_seconds=10.0, idle_seconds=3.0)
    with pytest.raises(NotFound):
        writer.submit(987654, _request(two.app, two.people[0], "op-nowhere-1"), "vi")
    started[0].join(2.0)  # well before its idle time
    assert not started[0].is_alive() and writer.running_briefings() == []
    # A live briefing's writer, by contrast, waits for the next item.
    writer.submit(two.first_id, _request(two.app, two.people[0], "op-here-1"), "vi")
    assert writer.running_briefings() == [two.first_id]
    started[1].join(10)
    assert writer.running_briefings() == []


def test_no_more_batches_are_written_at_once_than_allowed(
    briefings: TwoBriefings, started: list[threading.Thread]
) -> None:
    # Each batch holds a connection: with many live briefings, the writers beyond the bound wait for a turn.
    two = briefings
    writer = group_commit.CheckInWriter(
        two.app, max_batch=50, wait_seconds=1.0, idle_seconds=IDLE_SECONDS, max_writing=1
    )
    # Read before the held batch begins: on SQLite its transaction holds the write lock every transaction takes.
    request = _request(two.app, two.people[0], "op-turn-1")
    entered, release = threading.Event(), threading.Event()

    def held() -> services.WriteResult:
        entered.set()
        assert release.wait(10), "the test never released the held batch"
        return services.WriteResult({"seq": 0}, replayed=False)

    held_thread, held_answers = _in_thread(lambda: writer.run(two.first_id, HELD, held, "vi"))
    assert entered.wait(10)
    with pytest.raises(TryAgain):  # its writer waits for the only turn, held by the first briefing's batch
        writer.submit(two.second_id, request, "vi")
    assert writer.running_briefings() == sorted([two.first_id, two.second_id])
    release.set()
    held_thread.join(10)
    assert len(held_answers) == 1  # try_again too: it was held longer than its wait
    # The waiting check-in was written once the turn came: sent again, it is replayed.
    _wait_until(lambda: writer.batches_written == 2)
    assert writer.submit(two.second_id, request, "vi").replayed


def test_the_app_gives_its_writers_half_the_connection_pool(tmp_path: Path) -> None:
    for app in _app_on(f"sqlite:///{tmp_path / 'pool.db'}", tmp_path):
        found = group_commit.writer(app)
        assert found is not None
        assert found._writing._value == app.config["DATABASE_POOL_SIZE"] // 2  # type: ignore[attr-defined]
