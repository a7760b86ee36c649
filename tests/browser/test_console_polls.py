"""The console's poll card on a 360 px phone, as the demo's Lê Lợi operator (an endpoint no other browser test uses):
named, secret and endpoint polls answered through the outbox, live updates, an answer made offline and kept over a
reload sent exactly once, and a poll closed meanwhile refusing it. Polls are made and closed by the organizer through
the API; each test closes its own, so that other consoles open on the roll-call."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DemoBriefings, LiveServer, csrf_token, screenshot, sign_in
from tests.browser.test_live_attendance import SYNC_TIMEOUT_MS

pytestmark = pytest.mark.browser

ENDPOINT_CODE = "le-loi"
OPERATOR = "op-le-loi"
PHONE_WIDTH = 360


@dataclass
class Setting:
    """The live demo briefing, Lê Lợi, and its people as this module records them: three attending, one absent."""

    organizer: Page
    base_url: str
    briefing_id: int
    endpoint_id: int
    #: (id, name): present, present, late.
    attending: list[tuple[int, str]]
    absent: tuple[int, str]
    polls: list[int]

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.organizer.request.post(
            f"{self.base_url}{path}", headers={"X-CSRFToken": csrf_token(self.organizer)}, data=body or {}
        )
        assert response.ok, response.text()
        return response.json()

    def poll(
        self,
        kind: str,
        question: str,
        options: list[str],
        *,
        multiple: bool = False,
        allow_other: bool = False,
        opened: bool = True,
    ) -> int:
        """Prepare a poll (and open it unless told); it is closed when the test ends."""
        body = {
            "question": question,
            "options": options,
            "kind": kind,
            "multiple": multiple,
            "allow_other": allow_other,
        }
        poll_id = int(self.post(f"/api/v1/briefings/{self.briefing_id}/polls", body)["id"])
        self.polls.append(poll_id)
        if opened:
            self.post(f"/api/v1/polls/{poll_id}/open")
        return poll_id

    def close(self, poll_id: int) -> None:
        self.post(f"/api/v1/polls/{poll_id}/close")

    def results(self, poll_id: int) -> dict[str, Any]:
        response = self.organizer.request.get(f"{self.base_url}/api/v1/polls/{poll_id}")
        assert response.ok, response.text()
        results: dict[str, Any] = response.json()["results"]
        return results

    def endpoint_results(self, poll_id: int) -> dict[str, Any]:
        (row,) = [row for row in self.results(poll_id)["by_endpoint"] if row["endpoint_id"] == self.endpoint_id]
        return row

    def answer_as_organizer(self, poll_id: int, person_id: int, choices: list[int]) -> None:
        """Record an answer from elsewhere (the organizer's API): another device, as far as the console knows."""
        body = {"person_id": person_id, "choices": choices, "client_op_id": str(uuid.uuid4())}
        self.post(f"/api/v1/polls/{poll_id}/answers", body)


@pytest.fixture
def setting(page: Page, base_url: str, demo_briefings: DemoBriefings) -> Iterator[Setting]:
    """Sign the organizer in, record Lê Lợi's roll-call through the API, and close the test's polls at its end."""
    sign_in(page, base_url, "organizer")
    endpoints = page.request.get(f"{base_url}/api/v1/endpoints").json()
    endpoint_id = int(next(e["id"] for e in endpoints if e["code"] == ENDPOINT_CODE))
    people = sorted(page.request.get(f"{base_url}/api/v1/endpoints/{endpoint_id}/people").json(), key=lambda p: p["id"])
    chosen = [(int(p["id"]), str(p["full_name"])) for p in people[:4]]
    setting = Setting(page, base_url, demo_briefings.live_id, endpoint_id, chosen[:3], chosen[3], [])
    for (person_id, _name), status in zip(chosen, ("present", "present", "late", "absent"), strict=True):
        body = {"person_id": person_id, "status": status, "client_op_id": str(uuid.uuid4())}
        setting.post(f"/api/v1/briefings/{setting.briefing_id}/attendance", body)
    try:
        yield setting
    finally:
        for poll_id in setting.polls:
            state = page.request.get(f"{base_url}/api/v1/polls/{poll_id}").json()["status"]
            if state == "open":
                setting.close(poll_id)


def _open_console(console: Page, setting: Setting) -> None:
    sign_in(console, setting.base_url, OPERATOR)
    console.goto(f"{setting.base_url}/briefings/{setting.briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đã kết nối")


def _card(console: Page, poll_id: int) -> Locator:
    return console.locator(f'.poll-card[data-poll-id="{poll_id}"]')


def _voter(card: Locator, name: str) -> Locator:
    exact = card.page.locator(".voter-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return card.locator("li.voter").filter(has=exact)


def _option(voter: Locator, text: str) -> Locator:
    return voter.get_by_role("button", name=text, exact=True)


def _poll_events(live_server: LiveServer, briefing_id: int, poll_id: int) -> list[dict[str, Any]]:
    """Read the poll's events from the server's database, in seq order."""
    connection = sqlite3.connect(live_server.workdir / "browser.db")
    try:
        rows = connection.execute(
            "SELECT payload FROM briefing_events WHERE briefing_id = ? AND type = 'poll' ORDER BY seq", (briefing_id,)
        ).fetchall()
    finally:
        connection.close()
    events = [json.loads(payload) for (payload,) in rows]
    return [event for event in events if event["poll_id"] == poll_id]


def _answered_events(live_server: LiveServer, setting: Setting, poll_id: int) -> list[dict[str, Any]]:
    return [e for e in _poll_events(live_server, setting.briefing_id, poll_id) if e["action"] == "answered"]


def _assert_fits_the_phone(console: Page) -> None:
    assert console.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_named_poll_opens_live_takes_one_tap_per_person_and_closes(
    setting: Setting, phone_page: Page, live_server: LiveServer
) -> None:
    console = phone_page
    question = "Đồng chí có đồng ý với kế hoạch ra quân dọn vệ sinh cuối tháng?"
    poll_id = setting.poll("named", question, ["Đồng ý", "Không đồng ý", "Ý kiến khác"], opened=False)
    _open_console(console, setting)
    card = _card(console, poll_id)
    expect(card).to_have_count(0)  # a draft is nobody's business yet

    setting.post(f"/api/v1/polls/{poll_id}/open")
    expect(card).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(console.locator("#briefing-state")).to_have_text("Có câu hỏi thăm dò ý kiến mới ở đầu trang.")
    # At the top: above the roll-call.
    card_box, roster_box = card.bounding_box(), console.locator("#roster").bounding_box()
    assert card_box and roster_box and card_box["y"] < roster_box["y"]
    expect(card.locator(".tag")).to_have_text("Đang mở")

    # The people attending answer; the absent one is listed apart, with why.
    (_first_id, first), _second, (late_id, late) = setting.attending
    for _person_id, name in setting.attending:
        expect(_voter(card, name)).to_have_count(1)
    expect(_voter(card, setting.absent[1])).to_have_count(0)
    card.locator(".not-eligible summary").click()
    absent_line = card.locator(".not-eligible li", has_text=setting.absent[1])
    expect(absent_line.locator(".chip")).to_have_text("Vắng")

    voter = _voter(card, first)
    _option(voter, "Đồng ý").click()
    expect(voter.locator(".chip")).to_have_text("Đã trả lời", timeout=SYNC_TIMEOUT_MS)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    expect(_option(voter, "Đồng ý")).to_have_attribute("aria-pressed", "true")
    assert setting.endpoint_results(poll_id)["counts"] == [1, 0, 0]

    # A second tap on another option replaces the answer: counted once, under the new option.
    _option(voter, "Không đồng ý").click()
    expect(_option(voter, "Không đồng ý")).to_have_attribute("aria-pressed", "true")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    assert setting.endpoint_results(poll_id)["counts"] == [0, 1, 0]
    assert setting.results(poll_id)["options"][1]["count"] == 1

    # An answer recorded elsewhere (another device of the endpoint) shows here without a reload.
    setting.answer_as_organizer(poll_id, late_id, [2])
    expect(_option(_voter(card, late), "Ý kiến khác")).to_have_attribute(
        "aria-pressed", "true", timeout=SYNC_TIMEOUT_MS
    )
    expect(card.locator(".poll-meta")).to_have_text(re.compile(r"^2/\d+ người có mặt đã trả lời$"))
    _assert_fits_the_phone(console)
    screenshot(console, "console-poll-named-phone")

    # Closed by the organizer: the card says so where it is, and takes nothing more.
    setting.close(poll_id)
    expect(card.locator(".tag")).to_have_text("Đã đóng", timeout=SYNC_TIMEOUT_MS)
    expect(card.locator("button[data-option]")).to_have_count(0)
    expect(console.locator("#briefing-state")).to_have_text(
        "Một câu hỏi thăm dò vừa đóng: không ghi thêm câu trả lời được."
    )
    expect(card.locator(".poll-results li")).to_have_text([re.compile("^Đồng ý0$"), "Không đồng ý1", "Ý kiến khác1"])
    assert len(_answered_events(live_server, setting, poll_id)) == 3


def test_a_secret_answer_is_confirmed_then_shown_only_as_answered(setting: Setting, phone_page: Page) -> None:
    console = phone_page
    options = ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"]
    poll_id = setting.poll("secret", "Mức độ tín nhiệm đối với Ban chi ủy?", options)
    _open_console(console, setting)
    card = _card(console, poll_id)
    (_first_id, first), (second_id, second), _late = setting.attending
    voter = _voter(card, first)

    # Asked first: saying no sends nothing.
    messages: list[str] = []

    def dismiss(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    console.once("dialog", dismiss)
    _option(voter, "Tín nhiệm").click()
    expect(voter.locator(".chip")).to_have_text("Chưa trả lời")
    assert messages and messages[0].startswith(f"Ghi phiếu kín của {first}: “Tín nhiệm”?")
    assert "không sửa được" in messages[0]
    assert setting.endpoint_results(poll_id)["answered"] == 0

    console.once("dialog", lambda dialog: dialog.accept())
    _option(voter, "Tín nhiệm").click()
    expect(voter.locator(".chip")).to_have_text("Đã trả lời", timeout=SYNC_TIMEOUT_MS)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    # Only that it was answered: no option is drawn for the person any more, none is kept on the device.
    expect(voter.locator(".options")).to_be_hidden()
    for text in options:
        expect(voter).not_to_contain_text(text, use_inner_text=True)
    stored = console.evaluate(
        """(pollId) => {
          const outbox = Object.keys(localStorage).filter((key) => key.startsWith("meeting-hub:outbox:"));
          const state = Object.keys(localStorage).filter((key) => key.startsWith("meeting-hub:console:"));
          return {
            outbox: outbox.map((key) => JSON.parse(localStorage.getItem(key))),
            poll: state.map((key) => JSON.parse(localStorage.getItem(key)).polls[pollId]),
          };
        }""",
        poll_id,
    )
    assert stored["outbox"] == [[]]
    (kept,) = stored["poll"]
    assert kept["ballots"] == {} and kept["tally"]["counts"] == [] and kept["tally"]["answered"] >= 1
    results = setting.endpoint_results(poll_id)
    assert results["answered"] == 1 and results["counts"] == [0, 1, 0]

    # Answered elsewhere: the event does not say who, the console asks and shows it.
    setting.answer_as_organizer(poll_id, second_id, [0])
    expect(_voter(card, second).locator(".chip")).to_have_text("Đã trả lời", timeout=SYNC_TIMEOUT_MS)
    _assert_fits_the_phone(console)
    screenshot(console, "console-poll-secret-phone")

    console.reload()
    expect(console.locator("#connection")).to_have_text("Đã kết nối")
    for name in (first, second):
        expect(_voter(card, name).locator(".chip")).to_have_text("Đã trả lời")
        expect(_voter(card, name).locator(".options")).to_be_hidden()


def test_endpoint_counts_are_checked_marked_unsaved_then_recorded(setting: Setting, phone_page: Page) -> None:
    console = phone_page
    poll_id = setting.poll(
        "endpoint", "Bao nhiêu người đã đọc bản tin tháng này?", ["Đọc hết", "Đọc một phần"], allow_other=True
    )
    present = setting.endpoint_results(poll_id)["eligible"]
    assert present >= 3
    _open_console(console, setting)
    card = _card(console, poll_id)
    expect(card.locator(".poll-meta")).to_have_text(f"Có mặt, đến muộn: {present} người")
    fields = card.locator("input[data-count]")
    expect(fields).to_have_count(3)  # the two options and "Khác"
    expect(card.locator(".count-state")).to_have_text("Chưa ghi số liệu")

    # More than the people present: said at once, nothing sent, and visibly not saved.
    fields.nth(0).fill(str(present))
    fields.nth(1).fill("1")
    expect(card.locator(".row-unsaved")).to_be_visible()
    expect(console.locator("#drafts")).to_have_text("1 câu trả lời thăm dò chưa ghi")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết các thao tác đã lưu · còn nội dung chưa lưu")
    card.get_by_role("button", name="Ghi số liệu", exact=True).click()
    expect(card.locator(".row-error")).to_have_text(
        f"Tổng số người trả lời ({present + 1}) vượt số người có mặt, đến muộn ({present})."
    )
    assert setting.endpoint_results(poll_id)["answered"] == 0
    screenshot(console, "console-poll-endpoint-over-phone")

    # "Khác" counted: a note of what it meant may go with it.
    note = card.get_by_label("Ý kiến khác của điểm cầu (không bắt buộc)")
    expect(note).to_be_hidden()
    fields.nth(0).fill(str(present - 2))
    fields.nth(2).fill("1")
    note.fill("Đọc qua nhóm Zalo")
    note.press("Enter")  # Enter records, as the button does
    expect(card.locator(".count-state")).to_have_text("Đã ghi số liệu", timeout=SYNC_TIMEOUT_MS)
    expect(card.locator(".row-unsaved")).to_be_hidden()
    expect(card.locator(".row-error")).to_be_hidden()
    expect(console.locator("#drafts")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    results = setting.endpoint_results(poll_id)
    assert results["counts"] == [present - 2, 1, 1] and results["answered"] == present
    notes = setting.results(poll_id)["other_texts"]
    assert {"endpoint_id": setting.endpoint_id, "text": "Đọc qua nhóm Zalo", "count": 1} in notes
    _assert_fits_the_phone(console)
    screenshot(console, "console-poll-endpoint-recorded-phone")

    console.reload()
    expect(fields.nth(0)).to_have_value(str(present - 2))
    expect(fields.nth(1)).to_have_value("1")
    expect(fields.nth(2)).to_have_value("1")
    expect(note).to_have_value("Đọc qua nhóm Zalo")
    expect(card.locator(".count-state")).to_have_text("Đã ghi số liệu")


def test_an_answer_made_offline_survives_a_reload_and_is_sent_once(
    setting: Setting, phone_page: Page, live_server: LiveServer
) -> None:
    console = phone_page
    poll_id = setting.poll("named", "Có nên tổ chức hội nghị điển hình tiên tiến vào quý I?", ["Có", "Không"])
    _open_console(console, setting)
    console.locator("body[data-offline-ready='1']").wait_for(state="attached")
    card = _card(console, poll_id)
    (_first_id, first), _second, _late = setting.attending

    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    _option(_voter(card, first), "Có").click()
    expect(console.locator("#outbox")).to_have_text("1 đang chờ gửi")
    expect(_voter(card, first).locator(".chip")).to_have_text("Chờ gửi")

    console.reload()  # offline: the page comes from the device, the answer from its outbox
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    expect(console.locator("#outbox")).to_have_text("1 đang chờ gửi")
    expect(_voter(card, first).locator(".chip")).to_have_text("Chờ gửi")
    expect(_option(_voter(card, first), "Có")).to_have_attribute("aria-pressed", "true")
    assert setting.endpoint_results(poll_id)["answered"] == 0

    console.context.set_offline(False)
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    expect(_voter(card, first).locator(".chip")).to_have_text("Đã trả lời")
    results = setting.results(poll_id)
    assert [option["count"] for option in results["options"]] == [1, 0] and results["answered"] == 1
    assert len(_answered_events(live_server, setting, poll_id)) == 1


def test_an_answer_waiting_when_the_poll_closes_is_refused_and_said(
    setting: Setting, phone_page: Page, live_server: LiveServer
) -> None:
    console = phone_page
    poll_id = setting.poll("named", "Đồng chí có tham gia hiến máu nhân đạo đợt này?", ["Có", "Không"])
    _open_console(console, setting)
    card = _card(console, poll_id)
    (_first_id, first), _second, _late = setting.attending

    console.context.set_offline(True)
    expect(console.locator("#connection")).to_have_text("Mất mạng · lưu trên máy")
    _option(_voter(card, first), "Không").click()
    expect(console.locator("#outbox")).to_have_text("1 đang chờ gửi")
    setting.close(poll_id)

    console.context.set_offline(False)
    refusal = "Câu hỏi thăm dò chưa mở hoặc đã đóng: không nhận thêm câu trả lời."
    expect(card.locator(".tag")).to_have_text("Đã đóng", timeout=SYNC_TIMEOUT_MS)
    expect(card.locator(".poll-refusals")).to_contain_text(
        f"{first}: Không gửi được: {refusal}", timeout=SYNC_TIMEOUT_MS
    )
    parked = console.locator("#parked")
    expect(parked).to_contain_text(f"Thăm dò “Đồng chí có tham gia hiến máu nhân đạo đợt này?” — {first}: {refusal}")
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    _assert_fits_the_phone(console)
    screenshot(console, "console-poll-refused-phone")
    assert setting.results(poll_id)["answered"] == 0
    assert _answered_events(live_server, setting, poll_id) == []

    # Dismissed, it is gone from the device.
    console.once("dialog", lambda dialog: dialog.accept())
    parked.get_by_role("button", name="Bỏ qua").click()
    expect(parked).to_be_hidden()
    expect(card.locator(".poll-refusals")).to_be_hidden()


def test_other_takes_what_it_meant_before_it_is_recorded(setting: Setting, phone_page: Page) -> None:
    console = phone_page
    poll_id = setting.poll(
        "named", "Hình thức sinh hoạt chi bộ nào phù hợp nhất?", ["Trực tiếp", "Trực tuyến"], allow_other=True
    )
    _open_console(console, setting)
    card = _card(console, poll_id)
    (_first_id, first), _second, _late = setting.attending
    voter = _voter(card, first)

    # "Khác" is not recorded by its tap: it waits for what it meant (optional) and "Ghi", visibly unsaved.
    _option(voter, "Khác").click()
    field = voter.get_by_label("Ý kiến khác là gì (không bắt buộc)")
    expect(field).to_be_focused()
    expect(voter.locator(".row-unsaved")).to_have_text("Chưa ghi")
    expect(console.locator("#drafts")).to_have_text("1 câu trả lời thăm dò chưa ghi")
    field.fill("Kết hợp trực tiếp và trực tuyến")
    assert setting.endpoint_results(poll_id)["answered"] == 0
    voter.get_by_role("button", name=f"Ghi câu trả lời của {first}").click()
    expect(voter.locator(".chip")).to_have_text("Đã trả lời", timeout=SYNC_TIMEOUT_MS)
    expect(voter.locator(".voter-other")).to_have_text("Khác: Kết hợp trực tiếp và trực tuyến")
    expect(field).to_be_hidden()
    expect(console.locator("#drafts")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết")
    results = setting.results(poll_id)
    assert [option["count"] for option in results["options"]] == [0, 0, 1]
    assert results["other_texts"] == [
        {"endpoint_id": setting.endpoint_id, "text": "Kết hợp trực tiếp và trực tuyến", "count": 1}
    ]
    _assert_fits_the_phone(console)

    # Another option is recorded by its tap, and the "other" text goes with the choice it belonged to.
    _option(voter, "Trực tiếp").click()
    expect(voter.locator(".voter-other")).to_be_hidden()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    assert [option["count"] for option in setting.results(poll_id)["options"]] == [1, 0, 0]


def test_answers_go_over_rest_when_the_socket_cannot_connect(
    setting: Setting, phone_page: Page, live_server: LiveServer
) -> None:
    console = phone_page
    poll_id = setting.poll("endpoint", "Bao nhiêu người đã xem phóng sự về nông thôn mới?", ["Đã xem", "Chưa xem"])
    # HTTP works, the socket does not (a proxy that drops websockets and long-polling): the outbox uses the REST API.
    console.route(re.compile(r"/socket\.io/"), lambda route: route.abort())
    sign_in(console, setting.base_url, OPERATOR)
    console.goto(f"{setting.base_url}/briefings/{setting.briefing_id}/console")
    expect(console.locator("#connection")).to_have_text("Đang kết nối…")
    card = _card(console, poll_id)
    card.locator("input[data-count]").nth(0).fill("2")
    card.get_by_role("button", name="Ghi số liệu", exact=True).click()
    expect(console.locator("#outbox")).to_have_text("Đã gửi hết", timeout=SYNC_TIMEOUT_MS)
    expect(card.locator(".count-state")).to_have_text("Đã ghi số liệu")
    assert setting.endpoint_results(poll_id)["counts"] == [2, 0]
    assert len(_answered_events(live_server, setting, poll_id)) == 1
