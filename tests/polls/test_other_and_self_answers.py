"""The "other" option with its text, and self-answers (the operator's entry wins over the person's own)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.errors import Conflict, NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import AnswerSource, Poll, PollBallot, PollKind, PollOtherText
from meeting_hub.scheduling import services as scheduling
from tests.polls.conftest import PollSetting, answer, make_poll
from tests.polls.test_poll_services import refused

OTHER = 3  # after the three options of make_poll


def _self_answer(setting: PollSetting, poll_id: int, person_id: int, choices: list[int], other: str | None = None):
    briefing = scheduling.get_briefing(setting.briefing_id)
    result = services.answer_poll_self(
        db.session.get(Poll, poll_id), briefing, setting.sao_do_id, person_id, choices, other
    )
    db.session.commit()
    return result


def test_other_is_one_more_option_with_the_text_people_gave(app: Flask, setting: PollSetting) -> None:
    first, second = setting.present_ids
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_other=True)
        answer(poll_id, "op-sao-do", person_id=first, choices=(OTHER,), other_text="  Làm vào sáng Chủ nhật  ")
        answer(poll_id, "op-sao-do", person_id=second, choices=(0,))
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [(o["text"], o["count"], o["other"]) for o in results["options"]][-2:] == [
            ("Ý kiến khác", 0, False),
            ("Khác", 1, True),
        ]
        assert results["other_texts"] == [
            {"endpoint_id": setting.sao_do_id, "text": "Làm vào sáng Chủ nhật", "count": 1}
        ]
        # A text without the "other" choice, or beyond the options, is refused; a blank one is simply not kept.
        error = refused(poll_id, "op-sao-do", ValidationFailed, person_id=second, choices=(0,), other_text="Gì đó")
        assert error.message == "Chỉ ghi ý kiến khác khi chọn phương án “Khác”."
        refused(poll_id, "op-sao-do", ValidationFailed, person_id=second, choices=(OTHER + 1,))
        answer(poll_id, "op-sao-do", person_id=first, choices=(OTHER,), other_text="   ")
        assert services.poll_results(db.session.get(Poll, poll_id))["other_texts"] == []


def test_a_poll_without_other_refuses_its_index(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED)
        error = refused(poll_id, "op-sao-do", ValidationFailed, person_id=setting.present_ids[0], choices=(OTHER,))
        assert error.message == "Phương án không có trong câu hỏi."


def test_secret_other_texts_are_counted_without_a_name(app: Flask, setting: PollSetting) -> None:
    first, second = setting.present_ids
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET, allow_other=True)
        for person_id in (first, second):
            result = answer(poll_id, "op-sao-do", person_id=person_id, choices=(OTHER,), other_text="Hoãn lại")
            assert "other_text" not in result.result and "person_id" not in result.result
        rows = db.session.execute(sa.select(PollOtherText)).scalars().all()
        assert [(row.endpoint_id, row.text, row.count) for row in rows] == [(setting.sao_do_id, "Hoãn lại", 2)]


def test_endpoint_counts_include_other_and_its_note(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.ENDPOINT, allow_other=True)
        refused(poll_id, "op-sao-do", ValidationFailed, counts=(1, 0, 0))  # "other" needs its count too
        answer(poll_id, "op-sao-do", counts=(1, 0, 0, 1), other_text="Một người đề nghị làm buổi chiều")
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert results["options"][OTHER]["count"] == 1 and results["answered"] == 2
        assert results["other_texts"][0]["text"] == "Một người đề nghị làm buổi chiều"


def test_self_answers_need_the_organizers_leave_and_a_person_poll(app: Flask, setting: PollSetting) -> None:
    first = setting.present_ids[0]
    with app.app_context():
        closed_to_self = make_poll(setting.briefing_id, PollKind.NAMED)
        with pytest.raises(Conflict):
            _self_answer(setting, closed_to_self, first, [0])
        db.session.rollback()
        draft = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True, opened=False)
        with pytest.raises(NotFound):
            _self_answer(setting, draft, first, [0])
        db.session.rollback()
        # An endpoint poll is counted by the operator: it never allows self-answers.
        counted = make_poll(setting.briefing_id, PollKind.ENDPOINT, allow_self_answer=True)
        assert db.session.get(Poll, counted).allow_self_answer is False
        with pytest.raises(Conflict):
            _self_answer(setting, counted, first, [0])
        db.session.rollback()
        # Only people present or late, and only at the QR's endpoint.
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True)
        with pytest.raises(Conflict):
            _self_answer(setting, poll_id, setting.absent_id, [0])
        db.session.rollback()
        with pytest.raises(ValidationFailed):
            _self_answer(setting, poll_id, setting.hht_person_id, [0])
        db.session.rollback()


def test_the_operators_entry_wins_over_a_self_answer(app: Flask, setting: PollSetting) -> None:
    first = setting.present_ids[0]
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True)
        _self_answer(setting, poll_id, first, [0])
        _self_answer(setting, poll_id, first, [1])  # the person changes their mind: replaced
        ballot = db.session.get(PollBallot, (poll_id, first))
        assert (ballot.choices, ballot.source) == ([1], AnswerSource.SELF)
        answer(poll_id, "op-sao-do", person_id=first, choices=(2,))  # the operator corrects it
        db.session.refresh(ballot)
        assert (ballot.choices, ballot.source) == ([2], AnswerSource.OPERATOR)
        with pytest.raises(Conflict) as caught:
            _self_answer(setting, poll_id, first, [0])
        db.session.rollback()
        assert "Cán bộ điểm cầu đã ghi câu trả lời" in caught.value.message
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [0, 0, 1]


def test_a_secret_self_answer_and_an_operator_entry_exclude_each_other(app: Flask, setting: PollSetting) -> None:
    first, second = setting.present_ids
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET, allow_self_answer=True)
        result = _self_answer(setting, poll_id, first, [0])
        assert "person_id" not in result and "choices" not in result
        error = refused(poll_id, "op-sao-do", Conflict, person_id=first, choices=(1,))
        assert error.message == "Người này đã tự bỏ phiếu kín từ điện thoại; phiếu kín không sửa được."
        answer(poll_id, "op-sao-do", person_id=second, choices=(1,))
        with pytest.raises(Conflict) as caught:
            _self_answer(setting, poll_id, second, [0])
        db.session.rollback()
        assert caught.value.message == "Đồng chí đã trả lời câu hỏi bỏ phiếu kín này; phiếu kín không sửa được."
        results = services.poll_results(db.session.get(Poll, poll_id))
        assert [o["count"] for o in results["options"]] == [1, 1, 0] and results["answered"] == 2
