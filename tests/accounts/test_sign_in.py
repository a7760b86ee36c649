"""Sign-in, sign-out, the rate limit, and the audit trail they leave."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import AuthActions, base_config


def _audit_actions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor_name) for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_sign_in_with_good_credentials_reaches_home(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    response = auth.sign_in("organizer")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Xin chào" in home.text
    assert ("sign_in.ok", "organizer") in _audit_actions(app)


def test_wrong_password_is_refused_in_vietnamese_and_audited(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    response = auth.sign_in("organizer", "wrong-password")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert client.get("/").status_code == 302
    assert ("sign_in.failed", "organizer") in _audit_actions(app)


def test_unknown_user_is_audited_with_the_name_tried(
    app: Flask, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("nobody", "whatever-password")
    assert ("sign_in.failed", "nobody") in _audit_actions(app)


def test_deactivated_user_cannot_sign_in(app: Flask, auth: AuthActions, network: factories.SmallNetwork) -> None:
    with app.app_context():
        user = factories.make_user(username="gone")
        user.active = False
        db.session.commit()
    response = auth.sign_in("gone")
    assert "không đúng" in response.text


def test_next_parameter_only_redirects_within_the_site(client: FlaskClient, network: factories.SmallNetwork) -> None:
    data = {"username": "organizer", "password": factories.PASSWORD}
    inside = client.post("/sign-in?next=/endpoints", data=data)
    assert inside.headers["Location"] == "/endpoints"
    client.post("/sign-out")
    outside = client.post("/sign-in?next=https://evil.example/", data=data)
    assert outside.headers["Location"] == "/"


def test_sign_out_ends_the_session(client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork) -> None:
    auth.sign_in("leader")
    assert client.get("/").status_code == 200
    auth.sign_out()
    assert client.get("/").status_code == 302


def test_anonymous_page_request_redirects_to_sign_in_with_next(client: FlaskClient) -> None:
    response = client.get("/endpoints")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/endpoints")


def test_session_cookie_is_http_only_and_same_site(
    client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    response = auth.sign_in("leader")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sign_in_rate_limit_answers_429_with_a_clear_message(tmp_path: Path) -> None:
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'limited.db'}")
    config.update(RATELIMIT_ENABLED=True, SIGN_IN_RATE_LIMIT="3 per minute")
    app = create_app(config)
    with app.app_context():
        db.create_all()
        factories.make_user(username="organizer")
        db.session.commit()
    client = app.test_client()
    for _attempt in range(3):
        assert client.post("/sign-in", data={"username": "organizer", "password": "bad-password"}).status_code == 200
    blocked = client.post("/sign-in", data={"username": "organizer", "password": factories.PASSWORD})
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.text
    # Looking at the form is not limited.
    assert client.get("/sign-in").status_code == 200


def test_english_is_available_per_user(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("leader")
    client.post("/profile/language", data={"language": "en"})
    page = client.get("/")
    assert 'lang="en"' in page.text
    assert "Sign out" in page.text
    client.post("/profile/language", data={"language": "vi"})
    assert "Đăng xuất" in client.get("/").text
