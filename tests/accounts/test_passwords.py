"""Password changes: the rules, one's own change (page and API), the forced change, ending other sessions."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.accounts import password_rules, passwords
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent, User
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import AuthActions, base_config

NEW_PASSWORD = "xanh-la-cay-mua-thu"


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> object:
    return client.post(
        "/profile/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_rules_refuse_short_common_and_username_passwords(app_ctx: Flask) -> None:
    assert password_rules.password_problem("abc12", "lan") == "Mật khẩu cần ít nhất 8 ký tự."
    assert "phổ biến" in (password_rules.password_problem("Password1", "lan") or "")
    assert "phổ biến" in (password_rules.password_problem("QWERTYUIOP", "lan") or "")
    assert "phổ biến" in (password_rules.password_problem("matkhau123", "lan") or "")
    assert "tên đăng nhập" in (password_rules.password_problem("nguyenlan-2026", "nguyenlan") or "")
    assert "tối đa" in (password_rules.password_problem("x" * 129, "lan") or "")
    assert password_rules.password_problem(NEW_PASSWORD, "lan") is None


def test_admin_cannot_set_a_common_password(app_ctx: Flask) -> None:
    try:
        factories.make_user(password="12345678")
    except ValidationFailed as error:
        assert "phổ biến" in error.details["password"]
    else:
        raise AssertionError("a common password was accepted")


def test_change_needs_the_current_password_and_audits_the_refusal(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("leader")
    response = _change(client, "wrong-current", NEW_PASSWORD)
    assert response.status_code == 200
    assert "Mật khẩu hiện tại không đúng." in response.text
    assert "password.change_refused" in _actions(app)
    assert "password.change" not in _actions(app)
    with app.app_context():
        assert accounts.authenticate("leader", factories.PASSWORD) is not None
        db.session.rollback()


def test_change_refuses_mismatch_same_and_common_passwords(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("leader")
    assert "không khớp" in _change(client, factories.PASSWORD, NEW_PASSWORD, "something-else-1").text
    assert "khác mật khẩu hiện tại" in _change(client, factories.PASSWORD, factories.PASSWORD).text
    assert "phổ biến" in _change(client, factories.PASSWORD, "iloveyou123").text


def test_change_keeps_this_session_and_ends_the_others(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    other = app.test_client()
    AuthActions(other).sign_in("leader")
    assert other.get("/").status_code == 200
    auth.sign_in("leader")
    response = _change(client, factories.PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one was signed out
    assert "password.change" in _actions(app)
    with app.app_context():
        assert accounts.authenticate("leader", NEW_PASSWORD) is not None
        assert accounts.authenticate("leader", factories.PASSWORD) is None
        db.session.rollback()


def test_old_session_cookie_without_version_no_longer_loads(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = str(network.leader.id)  # what a session signed before versions looked like
        session["_fresh"] = True
    assert client.get("/").status_code == 302


def test_admin_created_user_must_change_at_first_sign_in(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "moi",
            "display_name": "Người Mới",
            "role": "leader",
            "language": "vi",
            "password": "tam-thoi-2026",
            "active": "y",
            "endpoint_id": "",
            "agency_id": "",
        },
    )
    assert response.status_code == 302, response.text
    auth.sign_out()
    first = auth.sign_in("moi", "tam-thoi-2026")
    assert first.headers["Location"] == "/profile/password"
    # Every page leads to the change form; the API answers 403 with a clear code.
    assert client.get("/").headers["Location"] == "/profile/password"
    assert client.get("/profile").headers["Location"] == "/profile/password"
    api = client.get("/api/v1/issues")
    assert api.status_code == 403
    assert api.json["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/me").json["must_change_password"] is True
    page = client.get("/profile/password")
    assert "do người khác đặt" in page.text
    assert _change(client, "tam-thoi-2026", NEW_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/issues").status_code == 200
    assert _user(app, "moi").must_change_password is False


def test_admin_reset_sets_must_change_and_ends_sessions(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    victim = app.test_client()
    AuthActions(victim).sign_in("leader")
    auth.sign_in("admin")
    leader = network.leader
    response = client.post(
        f"/admin/users/{leader.id}",
        data={
            "username": "leader",
            "display_name": leader.display_name,
            "role": "leader",
            "language": "vi",
            "password": "dat-lai-2026",
            "active": "y",
            "endpoint_id": "",
            "agency_id": "",
        },
    )
    assert response.status_code == 302, response.text
    assert victim.get("/").status_code == 302
    assert _user(app, "leader").must_change_password is True
    assert "password.reset" in _actions(app)


def test_api_password_change(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("op-sao-do")
    wrong = client.post("/api/v1/me/password", json={"current_password": "nope-nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert wrong.json["error"]["details"]["current_password"] == "Mật khẩu hiện tại không đúng."
    weak = client.post("/api/v1/me/password", json={"current_password": factories.PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    assert "8 ký tự" in weak.json["error"]["details"]["new_password"]
    assert client.post("/api/v1/me/password", json={"current_password": factories.PASSWORD}).status_code == 422
    ok = client.post("/api/v1/me/password", json={"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
    assert client.get("/api/v1/me").status_code == 200  # the session that changed it goes on
    assert "password.change_refused" in _actions(app)


def test_bearer_tokens_are_not_held_back_by_a_forced_change(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        user = factories.make_user(Role.LEADER, username="tokenuser", must_change_password=True)
        token = accounts.issue_api_token(user, "script", None)
        db.session.commit()
    response = client.get("/api/v1/issues", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_forced_user_may_sign_out(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    with app.app_context():
        factories.make_user(Role.LEADER, username="forced", must_change_password=True)
        db.session.commit()
    auth.sign_in("forced")
    assert auth.sign_out().headers["Location"] == "/sign-in"


def test_change_service_clears_the_flag(app_ctx: Flask) -> None:
    user = factories.make_user(must_change_password=True)
    version = user.session_version
    passwords.change_own_password(user, factories.PASSWORD, NEW_PASSWORD)
    assert user.must_change_password is False
    assert user.session_version == version + 1
    assert user.password_changed_at is not None


def test_sign_in_page_of_a_demo_install_says_so(app: Flask, client: FlaskClient) -> None:
    assert "demo-notice" not in client.get("/sign-in").text
    with app.app_context():
        factories.make_user(username="admin", password=accounts.DEMO_PASSWORD).demo_account = True
        db.session.commit()
    page = client.get("/sign-in").text
    assert "bản cài đặt demo" in page
    assert accounts.DEMO_PASSWORD in page
    assert "không bị yêu cầu đổi mật khẩu" in page


def test_password_change_is_rate_limited_like_sign_in(tmp_path: Path) -> None:
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'limited.db'}")
    config.update(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
    app = create_app(config)
    with app.app_context():
        db.create_all()
        factories.make_user(username="lan")
        db.session.commit()
    client = app.test_client()
    AuthActions(client).sign_in("lan")
    for _attempt in range(3):
        assert _change(client, "wrong-guess", NEW_PASSWORD).status_code == 200
    blocked = _change(client, factories.PASSWORD, NEW_PASSWORD)
    assert blocked.status_code == 429
    assert "đổi mật khẩu quá nhiều lần" in blocked.text
    assert "Mật khẩu hiện tại" in blocked.text  # still the change form, not the sign-in page
    api = client.post("/api/v1/me/password", json={"current_password": "x", "new_password": NEW_PASSWORD})
    assert api.status_code in (422, 429)
