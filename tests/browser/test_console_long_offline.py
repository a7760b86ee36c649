"""Fault F7: an operator offline for ten minutes with 30 actions queued, the console reloaded while offline, then the
link back. Every action is stored once, in the order it was made, and the dashboard shows what the database holds."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, screenshot, sign_in
from tests.browser.test_console_reasons import _not_recorded
from tests.browser.test_live_attendance import (
    STATUSES,
    SYNC_TIMEOUT_MS,
    _open_the_demo_briefing,
    _person,
)

pytestmark = pytest.mark.browser

ENDPOINT = "Phường Bến Tắm"  # the demo's endpoint no other browser test records for
#: What the operator does to each person, in order: three check-ins each, the last with a reason.
STEPS = (("Có mặt", "present", ""), ("Đến muộn", "late", ""), ("Vắng có lý do", "excused", "Đi viện cùng người nhà"))
PEOPLE = 10


def _events_by_person(live_server: LiveServer, briefing_id: int, people: set[int]) -> dict[int, list[str]]:
    """Read the briefing's attendance events from the server's database, in seq order, per person."""
    connection = sqlite3.connect(live_server.workdir / "browser.db")
    try:
        rows = connection.execute(
            "SELECT payload FROM briefing_events WHERE briefing_id = ? AND type = 'attendance' ORDER BY seq",
            (briefing_id,),
        ).fetchall()
    finally:
        connection.close()
    events: dict[int, list[str]] = defaultdict(list)
    for (payload,) in rows:
        data = json.loads(payload)
        if data["person_id"] in people:
            events[data["person_id"]].append(data["status"])
    return dict(events)


def test_thirty_actions_queued_offline_for_ten_minutes_and_a_reload_are_stored_once_in_order(
    page: Page, phone_page: Page, base_url: str, live_server: LiveServer
) -> None:
    organizer, console = page, phone_page
    sign_in(organizer, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(organizer, base_url)
    organizer.goto(f"{base_url}/briefings/{briefing_id}/live")
    dashboard = organizer

    console.clock.install()  # the console's timers follow a clock the test can move on by ten minutes
    sign_in(console, base_url, "op-ben-tam")
    console.goto(f"{base_url}/briefings/{briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    console.locator("body[data-offline-ready='1']").wait_for(state="attached")
    names = _not_recorded(console)[:PEOPLE]
    assert len(names) == PEOPLE, names
    people = {name: int(_person(console, name).get_attribute("data-person-id") or 0) for name in names}

    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    done = 0
    for label, _status, note in STEPS:
        for name in names:
            row = _person(console, name)
            if note:
                if row.locator("details").get_attribute("open") is None:
                    row.get_by_text("Lý do, người dự thay").click()
                row.get_by_label("Lý do, ghi chú").fill(note)
            row.get_by_role("button", name=label, exact=True).click()
            done += 1
            expect(console.locator("#outbox")).to_have_text(f"{done} đang chờ gửi")
        if label == "Đến muộn":
            console.reload()  # offline: the page comes from the device, the outbox from its storage
            expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
            expect(console.locator("#outbox")).to_have_text(f"{done} đang chờ gửi")
    assert done == 30
    console.clock.fast_forward("10:00")
    expect(console.locator("#outbox")).to_have_text("30 đang chờ gửi")
    screenshot(console, "console-thirty-queued-offline")

    console.context.set_offline(False)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)

    # Stored once each, in the order made: three events per person, present then late then excused.
    events = _events_by_person(live_server, briefing_id, set(people.values()))
    assert events == {person: ["present", "late", "excused"] for person in people.values()}
    records = {
        int(r["person_id"]): r
        for r in organizer.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/attendance").json()["records"]
    }
    for person in people.values():
        assert (records[person]["status"], records[person]["note"]) == ("excused", "Đi viện cùng người nhà")

    # The dashboard, never reloaded, shows what the database holds for the endpoint.
    attendance = organizer.request.get(f"{base_url}/api/v1/briefings/{briefing_id}/attendance").json()
    endpoint_id = next(
        e["id"] for e in organizer.request.get(f"{base_url}/api/v1/endpoints").json() if e["code"] == "ben-tam"
    )
    (expected,) = [e for e in attendance["endpoints"] if e["endpoint_id"] == endpoint_id]
    tile = dashboard.get_by_role("article", name=ENDPOINT, exact=True)
    for status in STATUSES:
        if status in expected:
            expect(tile.locator(f'[data-count="{status}"]')).to_have_text(
                str(expected[status]), timeout=SYNC_TIMEOUT_MS
            )
