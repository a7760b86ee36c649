"""The user guides of docs/guide/: their screenshots are taken here, on the live demo, and every image they show exists.

    MEETING_HUB_UPDATE_GUIDE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_user_guides.py

rewrites docs/guide/images/ (the operator's at phone width, 360 px; the others at desktop width). Without the variable
the same walk runs and writes its pictures under test-artifacts/guide/ instead, so a CI run never rewrites tracked
files but still fails when a step of a guide no longer exists in the interface.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import REPO_ROOT, SCREENSHOT_DIR, DemoBriefings, LiveServer, run_axe, sign_in

pytestmark = pytest.mark.browser

GUIDE_DIR = REPO_ROOT / "docs" / "guide"
IMAGES_DIR = GUIDE_DIR / "images"
UPDATE = os.environ.get("MEETING_HUB_UPDATE_GUIDE_SCREENSHOTS") == "1"
OUTPUT_DIR = IMAGES_DIR if UPDATE else SCREENSHOT_DIR.parent / "guide"
#: A guide's picture stays small in the repository: quantised PNG at 1x.
MAX_IMAGE_BYTES = 80 * 1024
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1200, "height": 760}
#: The operator of the guide: the remote commune whose link drops (not Sao Đỏ, which other browser tests use).
GUIDE_OPERATOR = "op-hoang-hoa-tham"
LIVE_TIMEOUT_MS = 20_000
IMAGE_REFERENCE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def _save(png: bytes, name: str) -> Path:
    """Write a screenshot as a small PNG: 1x, quantised to a palette (text and flat colours survive it well)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{name}.png"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path


def shoot(page: Page, name: str) -> Path:
    """Save what the screen shows (not the whole page: a guide shows one step)."""
    return _save(page.screenshot(), name)


def shoot_element(locator: Locator, name: str) -> Path:
    """Save one part of the page."""
    locator.scroll_into_view_if_needed()
    return _save(locator.screenshot(), name)


def _context_page(browser: Browser, viewport: dict[str, int], *, phone: bool = False) -> Iterator[Page]:
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop page, the size of an office screen."""
    yield from _context_page(browser, DESKTOP)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone page, the operator's."""
    yield from _context_page(browser, PHONE, phone=True)


def _wait_live(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "online", timeout=LIVE_TIMEOUT_MS)


def _pending_person(console: Page) -> Locator:
    """Return the first person on the console not checked in yet, found by name (so the locator stays on them)."""
    pending = console.locator("li.person").filter(has=console.locator('[data-chip][data-status="none"]')).first
    expect(pending).to_be_visible()
    name = pending.locator(".person-name").inner_text()
    exact_name = console.locator(".person-name", has_text=re.compile(f"^{re.escape(name)}$"))
    return console.locator("li.person").filter(has=exact_name)


def _assert_accessible(page: Page, state: str) -> None:
    """Run axe on a state the page walk of test_accessibility.py does not reach (offline, a dialog open)."""
    violations = run_axe(page, state)
    assert not violations, "\n".join(str(violation) for violation in violations)


def test_operator_guide(phone: Page, live_server: LiveServer, demo_briefings: DemoBriefings) -> None:
    base_url = live_server.url
    phone.goto(f"{base_url}/sign-in")
    phone.get_by_label("Tên đăng nhập", exact=True).fill(GUIDE_OPERATOR)
    shoot(phone, "operator-sign-in")
    sign_in(phone, base_url, GUIDE_OPERATOR)
    take_roll_call = phone.get_by_role("link", name="Điểm danh trực tiếp")
    take_roll_call.scroll_into_view_if_needed()
    shoot(phone, "operator-home")

    take_roll_call.click()
    phone.wait_for_url(re.compile(rf"/briefings/{demo_briefings.live_id}/console"))
    _wait_live(phone)
    shoot(phone, "operator-console")

    link_status = phone.get_by_role("group", name="Đường truyền của điểm cầu")
    link_status.get_by_role("button", name="Kết nối tốt").click()
    shoot_element(phone.locator("section.link-status"), "operator-link-status")

    first = _pending_person(phone)
    first.get_by_role("button", name="Có mặt", exact=True).click()
    expect(first.locator("[data-chip]")).not_to_have_attribute("data-status", "none")
    second = _pending_person(phone)
    second.get_by_text("Lý do, người dự thay").click()
    second.get_by_label("Lý do, ghi chú").fill("Ốm")
    shoot_element(second, "operator-excused")
    second.get_by_role("button", name="Vắng có lý do", exact=True).click()

    # The link drops: the check-in is kept on the phone and sent when it returns.
    phone.context.set_offline(True)
    expect(phone.locator("#connection")).to_have_attribute("data-state", "offline", timeout=LIVE_TIMEOUT_MS)
    third = _pending_person(phone)
    third.get_by_role("button", name="Đến muộn", exact=True).click()
    expect(phone.locator("#outbox")).not_to_have_text("Đã gửi hết")
    phone.evaluate("window.scrollTo(0, 0)")
    shoot(phone, "operator-offline")
    _assert_accessible(phone, "the console, offline")
    phone.context.set_offline(False)
    _wait_live(phone)
    expect(phone.locator("#outbox")).to_have_text("Đã gửi hết", timeout=LIVE_TIMEOUT_MS)

    phone.locator(".issues-head").get_by_role("button", name="Ghi ý kiến, kiến nghị").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Tiêu đề").fill("Đề nghị sửa cầu tràn thôn Đồng Châu")
    shoot(phone, "operator-raise-issue")
    _assert_accessible(phone, "the console's issue dialog")
    dialog.get_by_role("button", name="Để sau").click()  # the draft is kept on the device


def test_organizer_guide(desktop: Page, live_server: LiveServer, demo_briefings: DemoBriefings) -> None:
    base_url = live_server.url
    sign_in(desktop, base_url, "organizer")
    shoot(desktop, "organizer-home")
    desktop.goto(f"{base_url}/calendar")
    shoot(desktop, "organizer-calendar")
    desktop.goto(f"{base_url}/briefings/{demo_briefings.live_id}")
    shoot(desktop, "organizer-briefing")
    materials = desktop.locator("#materials")
    materials.scroll_into_view_if_needed()
    # The QR codes load lazily, once in view.
    desktop.wait_for_function(
        "() => [...document.querySelectorAll('#materials img')].every(image => image.complete && image.naturalWidth)"
    )
    shoot_element(materials, "organizer-materials")
    desktop.get_by_role("link", name="Mã QR của các điểm cầu (để in)").click()
    desktop.wait_for_url(f"{base_url}/briefings/{demo_briefings.live_id}/self-check-in")
    shoot(desktop, "organizer-qr-codes")
    desktop.goto(f"{base_url}/briefings/{demo_briefings.live_id}/live")
    _wait_live(desktop)
    shoot(desktop, "organizer-dashboard")
    desktop.goto(f"{base_url}/briefings/{demo_briefings.past_id}/minutes")
    shoot(desktop, "organizer-minutes")


def test_leader_guide(desktop: Page, live_server: LiveServer) -> None:
    base_url = live_server.url
    sign_in(desktop, base_url, "leader")
    shoot(desktop, "leader-home")
    desktop.goto(f"{base_url}/issues")
    shoot(desktop, "leader-issues")
    desktop.get_by_role("link", name="Trộm cắp vặt tăng ở khu dân cư").click()
    expect(desktop.get_by_role("heading", name="Trộm cắp vặt tăng ở khu dân cư")).to_be_visible()
    shoot(desktop, "leader-assign")
    desktop.goto(f"{base_url}/issues")
    desktop.get_by_role("link", name="Khói bụi từ cơ sở sản xuất gạch ở khu dân cư Hàn Giang").click()
    shoot(desktop, "leader-review")
    desktop.goto(f"{base_url}/statistics")
    shoot(desktop, "leader-statistics")


def test_responder_guide(desktop: Page, live_server: LiveServer) -> None:
    base_url = live_server.url
    sign_in(desktop, base_url, "responder")
    desktop.goto(f"{base_url}/queue")
    shoot(desktop, "responder-queue")
    desktop.get_by_role("link", name="Cấp giấy chứng nhận quyền sử dụng đất chậm").first.click()
    expect(desktop.get_by_role("heading", name="Cấp giấy chứng nhận quyền sử dụng đất chậm")).to_be_visible()
    shoot(desktop, "responder-answer")


def test_admin_guide(desktop: Page, live_server: LiveServer) -> None:
    base_url = live_server.url
    sign_in(desktop, base_url, "admin")
    desktop.goto(f"{base_url}/admin/users")
    shoot(desktop, "admin-users")
    desktop.goto(f"{base_url}/endpoints")
    desktop.get_by_role("link", name="Phường Sao Đỏ").first.click()
    shoot(desktop, "admin-endpoint")
    desktop.goto(f"{base_url}/admin/roster-import")
    shoot(desktop, "admin-roster-import")
    desktop.goto(f"{base_url}/admin/audit")
    shoot(desktop, "admin-audit")


# The guide's text and its pictures


def _guide_pages() -> list[Path]:
    return sorted(GUIDE_DIR.glob("*.md"))


def test_every_image_of_the_guide_exists_and_stays_small() -> None:
    """Each picture a guide page shows is in docs/guide/images/, no picture there is unused, and each is small."""
    referenced: set[Path] = set()
    missing: list[str] = []
    for page in _guide_pages():
        for target in IMAGE_REFERENCE.findall(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            referenced.add(path)
            if not path.is_file():
                missing.append(f"{page.name}: {target}")
    assert _guide_pages(), "docs/guide/ has no pages"
    assert not missing, f"images the guide shows but docs/guide/images/ lacks: {missing}"
    unused = sorted(path.name for path in IMAGES_DIR.glob("*.png") if path.resolve() not in referenced)
    assert not unused, f"pictures no guide page shows (delete them): {unused}"
    too_big = [
        f"{path.name}: {path.stat().st_size // 1024} KB" for path in referenced if path.stat().st_size > MAX_IMAGE_BYTES
    ]
    assert not too_big, f"pictures over {MAX_IMAGE_BYTES // 1024} KB: {too_big}"


def test_the_guide_index_links_every_role_page() -> None:
    index = (GUIDE_DIR / "README.md").read_text(encoding="utf-8")
    pages = {page.name for page in _guide_pages()} - {"README.md"}
    assert {"operator.md", "organizer.md", "leader.md", "responder.md", "admin.md"} <= pages
    unlinked = sorted(name for name in pages if f"({name})" not in index)
    assert not unlinked, f"guide pages the README does not link: {unlinked}"
