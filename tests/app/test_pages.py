"""Pages as each role sees them on the demo network."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.demo import ENDPOINTS
from tests.conftest import AuthActions, base_config


@pytest.fixture
def demo_client(app: Flask) -> FlaskClient:
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    return app.test_client()


def _sign_in(client: FlaskClient, username: str) -> None:
    response = AuthActions(client).sign_in(username, "demo12345")
    assert response.status_code == 302, response.text


def test_operator_sees_only_their_endpoint_roster(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "op-sao-do")
    listing = demo_client.get("/endpoints")
    assert listing.status_code == 302  # straight to their own endpoint
    page = demo_client.get(listing.headers["Location"])
    assert "Phường Sao Đỏ" in page.text
    assert "Bí thư chi bộ" in page.text
    for _code, name, _kind in ENDPOINTS[1:]:
        assert name not in page.text or name in ("Bến Tắm",)  # place names may repeat inside cell names
    other = demo_client.get("/endpoints/16")
    assert other.status_code == 403
    assert "Bạn chỉ được thao tác với điểm cầu của mình." in other.text


def test_organizer_sees_all_19_endpoints_with_vietnamese_names(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "organizer")
    page = demo_client.get("/endpoints")
    assert page.status_code == 200
    for _code, name, _kind in ENDPOINTS:
        assert name in page.text
    assert "Xã Hoàng Hoa Thám" in page.text
    assert "(19)" in page.text


def test_endpoint_search_ignores_diacritics(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "organizer")
    page = demo_client.get("/endpoints?q=hoang+hoa+tham")
    assert "Xã Hoàng Hoa Thám" in page.text
    assert "Phường Sao Đỏ" not in page.text


def test_home_page_per_role(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "op-sao-do")
    assert "Điểm cầu Phường Sao Đỏ" in demo_client.get("/").text
    AuthActions(demo_client).sign_out()
    _sign_in(demo_client, "responder")
    assert "Phòng Tài nguyên và Môi trường" in demo_client.get("/").text
    AuthActions(demo_client).sign_out()
    _sign_in(demo_client, "admin")
    home = demo_client.get("/").text
    assert "Tài khoản người dùng" in home
    assert "Nhật ký hệ thống" in home


def test_navigation_follows_the_policy(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "op-sao-do")
    nav = demo_client.get("/").text
    assert 'href="/admin/users"' not in nav
    assert 'href="/admin/roster-import"' not in nav
    AuthActions(demo_client).sign_out()
    _sign_in(demo_client, "admin")
    assert 'href="/admin/users"' in demo_client.get("/").text


def test_admin_creates_edits_and_deactivates_a_user(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "admin")
    bad = demo_client.post(
        "/admin/users/new",
        data={"username": "Bad Name", "display_name": "", "role": "operator", "language": "vi", "password": "x"},
    )
    assert "Thông tin người dùng chưa hợp lệ." in bad.text or "Cần nhập" in bad.text
    created = demo_client.post(
        "/admin/users/new",
        data={
            "username": "op-moi",
            "display_name": "Cán bộ mới",
            "role": "operator",
            "endpoint_id": "1",
            "agency_id": "",
            "language": "vi",
            "password": "mat-khau-dai",
            "active": "y",
        },
    )
    assert created.status_code == 302
    listing = demo_client.get("/admin/users?q=can bo moi")
    assert "op-moi" in listing.text


def test_security_headers_are_set(demo_client: FlaskClient) -> None:
    response = demo_client.get("/sign-in")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_healthz_reports_the_database(demo_client: FlaskClient) -> None:
    response = demo_client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'k.db'}")
    del config["SECRET_KEY"]
    first = create_app(config)  # the instance folder is tmp_path/instance (conftest)
    second = create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    key_file = tmp_path / "instance" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
