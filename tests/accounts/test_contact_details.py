"""Contact details and channel choices: one rule (accounts/contact_details.py) behind the API, the profile page, the
admin's user form and `meeting-hub create-user`; the API document's patterns agree with it."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from meeting_hub.accounts import services
from meeting_hub.accounts.contact_details import ContactChange, ContactDetails, checked_details
from meeting_hub.accounts.models import AuditEvent, User
from meeting_hub.accounts.roles import Role
from meeting_hub.api.accounts import EMAIL_PATTERN, PHONE_PATTERN
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.notifications.contacts import email_error, phone_error
from tests import factories
from tests.conftest import AuthActions

NO_PHONE = "Để nhận thông báo qua SMS hoặc Zalo, cần nhập số điện thoại di động"
NO_EMAIL = "Để nhận thông báo qua e-mail, cần nhập địa chỉ e-mail"


def _refusal(change: ContactChange, current: ContactDetails | None = None) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        checked_details(change, current) if current else checked_details(change)
    return dict(refused.value.details)


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        user = services.find_user(username)
        db.session.expunge(user)
        return user


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


# The rule


def test_addresses_are_kept_as_typed_and_channels_in_the_usual_order(app_ctx: Flask) -> None:
    details = checked_details(
        ContactChange(email=" lan@chilinh.gov.vn ", phone="(+84) 912.345-678", channels=["zalo", "email", "zalo"])
    )
    assert details == ContactDetails("lan@chilinh.gov.vn", "(+84) 912.345-678", ("email", "zalo"))


def test_bad_addresses_are_refused_with_vietnamese_reasons(app_ctx: Flask) -> None:
    errors = _refusal(ContactChange(email="lan@chilinh", phone="0241 3825 123"))
    assert errors["email"].startswith("Địa chỉ e-mail không hợp lệ")
    assert errors["phone"].startswith("Số điện thoại di động không hợp lệ")  # a landline takes no SMS
    assert _refusal(ContactChange(phone="09123456789012345678901234567890123"))["phone"] == (
        "Số điện thoại dài quá 32 ký tự."
    )
    assert _refusal(ContactChange(channels=["email", "fax"]))["channels"] == (
        "Kênh nhận thông báo chỉ có thể là E-mail, SMS hoặc Zalo."
    )


def test_a_channel_cannot_be_chosen_without_its_address(app_ctx: Flask) -> None:
    assert _refusal(ContactChange(channels=["sms"]))["channels"].startswith(NO_PHONE)
    assert _refusal(ContactChange(phone="", channels=["zalo"]))["channels"].startswith(NO_PHONE)
    current = ContactDetails(None, "0912345678", ("sms",))
    assert _refusal(ContactChange(channels=["email", "sms"]), current)["channels"].startswith(NO_EMAIL)
    # A bad phone is reported once, on the phone.
    assert _refusal(ContactChange(phone="12345", channels=["sms"])) == {
        "phone": "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678)."
    }


def test_clearing_the_address_of_a_chosen_channel_is_refused_but_the_default_is_left_alone(app_ctx: Flask) -> None:
    current = ContactDetails("lan@chilinh.gov.vn", "0912345678", ("email", "sms"))
    assert _refusal(ContactChange(phone=""), current)["channels"].startswith(NO_PHONE)
    assert _refusal(ContactChange(email=""), current)["channels"].startswith(NO_EMAIL)
    assert checked_details(ContactChange(phone="", channels=["email"]), current).phone is None
    # Every account starts with "email" chosen and no address: a change of something else is not refused for it.
    default = ContactDetails(None, None, ("email",))
    assert checked_details(ContactChange(phone="0912345678"), default) == ContactDetails(None, "0912345678", ("email",))
    assert checked_details(ContactChange(channels=[]), default).channels == ()


# The API


def test_me_carries_the_contact_details(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("op-sao-do")
    me = client.get("/api/v1/me").json
    assert (me["email"], me["phone"], me["channels"]) == (None, None, ["email"])


def test_patch_me_changes_the_callers_details_and_audits_it(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("op-sao-do")
    answer = client.patch(
        "/api/v1/me",
        json={"email": "vanphong.saodo@example.vn", "phone": "0912 345 678", "channels": ["zalo", "email"]},
    )
    assert answer.status_code == 200
    assert (answer.json["email"], answer.json["phone"], answer.json["channels"]) == (
        "vanphong.saodo@example.vn",
        "0912 345 678",
        ["email", "zalo"],
    )
    assert client.get("/api/v1/me").json["channels"] == ["email", "zalo"]
    # A field left out stays; "" (or null) clears; nothing changed writes no audit line.
    cleared = client.patch("/api/v1/me", json={"channels": ["email"], "phone": None}).json
    assert (cleared["email"], cleared["phone"]) == ("vanphong.saodo@example.vn", None)
    assert client.patch("/api/v1/me", json={}).status_code == 200
    events = _audit(app, "user.contacts")
    assert [json.loads(event.detail)["changed"] for event in events] == [
        ["email", "phone", "channels"],
        ["phone", "channels"],
    ]
    assert {event.target for event in events} == {"user:op-sao-do"}
    assert "0912" not in "".join(event.detail for event in events)  # the log names fields, not numbers


def test_patch_me_refuses_bad_values_per_field(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("leader")
    bad = client.patch("/api/v1/me", json={"email": "lan at chilinh", "phone": "024 3825 1234"})
    assert bad.status_code == 422
    assert bad.json["error"]["code"] == "invalid"
    assert set(bad.json["error"]["details"]) == {"email", "phone"}
    assert bad.json["error"]["details"]["phone"].startswith("Số điện thoại di động không hợp lệ")
    no_phone = client.patch("/api/v1/me", json={"channels": ["email", "sms"], "email": "hung@example.vn"})
    assert no_phone.status_code == 422
    assert no_phone.json["error"]["details"]["channels"].startswith(NO_PHONE)
    unknown = client.patch("/api/v1/me", json={"channels": ["fax"]})
    assert unknown.status_code == 422
    assert unknown.json["error"]["details"] == {"channels.0": "Phải là một trong: email, sms, zalo."}
    # Nothing of the refused requests was written.
    leader = _user(app, "leader")
    assert (leader.email, leader.phone, leader.channels) == (None, None, ["email"])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(typed=st.from_regex(PHONE_PATTERN, fullmatch=True).filter(lambda text: len(text) <= 32))
def test_every_phone_the_api_document_allows_is_accepted(typed: str) -> None:
    assert typed.strip() == "" or phone_error(typed) is None


@settings(max_examples=60, deadline=None, derandomize=True)
@given(typed=st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda text: len(text) <= 254))
def test_every_email_the_api_document_allows_is_accepted(typed: str) -> None:
    assert typed == "" or email_error(typed) is None


def test_the_api_document_turns_down_what_the_rule_refuses() -> None:
    for phone in ("0241 3825 123", "12345", "+1 202 555 0123", "0912 345 67", "09123456789", "０912345678"):
        assert phone_error(phone) is not None
        assert re.fullmatch(PHONE_PATTERN, phone) is None, phone
    for phone in ("0912345678", "+84 912 345 678", "84-912-345-678", "(091) 234.5678", "0356 789 012"):
        assert re.fullmatch(PHONE_PATTERN, phone) is not None, phone
    for email in ("lan", "lan@chilinh", "lan@@chilinh.vn", "l an@chilinh.vn", "lan@chilinh.vn\n", "@chilinh.vn"):
        assert re.fullmatch(EMAIL_PATTERN, email) is None, email
    assert re.fullmatch(EMAIL_PATTERN, "vanphong.saodo@example.vn") is not None


# The profile page


def test_the_profile_form_saves_and_keeps_what_was_typed_on_error(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("op-sao-do")
    page = client.get("/profile").get_data(as_text=True)
    assert "Liên hệ và nhận thông báo" in page
    assert 'data-guard-unsaved="contacts"' in page
    # The default "email" without an address is pointed out, not refused.
    assert "chưa có địa chỉ dùng được" in page

    refused = client.post("/profile", data={"email": "vanphong@saodo", "phone": "0912 345 678", "channels": ["sms"]})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "Địa chỉ e-mail không hợp lệ" in body
    assert 'value="vanphong@saodo"' in body and 'value="0912 345 678"' in body
    assert re.search(r'value="sms" checked', body) and not re.search(r'value="email" checked', body)
    assert _user(app, "op-sao-do").phone is None

    saved = client.post(
        "/profile", data={"email": "vanphong@saodo.example.vn", "phone": "0912 345 678", "channels": ["sms", "email"]}
    )
    assert saved.status_code == 302
    assert "Đã lưu thông tin liên hệ" in client.get("/profile").get_data(as_text=True)
    user = _user(app, "op-sao-do")
    assert (user.email, user.phone, user.channels) == ("vanphong@saodo.example.vn", "0912 345 678", ["email", "sms"])

    # Clearing the phone while SMS stays ticked is refused with the reason beside the channels.
    again = client.post("/profile", data={"email": "vanphong@saodo.example.vn", "phone": "", "channels": ["sms"]})
    assert NO_PHONE in again.get_data(as_text=True)
    # Unticking everything is a choice too.
    client.post("/profile", data={"email": "", "phone": ""})
    user = _user(app, "op-sao-do")
    assert (user.email, user.phone, user.channels) == (None, None, [])


# The admin's user form


def _user_form(user: User, **changes: object) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "endpoint_id": user.endpoint_id or "",
        "agency_id": user.agency_id or "",
        "language": "vi",
        "active": "y",
        "email": user.email or "",
        "phone": user.phone or "",
        "channels": user.channels,
    } | changes


def test_an_admin_edits_anyones_contact_details_with_the_same_rules(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    operator = network.operator
    page = client.get(f"/admin/users/{operator.id}").get_data(as_text=True)
    assert "Liên hệ và nhận thông báo" in page
    assert "Sửa tài khoản op-sao-do" in page and "Khóa tài khoản và thu hồi mã truy cập" in page
    refused = client.post(f"/admin/users/{operator.id}", data=_user_form(operator, phone="", channels=["zalo"]))
    assert NO_PHONE in refused.get_data(as_text=True)
    saved = client.post(
        f"/admin/users/{operator.id}",
        data=_user_form(operator, email="duc@example.vn", phone="+84 983 456 789", channels=["email", "zalo"]),
    )
    assert saved.status_code == 302
    user = _user(app, "op-sao-do")
    assert (user.email, user.phone, user.channels) == ("duc@example.vn", "+84 983 456 789", ["email", "zalo"])
    assert [event.actor_name for event in _audit(app, "user.contacts")] == ["admin"]
    # An edit of something else leaves the account's untouched default alone.
    leader = network.leader
    renamed = client.post(f"/admin/users/{leader.id}", data=_user_form(leader, display_name="Trần Văn Hùng"))
    assert renamed.status_code == 302

    created = client.post(
        "/admin/users/new",
        data={
            "username": "thu.ha",
            "display_name": "Nguyễn Thu Hà",
            "role": "organizer",
            "language": "vi",
            "password": "Giao ban thang mot",
            "active": "y",
            "email": "thuha@example.vn",
            "channels": ["email"],
        },
    )
    assert created.status_code == 302
    assert _user(app, "thu.ha").email == "thuha@example.vn"


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.LEADER, Role.OPERATOR, Role.RESPONDER])
def test_other_roles_cannot_edit_someone_elses_details(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, role: Role
) -> None:
    username = {
        Role.ORGANIZER: "organizer",
        Role.LEADER: "leader",
        Role.OPERATOR: "op-sao-do",
        Role.RESPONDER: "responder",
    }
    auth.sign_in(username[role])
    target = network.other_operator
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    answer = client.post(f"/admin/users/{target.id}", data=_user_form(target, email="x@example.vn", channels=["email"]))
    assert answer.status_code == 403
    assert _user(app, target.username).email is None


# The command line


def test_create_user_takes_an_email_and_a_phone(app: Flask, network: factories.SmallNetwork) -> None:
    runner = app.test_cli_runner()
    done = runner.invoke(
        args=[
            "create-user",
            "lan",
            "--role",
            "leader",
            "--password",
            "Giao ban thang mot",
            "--email",
            "lan@example.vn",
            "--phone",
            "0912 345 678",
        ]
    )
    assert done.exit_code == 0, done.output
    user = _user(app, "lan")
    assert (user.email, user.phone, user.channels) == ("lan@example.vn", "0912 345 678", ["email"])

    bad = runner.invoke(
        args=["create-user", "mai", "--role", "leader", "--password", "Giao ban thang mot", "--phone", "12345"]
    )
    assert bad.exit_code != 0
    assert "Số điện thoại di động không hợp lệ" in bad.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "mai")) is None
