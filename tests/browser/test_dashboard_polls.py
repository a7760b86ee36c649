"""The dashboard's live poll tally in a real browser: a poll opened and answered through the API shows up live, an
answer replaced is never counted twice, a reload (a resync from the snapshot) shows what the database holds, and a
closed poll says its result is final. Hoàng Tiến's operator answers: no other browser test uses that endpoint."""

from __future__ import annotations

import re
import subprocess
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DemoBriefings, LiveServer, csrf_token, run_axe, screenshot, sign_in
from tests.server_processes import meeting_hub_command

pytestmark = pytest.mark.browser

ENDPOINT_CODE, ENDPOINT_NAME = "hoang-tien", "Phường Hoàng Tiến"
OPTIONS = ["Đồng ý", "Không đồng ý", "Cần bàn thêm"]


def _operator_headers(live_server: LiveServer) -> dict[str, str]:
    created = subprocess.run(
        [*meeting_hub_command(), "create-token", f"op-{ENDPOINT_CODE}"],
        env=live_server.env,
        cwd=live_server.workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}


def _op_id(label: str) -> str:
    return f"dash-poll-{label}-{time.time_ns()}"


def _card_figures(page: Page, poll_id: int) -> dict[str, Any]:
    """Return what the poll's card shows: per option its count and share, and the answered line."""
    card = page.locator(f'.poll[data-poll-id="{poll_id}"]')
    return {
        "counts": card.locator(".poll-option-count").all_inner_texts(),
        "shares": card.locator(".poll-option-share").all_inner_texts(),
        "answered": card.locator(".poll-answered").inner_text(),
    }


def _vi_percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _database_figures(page: Page, base_url: str, poll_id: int) -> dict[str, Any]:
    """Return the same figures from the API's results (the database)."""
    results = page.request.get(f"{base_url}/api/v1/polls/{poll_id}").json()["results"]
    answered, eligible = results["answered"], results["eligible"]
    return {
        "counts": [str(option["count"]) for option in results["options"]],
        "shares": [_vi_percent(option["count"], answered) for option in results["options"]],
        "answered": f"Đã trả lời: {answered}/{eligible} người có mặt ({_vi_percent(answered, eligible)})",
    }


def test_the_tally_follows_answers_live_and_a_resync_equals_the_database(
    page: Page, browser: Browser, base_url: str, live_server: LiveServer, demo_briefings: DemoBriefings
) -> None:
    briefing_id = demo_briefings.live_id
    operator = _operator_headers(live_server)
    request = page.request
    endpoints = request.get(f"{base_url}/api/v1/endpoints", headers=operator).json()
    endpoint = next(e for e in endpoints if e["code"] == ENDPOINT_CODE)
    people = request.get(f"{base_url}/api/v1/endpoints/{endpoint['id']}/people", headers=operator).json()
    present = [person["id"] for person in people[:3]]
    for person_id in present:
        checked = request.post(
            f"{base_url}/api/v1/briefings/{briefing_id}/attendance",
            headers=operator,
            data={"person_id": person_id, "status": "present", "client_op_id": _op_id("in")},
        )
        assert checked.ok, checked.text()

    sign_in(page, base_url, "organizer")
    organizer = {"X-CSRFToken": csrf_token(page)}
    question = f"Đồng chí có đồng ý với kế hoạch ra quân? ({time.time_ns()})"
    created = request.post(
        f"{base_url}/api/v1/briefings/{briefing_id}/polls",
        headers=organizer,
        data={"question": question, "options": OPTIONS, "kind": "named", "allow_other": True},
    )
    assert created.ok, created.text()
    poll_id = created.json()["id"]
    page.goto(f"{base_url}/briefings/{briefing_id}/live")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    card = page.locator(f'.poll[data-poll-id="{poll_id}"]')
    expect(card).to_have_count(0)  # a draft is not on the dashboard

    assert request.post(f"{base_url}/api/v1/polls/{poll_id}/open", headers=organizer).ok
    expect(card.locator(".poll-question")).to_have_text(question)
    expect(card.locator(".poll-status")).to_have_text("Đang mở")
    expect(card.locator(".poll-option-text")).to_have_text([*OPTIONS, "Khác"])
    expect(card.locator(".poll-option-count")).to_have_text(["0", "0", "0", "0"])
    tile_badge = page.get_by_role("article", name=ENDPOINT_NAME, exact=True).locator(".tile-poll")
    expect(tile_badge).to_have_text("Đã trả lời thăm dò: 0/3")

    def answer(person_id: int, choice: int, **more: str) -> None:
        answered = request.post(
            f"{base_url}/api/v1/polls/{poll_id}/answers",
            headers=operator,
            data={"person_id": person_id, "choices": [choice], "client_op_id": _op_id("answer"), **more},
        )
        assert answered.status == 201, answered.text()

    answer(present[0], 0)
    expect(card.locator(".poll-option-count")).to_have_text(["1", "0", "0", "0"])
    expect(card.locator(".poll-option-share").first).to_have_text("100%")
    expect(tile_badge).to_have_text("Đã trả lời thăm dò: 1/3")
    answer(present[1], 1)
    answer(present[0], 1)  # replaces the first answer: moved, not added
    expect(card.locator(".poll-option-count")).to_have_text(["0", "2", "0", "0"])
    expect(tile_badge).to_have_text("Đã trả lời thăm dò: 2/3")
    expect(card.locator(".poll-answered")).to_have_text(re.compile(r"^Đã trả lời: 2/\d+ người có mặt \(\d+%\)$"))
    assert _card_figures(page, poll_id) == _database_figures(page, base_url, poll_id)
    assert [str(violation) for violation in run_axe(page, "dashboard with a poll")] == []
    screenshot(page, "dashboard-poll-open")

    # A resync (the page's snapshot) shows what the database holds, then follows the next answer live.
    page.reload()
    expect(page.locator("#connection")).to_have_text("Đã kết nối")
    expect(card.locator(".poll-option-count")).to_have_text(["0", "2", "0", "0"])
    assert _card_figures(page, poll_id) == _database_figures(page, base_url, poll_id)
    answer(present[2], len(OPTIONS), other_text="Làm vào sáng Chủ nhật")  # "Khác"
    expect(card.locator(".poll-option-count")).to_have_text(["0", "2", "0", "1"])
    expect(tile_badge).to_have_text("Đã trả lời thăm dò: 3/3")
    expect(tile_badge).to_have_class(re.compile(r"\bpoll-complete\b"))

    assert request.post(f"{base_url}/api/v1/polls/{poll_id}/close", headers=organizer).ok
    expect(card.locator(".poll-status")).to_have_text("Đã đóng — kết quả chính thức")
    expect(page.locator("#feed li").filter(has_text=question).first).to_contain_text("Đã đóng thăm dò")
    assert _card_figures(page, poll_id) == _database_figures(page, base_url, poll_id)
    late = request.post(
        f"{base_url}/api/v1/polls/{poll_id}/answers",
        headers=operator,
        data={"person_id": present[2], "choices": [0], "client_op_id": _op_id("late")},
    )
    assert late.status == 409
    screenshot(page, "dashboard-poll-closed")

    # An English browser in New York: the same figures, written the page's way; a phone-sized window keeps the panel
    # within the screen.
    context = browser.new_context(
        locale="en-US", timezone_id="America/New_York", viewport={"width": 390, "height": 844}
    )
    try:
        english = context.new_page()
        sign_in(english, base_url, "organizer")
        english.goto(f"{base_url}/briefings/{briefing_id}/live")
        closed_card = english.locator(f'.poll[data-poll-id="{poll_id}"]')
        expect(closed_card.locator(".poll-status")).to_have_text("Đã đóng — kết quả chính thức")
        assert _card_figures(english, poll_id) == _database_figures(english, base_url, poll_id)
        assert english.evaluate("document.documentElement.scrollWidth") <= 390
        closed_card.scroll_into_view_if_needed()
        screenshot(english, "dashboard-poll-en-browser-phone")
    finally:
        context.close()
