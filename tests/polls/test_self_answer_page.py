"""The QR page where a cell secretary answers an open poll from their own phone."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.attendance import self_check_in
from meeting_hub.errors import Conflict
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind
from tests.polls.conftest import PollSetting, answer, make_poll


def _link(app: Flask, setting: PollSetting, endpoint_id: int | None = None) -> str:
    with app.app_context():
        token = self_check_in.self_check_in_token(setting.briefing_id, endpoint_id or setting.sao_do_id)
        return f"/checkin/{token}/polls"


def _phone(app: Flask, person_id: int, phone: str) -> None:
    with app.app_context():
        db.session.get(Person, person_id).phone = phone
        db.session.commit()


def _counts(app: Flask, poll_id: int) -> list[int]:
    with app.app_context():
        return [option["count"] for option in services.poll_results(db.session.get(Poll, poll_id))["options"]]


def test_no_poll_open_to_self_answers_says_so_and_shows_no_names(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        make_poll(setting.briefing_id, PollKind.NAMED)  # open, but answered by the operator only
    page = app.test_client().get(_link(app, setting))
    assert page.status_code == 200
    assert "Hiện không có câu hỏi thăm dò nào để đồng chí tự trả lời." in page.text
    assert "Nguyễn Văn Đức" not in page.text
    assert app.test_client().get("/checkin/forged/polls").status_code == 404


def test_a_secretary_answers_a_named_poll_and_can_change_it(app: Flask, setting: PollSetting) -> None:
    person = setting.present_ids[0]
    _phone(app, person, "0912 345 678")
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True, allow_other=True)
    client = app.test_client()
    link = _link(app, setting)
    page = client.get(link)
    assert "Đồng chí có đồng ý với kế hoạch dọn vệ sinh môi trường?" in page.text and "Khác" in page.text
    form = {
        "poll_id": poll_id,
        "person_id": person,
        "phone_last_digits": "5678",
        "choices": "3",
        "other_text": "Để sau",
    }
    sent = client.post(link, data=form, follow_redirects=True)
    assert "Đã ghi câu trả lời của đồng chí" in sent.text and "Khác." in sent.text
    assert sent.request.method == "GET"  # redirected: a reload does not send it again
    client.post(link, data={**form, "choices": "0", "other_text": ""})
    assert _counts(app, poll_id) == [1, 0, 0, 0]
    with app.app_context():
        assert services.poll_results(db.session.get(Poll, poll_id))["other_texts"] == []


def test_refusals_keep_what_was_typed_and_audit_wrong_digits(app: Flask, setting: PollSetting) -> None:
    person = setting.present_ids[0]
    _phone(app, person, "0912345678")
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True, allow_other=True)
    client = app.test_client()
    link = _link(app, setting)
    form = {
        "poll_id": poll_id,
        "person_id": person,
        "phone_last_digits": "1111",
        "choices": "3",
        "other_text": "Ý riêng",
    }
    wrong = client.post(link, data=form)
    assert "Bốn số cuối điện thoại không đúng." in wrong.text
    assert 'value="Ý riêng"' in wrong.text and 'value="3" id=' in wrong.text and "checked" in wrong.text
    nothing = client.post(link, data={**form, "phone_last_digits": "5678", "choices": []})
    assert "Hãy chọn một phương án." in nothing.text
    assert _counts(app, poll_id) == [0, 0, 0, 0]
    with app.app_context():
        line = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "self_check_in.failed")).first()
        assert line is not None and line.target == f"person:{person}"
        assert json.loads(line.detail)["reason"] == "wrong_phone_digits"


def test_not_present_and_another_endpoint_are_refused(app: Flask, setting: PollSetting) -> None:
    _phone(app, setting.absent_id, "0900000001")
    _phone(app, setting.hht_person_id, "0900000002")
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, allow_self_answer=True)
    client = app.test_client()
    absent = client.post(
        _link(app, setting),
        data={"poll_id": poll_id, "person_id": setting.absent_id, "phone_last_digits": "0001", "choices": "0"},
    )
    assert "Đồng chí chưa được điểm danh có mặt" in absent.text
    elsewhere = client.post(
        _link(app, setting),
        data={"poll_id": poll_id, "person_id": setting.hht_person_id, "phone_last_digits": "0002", "choices": "0"},
    )
    assert "Không tìm thấy tên này trong danh sách của điểm cầu." in elsewhere.text
    assert _counts(app, poll_id) == [0, 0, 0]


def test_a_secret_self_answer_is_confirmed_without_the_choice_and_taken_once(app: Flask, setting: PollSetting) -> None:
    person = setting.present_ids[1]
    _phone(app, person, "0987 654 321")
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.SECRET, allow_self_answer=True)
    client = app.test_client()
    link = _link(app, setting)
    page = client.get(link)
    assert "Gửi phiếu kín? Phiếu đã gửi không sửa được." in page.text  # the form asks first
    form = {"poll_id": poll_id, "person_id": person, "phone_last_digits": "4321", "choices": "1"}
    sent = client.post(link, data=form, follow_redirects=True)
    assert "Đã ghi nhận phiếu kín của đồng chí" in sent.text and "Không đồng ý" not in sent.text.split("<main")[1][:400]
    again = client.post(link, data={**form, "choices": "0"})
    assert "Đồng chí đã trả lời câu hỏi bỏ phiếu kín này" in again.text
    assert _counts(app, poll_id) == [0, 1, 0]
    with app.app_context(), pytest.raises(Conflict) as caught:
        answer(poll_id, "op-sao-do", person_id=person, choices=(0,))  # nor can the operator enter it again
    assert "đã tự bỏ phiếu kín" in caught.value.message
