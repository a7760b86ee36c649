"""The foundation in a real browser: sign-in, home pages, endpoints and rosters, roster import, language, assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from meeting_hub.vietnamese import fold
from tests.browser.conftest import RequestLog, screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def _person_names(page: Page) -> list[str]:
    """The full names listed on an endpoint's roster page (the first text of each person's line)."""
    names: list[str] = page.locator("main .card .list-group-item > span:first-child").evaluate_all(
        "spans => spans.map(span => span.firstChild.textContent.trim())"
    )
    return names


def _assert_no_horizontal_scroll(page: Page, width: int = PHONE_WIDTH) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: scrollWidth {scroll_width} > {width}"


def test_operator_on_a_phone_finds_secretaries_without_diacritics(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "op-sao-do")
    expect(page.get_by_text("Điểm cầu Phường Sao Đỏ", exact=True)).to_be_visible()
    _assert_no_horizontal_scroll(page)
    screenshot(page, "operator-phone-home")

    page.get_by_role("link", name="Xem danh sách bí thư chi bộ").click()
    page.wait_for_url(re.compile(r"/endpoints/\d+$"))
    expect(page.get_by_role("heading", name="Phường Sao Đỏ", exact=True)).to_be_visible()
    everyone = _person_names(page)
    expected = sorted(name for name in everyone if "nguyen" in fold(name))
    assert expected, "the demo roster of Sao Đỏ should have someone named Nguyễn"
    assert len(expected) < len(everyone)

    page.get_by_role("searchbox").fill("nguyen")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_url(re.compile(r"\?q=nguyen$"))
    found = _person_names(page)
    assert sorted(found) == expected
    assert any("Nguyễn" in name for name in found)
    _assert_no_horizontal_scroll(page)
    screenshot(page, "operator-phone-roster-search")


def test_organizer_lists_and_searches_endpoints(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "organizer")
    page.get_by_role("navigation").get_by_role("link", name="Điểm cầu", exact=True).click()
    page.wait_for_url(f"{base_url}/endpoints")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(19)
    for name in ("Xã Hoàng Hoa Thám", "Phường Sao Đỏ", "Phường Phả Lại", "Xã Nhân Huệ", "Phường Cộng Hòa"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    screenshot(page, "organizer-endpoints")

    page.get_by_role("searchbox").fill("hoang hoa tham")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_url(re.compile(r"\?q=hoang\+hoa\+tham$"))
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_text("Xã Hoàng Hoa Thám")
    screenshot(page, "organizer-endpoints-search")


def test_admin_sees_every_bad_row_of_a_roster_file(page: Page, base_url: str, tmp_path: Path) -> None:
    roster = tmp_path / "danh-sach.csv"
    roster.write_text(
        "endpoint_code,cell,full_name,role,phone\n"
        "sao-do,Khu dân cư Hàn Giang,Nguyễn Văn Thử,secretary,0912345678\n"
        "khong-co,Thôn Mới,Trần Thị Lỗi,secretary,\n",
        encoding="utf-8",
    )
    sign_in(page, base_url, "admin")
    page.get_by_role("navigation").get_by_role("button", name="Quản lý").click()
    page.get_by_role("navigation").get_by_role("link", name="Nhập danh sách", exact=True).click()
    expect(page.get_by_role("heading", name="Nhập danh sách bí thư chi bộ")).to_be_visible()
    page.get_by_label("Tệp danh sách (.csv hoặc .xlsx)").set_input_files(roster)
    page.get_by_role("button", name="Kiểm tra và nhập").click()

    expect(page.get_by_role("alert")).to_contain_text("Tệp có lỗi nên chưa nhập dòng nào.")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td")).to_have_text(["3", "endpoint_code", "Không có điểm cầu mã “khong-co”."])
    screenshot(page, "admin-roster-import-errors")


def test_wrong_password_and_english_sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/sign-in")
    expect(page).to_have_title(re.compile("^Đăng nhập"))
    page.get_by_label("Tên đăng nhập", exact=True).fill("organizer")
    page.get_by_label("Mật khẩu", exact=True).fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    assert page.url.startswith(f"{base_url}/sign-in")
    screenshot(page, "sign-in-wrong-password")

    page.get_by_role("link", name="English", exact=True).click()
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Tiếng Việt", exact=True)).to_be_visible()
    screenshot(page, "sign-in-english")


def test_pages_load_their_css_and_js_from_the_app(page: Page, base_url: str, request_log: RequestLog) -> None:
    assets: dict[str, int] = {}

    def record(response: Response) -> None:
        if "/static/" in response.url:
            assets[response.url] = response.status

    page.on("response", record)
    sign_in(page, base_url, "admin")
    for path in ("/endpoints", "/people?q=nguyen", "/agencies", "/admin/roster-import", "/profile"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{base_url}/endpoints")
    page.get_by_role("link", name="Phường Sao Đỏ", exact=True).click()
    page.wait_for_url(re.compile(r"/endpoints/\d+$"))

    # The stylesheets apply: the navigation bar has the brand colour of app.css over Bootstrap.
    expect(page.get_by_role("navigation")).to_have_css("background-color", "rgb(164, 22, 26)")
    # Bootstrap's JS runs: it defines window.bootstrap.
    assert page.evaluate("typeof window.bootstrap") == "object"

    requested = {Path(url.split("?")[0]).name for url in assets}
    assert {"bootstrap.min.css", "app.css", "bootstrap.bundle.min.js"} <= requested
    assert all(status in (200, 304) for status in assets.values()), assets
    assert request_log.urls, "the request log should have seen the pages"
    assert not request_log.outside(), request_log.outside()
    assert all(url.startswith(base_url) for url in request_log.urls if url.startswith("http")), request_log.urls
