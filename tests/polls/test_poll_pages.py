"""The briefing page's poll panel and the draft form: what each role sees, preparing, editing, opening, closing and
deleting through the pages, refusals shown beside the fields with the typed text kept, and 403 for everyone else."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.extensions import db
from meeting_hub.polls.models import Poll, PollKind, PollStatus
from tests.attendance.conftest import signed_in_client
from tests.polls.conftest import PollSetting, answer, make_poll, make_scheduled_briefing


def _form(
    question: str, options: list[str], kind: str | None = "named", multiple: bool = False, **switches: bool
) -> dict[str, Any]:
    data: dict[str, Any] = {"question": question} | {name: "y" for name, on in switches.items() if on}
    for index in range(10):
        data[f"options-{index}"] = options[index] if index < len(options) else ""
    if kind is not None:
        data["kind"] = kind
    if multiple:
        data["multiple"] = "y"
    return data


def _polls(app: Flask, briefing_id: int) -> list[Poll]:
    with app.app_context():
        polls = db.session.scalars(sa.select(Poll).where(Poll.briefing_id == briefing_id).order_by(Poll.id)).all()
        for poll in polls:
            db.session.expunge(poll)
        return list(polls)


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _section(page: str) -> str:
    found = re.search(r'<section id="polls".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_an_organizer_prepares_a_draft_and_blank_option_fields_are_ignored(app: Flask, setting: PollSetting) -> None:
    client = signed_in_client(app, "organizer")
    page = _text(client.get(f"/briefings/{setting.briefing_id}/polls/new"))
    assert page.count('name="options-') == 10 and "Theo từng người, bỏ phiếu kín" in page
    assert "không lưu ai chọn phương án nào" in page  # what a secret ballot protects, and its limits below
    assert "cán bộ điểm cầu nhập hộ vẫn nhìn thấy lựa chọn" in page
    data = _form(
        "Chọn ngày ra quân vệ sinh môi trường?", ["Thứ Bảy", "", "Chủ nhật", "  "], kind="secret", multiple=True
    )
    response = client.post(f"/briefings/{setting.briefing_id}/polls/new", data=data)
    (poll,) = _polls(app, setting.briefing_id)
    assert response.status_code == 302
    assert response.location.endswith(f"/briefings/{setting.briefing_id}#poll-{poll.id}")
    assert (poll.question, poll.options, poll.kind, poll.multiple, poll.status) == (
        "Chọn ngày ra quân vệ sinh môi trường?",
        ["Thứ Bảy", "Chủ nhật"],
        PollKind.SECRET,
        True,
        PollStatus.DRAFT,
    )
    section = _section(_text(client.get(f"/briefings/{setting.briefing_id}")))
    assert "Thăm dò ý kiến" in section and "Chọn ngày ra quân vệ sinh môi trường?" in section
    assert (
        "Bản nháp" in section and "Theo từng người, bỏ phiếu kín" in section and "Chọn được nhiều phương án" in section
    )
    assert f"/polls/{poll.id}/edit" in section and f"/polls/{poll.id}/delete" in section
    assert f'action="/polls/{poll.id}/open"' in section  # the briefing is live: the button works


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        (_form("Câu hỏi còn thiếu phương án?", ["Chỉ một phương án"]), "Câu hỏi cần từ 2 đến 10 phương án trả lời."),
        (_form("Hai phương án trùng nhau?", ["Đồng ý", " đồng ý "]), "Các phương án trả lời không được trùng nhau."),
        (_form("   ", ["Có", "Không"]), "Không được để trống."),
        (_form("Chưa chọn cách ghi câu trả lời?", ["Có", "Không"], kind=None), "Hãy chọn cách ghi câu trả lời."),
        # Both at once: the missing kind does not hide the options' problem until the next try.
        (
            _form("Thiếu cả hai?", ["Một"], kind=None),
            ("Hãy chọn cách ghi câu trả lời.", "Câu hỏi cần từ 2 đến 10 phương án trả lời."),
        ),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_the_typed_text_stays(
    app: Flask, setting: PollSetting, data: dict[str, Any], field_message: str | tuple[str, ...]
) -> None:
    client = signed_in_client(app, "organizer")
    response = client.post(f"/briefings/{setting.briefing_id}/polls/new", data=data)
    assert response.status_code == 200
    page = _text(response)
    for message in (field_message,) if isinstance(field_message, str) else field_message:
        assert message in page
    for name, value in data.items():
        if name.startswith(("question", "options-")) and value.strip():
            assert f'value="{value}"' in page, name
    assert _polls(app, setting.briefing_id) == []


def test_a_draft_is_edited_and_an_opened_poll_is_not(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        draft_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        open_id = make_poll(setting.briefing_id, PollKind.NAMED)
    client = signed_in_client(app, "organizer")
    page = _text(client.get(f"/polls/{draft_id}/edit"))
    assert 'value="Đồng ý"' in page and 'value="Ý kiến khác"' in page
    assert re.search(r'<input[^>]* checked [^>]*value="named"', page)
    response = client.post(f"/polls/{draft_id}/edit", data=_form("Sửa lại câu hỏi?", ["Có", "Không"], kind="endpoint"))
    assert response.status_code == 302 and response.location.endswith(f"#poll-{draft_id}")
    edited = _polls(app, setting.briefing_id)[0]
    assert (edited.question, edited.options, edited.kind) == ("Sửa lại câu hỏi?", ["Có", "Không"], PollKind.ENDPOINT)
    refused = client.post(f"/polls/{draft_id}/edit", data=_form("Sửa lại câu hỏi?", ["Có"], kind="endpoint"))
    assert "Câu hỏi cần từ 2 đến 10 phương án trả lời." in _text(refused)
    for method in (client.get, client.post):
        response = method(f"/polls/{open_id}/edit", data=_form("Không được sửa?", ["A", "B"]))
        assert response.status_code == 302 and response.location.endswith(f"#poll-{open_id}")
    followed = _text(client.get(f"/briefings/{setting.briefing_id}"))
    assert "Câu hỏi thăm dò đã mở hoặc đã đóng: không sửa được nữa." in followed
    assert _polls(app, setting.briefing_id)[1].question == "Đồng chí có đồng ý với kế hoạch dọn vệ sinh môi trường?"


def test_open_then_close_from_the_page_and_the_results_show(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
    client = signed_in_client(app, "organizer")
    section = _section(_text(client.get(f"/briefings/{setting.briefing_id}")))
    assert "Sau khi mở, câu hỏi không sửa hay xóa được nữa." in section  # the opening asks first
    assert client.post(f"/polls/{poll_id}/open").status_code == 302
    assert _polls(app, setting.briefing_id)[0].status == PollStatus.OPEN
    with app.app_context():
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[0], choices=(0,))
        answer(poll_id, "op-sao-do", person_id=setting.present_ids[1], choices=(2,))
        answer(poll_id, "op-hoang-hoa-tham", person_id=setting.hht_person_id, choices=(0,))
    page = _text(client.get(f"/briefings/{setting.briefing_id}"))
    section = _section(page)
    assert "Đang mở" in section and "3 trên 3 người có mặt đã trả lời (100%)." in section
    assert "2 người · 67%" in section and "0 người · 0%" in section and "1 người · 33%" in section
    assert "kết quả lúc đóng là kết quả cuối cùng, không mở lại được" in section  # the closing asks first
    table = re.search(r'<table class="[^"]*poll-endpoint-table.*?</table>', section, re.S).group(0)
    assert "Sao Đỏ" in table and "Hoàng Hoa Thám" in table and "2 / 2" in table and "1 / 1" in table
    assert "/edit" not in section and "/delete" not in section
    response = client.post(f"/polls/{poll_id}/close", follow_redirects=True)
    assert "Đã đóng thăm dò: kết quả dưới đây là kết quả cuối cùng." in _text(response)
    section = _section(_text(response))
    assert "Đã đóng" in section and "Kết quả cuối cùng, đã đóng lúc" in section
    assert f"/polls/{poll_id}/close" not in section
    again = client.post(f"/polls/{poll_id}/close", follow_redirects=True)
    assert "Chỉ đóng được câu hỏi thăm dò đang mở." in _text(again)


def test_other_and_self_answers_from_the_form_and_the_other_texts_in_the_results(
    app: Flask, setting: PollSetting
) -> None:
    client = signed_in_client(app, "organizer")
    data = _form("Góp ý cho kế hoạch?", ["Đồng ý", "Cần sửa"], allow_other=True, allow_self_answer=True)
    assert client.post(f"/briefings/{setting.briefing_id}/polls/new", data=data).status_code == 302
    (poll,) = _polls(app, setting.briefing_id)
    assert (poll.allow_other, poll.allow_self_answer) == (True, True)
    page = _text(client.get(f"/polls/{poll.id}/edit"))
    assert re.search(r'<input[^>]* checked [^>]*name="allow_other"', page)
    section = _section(_text(client.get(f"/briefings/{setting.briefing_id}")))
    assert "Cho tự trả lời qua mã QR" in section and "người trả lời ghi ý kiến riêng" in section
    assert client.post(f"/polls/{poll.id}/open").status_code == 302
    with app.app_context():
        answer(poll.id, "op-sao-do", person_id=setting.present_ids[0], choices=(2,), other_text="Làm vào sáng Chủ nhật")
        answer(poll.id, "op-sao-do", person_id=setting.present_ids[1], choices=(0,))
    section = _section(_text(client.get(f"/briefings/{setting.briefing_id}")))
    assert "Ý kiến khác" in section and "Làm vào sáng Chủ nhật" in section and "(Phường Sao Đỏ)" in section
    assert re.search(r"<span>Khác</span>\s*<span[^>]*>1 người · 50%", section)


def test_opening_waits_for_a_live_briefing_and_says_why(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        briefing_id = make_scheduled_briefing()
        poll_id = make_poll(briefing_id, PollKind.ENDPOINT, opened=False)
    client = signed_in_client(app, "organizer")
    section = _section(_text(client.get(f"/briefings/{briefing_id}")))
    assert f'action="/polls/{poll_id}/open"' not in section
    assert re.search(r"<button[^>]*disabled[^>]*>Mở thăm dò</button>", section)
    assert "Buổi giao ban chưa bắt đầu: chỉ mở được thăm dò khi buổi giao ban đang diễn ra." in section
    response = client.post(f"/polls/{poll_id}/open", follow_redirects=True)  # a stale page's button
    assert "Buổi giao ban chưa bắt đầu" in _text(response)
    assert _polls(app, briefing_id)[0].status == PollStatus.DRAFT


def test_a_draft_is_deleted_from_the_page_after_asking(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        poll_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        open_id = make_poll(setting.briefing_id, PollKind.NAMED)
    client = signed_in_client(app, "admin")
    section = _section(_text(client.get(f"/briefings/{setting.briefing_id}")))
    assert "Không khôi phục được." in section
    response = client.post(f"/polls/{poll_id}/delete", follow_redirects=True)
    assert "Đã xóa bản nháp câu hỏi thăm dò." in _text(response)
    response = client.post(f"/polls/{open_id}/delete", follow_redirects=True)
    assert "Câu hỏi thăm dò đã mở hoặc đã đóng: không xóa được." in _text(response)
    assert [poll.id for poll in _polls(app, setting.briefing_id)] == [open_id]


def test_leaders_read_the_panel_and_operators_and_responders_see_none(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        open_id = make_poll(setting.briefing_id, PollKind.SECRET, multiple=True)
    leader = _section(_text(signed_in_client(app, "leader").get(f"/briefings/{setting.briefing_id}")))
    assert "Thăm dò ý kiến" in leader and "Bản nháp" in leader and "người có mặt đã trả lời" in leader
    assert "nên tổng các tỷ lệ có thể quá 100%." in leader
    assert "<form" not in leader and "/polls/new" not in leader and "/edit" not in leader
    assert "Bản nháp: các điểm cầu chưa thấy câu hỏi này." in leader
    operator = signed_in_client(app, "op-sao-do").get(f"/briefings/{setting.briefing_id}")
    assert operator.status_code == 200 and "Thăm dò ý kiến" not in _text(operator)
    assert _section(_text(operator)) == "" and f"poll-{open_id}" not in _text(operator)
    responder = signed_in_client(app, "responder").get(f"/briefings/{setting.briefing_id}")
    assert responder.status_code in (200, 403, 404) and "Thăm dò ý kiến" not in _text(responder)


def test_every_poll_page_and_action_refuses_other_roles(app: Flask, setting: PollSetting) -> None:
    with app.app_context():
        draft_id = make_poll(setting.briefing_id, PollKind.NAMED, opened=False)
        open_id = make_poll(setting.briefing_id, PollKind.NAMED)
    data = _form("Ai được sửa?", ["Có", "Không"])
    requests = [
        ("get", f"/briefings/{setting.briefing_id}/polls/new"),
        ("post", f"/briefings/{setting.briefing_id}/polls/new"),
        ("get", f"/polls/{draft_id}/edit"),
        ("post", f"/polls/{draft_id}/edit"),
        ("post", f"/polls/{draft_id}/open"),
        ("post", f"/polls/{open_id}/close"),
        ("post", f"/polls/{draft_id}/delete"),
    ]
    anonymous = app.test_client()
    for method, url in requests:
        response = getattr(anonymous, method)(url, data=data)
        assert response.status_code == 302 and "/sign-in" in response.location, url
    for username in ("leader", "responder", "op-sao-do"):
        client: FlaskClient = signed_in_client(app, username)
        for method, url in requests:
            assert getattr(client, method)(url, data=data).status_code == 403, (username, url)
    polls = _polls(app, setting.briefing_id)
    assert [(p.id, p.status, p.question) for p in polls] == [
        (draft_id, PollStatus.DRAFT, "Đồng chí có đồng ý với kế hoạch dọn vệ sinh môi trường?"),
        (open_id, PollStatus.OPEN, "Đồng chí có đồng ý với kế hoạch dọn vệ sinh môi trường?"),
    ]
