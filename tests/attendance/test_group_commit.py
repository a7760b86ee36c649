"""Group commit: a batch of check-ins is written in one transaction with a fixed number of statements, each check-in
gets the outcome it would get alone, and the per-process writer gathers waiting check-ins into one batch."""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import group_commit, services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, EndpointLink
from meeting_hub.errors import AccessDenied, NotFound, ServiceError, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.event_log.models import BriefingEvent, ClientOperation
from meeting_hub.extensions import db
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai
from tests.conftest import base_config


@dataclass
class Roll:
    """A live briefing on the small network, with Phả Lại invited too."""

    app: Flask
    briefing_id: int
    sao_do_people: list[int]
    pha_lai_person: int


def _make_roll(app: Flask) -> Roll:
    with app.app_context():
        network = factories.make_small_network()
        live = make_live_briefing_with_pha_lai(network)
        return Roll(app, live.briefing_id, [p.id for p in network.sao_do_people], live.pha_lai_person_id)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def roll(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Roll]:
    """The same briefing on SQLite and on PostgreSQL: the batch's upserts differ by dialect."""
    on_sqlite = request.param == "sqlite"
    url = f"sqlite:///{tmp_path / 'batch.db'}" if on_sqlite else request.getfixturevalue("postgres_url")
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        db.create_all()
    try:
        yield _make_roll(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def _request(
    username: str, person_id: int, op: str, status: AttendanceStatus = AttendanceStatus.PRESENT, **kw: str
) -> services.CheckInRequest:
    recorder = services.Recorder.of(accounts.find_user(username))
    return services.CheckInRequest(recorder, services.CheckIn(person_id, status, op, **kw))


def test_each_check_in_of_a_batch_gets_the_outcome_it_would_get_alone(roll: Roll) -> None:
    first, second = roll.sao_do_people
    with roll.app.app_context():
        briefing = scheduling.get_briefing(roll.briefing_id)
        services.record_check_in(
            briefing, services.CheckIn(second, AttendanceStatus.ABSENT, "op-earlier"), accounts.find_user("op-sao-do")
        )
        db.session.commit()
        seq_before = log.current_seq(briefing.id)

        outcomes = services.record_check_ins(
            briefing,
            [
                _request("op-sao-do", first, "op-new-1"),
                _request("op-sao-do", first, "op-new-1"),  # the same operation twice in one batch
                _request("op-sao-do", first, "op-fix-1", AttendanceStatus.LATE, note="Đường ngập"),  # a correction
                _request("op-sao-do", roll.pha_lai_person, "op-other-1"),  # not this operator's endpoint
                _request("op-sao-do", second, "op-earlier", AttendanceStatus.PRESENT),  # a replay of a committed one
                _request("op-sao-do", first, "x"),  # malformed client_op_id
                _request("op-sao-do", 987654, "op-nobody-1"),  # no such person
            ],
        )
        db.session.commit()

        new, repeat, fix, other, earlier, malformed, nobody = outcomes
        assert isinstance(new, services.WriteResult) and not new.replayed
        assert isinstance(repeat, services.WriteResult) and repeat.replayed and repeat.result == new.result
        assert isinstance(fix, services.WriteResult) and not fix.replayed
        assert [new.result["seq"], fix.result["seq"]] == [seq_before + 1, seq_before + 2]
        assert isinstance(other, AccessDenied)
        assert isinstance(earlier, services.WriteResult) and earlier.replayed
        assert earlier.result["record"]["status"] == "absent"  # the original result, not this request's
        assert isinstance(malformed, ValidationFailed)
        assert isinstance(nobody, NotFound)

        assert log.current_seq(briefing.id) == seq_before + 2
        record = db.session.scalars(sa.select(AttendanceRecord).where(AttendanceRecord.person_id == first)).one()
        assert (record.status, record.note, record.seq) == (AttendanceStatus.LATE, "Đường ngập", seq_before + 2)
        events = log.events_since(briefing.id, seq_before)
        assert events is not None
        assert [(e["person_id"], e["status"]) for e in events] == [(first, "present"), (first, "late")]
        # Refused operations leave no claim behind: the client may try the same id again.
        claimed = set(db.session.scalars(sa.select(ClientOperation.client_op_id)))
        assert {"op-other-1", "op-nobody-1"}.isdisjoint(claimed)
        assert {"op-new-1", "op-fix-1", "op-earlier"} <= claimed


def test_a_batch_costs_the_same_statements_whatever_its_size(roll: Roll) -> None:
    with roll.app.app_context():
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        def batch_cost(size: int, tag: str) -> int:
            people = (roll.sao_do_people * size)[:size]
            requests = [_request("op-sao-do", person, f"op-{tag}-{i}") for i, person in enumerate(people)]
            briefing = scheduling.get_briefing(roll.briefing_id)  # the transaction has begun: count only the batch
            statements.clear()
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                outcomes = services.record_check_ins(briefing, requests)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.commit()
            assert all(isinstance(o, services.WriteResult) and not o.replayed for o in outcomes)
            return len(statements)

        assert batch_cost(2, "small") == batch_cost(20, "large")
        assert log.current_seq(roll.briefing_id) == 1 + 22


def _wait_until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _busy(writer: group_commit.CheckInWriter, briefing_id: int) -> queue.SimpleQueue[group_commit._Waiting]:
    """Pretend the briefing's writer is busy with an earlier batch: submissions queue up in the returned queue until
    the test runs the writer's loop on it."""
    pending: queue.SimpleQueue[group_commit._Waiting] = queue.SimpleQueue()
    writer._queues[briefing_id] = pending
    return pending


def test_the_writer_writes_waiting_check_ins_as_one_batch(roll: Roll) -> None:
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    pending = _busy(writer, roll.briefing_id)
    with roll.app.app_context():
        requests = [_request("op-sao-do", person, f"op-wait-{i}") for i, person in enumerate(roll.sao_do_people * 3)]
    answers: list[services.WriteResult | ServiceError] = []

    def submit(request: services.CheckInRequest) -> None:
        try:
            answers.append(writer.submit(roll.briefing_id, request, "vi"))
        except ServiceError as error:
            answers.append(error)

    threads = [threading.Thread(target=submit, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    _wait_until(lambda: pending.qsize() == len(requests))
    writer._run(roll.briefing_id, pending)  # takes everything queued, then stops when idle
    for thread in threads:
        thread.join(timeout=10)

    assert writer.batches_written == 1
    assert all(isinstance(a, services.WriteResult) and not a.replayed for a in answers)
    seqs = sorted(a.result["seq"] for a in answers if isinstance(a, services.WriteResult))
    assert seqs == list(range(2, 2 + len(requests)))
    with roll.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(BriefingEvent.id))) == 1 + len(requests)


def test_a_failed_batch_asks_every_sender_to_resend_and_writes_nothing(
    roll: Roll, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    with roll.app.app_context():
        request = _request("op-sao-do", roll.sao_do_people[0], "op-broken-1")

    def broken(*_args: object) -> list[services.WriteResult | ServiceError]:
        db.session.execute(sa.text("SELECT 1"))
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(services, "record_check_ins", broken)
        with pytest.raises(TryAgain):
            writer.submit(roll.briefing_id, request, "vi")
    with roll.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ClientOperation.id))) == 0
        assert log.current_seq(roll.briefing_id) == 1
    # The writer survives the failure: the resend is written.
    result = writer.submit(roll.briefing_id, request, "vi")
    assert not result.replayed and result.result["seq"] == 2


def test_refusals_from_the_writer_speak_the_senders_language(roll: Roll) -> None:
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    with roll.app.app_context():
        request = _request("op-sao-do", roll.pha_lai_person, "op-foreign-1")
    with pytest.raises(AccessDenied) as vietnamese:
        writer.submit(roll.briefing_id, request, "vi")
    with pytest.raises(AccessDenied) as english:
        writer.submit(roll.briefing_id, request, "en")
    assert "điểm cầu của mình" in vietnamese.value.message
    assert "your own endpoint" in english.value.message


def test_a_batch_of_heartbeats_logs_one_presence_event_per_endpoint_and_refuses_the_rest(roll: Roll) -> None:
    with roll.app.app_context():
        outsider = factories.make_endpoint(code="an-lac", name="An Lạc")  # created after the briefing: not invited
        factories.make_user(Role.OPERATOR, username="op-an-lac", endpoint_id=outsider.id)
        db.session.commit()
        briefing = scheduling.get_briefing(roll.briefing_id)
        sao_do = services.Recorder.of(accounts.find_user("op-sao-do"))
        pha_lai = services.Recorder.of(accounts.find_user("op-pha-lai"))
        leader = services.Recorder.of(accounts.find_user("leader"))
        stranger = services.Recorder.of(accounts.find_user("op-an-lac"))
        seq_before = log.current_seq(briefing.id)

        first = services.record_heartbeats(briefing, [sao_do, sao_do, leader, pha_lai, stranger])
        db.session.commit()
        assert isinstance(first[0], dict) and first[1] is None  # one presence event for Sao Đỏ's two beats
        assert isinstance(first[2], AccessDenied) and isinstance(first[4], AccessDenied)
        assert isinstance(first[3], dict)
        assert [first[0]["seq"], first[3]["seq"]] == [seq_before + 1, seq_before + 2]
        assert first[0]["type"] == "link_status" and first[0]["link_status"] == "connected"

        again = services.record_heartbeats(briefing, [sao_do, pha_lai])  # within the presence interval
        db.session.commit()
        assert again == [None, None]
        assert log.current_seq(briefing.id) == seq_before + 2
        links = {
            endpoint_id: seen
            for endpoint_id, seen in db.session.execute(
                sa.select(EndpointLink.endpoint_id, EndpointLink.last_seen_at).where(
                    EndpointLink.briefing_id == briefing.id
                )
            )
        }
        assert len(links) == 2 and all(seen is not None for seen in links.values())


def test_the_writer_answers_a_heartbeat_with_the_current_seq_when_it_logs_nothing(roll: Roll) -> None:
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    with roll.app.app_context():
        operator = services.Recorder.of(accounts.find_user("op-sao-do"))
        leader = services.Recorder.of(accounts.find_user("leader"))
    assert writer.beat(roll.briefing_id, operator, "vi") == {"seq": 2}  # the first beat logs presence
    assert writer.beat(roll.briefing_id, operator, "vi") == {"seq": 2}  # the next one only notes last_seen_at
    with pytest.raises(AccessDenied):
        writer.beat(roll.briefing_id, leader, "vi")


def test_the_writer_survives_a_failure_outside_its_transaction(roll: Roll, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    with roll.app.app_context():
        request = _request("op-sao-do", roll.sao_do_people[0], "op-outside-1")
    with monkeypatch.context() as patched:
        patched.setattr(roll.app, "app_context", lambda: (_ for _ in ()).throw(RuntimeError("no context")))
        with pytest.raises(TryAgain):
            writer.submit(roll.briefing_id, request, "vi")
    result = writer.submit(roll.briefing_id, request, "vi")
    assert not result.replayed and result.result["seq"] == 2


def _one_batch(writer: group_commit.CheckInWriter, roll: Roll, requests: list[services.CheckInRequest]) -> list[object]:
    """Queue the requests while the writer seems busy, then have it write them as one batch; return the answers."""
    pending = _busy(writer, roll.briefing_id)
    answers: list[object] = [None] * len(requests)

    def submit(index: int, request: services.CheckInRequest) -> None:
        try:
            answers[index] = writer.submit(roll.briefing_id, request, "vi")
        except ServiceError as error:
            answers[index] = error

    threads = [threading.Thread(target=submit, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: pending.qsize() == len(requests))
    writer._run(roll.briefing_id, pending)
    for thread in threads:
        thread.join(timeout=10)
    return answers


def test_a_check_in_with_a_nul_byte_is_refused_alone_and_the_rest_of_its_batch_is_written(roll: Roll) -> None:
    # A console resending a note with a NUL byte used to fail every batch it joined on PostgreSQL, and each of
    # the batch's check-ins was answered try_again: resent, failed again with the next bad resend, and so on.
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    first, second = roll.sao_do_people
    with roll.app.app_context():
        requests = [
            _request("op-sao-do", first, "op-good-1"),
            _request("op-sao-do", second, "op-bad-1", note="đến\x00muộn"),
            _request("op-pha-lai", roll.pha_lai_person, "op-good-2"),
        ]
    good, bad, other = _one_batch(writer, roll, requests)
    assert isinstance(bad, ValidationFailed) and bad.details == {"note": "Không được chứa ký tự điều khiển."}
    assert isinstance(good, services.WriteResult) and isinstance(other, services.WriteResult)
    assert writer.batches_written == 1  # refused before the batch was written: one transaction as always
    with roll.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id))) == 2


def test_a_batch_failed_by_one_check_ins_data_is_written_one_by_one(
    roll: Roll, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should a value pass validation and still fail in the database, only its own check-in is refused, for good.
    monkeypatch.setattr(services, "text_problem", lambda *_args, **_kwargs: None)
    write_records = services.write_records

    def like_postgresql(briefing_id: int, new_records: list[services.NewRecord]) -> list[dict[str, object]]:
        if db.engine.dialect.name == "sqlite" and any("\x00" in new.note for new in new_records):
            raise sa.exc.DataError("INSERT", {}, ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
        return write_records(briefing_id, new_records)

    monkeypatch.setattr(services, "write_records", like_postgresql)
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    first, second = roll.sao_do_people
    with roll.app.app_context():
        poisoned = _request("op-sao-do", second, "op-poison-1", note="\x00")
        requests = [
            _request("op-sao-do", first, "op-fine-1"),
            poisoned,
            _request("op-pha-lai", roll.pha_lai_person, "op-fine-2"),
        ]
    fine, bad, other = _one_batch(writer, roll, requests)
    assert isinstance(bad, ValidationFailed) and not isinstance(bad, TryAgain)
    assert bad.code == "invalid"
    assert isinstance(fine, services.WriteResult) and isinstance(other, services.WriteResult)
    assert sorted([fine.result["seq"], other.result["seq"]]) == [2, 3]
    with roll.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id))) == 2
        # The refused operation left no claim: nothing of it was written.
        assert "op-poison-1" not in set(db.session.scalars(sa.select(ClientOperation.client_op_id)))
    # Sent again alone, it is refused for good again: never try_again, which an outbox resends forever.
    with pytest.raises(ValidationFailed):
        writer.submit(roll.briefing_id, poisoned, "vi")


def test_a_busy_database_still_asks_the_whole_batch_to_resend(roll: Roll, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def locked(_briefing: object, requests: list[services.CheckInRequest]) -> list[object]:
        attempts.append(len(requests))
        raise sa.exc.OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(services, "record_check_ins", locked)
    writer = group_commit.CheckInWriter(roll.app, max_batch=50, wait_seconds=10.0, idle_seconds=0.05)
    with roll.app.app_context():
        requests = [_request("op-sao-do", person, f"op-busy-{i}") for i, person in enumerate(roll.sao_do_people)]
    answers = _one_batch(writer, roll, requests)
    assert all(isinstance(answer, TryAgain) for answer in answers)
    assert attempts == [2]  # a passing failure is not retried item by item: each would wait on the same lock
