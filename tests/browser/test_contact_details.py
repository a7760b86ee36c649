"""Contact details on a phone: the profile's "Liên hệ và nhận thông báo" form keeps what is typed (unsaved-forms
guard), shows refusals beside the field, and saves; the roster marks secretaries no reminder reaches."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_contact_form_keeps_typed_text_refuses_beside_the_field_and_saves(phone_page: Page, base_url: str) -> None:
    page = phone_page
    sign_in(page, base_url, "responder")
    page.goto(f"{base_url}/profile")
    assert run_axe(page, "/profile") == []
    form = page.locator("form[data-guard-unsaved='contacts']")
    expect(form.get_by_role("heading", name="Liên hệ và nhận thông báo")).to_be_visible()
    phone = form.get_by_label("Số điện thoại di động")
    phone.fill("0983 456 789")
    form.get_by_label("Zalo").check()

    # Leaving with the edit not saved asks first; a reload brings the typed text back.
    dialogs: list[str] = []

    def leave(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.once("dialog", leave)
    page.reload()
    assert dialogs == ["beforeunload"]
    expect(phone).to_have_value("0983 456 789")
    expect(form.get_by_label("Zalo")).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="Đã khôi phục nội dung bạn nhập dở")).to_be_visible()

    # A bad address is refused beside its field, with what was typed kept.
    form.get_by_label("Địa chỉ e-mail").fill("phongtnmt@chilinh")
    form.get_by_role("button", name="Lưu thông tin liên hệ").click()
    email = page.get_by_label("Địa chỉ e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email.locator("xpath=following-sibling::div[contains(@class,'invalid-feedback')]")).to_have_text(
        re.compile("Địa chỉ e-mail không hợp lệ")
    )
    expect(page.get_by_label("Số điện thoại di động")).to_have_value("0983 456 789")
    # The refusal says why; no "restored" notice for text the page shows anyway, and leaving still asks first.
    expect(page.get_by_text("Đã khôi phục nội dung bạn nhập dở")).to_have_count(0)
    screenshot(page, "profile-contacts-refused-360")
    assert run_axe(page, "/profile refused") == []

    page.get_by_label("Địa chỉ e-mail").fill("phongtnmt@example.vn")
    page.get_by_role("button", name="Lưu thông tin liên hệ").click()
    expect(page.get_by_role("alert").filter(has_text="Đã lưu thông tin liên hệ")).to_be_visible()
    page.wait_for_function("() => !Object.keys(localStorage).some((key) => key.startsWith('meeting-hub:form-draft:'))")
    me = page.request.get(f"{base_url}/api/v1/me").json()
    assert (me["email"], me["phone"], me["channels"]) == ("phongtnmt@example.vn", "0983 456 789", ["email", "zalo"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_roster_shows_who_no_reminder_reaches(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "op-sao-do")
    page.goto(f"{base_url}/endpoints")
    reach = page.locator("#secretary-reach")
    expect(reach).to_contain_text("1 bí thư không nhắn tin được")
    expect(page.locator("li", has_text="Không nhắn tin được")).to_have_count(1)
    screenshot(page, "roster-secretary-reach-desktop")
