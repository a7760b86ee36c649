"""Forms that keep typed text: leaving asks first, and a session that expired while typing does not lose the text."""

from __future__ import annotations

import re
import secrets
import uuid

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_live_attendance import _open_the_demo_briefing, _sao_do_id

pytestmark = pytest.mark.browser


def _api_post(page: Page, url: str, body: dict[str, object]) -> dict[str, object]:
    """POST JSON to the API with the page's session and its form token."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    response = page.request.post(url, data=body, headers={"X-CSRFToken": token})
    assert response.ok, response.text()
    answer: dict[str, object] = response.json()
    return answer


def _issue_for_the_responder(organizer: Page, responder: Page, base_url: str) -> int:
    """Raise an issue at the demo briefing and assign it to the responder's agency; return its id."""
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    issue = _api_post(
        organizer,
        f"{base_url}/api/v1/briefings/{briefing_id}/issues",
        {
            "endpoint_id": _sao_do_id(organizer, base_url),
            "category": "ha-tang-giao-thong",
            "title": f"Đèn đường khu dân cư Thanh Mai hỏng {secrets.token_hex(3)}",
            "content": "Cả tuyến đường tối từ tháng trước.",
            "client_op_id": str(uuid.uuid4()),
        },
    )
    agency_id = responder.request.get(f"{base_url}/api/v1/me").json()["agency_id"]
    _api_post(organizer, f"{base_url}/api/v1/issues/{issue['id']}/assign", {"agency_id": agency_id})
    return int(str(issue["id"]))


def test_an_answer_typed_when_the_session_expired_comes_back_after_signing_in(
    page: Page, phone_page: Page, base_url: str
) -> None:
    organizer, responder = page, phone_page
    sign_in(organizer, base_url, "organizer")
    sign_in(responder, base_url, "responder")
    issue_id = _issue_for_the_responder(organizer, responder, base_url)
    answer = "Công ty điện lực đã thay bóng đèn toàn tuyến ngày 02/12/2026, đường đã sáng trở lại."

    responder.goto(f"{base_url}/issues/{issue_id}")
    body = responder.get_by_label("Nội dung trả lời")
    body.fill(answer)

    # Leaving with the text not sent asks first; staying keeps it.
    dialogs: list[str] = []

    def stay(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    responder.once("dialog", stay)
    responder.get_by_role("link", name="Meeting Hub").click()
    assert dialogs == ["beforeunload"]
    expect(body).to_have_value(answer)

    # The session ends while the responder types (signed out elsewhere, expired): the sending fails...
    responder.context.clear_cookies()
    responder.get_by_role("button", name="Gửi trả lời").click()
    responder.wait_for_load_state()
    expect(responder.get_by_role("alert").filter(has_text="Đã cập nhật")).to_have_count(0)

    # ...and once signed in again, the form shows the text as it was typed, marked as not sent.
    sign_in(responder, base_url, "responder")
    responder.goto(f"{base_url}/issues/{issue_id}")
    expect(responder.get_by_label("Nội dung trả lời")).to_have_value(answer)
    restored = responder.get_by_role("status").filter(has_text="Đã khôi phục nội dung bạn nhập dở")
    expect(restored).to_contain_text("chưa được gửi")
    expect(restored).to_have_text(re.compile(r"lúc \d\d:\d\d ngày \d\d/\d\d/\d{4}, chưa được gửi"))
    screenshot(responder, "answer-restored-after-session-expired")

    # Sent for real this time: the draft is gone, the page no longer offers it.
    responder.get_by_role("button", name="Gửi trả lời").click()
    expect(responder.get_by_role("alert").filter(has_text="Đã cập nhật")).to_be_visible()
    # The draft is forgotten by the page's deferred script, which may run a moment after the message shows.
    responder.wait_for_function(
        "() => !Object.keys(localStorage).some((key) => key.startsWith('meeting-hub:form-draft:'))"
    )
    timeline = responder.request.get(f"{base_url}/api/v1/issues/{issue_id}").json()["timeline"]
    assert [step["comment"] for step in timeline if step["action"] == "answer"] == [answer]


def test_a_restored_draft_can_be_thrown_away_after_confirming(page: Page, phone_page: Page, base_url: str) -> None:
    organizer, responder = page, phone_page
    sign_in(organizer, base_url, "organizer")
    sign_in(responder, base_url, "responder")
    issue_id = _issue_for_the_responder(organizer, responder, base_url)
    responder.goto(f"{base_url}/issues/{issue_id}")
    responder.get_by_label("Nội dung trả lời").fill("Bản nháp chưa xong")
    responder.once("dialog", lambda dialog: dialog.accept())
    responder.reload()
    expect(responder.get_by_label("Nội dung trả lời")).to_have_value("Bản nháp chưa xong")

    messages: list[str] = []

    def confirm(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    responder.once("dialog", confirm)
    responder.get_by_role("button", name="Xóa nội dung khôi phục").click()
    assert messages and "Không lấy lại được" in messages[0]
    expect(responder.get_by_label("Nội dung trả lời")).to_have_value("")
    responder.reload()  # nothing typed: no question, nothing restored
    expect(responder.get_by_label("Nội dung trả lời")).to_have_value("")
    expect(responder.get_by_text("Đã khôi phục nội dung bạn nhập dở")).to_have_count(0)
