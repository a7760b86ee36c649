"""Password strength (offline) and spaces: a password is used exactly as typed when set and at sign-in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import password_rules
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import User
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import AuthActions


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "PASSWORD", " password", "12345678 ", "aaaaaaaa", "abcdefgh", "qwertyuiop", "1q2w3e4r"],
)
def test_common_or_guessable_passwords_are_refused(app_ctx: Flask, password: str) -> None:
    assert password_rules.password_problem(password, "lan") is not None


def test_a_password_of_spaces_only_is_refused_with_a_clear_reason(app_ctx: Flask) -> None:
    assert password_rules.password_problem(" " * 8, "lan") == "Mật khẩu không được chỉ gồm khoảng trắng."
    assert password_rules.password_problem("\t" * 12, "lan") == "Mật khẩu không được chỉ gồm khoảng trắng."


@pytest.mark.parametrize(
    "password",
    [
        accounts.DEMO_PASSWORD,
        factories.PASSWORD,
        "xanh-la-cay-mua-thu",
        "  mây trắng bay  ",
        "mùa thu lá vàng rơi trên con đường nhỏ dẫn về làng quê yên bình của tôi năm ấy",
    ],
)
def test_the_demo_and_test_passwords_and_long_phrases_pass(app_ctx: Flask, password: str) -> None:
    assert password_rules.password_problem(password, "lan") is None


def test_the_admin_form_refuses_spaces_only(
    app: Flask, client: FlaskClient, auth: AuthActions, network: object
) -> None:
    auth.sign_in("admin")
    page = client.post(
        "/admin/users/new",
        data={"username": "bi-thu", "display_name": "Bí Thư", "role": "organizer", "language": "vi",
              "password": " " * 8, "active": "y"},
    )  # fmt: skip
    assert "chỉ gồm khoảng trắng" in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "bi-thu")) is None


def test_spaces_around_a_password_are_part_of_it_at_sign_in(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        factories.make_user(username="lan", password="  mây trắng bay  ")
        db.session.commit()
    assert client.post("/sign-in", data={"username": "lan", "password": "mây trắng bay"}).status_code == 200
    assert client.post("/sign-in", data={"username": "lan", "password": "  mây trắng bay  "}).status_code == 302


def test_an_old_password_of_spaces_only_can_still_sign_in_to_be_changed(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = factories.make_user(username="lan")
        accounts.set_password(user, " " * 8, must_change=True)  # set before the rule existed
        db.session.commit()
    response = client.post("/sign-in", data={"username": "lan", "password": " " * 8})
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/password"
