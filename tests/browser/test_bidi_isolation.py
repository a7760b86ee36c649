"""Text people typed is laid out apart from the text around it on the dashboard: a bidi override (U+202E) in a name,
a note or a title cannot reverse the rest of its line."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_live_attendance import _open_the_demo_briefing

pytestmark = pytest.mark.browser

#: Lays out "<parts> — có mặt" in a paragraph and tells whether "c" still comes before "ó" (left to right).
_READS_LEFT_TO_RIGHT = """
(parts) => {
  const line = document.createElement("p");
  line.append(...parts, " — có mặt");
  document.body.append(line);
  const text = line.lastChild;
  const left = (index) => {
    const range = document.createRange();
    range.setStart(text, index);
    range.setEnd(text, index + 1);
    return range.getBoundingClientRect().left;
  };
  const inOrder = left(3) < left(4);
  line.remove();
  return inOrder;
}
"""


def test_typed_text_cannot_reorder_the_rest_of_a_dashboard_line(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(page, base_url)
    page.goto(f"{base_url}/briefings/{briefing_id}/live")
    expect(page.locator("#connection")).to_have_text("Đã kết nối")

    name = "\u202eNguyễn Văn Đức"
    plain = page.evaluate(f"(name) => ({_READS_LEFT_TO_RIGHT})(['Sao Đỏ: ', name])", name)
    assert plain is False  # the control: without isolation the override reverses what follows
    isolated = page.evaluate(
        f"(name) => ({_READS_LEFT_TO_RIGHT})(['Sao Đỏ: ', window.MeetingHubLive.isolated(name)])", name
    )
    formatted = page.evaluate(
        f"(name) => ({_READS_LEFT_TO_RIGHT})(window.MeetingHubLive.formatNodes('Sao Đỏ: {{name}}', {{ name }}))",
        name,
    )
    assert isolated is True and formatted is True
    # The tiles' endpoint names and the header's title are isolated by the stylesheet and the template.
    assert page.locator(".tile-name").first.evaluate("(e) => getComputedStyle(e).unicodeBidi") == "isolate"
    assert page.locator("main a bdi").first.evaluate("(e) => getComputedStyle(e).unicodeBidi") == "isolate"
