"""Raised issues from the operator's console in real browsers: kept offline, sent once, followed by the dashboard."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_live_attendance import (
    SYNC_TIMEOUT_MS,
    _assert_fits_the_phone,
    _open_the_demo_briefing,
    _person,
    _screenshot_from_the_top,
)

pytestmark = pytest.mark.browser


def _open_console(console: Page, base_url: str, briefing_id: int) -> None:
    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    # The service worker has kept the page: from here on it opens with no connection.
    console.locator("body[data-offline-ready='1']").wait_for(state="attached")


def _first_secretary(console: Page) -> str:
    name: str = console.evaluate(
        """() => [...document.querySelectorAll("li.person")]
          .find((li) => !li.querySelector(".person-role").textContent)
          .querySelector(".person-name").textContent"""
    )
    return name


def _fill_issue(console: Page, category: str, title: str, content: str) -> None:
    dialog = console.get_by_role("dialog", name="Ghi ý kiến, kiến nghị")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Lĩnh vực").select_option(label=category)
    dialog.get_by_label("Tiêu đề").fill(title)
    dialog.get_by_label("Nội dung").fill(content)


def _report_back_titles(page: Page, base_url: str, briefing_id: int) -> dict[str, list[str]]:
    """Return the titles of the report-back by endpoint name, as the organizer's API gives it."""
    response = page.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/report-back")
    assert response.ok, response.text()
    return {
        part["endpoint_name"]: [issue["title"] for issue in (*part["resolved"], *part["overdue"])]
        for part in response.json()["endpoints"]
    }


def _issues_titled(page: Page, base_url: str, title: str) -> list[dict[str, object]]:
    """Return the issues whose title is exactly this one, as the organizer's API lists them."""
    response = page.request.get(f"{base_url}/api/v1/issues", params={"q": title, "per_page": 200})
    assert response.ok, response.text()
    return [issue for issue in response.json()["items"] if issue["title"] == title]


def test_an_issue_raised_offline_survives_a_reload_is_sent_once_and_reaches_the_dashboard(
    page: Page, phone_page: Page, base_url: str
) -> None:
    dashboard, console = page, phone_page
    sign_in(dashboard, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(dashboard, base_url)
    dashboard.goto(f"{base_url}/briefings/{briefing_id}/live")
    expect(dashboard.locator("#connection")).to_have_text("Đã kết nối")
    dashboard.evaluate("window.stillTheSamePage = true")

    _open_console(console, base_url, briefing_id)
    # The report-back of Sao Đỏ's own issues (the demo answered one since the last briefing), nobody else's.
    report_back = _report_back_titles(dashboard, base_url, briefing_id)
    own = report_back.pop("Sao Đỏ")
    assert own, "the demo has an issue of Sao Đỏ answered since the past briefing"
    report = console.locator(".report-back")
    expect(report).to_contain_text("Kết quả trả lời ý kiến")
    for title in own:
        expect(report.get_by_role("link", name=title, exact=True)).to_be_visible()
    for title in (title for titles in report_back.values() for title in titles):
        expect(console.get_by_text(title, exact=True)).to_have_count(0)

    # Offline, a secretary raises an issue; the operator writes it down from the secretary's row.
    title = f"Đường vào khu dân cư Hàn Giang ngập khi mưa lớn {secrets.token_hex(3)}"
    secretary = _first_secretary(console)
    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    _person(console, secretary).get_by_role("button", name=f"Ghi ý kiến, kiến nghị của {secretary}").click()
    expect(console.locator("#issue-raiser")).to_have_text(f"Người nêu: {secretary}")
    _fill_issue(console, "Hạ tầng - giao thông", title, "Mỗi trận mưa lớn nước ngập nửa mét, học sinh phải nghỉ học.")
    _assert_fits_the_phone(console)
    screenshot(console, "console-issue-form-phone")
    console.get_by_role("button", name="Lưu ý kiến").click()
    expect(console.get_by_role("dialog")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("1 đang chờ gửi")
    waiting = console.locator("#issues li").filter(has_text=title)
    expect(waiting).to_contain_text("Chờ gửi")
    expect(waiting).to_contain_text(f"Hạ tầng - giao thông · {secretary}")

    # Reloaded with no connection, the page comes from the service worker and the issue is still queued.
    console.reload()
    navigation = console.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    if "deliveryType" in navigation:
        assert navigation["deliveryType"] == "cache-storage"
    else:
        assert navigation["transferSize"] == 0 and navigation["workerStart"] > 0
    expect(console.locator("#outbox")).to_have_text("1 đang chờ gửi")
    expect(console.locator("#issues li").filter(has_text=title)).to_contain_text("Chờ gửi")
    expect(console.locator(".report-back").get_by_role("link", name=own[0], exact=True)).to_be_visible()
    _assert_fits_the_phone(console)
    _screenshot_from_the_top(console, "console-issues-phone-offline")
    assert _issues_titled(dashboard, base_url, title) == []

    # Back online: sent once, listed as new on the console, and in the dashboard's feed without a reload.
    console.context.set_offline(False)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    sent = console.locator("#issues li").filter(has_text=title)
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text("Mới")
    feed_line = dashboard.locator("#feed li").filter(has_text=title)
    expect(feed_line).to_have_count(1, timeout=SYNC_TIMEOUT_MS)
    expect(feed_line).to_contain_text(f"Phường Sao Đỏ: ý kiến mới “{title}” (Hạ tầng - giao thông · {secretary})")
    assert dashboard.evaluate("window.stillTheSamePage") is True

    issues = _issues_titled(dashboard, base_url, title)
    assert len(issues) == 1, issues
    assert (issues[0]["person_name"], issues[0]["category"], issues[0]["raised_by"]) == (
        secretary,
        "ha-tang-giao-thong",
        "op-sao-do",
    )
    _screenshot_from_the_top(console, "console-issues-phone")
    screenshot(dashboard, "live-dashboard-issue")


def test_a_refused_issue_is_parked_with_the_servers_message_and_can_be_corrected(
    page: Page, phone_page: Page, base_url: str
) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    _open_console(console, base_url, briefing_id)

    # The server first fails (retried with backoff), then refuses for good (parked): a stand-in for both answers.
    answers = [
        (503, {"error": {"code": "server_error", "message": "Hệ thống gặp lỗi."}}),
        (422, {"error": {"code": "invalid", "message": "Lĩnh vực không tồn tại.", "details": {"category": "Sai."}}}),
    ]
    seen: list[str] = []

    def refuse(route: Route) -> None:
        if route.request.method != "POST" or not answers:
            route.fallback()
            return
        seen.append(route.request.headers.get("x-csrftoken", ""))
        status, body = answers.pop(0)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    console.context.route(re.compile(rf"/api/v1/briefings/{briefing_id}/issues$"), refuse)
    title = f"Đề nghị lắp đèn đường ở ngõ 5 {secrets.token_hex(3)}"
    console.get_by_role("button", name="Ghi ý kiến, kiến nghị", exact=True).click()
    expect(console.locator("#issue-raiser")).to_have_text("Người nêu: cả điểm cầu Phường Sao Đỏ")
    console.get_by_role("button", name="Lưu ý kiến").click()
    expect(console.get_by_role("alert").filter(has_text="Hãy chọn lĩnh vực.")).to_be_visible()
    _fill_issue(console, "Hạ tầng - giao thông", title, "")
    console.get_by_role("button", name="Lưu ý kiến").click()

    parked = console.locator("#parked li").filter(has_text=title)
    expect(parked).to_contain_text("Lĩnh vực không tồn tại. Sai.", timeout=SYNC_TIMEOUT_MS)
    assert len(seen) == 2 and all(seen), "both attempts carry the page's CSRF token"
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")  # a parked item no longer waits
    expect(console.locator("#issues li").filter(has_text=title)).to_have_count(0)
    _assert_fits_the_phone(console)
    _screenshot_from_the_top(console, "console-issue-parked-phone")

    # Corrected from the parked line: the form comes back filled in, and the new attempt goes through.
    parked.get_by_role("button", name="Sửa, gửi lại").click()
    dialog = console.get_by_role("dialog", name="Ghi ý kiến, kiến nghị")
    expect(dialog.get_by_label("Tiêu đề")).to_have_value(title)
    dialog.get_by_role("button", name="Lưu ý kiến").click()
    expect(console.locator("#parked")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    sent = console.locator("#issues li").filter(has_text=title)
    expect(sent).to_contain_text("Mới")
    expect(sent).to_contain_text("Hạ tầng - giao thông · cả điểm cầu")
    issues = _issues_titled(organizer, base_url, title)
    assert len(issues) == 1 and issues[0]["person_id"] is None, issues
