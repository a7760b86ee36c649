"""The statistics page in a real browser, as a leader on the demo: its charts render, on a desktop and on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def test_leader_opens_the_statistics_and_the_charts_render(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "leader")
    page.get_by_role("navigation").get_by_role("link", name="Thống kê", exact=True).click()
    page.wait_for_url(f"{base_url}/statistics")
    expect(page.get_by_role("heading", name="Thống kê", exact=True)).to_be_visible()

    by_endpoint = page.locator("figure.chart-bars", has_text="Tỉ lệ tham dự theo điểm cầu")
    expect(by_endpoint.locator("svg")).to_be_visible()
    bars = by_endpoint.locator("svg rect.chart-bar")
    assert bars.count() >= 19  # the demo's past briefing: every endpoint took its roll-call
    width = bars.first.bounding_box()
    assert width is not None and width["width"] > 50, "the bars are drawn with a visible length"
    expect(by_endpoint.get_by_text("Hoàng Hoa Thám", exact=True)).to_be_visible()

    trend = page.locator("figure.chart-trend")
    expect(trend.locator("svg circle").first).to_be_visible()  # the demo's month on the trend
    issues = page.locator("figure.chart-bars", has_text="Ý kiến, kiến nghị theo lĩnh vực")
    assert issues.locator("svg rect.chart-bar").count() >= 5
    screenshot(page, "leader-statistics")


def test_the_statistics_read_on_a_phone(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "leader")
    page.goto(f"{base_url}/statistics")
    chart = page.locator("figure.chart-bars", has_text="Tỉ lệ tham dự theo điểm cầu")
    expect(chart.locator("svg rect.chart-bar").first).to_be_visible()
    label = chart.locator("svg text").first
    box = label.bounding_box()
    assert box is not None and box["height"] >= 12, "labels keep a readable size on a phone"
    screenshot(page, "leader-statistics-phone")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the page scrolls sideways: {scroll_width}"
