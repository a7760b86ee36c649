"""The bulletin on a phone, as the demo's Sao Đỏ operator: confirm receipt, share the endpoint's link through the
phone's share sheet, and the public page's copy fallback where the browser has no share sheet."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
#: A stand-in for the phone's share sheet (Chromium headless has none): it records what the page hands it.
SHARE_SHEET = "navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };"


def test_the_operator_shares_the_endpoint_link_from_a_phone(phone_page: Page, base_url: str) -> None:
    page = phone_page
    page.add_init_script(SHARE_SHEET)
    sign_in(page, base_url, "op-sao-do")
    page.goto(f"{base_url}/bulletins")
    page.get_by_role("link", name="Thông tin tuyên giáo tháng").first.click()
    expect(page.get_by_role("heading", name="Liên kết và mã QR của điểm cầu")).to_be_visible()
    button = page.get_by_role("button", name="Chia sẻ", exact=True)
    url = button.get_attribute("data-share-url")
    assert url and "/b/" in url
    button.click()
    page.wait_for_function("() => window.__shared !== undefined")  # the click's handler hands it over a moment later
    shared = page.evaluate("window.__shared")
    assert shared["url"] == url and "Thông tin tuyên giáo" in shared["title"]
    assert url not in shared["text"]  # the link goes once, as the link
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot(page, "operator-bulletin-phone")

    # The public page, as a reader opening the link: no share sheet here, so the button copies the link.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.add_init_script("delete Navigator.prototype.share; delete navigator.share;")
    page.goto(url)
    expect(page.get_by_role("link", name="Đọc bản tin")).to_be_visible()
    page.get_by_role("button", name="Sao chép tin nhắn").click()
    expect(page.get_by_role("status")).to_have_text("Đã sao chép tin nhắn. Dán vào nhóm Zalo để gửi.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Ban Tuyên giáo") and copied.endswith(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot(page, "bulletin-public-phone")
