"""Accounts in a real browser: the forced password change of a new account, a change that signs the other sessions
out, the demo notice, the audit log (Vietnamese and English browsers) and the routing selects."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.browser

TEMPORARY = "tam-thoi-2026"
CHOSEN = "song-hong-chieu-thu"


def _create_leader(page: Page, base_url: str, username: str) -> None:
    """Have the demo admin create a leader account through the form."""
    sign_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/users/new")
    role = page.get_by_label("Vai trò", exact=True)
    expect(role).to_have_value("")  # starts on "— Chọn —", never on the first role (admin)
    page.get_by_label("Tên đăng nhập", exact=True).fill(username)
    page.get_by_label("Họ tên hiển thị", exact=True).fill("Phạm Thị Đào")
    page.get_by_label("Mật khẩu", exact=True).fill(TEMPORARY)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Cần chọn vai trò.")).to_be_visible()
    screenshot(page, "accounts-user-form-role-required")
    role.select_option("leader")
    page.get_by_label("Mật khẩu", exact=True).fill(TEMPORARY)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text(f"Đã tạo tài khoản {username}.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Phạm Thị Đào"))).to_contain_text("Chờ đổi mật khẩu")
    page.context.clear_cookies()  # sign out


def _sign_in_form(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Tên đăng nhập", exact=True).fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


def test_new_account_must_change_its_password_and_other_sessions_end(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    base_url = live_server.url
    username = f"lanh-dao-{secrets.token_hex(3)}"
    _create_leader(page, base_url, username)

    # A second browser signs in with the temporary password too: it will be signed out by the change.
    other_context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    other = other_context.new_page()
    _sign_in_form(other, base_url, username, TEMPORARY)
    other.wait_for_url(f"{base_url}/profile/password")

    _sign_in_form(page, base_url, username, TEMPORARY)
    page.wait_for_url(f"{base_url}/profile/password")
    expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    expect(page.get_by_text("do người khác đặt")).to_be_visible()
    # Every page leads back here; the API refuses with a clear code.
    page.goto(f"{base_url}/issues")
    page.wait_for_url(f"{base_url}/profile/password")
    api = page.request.get(f"{base_url}/api/v1/issues")
    assert api.status == 403 and api.json()["error"]["code"] == "password_change_required"
    screenshot(page, "accounts-forced-password-change")

    page.get_by_label("Mật khẩu hiện tại").fill(TEMPORARY)
    page.get_by_label("Mật khẩu mới", exact=True).fill("12345678")
    page.get_by_label("Nhập lại mật khẩu mới").fill("12345678")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_text("Mật khẩu này nằm trong danh sách mật khẩu phổ biến đã bị lộ.").first).to_be_visible()
    screenshot(page, "accounts-password-change-common-refused")

    page.get_by_label("Mật khẩu hiện tại").fill(TEMPORARY)
    page.get_by_label("Mật khẩu mới", exact=True).fill(CHOSEN)
    page.get_by_label("Nhập lại mật khẩu mới").fill(CHOSEN)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    page.wait_for_url(f"{base_url}/profile")
    expect(page.get_by_text("Đã đổi mật khẩu.")).to_be_visible()
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", name="Xin chào")).to_be_visible()

    other.goto(f"{base_url}/")
    other.wait_for_url(re.compile(r"/sign-in"))
    other_context.close()

    page.context.clear_cookies()  # sign out
    _sign_in_form(page, base_url, username, CHOSEN)
    page.wait_for_url(f"{base_url}/")


def test_demo_install_says_so_on_the_sign_in_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/sign-in")
    notice = page.locator("#demo-notice")
    expect(notice).to_contain_text("bản cài đặt demo")
    expect(notice).to_contain_text("demo12345")
    screenshot(page, "accounts-sign-in-demo-notice")


def test_audit_log_reads_in_vietnamese_and_filters(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/audit")
    expect(page.get_by_role("heading", name="Nhật ký hệ thống")).to_be_visible()
    expect(page.locator("#audit-table")).to_contain_text("Đăng nhập")
    page.get_by_label("Hành động").select_option("sign_in.ok")
    page.get_by_label("Từ ngày").fill("31/02/2026")
    page.get_by_role("button", name="Lọc").click()
    expect(page.get_by_text("Tháng 02/2026 không có ngày 31.")).to_be_visible()
    expect(page.locator("#audit-date-notice")).to_have_text(
        "Ngày lọc chưa hợp lệ nên danh sách dưới đây chưa lọc theo ngày."
    )
    screenshot(page, "accounts-audit-log-invalid-day")
    page.get_by_label("Từ ngày").fill("")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("Đăng nhập")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the audit log scrolls sideways: {width}"
    screenshot(page, "accounts-audit-log")


def test_audit_log_on_a_phone_is_a_list_of_cards(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/audit")
    region = page.get_by_role("region", name="Nhật ký hệ thống")
    overflow = region.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 0, f"the audit log scrolls sideways inside itself by {overflow}px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("#audit-table thead")).to_be_hidden()
    first = page.locator("#audit-table tbody tr").first
    label = first.locator("td").nth(2).evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Hành động"', label
    screenshot(page, "accounts-audit-log-phone")


def test_audit_log_on_an_english_browser_keeps_dd_mm_yyyy(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(
        locale="en-US", timezone_id="America/New_York", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "admin")
        page.goto(f"{live_server.url}/admin/audit")
        first_time = page.locator("#audit-table tbody tr td").first.inner_text()
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", first_time.strip()), first_time
        expect(page.get_by_label("Từ ngày")).to_have_attribute("placeholder", "dd/mm/yyyy")
        screenshot(page, "accounts-audit-log-en-us-browser")
    finally:
        context.close()
