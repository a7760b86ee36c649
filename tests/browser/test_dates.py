"""Dates and times in a Chromium set to American English in New York: forms take and show dd/mm/yyyy and 24-hour
times, the digit mask lays them out, and the live dashboard writes times in the network's zone (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, RequestLog, screenshot, sign_in

pytestmark = pytest.mark.browser

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def english_page(browser: Browser, live_server: LiveServer, request_log: RequestLog) -> Iterator[Page]:
    """A page of a browser whose language is en-US and whose clock is in New York (12 hours behind Hà Nội)."""
    context = browser.new_context(
        locale="en-US", timezone_id="America/New_York", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.on("request", request_log.record)
    try:
        page = context.new_page()
        assert page.evaluate("navigator.language") == "en-US"
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        yield page
    finally:
        context.close()
    assert not request_log.outside()


def test_a_briefing_is_typed_day_first_and_on_24_hours(english_page: Page, base_url: str) -> None:
    page = english_page
    sign_in(page, base_url, "organizer")
    page.goto(f"{base_url}/briefings/new")
    day, start, end = page.locator("#day"), page.locator("#start_time"), page.locator("#end_time")
    expect(day).to_have_attribute("placeholder", "dd/mm/yyyy")
    expect(day).to_have_attribute("inputmode", "numeric")
    assert day.get_attribute("type") == "text"  # not the browser's own (mm/dd/yyyy, AM/PM) inputs
    # Digits only, as on a phone's digit pad: the mask adds the separators and the leading zeros.
    day.press_sequentially("18122026")
    expect(day).to_have_value("18/12/2026")
    start.press_sequentially("830")
    expect(start).to_have_value("08:30")
    end.press_sequentially("1")
    end.press_sequentially("/")  # a separator typed out of habit writes the 0 instead of a second one
    expect(end).to_have_value("01:")
    end.fill("")
    end.press_sequentially("10h30")
    end.blur()
    expect(end).to_have_value("10:30")  # written out in full on leaving the field
    page.locator("#title").fill("Giao ban chuyên đề chuyển đổi số")
    screenshot(page, "dates-briefing-form-en-US")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã tạo buổi giao ban.")).to_be_visible()
    expect(page.get_by_text("Thứ Sáu, 18/12/2026, 08:30–10:30")).to_be_visible()

    # Something the server cannot read is explained beside the field, in Vietnamese, and what was typed stays.
    page.goto(f"{base_url}/briefings/new")
    page.locator("#day").fill("12/18/2026")
    page.locator("#start_time").fill("8:00 AM")
    page.locator("#end_time").fill("10:00")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy).")).to_be_visible()
    expect(page.get_by_text("Nhập giờ theo dạng 24 giờ, ví dụ 14:30 (không dùng AM/PM, sáng/chiều).")).to_be_visible()
    expect(page.locator("#day")).to_have_value("12/18/2026")
    screenshot(page, "dates-briefing-form-refused-en-US")


def test_the_filters_and_the_statistics_month(english_page: Page, base_url: str) -> None:
    page = english_page
    sign_in(page, base_url, "leader")
    page.goto(f"{base_url}/statistics")
    month = page.locator("#month")
    assert re.fullmatch(r"\d{2}/\d{4}", month.input_value())
    month.fill("")
    month.press_sequentially("122026")
    expect(month).to_have_value("12/2026")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.wait_for_url(re.compile(r"month=12%2F2026"))
    expect(page.get_by_text("12 tháng từ 01/01/2026 đến hết 31/12/2026")).to_be_visible()

    page.goto(f"{base_url}/issues?raised_from=2026-01-01")  # an old link, in ISO
    expect(page.locator("#raised_from")).to_have_value("01/01/2026")
    page.locator("#raised_to").press_sequentially("3112")
    page.locator("#raised_to").press_sequentially("2026")
    expect(page.locator("#raised_to")).to_have_value("31/12/2026")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.locator("#raised_to")).to_have_value("31/12/2026")
    page.locator("#raised_to").fill("31/13/2026")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.get_by_text("Tháng phải từ 01 đến 12 (nhập ngày trước, tháng sau: dd/mm/yyyy).")).to_be_visible()
    screenshot(page, "dates-issue-filters-en-US")


def _event_time(event: dict[str, object]) -> str | None:
    value = event.get("recorded_at") or event.get("last_seen_at") or event.get("at")
    return str(value) if value else None


def test_the_dashboard_feed_shows_hanoi_time_in_a_new_york_browser(english_page: Page, base_url: str) -> None:
    page = english_page
    sign_in(page, base_url, "organizer")
    # The demo's past briefing has a roll-call in its log.
    today = datetime.now(HCM).date()
    window = f"from={today - timedelta(days=190)}&to={today + timedelta(days=190)}"
    briefings = page.request.get(f"{base_url}/api/v1/briefings?{window}").json()
    past = next(briefing for briefing in briefings if briefing["status"] == "ended")
    page.goto(f"{base_url}/briefings/{past['id']}/live")
    data = json.loads(page.locator("#dashboard-data").text_content() or "{}")
    expected = {
        datetime.fromisoformat(text).astimezone(HCM).strftime("%H:%M:%S")
        for text in map(_event_time, data["recent_events"])
        if text
    }
    assert expected, "the demo's briefing has events to show"
    feed_times = page.locator("#feed time, .feed time")
    expect(feed_times.first).to_be_visible()
    shown = set(feed_times.all_text_contents())
    assert shown <= expected, f"feed times {shown - expected} are not Hà Nội times of the events"
    # The shared formatter, whatever the browser's zone and language.
    formatted = page.evaluate(
        """() => {
          const t = window.MeetingHubLive.vnTime;
          return [t.dateTime("2026-12-18T01:05:09Z"), t.time("2026-12-17T17:00:00Z", {seconds: true}),
                  t.date("2026-12-31T20:00:00-05:00"), new Date("2026-12-18T01:05:09Z").toLocaleString()];
        }"""
    )
    assert formatted[:3] == ["18/12/2026 08:05", "00:00:00", "01/01/2027"]
    assert formatted[3] == "12/17/2026, 8:05:09 PM"  # what the browser alone would have shown
    screenshot(page, "dates-dashboard-en-US-new-york")


PHONE_WIDTH = 360


def test_holidays_and_the_series_month_on_a_phone(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "organizer")
    page.goto(f"{base_url}/holidays")
    # Seeded from the start: Tết computed by the lunar calendar, with a question before a removal.
    year = datetime.now(HCM).year
    expect(page.get_by_role("heading", name=f"Năm {year}", exact=True)).to_be_visible()
    expect(page.locator("input[value='Tết Nguyên đán (mùng 1)']").first).to_be_visible()
    screenshot(page, "dates-holidays-phone")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the holidays page scrolls sideways: {scroll_width}"

    page.goto(f"{base_url}/series/new")
    first_month = page.locator("#first_month")
    assert re.fullmatch(r"\d{2}/\d{4}", first_month.input_value())  # next month, proposed
    first_month.fill("")
    first_month.press_sequentially("3")  # a one-digit month gets its 0
    expect(first_month).to_have_value("03/")
    first_month.press_sequentially("2027")
    expect(first_month).to_have_value("03/2027")
    expect(page.locator("#preview-dates li").first).to_contain_text("/03/2027")
    screenshot(page, "dates-series-form-phone")
