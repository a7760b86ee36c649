"""Nothing irreversible by one click: a briefing's open / close / reopen on an organizer's phone, confirmed in a modal
that states the consequence, and the same steps without JavaScript."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, RequestLog, _new_page, screenshot, sign_in

pytestmark = pytest.mark.browser

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _csrf(page: Page) -> str:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    return token


#: The briefings these tests hold are dated after the demo's coming one, outside the range the other browser tests
#: look at: they share the demo database, and a briefing held before the demo's coming one would become its "previous
#: briefing" (its report-back). Each test leaves none of them live.
LATER = timedelta(days=120)


def _new_briefing(page: Page, base_url: str, title: str, starts_in: timedelta = LATER) -> int:
    """Create, as the signed-in organizer, a briefing of its own (other tests use the demo's)."""
    start = datetime.now(HCM) + starts_in
    response = page.request.post(
        f"{base_url}/api/v1/briefings",
        data={"title": title, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()},
        headers={"X-CSRFToken": _csrf(page)},
    )
    assert response.status == 201, response.text()
    return int(response.json()["id"])


def test_organizer_on_a_phone_opens_ends_and_reopens_with_confirmations(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "organizer")
    # A briefing whose time has come but that nobody opened says so, never "live" (long ago: never held, it is
    # nobody's previous briefing).
    forgotten = _new_briefing(page, base_url, "Giao ban chưa mở", starts_in=-timedelta(days=800))
    page.goto(f"{base_url}/briefings/{forgotten}")
    expect(page.locator("main .badge").first).to_have_text("Đến giờ, chưa mở")

    briefing_id = _new_briefing(page, base_url, "Giao ban thử vòng đời")
    page.goto(f"{base_url}/briefings/{briefing_id}")
    # The controls come before the content on a phone: the open button is in the first screen.
    open_button = page.get_by_role("button", name="Mở giao ban", exact=True)
    expect(open_button).to_be_in_viewport()
    open_button.click()
    dialog = page.get_by_role("dialog", name="Mở giao ban sớm?")
    expect(dialog).to_contain_text("Buổi giao ban dự kiến diễn ra ngày")
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("main .badge").first).to_have_text("Đã lên lịch")

    open_button.click()
    dialog.get_by_role("button", name="Vẫn mở sớm").click()
    expect(page.get_by_role("alert")).to_have_text("Buổi giao ban đã mở.")
    page.wait_for_load_state()  # the confirmation script binds once the page has loaded (slow on a busy machine)

    page.get_by_role("button", name="Kết thúc giao ban", exact=True).click()
    dialog = page.get_by_role("dialog", name="Kết thúc giao ban?")
    expect(dialog).to_contain_text(re.compile(r"Còn \d+ người chưa được điểm danh"))
    page.wait_for_timeout(400)  # the modal's fade-in, for the screenshot
    screenshot(page, "lifecycle-phone-close-confirmation")
    dialog.get_by_role("button", name=re.compile(r"^Kết thúc, để \d+ người chưa điểm danh$")).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Buổi giao ban đã kết thúc; biên bản đã được chốt, tệp PDF sẵn sàng sau ít giây."
    )
    screenshot(page, "lifecycle-phone-after-close")  # the PDF being prepared, or ready already
    # The worker lays the PDF out; the page swaps "being prepared" for the link without a reload.
    expect(page.get_by_role("link", name="Tải PDF biên bản phiên bản 1")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Đang chuẩn bị tệp PDF…")).to_have_count(0)

    page.get_by_role("button", name="Mở lại giao ban", exact=True).click()
    dialog = page.get_by_role("dialog", name="Mở lại buổi giao ban?")
    dialog.get_by_role("button", name="Mở lại", exact=True).click()
    # The browser keeps an empty required reason from being sent.
    expect(dialog).to_be_visible()
    dialog.get_by_label("Lý do mở lại").fill("Kết thúc nhầm khi Hoàng Hoa Thám chưa điểm danh xong")
    dialog.get_by_role("button", name="Mở lại", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Đã mở lại buổi giao ban: các điểm cầu điểm danh tiếp được.")
    expect(page.get_by_text("Lý do: Kết thúc nhầm khi Hoàng Hoa Thám chưa điểm danh xong")).to_be_visible()
    page.wait_for_load_state()

    page.get_by_role("button", name="Kết thúc giao ban", exact=True).click()
    page.get_by_role("dialog", name="Kết thúc giao ban?").get_by_role("button", name=re.compile("^Kết thúc")).click()
    expect(page.get_by_role("link", name="Tải PDF biên bản phiên bản 2")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="Tải PDF biên bản phiên bản 1")).to_be_visible()
    expect(page.get_by_text("Kết thúc lại sau khi mở lại: Kết thúc nhầm")).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"the briefing page scrolls sideways on a phone: {scroll_width}"
    screenshot(page, "lifecycle-phone-after-reopen")


def test_without_javascript_each_change_is_a_second_step(
    browser: Browser, live_server: LiveServer, request_log: RequestLog, page: Page, base_url: str
) -> None:
    sign_in(page, base_url, "organizer")
    briefing_id = _new_briefing(page, base_url, "Giao ban thử không JavaScript")
    cookies = page.context.cookies()
    for no_script in _new_page(
        browser, request_log, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    ):
        no_script.context.add_cookies(cookies)
        no_script.goto(f"{base_url}/briefings/{briefing_id}")
        no_script.get_by_role("button", name="Mở giao ban", exact=True).click()
        no_script.wait_for_url(f"{base_url}/briefings/{briefing_id}/open")
        expect(no_script.get_by_role("heading", name="Mở giao ban sớm?")).to_be_visible()
        screenshot(no_script, "lifecycle-no-js-open-step")
        no_script.get_by_role("button", name="Vẫn mở sớm").click()
        expect(no_script.get_by_role("alert")).to_have_text("Buổi giao ban đã mở.")
    # Ended again, so that no console of the other tests takes it for the live briefing.
    close = f"{base_url}/api/v1/briefings/{briefing_id}/close"
    refused = page.request.post(close, headers={"X-CSRFToken": _csrf(page)})
    assert refused.status == 409, refused.text()
    unrecorded = refused.json()["error"]["details"]["unrecorded"]
    closed = page.request.post(close, data={"confirm_unrecorded": unrecorded}, headers={"X-CSRFToken": _csrf(page)})
    assert closed.status == 200, closed.text()


def test_an_english_browser_far_away_still_reads_day_first_local_times(
    browser: Browser, live_server: LiveServer, base_url: str
) -> None:
    context = browser.new_context(
        locale="en-US", timezone_id="America/New_York", viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        sign_in(page, base_url, "organizer")
        start = (datetime.now(HCM) + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
        response = page.request.post(
            f"{base_url}/api/v1/briefings",
            data={
                "title": "Giao ban sớm",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
            headers={"X-CSRFToken": _csrf(page)},
        )
        assert response.status == 201, response.text()
        page.goto(f"{base_url}/briefings/{response.json()['id']}")
        page.get_by_role("button", name="Mở giao ban", exact=True).click()
        dialog = page.get_by_role("dialog", name="Mở giao ban sớm?")
        expect(dialog).to_contain_text(f"ngày {start.strftime('%d/%m/%Y')} lúc 14:30")
        page.wait_for_timeout(400)  # the modal's fade-in, for the screenshot
        screenshot(page, "lifecycle-en-browser-early-open")
        # Cancelled again, so that the other tests do not take it for the demo's coming briefing.
        cancel = f"{base_url}/api/v1/briefings/{response.json()['id']}/cancel"
        assert page.request.post(cancel, data={}, headers={"X-CSRFToken": _csrf(page)}).status == 200
    finally:
        context.close()


def test_cancelling_and_merging_ask_first_and_say_what_follows(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "admin")
    start = datetime.now(HCM) + timedelta(days=20)
    response = page.request.post(
        f"{base_url}/api/v1/briefings",
        data={
            "title": "Giao ban sẽ hủy",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers={"X-CSRFToken": _csrf(page)},
    )
    assert response.status == 201, response.text()
    page.goto(f"{base_url}/briefings/{response.json()['id']}")
    page.get_by_role("button", name="Hủy buổi", exact=True).click()
    dialog = page.get_by_role("dialog", name="Hủy buổi giao ban?")
    expect(dialog).to_contain_text("Không thể mở lại một buổi đã hủy")
    dialog.get_by_label("Lý do hủy (không bắt buộc)").fill("Trùng Hội nghị Thành ủy")
    dialog.get_by_role("button", name="Hủy buổi giao ban").click()
    expect(page.get_by_role("alert")).to_have_text("Đã hủy buổi giao ban.")
    expect(page.get_by_text("Lý do: Trùng Hội nghị Thành ủy")).to_be_visible()

    # The merge is only looked at here: the demo's endpoints are shared with the other browser tests.
    page.goto(f"{base_url}/endpoints")
    page.get_by_role("link", name=re.compile("Hoàng Hoa Thám")).first.click()
    endpoint_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{base_url}/admin/endpoints/{endpoint_id}")
    page.get_by_role("button", name="Sáp nhập vào đơn vị khác…").click()
    dialog = page.get_by_role("dialog", name="Sáp nhập Hoàng Hoa Thám?")
    expect(dialog).to_contain_text(re.compile(r"\d+ chi bộ với \d+ người và \d+ tài khoản cán bộ điểm cầu"))
    expect(dialog).to_contain_text("Không thể hoàn tác việc sáp nhập.")
    expect(dialog.get_by_label("Sáp nhập Hoàng Hoa Thám vào")).to_have_value("")  # no unit chosen for the admin
    page.wait_for_timeout(400)  # the modal's fade-in, for the screenshot
    screenshot(page, "lifecycle-merge-confirmation")
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_be_hidden()
