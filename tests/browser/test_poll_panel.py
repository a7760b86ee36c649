"""The organizer's poll panel on a desktop: a draft prepared through the form (option fields added and removed),
opening refused with its reason until the briefing is live, then opened and closed, each after a confirmation that
says what it does; the results read on the briefing page."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import csrf_token, screenshot, sign_in, watch_problems

pytestmark = pytest.mark.browser

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Later than the demo's and the lifecycle test's briefings: nobody else's "previous" or live briefing. The test ends
#: it again, so no console of another test takes it for the live one.
LATER = timedelta(days=140)
QUESTION = "Đồng chí có đồng ý tổ chức ngày hội đại đoàn kết vào Chủ nhật?"


def _api(page: Page, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    response = page.request.fetch(url, method=method, data=data, headers={"X-CSRFToken": csrf_token(page)})
    assert response.ok, f"{method} {url}: {response.status} {response.text()}"
    return response.json()


def _answer_as_one_person(page: Page, base_url: str, briefing_id: int, poll_id: int) -> None:
    """Record one person of Nhân Huệ present at this briefing, and their answer (the first option)."""
    endpoint = next(e for e in _api(page, "GET", f"{base_url}/api/v1/endpoints") if e["code"] == "nhan-hue")
    person = _api(page, "GET", f"{base_url}/api/v1/endpoints/{endpoint['id']}/people")[0]
    check_in = {"person_id": person["id"], "status": "present", "client_op_id": f"poll-panel-{secrets.token_hex(6)}"}
    _api(page, "POST", f"{base_url}/api/v1/briefings/{briefing_id}/attendance", check_in)
    answer = {"person_id": person["id"], "choices": [0], "client_op_id": f"poll-panel-{secrets.token_hex(6)}"}
    _api(page, "POST", f"{base_url}/api/v1/polls/{poll_id}/answers", answer)


def test_organizer_prepares_opens_and_closes_a_poll(page: Page, base_url: str) -> None:
    problems = watch_problems(page)
    sign_in(page, base_url, "organizer")
    start = datetime.now(HCM) + LATER
    briefing = {
        "title": "Giao ban thử thăm dò",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    briefing_id = int(_api(page, "POST", f"{base_url}/api/v1/briefings", briefing)["id"])

    page.goto(f"{base_url}/briefings/{briefing_id}")
    page.get_by_role("link", name="Thêm câu hỏi thăm dò").click()
    page.get_by_label("Câu hỏi", exact=True).fill(QUESTION)
    # Two option fields to start with; more are added one at a time, and a removed one takes the next one's place.
    options = page.locator(".poll-option-row:visible input")
    expect(options).to_have_count(2)
    options.nth(0).fill("Đồng ý")
    options.nth(1).fill("Để tháng sau")
    page.get_by_role("button", name="Thêm phương án").click()
    expect(options).to_have_count(3)
    expect(options.nth(2)).to_be_focused()
    options.nth(2).fill("Không đồng ý")
    page.get_by_role("button", name="Bỏ phương án 2").click()
    expect(options).to_have_count(2)
    expect(options.nth(1)).to_have_value("Không đồng ý")
    page.get_by_label("Theo từng người, ghi tên").check()
    page.get_by_text("Thêm phương án “Khác”").click()
    screenshot(page, "poll-panel-form")
    page.get_by_role("button", name="Lưu bản nháp").click()

    expect(page.get_by_role("alert").first).to_contain_text("Đã lưu bản nháp câu hỏi thăm dò.")
    card = page.locator(".poll-card", has_text=QUESTION)
    expect(card).to_contain_text("Bản nháp")
    expect(card.locator("ol li")).to_have_text(["Đồng ý", "Không đồng ý", re.compile(r"^Khác")])
    # Not live yet: the button is there, disabled, with the reason under it.
    expect(card.get_by_role("button", name="Mở thăm dò")).to_be_disabled()
    expect(card).to_contain_text("Buổi giao ban chưa bắt đầu: chỉ mở được thăm dò khi buổi giao ban đang diễn ra.")
    screenshot(page, "poll-panel-draft-not-live")

    _api(page, "POST", f"{base_url}/api/v1/briefings/{briefing_id}/open", {"confirm_early": True})
    try:
        page.reload()
        page.wait_for_load_state()  # the confirmation script is bound once the page has loaded
        asked: list[str] = []

        def accept(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        card.get_by_role("button", name="Mở thăm dò").click()
        expect(page.get_by_role("alert").first).to_contain_text("Đã mở thăm dò")
        assert "không sửa hay xóa được nữa" in asked[-1]
        expect(card.locator("[data-poll-status-label]")).to_have_text("Đang mở")
        poll_id = int((card.get_attribute("id") or "").removeprefix("poll-"))

        _answer_as_one_person(page, base_url, briefing_id, poll_id)
        page.reload()
        page.wait_for_load_state()
        expect(card.locator("[data-poll-answered]")).to_contain_text("1 trên 1 người có mặt đã trả lời (100%).")
        expect(card.locator("[data-option-count]").first).to_have_text("1 người · 100%")
        card.get_by_text("Kết quả theo điểm cầu").click()
        expect(card.locator(".poll-endpoint-table tr", has_text="Nhân Huệ")).to_contain_text("1 / 1")

        # Closing asks first; saying no changes nothing.
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        card.get_by_role("button", name="Đóng thăm dò").click()
        assert "kết quả lúc đóng là kết quả cuối cùng, không mở lại được" in asked[-1]
        expect(card.locator("[data-poll-status-label]")).to_have_text("Đang mở")
        page.once("dialog", accept)
        card.get_by_role("button", name="Đóng thăm dò").click()
        expect(page.get_by_role("alert").first).to_contain_text(
            "Đã đóng thăm dò: kết quả dưới đây là kết quả cuối cùng."
        )
        expect(card.locator("[data-poll-status-label]")).to_have_text("Đã đóng")
        expect(card).to_contain_text("Kết quả cuối cùng, đã đóng lúc")
        expect(card.get_by_role("button", name="Đóng thăm dò")).to_have_count(0)
        screenshot(page, "poll-panel-closed")
    finally:
        close = f"{base_url}/api/v1/briefings/{briefing_id}/close"
        refused = page.request.post(close, headers={"X-CSRFToken": csrf_token(page)})
        unrecorded = refused.json()["error"]["details"]["unrecorded"] if refused.status == 409 else 0
        if refused.status == 409:
            _api(page, "POST", close, {"confirm_unrecorded": unrecorded})
    assert problems.take() == []
