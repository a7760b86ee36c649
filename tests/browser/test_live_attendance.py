"""Live attendance in real browsers: an operator's phone takes the roll-call on and off line; a dashboard follows."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, Request, WebSocketRoute, expect

from meeting_hub.vietnamese import fold
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
FIRST_LOAD_BUDGET = 200 * 1024
STATUSES = ("present", "late", "excused", "absent", "pending")
#: Long enough for a reconnect with backoff after the network returns; every wait ends as soon as the text is there.
SYNC_TIMEOUT_MS = 20_000


def _open_the_demo_briefing(page: Page, base_url: str) -> int:
    """As the organizer, find the demo series' coming briefing and press "Mở giao ban" (unless it is already live)."""
    today = date.today()
    response = page.request.get(
        f"{base_url}/api/v1/briefings?from={today - timedelta(days=45)}&to={today + timedelta(days=75)}"
    )
    assert response.ok, response.text()
    candidates = [b for b in response.json() if b["status"] in ("scheduled", "live")]
    assert candidates, "the demo should have a coming briefing"
    briefing = min(candidates, key=lambda b: (b["status"] != "live", b["starts_at"]))
    page.goto(f"{base_url}/briefings/{briefing['id']}")
    if briefing["status"] == "scheduled":
        page.get_by_role("button", name="Mở giao ban", exact=True).click()
        # The coming briefing may be days away: its confirmation then says so and asks to open early anyway.
        page.locator("#confirm-open").get_by_role("button", name=re.compile("^(Vẫn mở sớm|Mở giao ban ngay)$")).click()
        expect(page.get_by_role("alert")).to_have_text("Buổi giao ban đã mở.")
    return int(briefing["id"])


def _tile_counts(dashboard: Page, endpoint: str) -> dict[str, int]:
    tile = dashboard.get_by_role("article", name=endpoint, exact=True)
    return {status: int(tile.locator(f'[data-count="{status}"]').inner_text()) for status in STATUSES}


def _expect_tile(dashboard: Page, endpoint: str, counts: dict[str, int]) -> None:
    tile = dashboard.get_by_role("article", name=endpoint, exact=True)
    for status, value in counts.items():
        expect(tile.locator(f'[data-count="{status}"]')).to_have_text(str(value), timeout=SYNC_TIMEOUT_MS)


def _shifted(counts: dict[str, int], **changes: int) -> dict[str, int]:
    return {status: counts[status] + changes.get(status, 0) for status in STATUSES}


def _person(console: Page, name: str) -> Locator:
    """Return a person's line on the console, by exact name."""
    exact_name = console.locator(".person-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return console.locator("li.person").filter(has=exact_name)


def _check_in(console: Page, name: str, status: str, note: str = "", substitute: str = "") -> None:
    row = _person(console, name)
    if note or substitute:
        row.get_by_text("Lý do, người dự thay").click()
        row.get_by_label("Lý do, ghi chú").fill(note)
        row.get_by_label("Người dự thay").fill(substitute)
    row.get_by_role("button", name=status, exact=True).click()


def _assert_fits_the_phone(console: Page) -> None:
    scroll_width = console.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the console scrolls sideways: {scroll_width} > {PHONE_WIDTH}"


def _screenshot_from_the_top(console: Page, name: str) -> None:
    # The counters stick to the top of the screen: scrolled down, a full-page shot would draw them mid-page.
    console.evaluate("window.scrollTo(0, 0)")
    screenshot(console, name)


def _transferred(requests: list[Request]) -> int:
    """Sum the bytes of the responses as transferred (headers and body as sent, uncompressed here: Flask sends
    static files as they are). Chromium reports no body size for the service worker's own script: count it whole."""
    total = 0
    for request in requests:
        response = request.response()
        if response is None:
            continue
        sizes = request.sizes()
        body = sizes["responseBodySize"]
        if body <= 0 and request.url.endswith("/console-sw.js"):
            body = len(response.body())
        total += sizes["responseHeadersSize"] + max(body, 0)
    return total


def test_roll_call_on_a_phone_reaches_the_dashboard_and_survives_going_offline(
    page: Page, phone_page: Page, base_url: str
) -> None:
    dashboard, console = page, phone_page
    sign_in(dashboard, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(dashboard, base_url)
    dashboard.get_by_role("link", name="Màn hình theo dõi trực tiếp").click()
    dashboard.wait_for_url(f"{base_url}/briefings/{briefing_id}/live")
    expect(dashboard.locator("#connection")).to_have_text("Đã kết nối")
    # A marker that a reload would wipe out: the dashboard must follow everything without one.
    dashboard.evaluate("window.stillTheSamePage = true")
    before = _tile_counts(dashboard, "Phường Sao Đỏ")

    # The operator of Sao Đỏ opens the console from the home page; everything it loads is counted.
    sign_in(console, base_url, "op-sao-do")
    first_load: list[Request] = []

    def record(request: Request) -> None:
        first_load.append(request)

    console.context.on("requestfinished", record)
    console.get_by_role("link", name="Điểm danh trực tiếp").click()
    console.wait_for_url(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    console.locator("body[data-offline-ready='1']").wait_for(state="attached")
    console.context.remove_listener("requestfinished", record)
    transferred = _transferred(first_load)
    page_only = console.evaluate(
        "() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
        ".reduce((sum, entry) => sum + entry.transferSize, 0)"
    )
    print(f"\nconsole first load: {transferred} bytes with the service worker's fetches, {page_only} by the page")
    assert transferred <= FIRST_LOAD_BUDGET
    _assert_fits_the_phone(console)

    # Secretaries (no role line) not checked in yet.
    secretaries = console.evaluate(
        """() => [...document.querySelectorAll("li.person")]
          .filter((li) => !li.querySelector(".person-role").textContent)
          .filter((li) => li.querySelector("[data-chip]").dataset.status === "none")
          .map((li) => li.querySelector(".person-name").textContent)"""
    )
    assert len(secretaries) >= 5, secretaries
    first, second, third, fourth, fifth = secretaries[:5]

    # Search ignores diacritics: "nguyen van" finds "Nguyễn Văn".
    console.get_by_label("Tìm theo tên").fill(" ".join(fold(first).split()[:2]))
    expect(_person(console, first)).to_be_visible()
    expect(_person(console, second)).to_be_hidden()
    console.get_by_label("Tìm theo tên").fill("")
    expect(_person(console, second)).to_be_visible()

    # Online: two secretaries, and the dashboard follows without a reload.
    _check_in(console, first, "Có mặt")
    _check_in(console, second, "Đến muộn")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    _expect_tile(dashboard, "Phường Sao Đỏ", _shifted(before, present=1, late=1, pending=-2))
    expect(_person(console, first).locator("[data-chip]")).to_have_text("Có mặt")
    _screenshot_from_the_top(console, "live-console-phone")

    # Offline: two more are kept on the phone.
    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    _check_in(console, third, "Vắng có lý do", note="Ốm, có giấy xin phép")
    _check_in(console, fourth, "Có mặt", substitute="Nguyễn Thị Dự Thay")
    expect(console.locator("#outbox")).to_have_text("2 đang chờ gửi")

    # Reloaded with no connection at all, the console opens from the service worker and keeps taking the roll-call.
    console.reload()
    navigation = console.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
    if "deliveryType" in navigation:
        assert navigation["deliveryType"] == "cache-storage"
    else:  # a Chromium older than 115: nothing came over the network, and the worker answered
        assert navigation["transferSize"] == 0 and navigation["workerStart"] > 0
    expect(console.locator("#outbox")).to_have_text("2 đang chờ gửi")
    expect(_person(console, third).locator("[data-chip]")).to_have_text("Vắng có lý do · chờ gửi")
    _check_in(console, fifth, "Vắng")
    expect(console.locator("#outbox")).to_have_text("3 đang chờ gửi")
    expect(console.locator("[data-count='pending']")).to_have_text(str(before["pending"] - 5))
    _assert_fits_the_phone(console)
    _screenshot_from_the_top(console, "live-console-phone-offline")
    _expect_tile(dashboard, "Phường Sao Đỏ", _shifted(before, present=1, late=1, pending=-2))

    # Back online: the outbox empties and the dashboard matches the database, each check-in once.
    console.context.set_offline(False)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    expected = _shifted(before, present=2, late=1, excused=1, absent=1, pending=-5)
    _expect_tile(dashboard, "Phường Sao Đỏ", expected)
    assert dashboard.evaluate("window.stillTheSamePage") is True

    attendance = dashboard.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/attendance").json()
    sao_do = next(e for e in attendance["endpoints"] if e["endpoint_id"] == _sao_do_id(dashboard, base_url))
    assert {status: sao_do[status] for status in STATUSES} == expected
    people = [entry["person_id"] for entry in attendance["records"]]
    assert len(people) == len(set(people))
    assert any(r["status"] == "excused" and r["note"] == "Ốm, có giấy xin phép" for r in attendance["records"])
    assert any(r["status"] == "present" and r["substitute_name"] == "Nguyễn Thị Dự Thay" for r in attendance["records"])
    for name in (first, second, third, fourth, fifth):
        expect(dashboard.locator("#feed li").filter(has_text=f"Phường Sao Đỏ: {name} —")).to_have_count(1)
    totals = dashboard.locator("#totals")
    for status in STATUSES:
        network_total = sum(e[status] for e in attendance["endpoints"])
        expect(totals.locator(f'[data-count="{status}"]')).to_have_text(str(network_total))
    screenshot(dashboard, "live-dashboard")

    # Signing out takes the kept console pages (they hold the roster) off the phone.
    assert console.evaluate("caches.has('meeting-hub-console-pages')") is True
    console.evaluate(
        """() => fetch("/sign-out", {method: "POST", body: new URLSearchParams({
             csrf_token: document.querySelector('meta[name="csrf-token"]').content})})"""
    )
    assert console.evaluate("caches.has('meeting-hub-console-pages')") is False


def _poll_until(page: Page, condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait for a condition on the test's side, letting Playwright deliver its events between tiny polls."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(20)


def _sao_do_id(page: Page, base_url: str) -> int:
    endpoints = page.request.get(f"{base_url}/api/v1/endpoints").json()
    return int(next(e["id"] for e in endpoints if e["code"] == "sao-do"))


def test_the_dashboard_resyncs_after_a_lost_message_and_catches_up_after_a_reconnect(
    page: Page, phone_page: Page, base_url: str
) -> None:
    dashboard, console = page, phone_page
    # Between the server and the dashboard, lose the next message that carries a check-in, once asked to.
    lost: list[str] = []
    lose_next = {"armed": False}
    upgraded: list[bool] = []

    def route(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if message == "5":  # Engine.IO's upgrade packet: from here on every message takes this websocket
                upgraded.append(True)
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if lose_next["armed"] and isinstance(message, str) and '"events"' in message and '"attendance"' in message:
                lose_next["armed"] = False
                lost.append(message)
                return
            socket.send(message)

        server.on_message(to_page)
        socket.on_message(to_server)

    dashboard.route_web_socket(re.compile(r"/socket\.io/"), route)
    sign_in(dashboard, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(dashboard, base_url)
    dashboard.goto(f"{base_url}/briefings/{briefing_id}/live")
    expect(dashboard.locator("#connection")).to_have_text("Đã kết nối")
    dashboard.evaluate("window.stillTheSamePage = true")

    sign_in(console, base_url, "op-sao-do")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    waiting = console.evaluate(
        """() => [...document.querySelectorAll("li.person")]
          .filter((li) => li.querySelector("[data-chip]").dataset.status === "none")
          .map((li) => li.querySelector(".person-name").textContent)"""
    )
    assert len(waiting) >= 3, waiting
    first, second, third = waiting[:3]
    # Socket.IO starts with HTTP long-polling and then upgrades: only then do the messages go through the route.
    _poll_until(dashboard, lambda: bool(upgraded))
    before = _tile_counts(dashboard, "Phường Sao Đỏ")

    # A lost message: the next event shows a gap in seq, and once it stays open the dashboard asks for what it missed.
    lose_next["armed"] = True
    _check_in(console, first, "Có mặt")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    _poll_until(dashboard, lambda: bool(lost))
    _check_in(console, second, "Vắng")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    _expect_tile(dashboard, "Phường Sao Đỏ", _shifted(before, present=1, absent=1, pending=-2))
    assert len(lost) == 1

    # A reconnect: the dashboard drops off the network, misses a check-in, and catches up by seq when it returns.
    dashboard.context.set_offline(True)
    expect(dashboard.locator("#connection")).to_have_text("Mất mạng")
    _check_in(console, third, "Đến muộn")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    dashboard.context.set_offline(False)
    expect(dashboard.locator("#connection")).to_have_text("Đã kết nối", timeout=SYNC_TIMEOUT_MS)
    expected = _shifted(before, present=1, late=1, absent=1, pending=-3)
    _expect_tile(dashboard, "Phường Sao Đỏ", expected)
    assert dashboard.evaluate("window.stillTheSamePage") is True
    attendance = dashboard.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/attendance").json()
    sao_do = next(e for e in attendance["endpoints"] if e["endpoint_id"] == _sao_do_id(dashboard, base_url))
    assert {status: sao_do[status] for status in STATUSES} == expected


def test_the_dashboard_waits_for_events_that_come_out_of_order_before_asking_for_them(
    page: Page, base_url: str
) -> None:
    # Two server processes send their events independently, so a later seq may arrive first: that is not a loss.
    page.goto(f"{base_url}/sign-in")
    page.add_script_tag(url=f"{base_url}/static/js/live_client.js")
    outcome = page.evaluate(
        """async () => {
          const applied = [];
          const asked = [];
          const client = new MeetingHubLive.LiveClient({
            briefingId: 1, lastSeq: 10, strict: true, gapWaitMs: 300,
            onEvents: (events) => applied.push(events.map((e) => e.seq)),
          });
          Object.defineProperty(client, "connected", { get: () => true });
          client.watch = (lastSeq) => asked.push(lastSeq);
          const pause = (ms) => new Promise((done) => setTimeout(done, ms));
          client.receive([{ seq: 12 }, { seq: 13 }]);
          const heldBack = applied.length;
          client.receive([{ seq: 11 }]);
          await pause(500);
          const askedAfterClosedGap = asked.length;
          client.receive([{ seq: 15 }, { seq: 12 }]);
          await pause(500);
          return { heldBack, applied, askedAfterClosedGap, asked };
        }"""
    )
    assert outcome["heldBack"] == 0
    assert outcome["applied"] == [[11, 12, 13]]  # in order, each once
    assert outcome["askedAfterClosedGap"] == 0
    assert outcome["asked"] == [13]  # seq 14 never came: ask for what followed 13
