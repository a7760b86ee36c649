"""The console's polls: what the page embeds (and its polls JSON returns) so that a reload shows the state, by ballot
kind, and who may read it."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind
from meeting_hub.scheduling import services as scheduling
from tests.attendance.conftest import signed_in_client
from tests.attendance.test_live_pages import embedded
from tests.polls.conftest import PollSetting, answer, make_poll


def _console_polls(app: Flask, setting: PollSetting, username: str = "op-sao-do") -> dict[str, Any]:
    page = signed_in_client(app, username).get(f"/briefings/{setting.briefing_id}/console")
    assert page.status_code == 200
    polls: dict[str, Any] = embedded(page.text, "console-data")["polls"]
    return polls


def _by_id(polls: dict[str, Any], poll_id: int) -> dict[str, Any]:
    (found,) = [poll for poll in polls["polls"] if poll["id"] == poll_id]
    return found


def test_a_named_poll_comes_with_the_endpoints_answers_only(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, multiple=True)
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0, 2))
        answer(poll_id, "op-hoang-hoa-tham", person_id=setting.hht_person_id, choices=(1,))
        late = answer(poll_id, "op-sao-do", person_id=setting.present_ids[1], choices=(1,))
    polls = _console_polls(app, setting)
    poll = _by_id(polls, poll_id)
    assert (poll["kind"], poll["status"], poll["multiple"]) == ("named", "open", True)
    assert poll["options"] == ["Đồng ý", "Không đồng ý", "Ý kiến khác"]
    # Sao Đỏ's two answers, each with the seq that set it; nothing of Hoàng Hoa Thám's.
    assert [(b["person_id"], b["choices"]) for b in poll["ballots"]] == sorted(
        [(setting.present_ids[0], [0, 2]), (setting.present_ids[1], [1])]
    )
    assert max(b["seq"] for b in poll["ballots"]) == late.result["seq"]
    assert poll["tally"] == {"answered": 2, "counts": [1, 1, 1]}
    assert polls["seq"] >= late.result["seq"]


def test_a_secret_poll_says_who_answered_never_what(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET)
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[1], choices=(2,))
    poll = _by_id(_console_polls(app, setting), poll_id)
    assert poll["answered_people"] == [setting.present_ids[1]]
    # Not even the endpoint's counts: with one person answered, they would tell the choice.
    assert poll["tally"] == {"answered": 1}
    assert "ballots" not in poll and "results" not in poll
    assert "choices" not in json.dumps(poll) and "counts" not in json.dumps(poll)


def test_an_endpoint_poll_comes_with_the_counts_entered_and_when(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.ENDPOINT)
    assert _by_id(_console_polls(app, setting), poll_id)["recorded_at"] is None
    with app.app_context():
        answer(poll_id, "op-sao-do", counts=(1, 0, 1))
    poll = _by_id(_console_polls(app, setting), poll_id)
    assert poll["tally"] == {"answered": 2, "counts": [1, 0, 1]}
    assert poll["recorded_at"] is not None and poll["recorded_at"].endswith("+07:00")
    # Hoàng Hoa Thám's console: nothing entered there yet.
    other = _by_id(_console_polls(app, setting, "op-hoang-hoa-tham"), poll_id)
    assert other["tally"] == {"answered": 0, "counts": [0, 0, 0]} and other["recorded_at"] is None


def test_drafts_stay_out_and_closed_polls_come_closed(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        draft_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        closed_id = make_poll(setting.briefing_id, PollKind.NAMED)
        services.close_poll(db.session.get(Poll, closed_id), accounts.find_user("organizer"))
        db.session.commit()
    # The organizer's view of an endpoint's console does not show drafts either: they are not put to anyone yet.
    for username in ("op-sao-do", "organizer"):
        client = signed_in_client(app, username)
        page = client.get(f"/briefings/{setting.briefing_id}/console?endpoint_id={setting.sao_do_id}")
        polls = embedded(page.text, "console-data")["polls"]["polls"]
        assert [(p["id"], p["status"]) for p in polls] == [(closed_id, "closed")]
        assert draft_id not in [p["id"] for p in polls]


def test_the_polls_json_is_the_pages_and_only_for_those_who_answer(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET)
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0,))
    url = f"/briefings/{setting.briefing_id}/console/polls"
    response = signed_in_client(app, "op-sao-do").get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == _console_polls(app, setting)
    assert _by_id(response.json, poll_id)["answered_people"] == [setting.present_ids[0]]
    organizer = signed_in_client(app, "organizer")
    chosen = organizer.get(f"{url}?endpoint_id={setting.sao_do_id}")
    assert chosen.status_code == 200 and _by_id(chosen.json, poll_id)["answered_people"] == [setting.present_ids[0]]
    assert organizer.get(url).status_code == 404  # an organizer names the endpoint
    # Another endpoint's operator cannot read Sao Đỏ's; leaders and responders have no console.
    assert signed_in_client(app, "op-hoang-hoa-tham").get(f"{url}?endpoint_id={setting.sao_do_id}").status_code == 403
    for username in ("leader", "responder"):
        assert signed_in_client(app, username).get(url).status_code == 403
    assert app.test_client().get(url).status_code in (302, 401)


def test_other_texts_and_self_answers_come_with_the_named_answers(app: Flask, setting: PollSetting) -> None:
    other = 3  # "Khác", after make_poll's three options
    first, second = setting.present_ids
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_other=True, allow_self_answer=True)
        answer(poll_id, "op-sao-do", person_id=first, choices=(other,), other_text="Làm vào cuối tuần")
        services.answer_poll_self(
            db.session.get(Poll, poll_id),
            scheduling.get_briefing(setting.briefing_id),
            setting.sao_do_id,
            second,
            [0],
            None,
        )
        db.session.commit()
        counted = make_poll(setting.briefing_id, PollKind.ENDPOINT, allow_other=True)
        answer(counted, "op-sao-do", counts=(0, 1, 0, 1), other_text="Chờ họp chi bộ")
    polls = _console_polls(app, setting)
    poll = _by_id(polls, poll_id)
    assert poll["allow_other"] is True
    assert [(b["person_id"], b["choices"], b["other_text"], b["source"]) for b in poll["ballots"]] == sorted(
        [(first, [other], "Làm vào cuối tuần", "operator"), (second, [0], None, "self")]
    )
    assert poll["tally"]["counts"] == [1, 0, 0, 1]
    endpoint_poll = _by_id(polls, counted)
    assert endpoint_poll["tally"] == {"answered": 2, "counts": [0, 1, 0, 1]}
    assert endpoint_poll["other_text"] == "Chờ họp chi bộ"
