"""Answers written as a batch (the roll-call writer's path): each as one answer alone would be, a refusal refusing
only itself, and a fixed number of statements whatever the batch's size."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance.services import Recorder, WriteResult
from meeting_hub.errors import Conflict, ServiceError
from meeting_hub.event_log import log
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind
from meeting_hub.scheduling import services as scheduling
from tests.polls.conftest import PollSetting, answer, make_poll, stamp


def _request(poll_id: int, person_id: int, choice: int, op_id: str | None = None) -> services.AnswerRequest:
    recorder = Recorder.of(accounts.find_user("op-sao-do"))
    return services.AnswerRequest(poll_id, services.Answer(op_id or stamp(), (choice,), person_id=person_id), recorder)


def _counts(poll_id: int) -> list[int]:
    return [option["count"] for option in services.poll_results(db.session.get(Poll, poll_id))["options"]]


def test_a_batch_answers_each_as_alone_and_refuses_only_the_bad_ones(app: Flask, setting: PollSetting) -> None:
    first, second = setting.present_ids
    with app.app_context():
        named = make_poll(setting.briefing_id, PollKind.NAMED)
        secret = make_poll(setting.briefing_id, PollKind.SECRET)
        answer(secret, "op-sao-do", person_id=second, choices=(2,))  # answered before the batch
        before = log.current_seq(setting.briefing_id)
        requests = [
            _request(named, first, 0, "batch-named-1"),
            _request(named, first, 1),  # the same person again: the later answer stands
            _request(named, setting.absent_id, 0),  # absent: refused
            _request(secret, first, 0),
            _request(secret, first, 1),  # a second secret answer in the same batch: refused
            _request(secret, second, 0),  # answered before: refused
            _request(named, first, 0, "batch-named-1"),  # the first request's id again: its result
        ]
        outcomes = services.answer_polls(scheduling.get_briefing(setting.briefing_id), requests)
        db.session.commit()
        accepted = [o for o in outcomes if isinstance(o, WriteResult) and not o.replayed]
        assert [type(o).__name__ for o in outcomes] == [
            "WriteResult", "WriteResult", "Conflict", "WriteResult", "Conflict", "Conflict", "WriteResult"
        ]  # fmt: skip
        assert isinstance(outcomes[6], WriteResult) and outcomes[6].replayed
        assert outcomes[6].result == outcomes[0].result  # type: ignore[union-attr]
        # Seqs are gap-free: the refused ones took none.
        assert [o.result["seq"] for o in accepted] == [before + 1, before + 2, before + 3]
        assert log.current_seq(setting.briefing_id) == before + 3
        assert _counts(named) == [0, 1, 0] and _counts(secret) == [1, 0, 1]
        refusal = outcomes[5]
        assert isinstance(refusal, ServiceError) and "mỗi người chỉ trả lời một lần" in refusal.message
        # Every event carries its endpoint's tally after the batch: the latest per endpoint is the state.
        events = db.session.scalars(
            sa.select(BriefingEvent.payload).where(BriefingEvent.seq > before).order_by(BriefingEvent.seq)
        ).all()
        assert len(events) == 3
        # A refused operation leaves no claim: the same id can be sent again (and is refused again, for a reason).
        again = services.answer_polls(scheduling.get_briefing(setting.briefing_id), [requests[4]])
        db.session.rollback()
        assert isinstance(again[0], Conflict)


def test_a_batch_costs_the_same_statements_whatever_its_size(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        named = make_poll(setting.briefing_id, PollKind.NAMED)
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        def batch_cost(size: int) -> int:
            people = (setting.present_ids * size)[:size]
            requests = [_request(named, person, index % 3) for index, person in enumerate(people)]
            briefing = scheduling.get_briefing(setting.briefing_id)  # the transaction has begun: count only the batch
            statements.clear()
            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                outcomes = services.answer_polls(briefing, requests)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.commit()
            assert all(isinstance(o, WriteResult) and not o.replayed for o in outcomes)
            return len(statements)

        assert batch_cost(2) == batch_cost(20)
