"""The polls' writes on PostgreSQL: the upserts of ballots, tallies and endpoint counts, and the results."""

from __future__ import annotations

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.errors import Conflict
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind
from tests import factories
from tests.attendance.conftest import make_live_briefing_with_pha_lai
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
