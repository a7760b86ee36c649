"""The polls' writes on PostgreSQL: the upserts of ballots, tallies and endpoint counts, and the results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.errors import Conflict
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind, PollStatus
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai
from tests.concurrency import run_at_once
from tests.polls.conftest import answer, make_poll, take_roll_call


@pytest.mark.postgres
def test_polls_on_postgresql(postgres_app: Flask) -> None:
    with postgres_app.app_context():
        assert db.engine.dialect.name == "postgresql"
        network = factories.make_small_network()
        factories.load_all(network)
        setting = take_roll_call(make_live_briefing_with_pha_lai(network))
        named = make_poll(setting.briefing_id, PollKind.NAMED)
        answer(named, "op-sao-do", person_id=setting.present_ids[0], choices=(0,))
        answer(named, "op-sao-do", person_id=setting.present_ids[0], choices=(1,))
        secret = make_poll(setting.briefing_id, PollKind.SECRET, multiple=True)
        answer(secret, "op-sao-do", person_id=setting.present_ids[0], choices=(0, 1))
        answer(secret, "op-sao-do", person_id=setting.present_ids[1], choices=(1,))
        with pytest.raises(Conflict):
            answer(secret, "op-sao-do", person_id=setting.present_ids[1], choices=(2,))
        db.session.rollback()
        counted = make_poll(setting.briefing_id, PollKind.ENDPOINT)
        answer(counted, "op-sao-do", counts=(2, 0, 0))
        answer(counted, "op-sao-do", counts=(1, 0, 1))
        counts = {
            poll_id: [o["count"] for o in services.poll_results(db.session.get(Poll, poll_id))["options"]]
            for poll_id in (named, secret, counted)
        }
        assert counts == {named: [0, 1, 0], secret: [1, 2, 0], counted: [1, 0, 1]}
        closed = services.close_poll(db.session.get(Poll, secret), accounts.find_user("organizer"))
        db.session.commit()
        assert closed["poll"]["results"]["answered"] == 2


def _race_edit_and_open(app: Flask, poll_id: int, question: str) -> dict[str, Any]:
    """Edit the draft (to `question`) and open it at once from two threads; return each one's outcome."""
    turns = iter(["edit", "open"])
    lock = threading.Lock()

    def send(ready: Callable[[], None]) -> tuple[str, Any]:
        with lock:
            turn = next(turns)
        organizer = accounts.find_user("organizer")
        poll = db.session.get(Poll, poll_id)
        assert poll is not None and poll.question  # loaded before the race: a stale copy unless read again
        ready()
        try:
            if turn == "edit":
                draft = services.PollDraft(question, ["Có", "Không"], PollKind.NAMED)
                return turn, services.update_poll(poll, draft, organizer).question
            return turn, services.open_poll(poll, organizer)["poll"]["question"]
        except Conflict as refusal:
            db.session.rollback()
            return turn, refusal

    return dict(run_at_once(app, send, times=2))


@pytest.mark.postgres
def test_an_edit_racing_the_opening_lands_before_it_or_is_refused(postgres_app: Flask) -> None:
    """Both lock the poll's row: either the edit lands first and the poll opens with the edited text (the opened
    event says so), or the opening wins and the edit gets 409. Never an open poll whose event shows other text."""
    with postgres_app.app_context():
        network = factories.make_small_network()
        factories.load_all(network)
        setting = take_roll_call(make_live_briefing_with_pha_lai(network))
    for attempt in range(4):
        question = f"Câu hỏi đã sửa {attempt}?"
        with postgres_app.app_context():
            poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        outcomes = _race_edit_and_open(postgres_app, poll_id, question)
        with postgres_app.app_context():
            stored = db.session.get(Poll, poll_id)
            assert stored is not None and stored.status == PollStatus.OPEN
            assert outcomes["open"] == stored.question
            if isinstance(outcomes["edit"], Conflict):
                assert stored.question != question
            else:
                assert stored.question == outcomes["edit"] == question
