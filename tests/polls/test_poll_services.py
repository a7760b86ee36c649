"""Poll rules: drafts, opening and closing, who may answer what, replacing answers, counts against the roll-call."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import group_commit
from meeting_hub.attendance.services import Recorder, WriteResult
from meeting_hub.errors import AccessDenied, Conflict, ServiceError, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind, PollStatus
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.polls.conftest import PollSetting, answer, make_poll, stamp


def refused(poll_id: int, username: str, error: type[ServiceError], **fields: Any) -> ServiceError:
    """Answer, expect the refusal, roll back; return the refusal."""
    with pytest.raises(error) as caught:
        answer(poll_id, username, **fields)
    db.session.rollback()
    return caught.value


def _draft(**overrides: Any) -> services.PollDraft:
    values: dict[str, Any] = {"question": "Chọn ngày ra quân?", "options": ["Thứ Bảy", "Chủ nhật"]}
    values.update(overrides)
    return services.PollDraft(values["question"], values["options"], PollKind.NAMED, values.get("multiple", False))


#: Drafts the service refuses, and the message each gets.
BAD_DRAFTS: list[tuple[dict[str, Any], str]] = [
    ({"options": ["Một"]}, "Câu hỏi cần từ 2 đến 10 phương án trả lời."),
    ({"options": [str(i) for i in range(11)]}, "Câu hỏi cần từ 2 đến 10 phương án trả lời."),
    ({"options": ["Có", "  "]}, "Phương án trả lời không được để trống."),
    ({"options": ["Có", " có "]}, "Các phương án trả lời không được trùng nhau."),
    ({"options": ["Có", "x" * 201]}, "Phương án trả lời quá dài."),
    ({"question": "   "}, "Hãy nhập câu hỏi."),
    ({"question": "x" * 501}, "Câu hỏi quá dài."),
    ({"question": "Hai\ndòng"}, "Chỉ nhập trên một dòng."),
    ({"options": ["Có", "Không\x00"]}, "Không được chứa ký tự điều khiển."),
]


def test_a_poll_needs_a_question_and_two_to_ten_distinct_options(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(setting.briefing_id)
        organizer = accounts.find_user("organizer")
        for overrides, message in BAD_DRAFTS:
            with pytest.raises(ValidationFailed) as caught:
                services.create_poll(briefing, _draft(**overrides), organizer)
            assert caught.value.message == message, overrides
        poll = services.create_poll(briefing, _draft(question="  Chọn ngày?  ", options=[" A ", "B"]), organizer)
        assert (poll.question, poll.options, poll.status) == ("Chọn ngày?", ["A", "B"], PollStatus.DRAFT)


def test_no_poll_on_an_ended_briefing(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        briefing = scheduling.get_briefing(setting.briefing_id)
        factories.close_briefing(briefing, organizer)
        db.session.commit()
        with pytest.raises(Conflict):
            services.create_poll(briefing, _draft(), organizer)


def test_only_organizers_prepare_open_and_close(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(setting.briefing_id)
        for username in ("leader", "responder", "op-sao-do"):
            with pytest.raises(AccessDenied):
                services.create_poll(briefing, _draft(), accounts.find_user(username))
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        with pytest.raises(AccessDenied):
            services.open_poll(db.session.get(Poll, poll_id), accounts.find_user("leader"))


def test_open_then_close_is_final_and_each_is_an_event(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        refused(poll_id, "op-sao-do", Conflict, person_id=setting.present_ids[0], choices=(0,))  # a draft
        poll = db.session.get(Poll, poll_id)
        opened = services.open_poll(poll, organizer)
        db.session.commit()
        assert (opened["type"], opened["action"], opened["poll"]["status"]) == ("poll", "opened", "open")
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(1,))
        closed = services.close_poll(db.session.get(Poll, poll_id), organizer)
        db.session.commit()
        assert closed["poll"]["results"]["options"][1]["count"] == 1
        assert closed["seq"] > opened["seq"]
        error = refused(poll_id, "op-sao-do", Conflict, person_id=setting.present_ids[1], choices=(0,))
        assert "đã đóng" in error.message
        with pytest.raises(Conflict):
            services.open_poll(db.session.get(Poll, poll_id), organizer)
        db.session.rollback()
        with pytest.raises(Conflict):
            services.close_poll(db.session.get(Poll, poll_id), organizer)
        db.session.rollback()
        assert db.session.get(Poll, poll_id).status == PollStatus.CLOSED
        logged = db.session.scalars(
            sa.select(BriefingEvent.type).where(
                BriefingEvent.briefing_id == setting.briefing_id, BriefingEvent.type == "poll"
            )
        ).all()
        assert len(logged) == 3  # opened, answered, closed: refusals log nothing


def test_named_answers_replace_and_never_double(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
        person = setting.present_ids[0]
        answer(poll_id, "op-sao-do", person_id=person, choices=(0,))
        later = answer(poll_id, "op-sao-do", person_id=person, choices=(2,))
        assert later.result["choices"] == [2] and later.result["person_id"] == person
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [0, 0, 1]
        assert (results["answered"], results["eligible"]) == (1, 3)
        sao_do = next(row for row in results["by_endpoint"] if row["endpoint_id"] == setting.sao_do_id)
        assert (sao_do["answered"], sao_do["eligible"], sao_do["counts"]) == (1, 2, [0, 0, 1])


def test_a_replayed_client_op_id_returns_the_original_and_writes_nothing(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
        first = answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0,), client_op_id="poll-op-01")
        again = answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(1,), client_op_id="poll-op-01")
        assert again.replayed and not first.replayed
        assert again.result == first.result
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [1, 0, 0]
        other_poll = make_poll(setting.briefing_id, PollKind.NAMED)
        error = refused(
            other_poll, "op-sao-do", Conflict, person_id=setting.present_ids[0], choices=(0,), client_op_id="poll-op-01"
        )
        assert "đã được dùng cho một thao tác khác" in error.message


def test_who_may_answer_for_whom(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
        person = setting.present_ids[0]
        for username in ("leader", "responder"):
            refused(poll_id, username, AccessDenied, person_id=person, choices=(0,))
        refused(poll_id, "op-hoang-hoa-tham", AccessDenied, person_id=person, choices=(0,))
        error = refused(poll_id, "op-sao-do", Conflict, person_id=setting.absent_id, choices=(0,))
        assert "có mặt hoặc đến muộn" in error.message
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=person, choices=(0, 1))  # single choice
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=person, choices=(3,))  # no such option
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=person, choices=())
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=person, choices=(0,), counts=(1, 0, 0))
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=person, choices=(0,), endpoint_id=setting.hht_id)
        assert answer(poll_id, "organizer", person_id=setting.hht_person_id, choices=(1,)).result["endpoint_id"] == (
            setting.hht_id
        )
        assert services.poll_results(db.session.get(Poll, poll_id))["answered"] == 1


def test_multiple_choice_counts_each_option(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET, multiple=True)
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0, 2))
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[1], choices=(2,))
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [1, 0, 2]
        assert results["answered"] == 2


def test_a_secret_answer_is_taken_once(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET)
        first = answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(1,))
        assert "person_id" not in first.result and "choices" not in first.result
        assert first.result["tally"] == {"answered": 1, "counts": [0, 1, 0]}
        error = refused(poll_id, "op-sao-do", Conflict, person_id=setting.present_ids[0], choices=(0,))
        assert "chỉ trả lời một lần" in error.message
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [0, 1, 0]


def test_endpoint_counts_replace_and_cannot_exceed_the_people_present(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.ENDPOINT)
        # Sao Đỏ has two people present or late (the absent one does not count).
        error = refused(poll_id, "op-sao-do", Conflict, counts=(2, 1, 0))
        assert "vượt số người có mặt" in error.message
        refused(poll_id, "op-sao-do", ValidationFailed, counts=(1, 1))  # one count per option
        refused(poll_id, "op-sao-do", ValidationFailed, counts=(1, 0, 0), person_id=setting.present_ids[0])
        refused(poll_id, "op-sao-do", AccessDenied, counts=(1, 0, 0), endpoint_id=setting.hht_id)
        refused(poll_id, "organizer", ValidationFailed, counts=(1, 0, 0))  # an organizer names the endpoint
        assert answer(poll_id, "op-sao-do", counts=(2, 0, 0)).result["tally"] == {"answered": 2, "counts": [2, 0, 0]}
        answer(poll_id, "op-sao-do", counts=(1, 1, 0))
        answer(poll_id, "organizer", counts=(0, 0, 1), endpoint_id=setting.hht_id)
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [1, 1, 1]
        assert (results["answered"], results["eligible"]) == (3, 3)


def test_multiple_choice_endpoint_counts_are_bounded_each(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.ENDPOINT, multiple=True)
        assert answer(poll_id, "op-sao-do", counts=(2, 2, 1)).result["tally"]["answered"] == 2
        refused(poll_id, "op-sao-do", Conflict, counts=(3, 0, 0))


def test_operators_do_not_see_drafts(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        draft_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        open_id = make_poll(setting.briefing_id, PollKind.NAMED)
        briefing = scheduling.get_briefing(setting.briefing_id)
        operator = accounts.find_user("op-sao-do")
        assert [poll.id for poll in services.briefing_polls(briefing, operator)] == [open_id]
        assert len(services.briefing_polls(briefing, accounts.find_user("organizer"))) == 2
        with pytest.raises(ServiceError):
            services.get_poll(draft_id, operator)


def test_a_refused_answer_in_a_batch_of_the_writer_undoes_only_itself(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET)
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0,))
        operator = Recorder.of(accounts.find_user("op-sao-do"))

        def item(person_id: int) -> tuple[str, services.AnswerRequest]:
            chosen = services.Answer(stamp(), (1,), person_id=person_id)
            return services.OPERATION_KIND, services.AnswerRequest(poll_id, chosen, operator)

        group = [
            group_commit._Waiting(setting.briefing_id, "vi", item=item(setting.present_ids[0])),  # answered already
            group_commit._Waiting(setting.briefing_id, "vi", item=item(setting.present_ids[1])),
        ]
        before = log.current_seq(setting.briefing_id)
        outcomes = group_commit.CheckInWriter._record(scheduling.get_briefing(setting.briefing_id), group)
        db.session.commit()
        assert isinstance(outcomes[0], Conflict)
        assert isinstance(outcomes[1], WriteResult) and outcomes[1].result["seq"] == before + 1
        assert log.current_seq(setting.briefing_id) == before + 1  # the refused one's seq was given back
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [1, 1, 0] and results["answered"] == 2
