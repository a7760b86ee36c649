"""Reasons, substitutes and drafts on the operator's console: nothing typed is lost, each change is its own check-in."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Dialog, Locator, Page, Route, WebSocketRoute, expect

from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.browser.conftest import SCREENSHOT_DIR, LiveServer, RequestLog, screenshot, sign_in
from tests.browser.test_live_attendance import (
    SYNC_TIMEOUT_MS,
    _assert_fits_the_phone,
    _open_the_demo_briefing,
    _person,
    _poll_until,
    _screenshot_from_the_top,
)

pytestmark = pytest.mark.browser

EXCUSED = "Vắng có lý do"
UNSAVED_LEFT = "Đã gửi hết các thao tác đã lưu · còn nội dung chưa lưu"


@pytest.fixture
def english_new_york_page(browser: Browser, live_server: LiveServer, request_log: RequestLog) -> Iterator[Page]:
    """A phone page of a browser set to American English in New York: its own clock and format are not Vietnam's."""
    context = browser.new_context(
        locale="en-US",
        timezone_id="America/New_York",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    context.on("request", request_log.record)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert not request_log.outside()


def _not_recorded(console: Page) -> list[str]:
    names: list[str] = console.evaluate(
        """() => [...document.querySelectorAll("li.person")]
          .filter((li) => li.querySelector("[data-chip]").dataset.status === "none")
          .map((li) => li.querySelector(".person-name").textContent)"""
    )
    return names


def _records(page: Page, base_url: str, briefing_id: int) -> dict[int, dict[str, object]]:
    attendance = page.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/attendance").json()
    return {int(record["person_id"]): record for record in attendance["records"]}


def _person_id(row: Locator) -> int:
    return int(row.get_attribute("data-person-id") or 0)


def _open_reason(row: Locator) -> None:
    details = row.locator("details")
    if details.get_attribute("open") is None:
        row.get_by_text("Lý do, người dự thay").click()


def _type_reason(row: Locator, reason: str) -> None:
    _open_reason(row)
    row.get_by_label("Lý do, ghi chú").fill(reason)


def _accept_leaving(dialogs: list[str]) -> Callable[[Dialog], None]:
    """Return a dialog handler that notes each dialog's type and accepts it (leaving the page goes ahead)."""

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    return accept


def test_a_reason_is_saved_whatever_the_order_edited_later_and_kept_offline_across_a_reload(
    page: Page, phone_page: Page, base_url: str
) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)

    # Every check-in the console sends over the socket, as sent.
    sent: list[dict[str, object]] = []
    upgraded: list[bool] = []

    def route(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if message == "5":
                upgraded.append(True)
            if isinstance(message, str) and '"check_in"' in message:
                sent.append(json.loads(message[message.index("[") :])[1])
            server.send(message)

        socket.on_message(to_server)
        server.on_message(lambda message: socket.send(message))

    console.route_web_socket(re.compile(r"/socket\.io/"), route)
    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    console.locator("body[data-offline-ready='1']").wait_for(state="attached")
    _poll_until(console, lambda: bool(upgraded))
    waiting = _not_recorded(console)
    assert len(waiting) >= 4, waiting
    first, second, third, fourth = (_person(console, name) for name in waiting[:4])

    # Status, then reason: the reason typed after the tap is marked unsaved, and leaving the field sends it.
    first.get_by_role("button", name=EXCUSED, exact=True).click()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    _type_reason(first, "Đi công tác huyện")
    expect(first.locator(".row-unsaved")).to_have_text("Chưa lưu")
    expect(console.locator("#outbox")).to_have_text(UNSAVED_LEFT)  # not "all sent" while a reason is not saved
    expect(console.locator("#drafts")).to_have_text("1 lý do, người dự thay chưa lưu")
    _screenshot_from_the_top(console, "console-reason-unsaved-phone")
    console.get_by_label("Tìm theo tên").click()  # the operator moves on
    expect(first.locator(".row-unsaved")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    expect(first.locator(".person-note")).to_have_text("Ghi chú: Đi công tác huyện")
    expect(console.locator("#drafts")).to_be_hidden()

    # Reason, then status: the text goes with the tap.
    _type_reason(second, "Ốm, có giấy xin phép")
    expect(second.locator(".row-unsaved")).to_be_visible()
    expect(console.locator("#outbox")).to_have_text(UNSAVED_LEFT)
    second.get_by_role("button", name=EXCUSED, exact=True).click()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    expect(second.locator(".row-unsaved")).to_be_hidden()
    expect(second.locator("[data-chip]")).to_have_text(EXCUSED)

    # Edited later, with Enter: a new check-in, same status, its own client_op_id.
    _type_reason(first, "Đi công tác tỉnh")
    first.get_by_label("Lý do, ghi chú").press("Enter")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    expect(first.locator(".person-note")).to_have_text("Ghi chú: Đi công tác tỉnh")

    records = _records(organizer, base_url, briefing_id)
    first_id, second_id = _person_id(first), _person_id(second)
    assert (records[first_id]["status"], records[first_id]["note"]) == ("excused", "Đi công tác tỉnh")
    assert (records[second_id]["status"], records[second_id]["note"]) == ("excused", "Ốm, có giấy xin phép")
    for_first = [message for message in sent if message["person_id"] == first_id]
    assert [(m["status"], m["note"]) for m in for_first] == [
        ("excused", ""),
        ("excused", "Đi công tác huyện"),
        ("excused", "Đi công tác tỉnh"),
    ]
    assert len({m["client_op_id"] for m in for_first}) == 3

    # Offline: one reason saved with its status (kept in the outbox), one typed with no status yet (a draft).
    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    third.get_by_role("button", name=EXCUSED, exact=True).click()
    _type_reason(third, "Họp chi bộ thôn trùng giờ")
    third.get_by_role("button", name="Lưu lý do").click()
    expect(console.locator("#outbox")).to_have_text("2 đang chờ gửi")
    _type_reason(fourth, "Con ốm")
    fourth.get_by_label("Người dự thay").fill("Trần Văn Dự")
    fourth.get_by_role("button", name="Lưu lý do").click()
    expect(fourth.locator(".row-error")).to_contain_text("Chọn trạng thái")
    expect(fourth.locator(".row-unsaved")).to_be_visible()

    # Leaving asks first (text typed is not in the outbox yet); the reload keeps everything anyway.
    dialogs: list[str] = []
    console.on("dialog", _accept_leaving(dialogs))
    console.reload()
    assert dialogs == ["beforeunload"]
    expect(console.locator("#outbox")).to_have_text("2 đang chờ gửi")
    expect(third.locator("[data-chip]")).to_have_text(f"{EXCUSED} · chờ gửi")
    expect(third.locator(".person-note")).to_have_text("Ghi chú: Họp chi bộ thôn trùng giờ")
    expect(fourth.get_by_label("Lý do, ghi chú")).to_have_value("Con ốm")
    expect(fourth.get_by_label("Người dự thay")).to_have_value("Trần Văn Dự")
    expect(fourth.locator(".row-unsaved")).to_be_visible()
    _assert_fits_the_phone(console)
    _screenshot_from_the_top(console, "console-reason-offline-reloaded-phone")

    # A substitute only goes with someone who came: the tap on "excused" says so, nothing is queued.
    fourth.get_by_role("button", name=EXCUSED, exact=True).click()
    expect(fourth.locator(".row-error")).to_contain_text("Chỉ ghi người dự thay khi có người đến dự")
    expect(console.locator("#outbox")).to_have_text("2 đang chờ gửi")
    fourth.get_by_role("button", name="Có mặt", exact=True).click()
    expect(console.locator("#outbox")).to_have_text("3 đang chờ gửi")
    expect(fourth.locator(".row-unsaved")).to_be_hidden()

    console.context.set_offline(False)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    records = _records(organizer, base_url, briefing_id)
    third_id, fourth_id = _person_id(third), _person_id(fourth)
    assert (records[third_id]["status"], records[third_id]["note"]) == ("excused", "Họp chi bộ thôn trùng giờ")
    assert (records[fourth_id]["status"], records[fourth_id]["note"], records[fourth_id]["substitute_name"]) == (
        "present",
        "Con ốm",
        "Trần Văn Dự",
    )
    # Nothing is left to warn about: leaving now asks nothing.
    dialogs.clear()
    console.reload()
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    assert dialogs == []


def test_an_issue_draft_survives_a_reload_and_closing_the_form(page: Page, phone_page: Page, base_url: str) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")

    console.get_by_role("button", name="Ghi ý kiến, kiến nghị", exact=True).click()
    dialog = console.get_by_role("dialog", name="Ghi ý kiến, kiến nghị")
    dialog.get_by_label("Lĩnh vực").select_option(label="Hạ tầng - giao thông")
    dialog.get_by_label("Tiêu đề").fill("Cầu tràn thôn Đồng Châu xuống cấp")
    dialog.get_by_label("Nội dung").fill("Mặt cầu nứt nhiều chỗ, xe tải vẫn đi qua.")

    dialogs: list[str] = []
    accept = _accept_leaving(dialogs)
    console.on("dialog", accept)
    console.reload()
    assert dialogs == ["beforeunload"]
    banner = console.locator("#issue-draft")
    expect(banner).to_contain_text("Ý kiến đang viết dở, chưa lưu: “Cầu tràn thôn Đồng Châu xuống cấp” (cả điểm cầu)")
    _screenshot_from_the_top(console, "console-issue-draft-phone")
    banner.get_by_role("button", name="Viết tiếp").click()
    expect(dialog.get_by_label("Nội dung")).to_have_value("Mặt cầu nứt nhiều chỗ, xe tải vẫn đi qua.")
    expect(dialog.get_by_label("Lĩnh vực")).to_have_value("ha-tang-giao-thong")

    # "Later" keeps it; discarding asks first, and a "no" keeps it too.
    dialog.get_by_role("button", name="Để sau").click()
    expect(banner).to_be_visible()
    expect(console.locator("#outbox")).to_have_text(UNSAVED_LEFT)  # the issue kept for later is not sent
    dialogs.clear()
    console.remove_listener("dialog", accept)

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    console.once("dialog", refuse)
    banner.get_by_role("button", name="Bỏ bản nháp").click()
    assert dialogs and "Bỏ ý kiến đang viết?" in dialogs[0]
    expect(banner).to_be_visible()

    banner.get_by_role("button", name="Viết tiếp").click()
    dialog.get_by_role("button", name="Lưu ý kiến").click()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    expect(banner).to_be_hidden()
    expect(console.locator("#issues li").filter(has_text="Cầu tràn thôn Đồng Châu xuống cấp")).to_have_count(1)


def test_times_are_vietnam_time_24_hours_in_an_american_browser(
    page: Page, english_new_york_page: Page, base_url: str
) -> None:
    organizer, console = page, english_new_york_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    assert console.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"

    name = _not_recorded(console)[0]
    row = _person(console, name)
    row.get_by_role("button", name="Đến muộn", exact=True).click()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    recorded_at = _records(organizer, base_url, briefing_id)[_person_id(row)]["recorded_at"]
    expected = datetime.fromisoformat(str(recorded_at)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
    expect(row.locator("[data-time]")).to_have_text(expected)
    assert re.fullmatch(r"\d\d:\d\d", row.locator("[data-time]").inner_text())
    screenshot(console, "console-en-us-new-york")


def test_the_console_follows_the_briefing_closing_and_reopening_where_the_operator_looks(
    page: Page, phone_page: Page, base_url: str
) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    # The server's events reach the page through this route; the test adds the briefing's status events, so the
    # briefing shared by the other tests stays open.
    sockets: list[WebSocketRoute] = []
    upgraded: list[bool] = []

    def route(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if message == "5":
                upgraded.append(True)
            server.send(message)

        socket.on_message(to_server)
        server.on_message(lambda message: socket.send(message))
        sockets.append(socket)

    console.route_web_socket(re.compile(r"/socket\.io/"), route)
    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    # The client talks over long-polling until it has upgraded to the websocket; a message injected while the upgrade
    # is being probed aborts the upgrade and is lost (this made the test fail now and then).
    _poll_until(console, lambda: bool(upgraded))

    # The operator is halfway down the roll-call, on a phone.
    console.locator("li.person").nth(12).scroll_into_view_if_needed()
    seq = 10**9

    def briefing_event(status: str, at: str) -> None:
        nonlocal seq
        seq += 1
        event = {"seq": seq, "type": "briefing", "briefing_id": briefing_id, "status": status, "at": at}
        sockets[-1].send("42/live," + json.dumps(["events", {"briefing_id": briefing_id, "events": [event]}]))

    # Moments after the real ones: the console ignores a status older than the last it saw (another test may have
    # ended and reopened this briefing a minute ago).
    ended_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=2)
    briefing_event("ended", ended_at.isoformat())
    bar = console.locator("#briefing-state")
    local_end = ended_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
    expect(bar).to_have_text(f"Buổi giao ban đã kết thúc lúc {local_end}: không điểm danh thêm được.")
    expect(bar).to_be_in_viewport()
    expect(console.locator("li.person").first.get_by_role("button", name="Có mặt", exact=True)).to_be_disabled()
    # What the operator sees right then (a full-page shot would draw the sticky bar at the top of the page).
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(SCREENSHOT_DIR / "console-ended-mid-roster-phone.png"))

    briefing_event("live", (ended_at + timedelta(minutes=15)).isoformat())
    expect(bar).to_be_hidden()
    expect(console.locator("li.person").first.get_by_role("button", name="Có mặt", exact=True)).to_be_enabled()


def test_the_roll_call_is_on_the_first_screen_of_the_phone(page: Page, phone_page: Page, base_url: str) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    sign_in(console, base_url, "op-sao-do")
    # The home page's first screen leads to the roll-call of the live briefing.
    link = console.get_by_role("link", name=re.compile("^Điểm danh ngay"))
    expect(link).to_be_in_viewport()
    screenshot(console, "home-operator-live-phone")
    link.click()
    console.wait_for_url(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    expect(console.locator("li.person").first).to_be_in_viewport()
    first_person = console.locator("li.person").first.bounding_box()
    issues = console.locator("section.issues").bounding_box()
    assert first_person and issues and first_person["y"] < issues["y"]


def test_the_waiting_page_goes_to_the_roll_call_once_the_briefing_opens(
    app: Flask, network: factories.SmallNetwork, page: Page, phone_page: Page, base_url: str
) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    # The shared demo server has its briefing open, so its /console never waits: the waiting page comes from an app
    # of this test's own, with no briefing at all, and its poll answers "nothing yet" until the test says otherwise.
    waiting_html = signed_in_client(app, "op-sao-do").get("/console").text
    assert "Chưa có buổi giao ban nào đang diễn ra" in waiting_html
    waiting_html = waiting_html.replace('data-poll-seconds="15"', 'data-poll-seconds="1"')
    opened = {"yes": False}
    asked: list[str] = []

    def next_briefing(route: Route) -> None:
        asked.append(route.request.url)
        if opened["yes"]:
            route.continue_()  # the live server's own answer: the demo briefing, open
        else:
            route.fulfill(json={"url": None})

    sign_in(console, base_url, "op-sao-do")
    console.route(f"{base_url}/console", lambda route: route.fulfill(body=waiting_html, content_type="text/html"))
    console.route(f"{base_url}/console/next", next_briefing)
    console.goto(f"{base_url}/console")
    expect(console.get_by_role("heading", name="Chưa có buổi giao ban nào đang diễn ra")).to_be_visible()
    _poll_until(console, lambda: len(asked) >= 2)
    assert console.url == f"{base_url}/console"

    opened["yes"] = True
    console.wait_for_url(f"{base_url}/briefings/{briefing_id}/console", timeout=SYNC_TIMEOUT_MS)
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    expect(console.locator("li.person").first.get_by_role("button", name="Có mặt", exact=True)).to_be_enabled()
