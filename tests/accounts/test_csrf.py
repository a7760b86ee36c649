"""CSRF: forms need a token with a browser session; bearer-token calls do not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import base_config


@pytest.fixture
def csrf_app(tmp_path: Path) -> Iterator[Flask]:
    """An app with CSRF protection on, as in production."""
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'csrf.db'}")
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    with app.app_context():
        db.create_all()
        factories.make_small_network()
    yield app


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert match, "page carries no CSRF token"
    return match.group(1)


def test_sign_in_form_without_token_is_refused(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"username": "organizer", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Vui lòng tải lại trang" in response.text


def test_sign_in_form_with_token_works_and_later_posts_need_it_too(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"username": "organizer", "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.post("/sign-out").status_code == 400
    page_token = _csrf_token(client.get("/").text)
    assert client.post("/sign-out", data={"csrf_token": page_token}).status_code == 302


def test_api_post_with_session_needs_the_csrf_header(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/sign-in").text)
    client.post("/sign-in", data={"username": "admin", "password": factories.PASSWORD, "csrf_token": token})
    refused = client.post("/profile/tokens", data={"label": "laptop"})
    assert refused.status_code == 400
    page_token = _csrf_token(client.get("/profile").text)
    accepted = client.post("/profile/tokens", data={"label": "laptop"}, headers={"X-CSRFToken": page_token})
    assert accepted.status_code == 302


def test_bearer_token_requests_skip_csrf(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        raw = services.issue_api_token(services.find_user("admin"), "script", None)
        db.session.commit()
    client = csrf_app.test_client()
    response = client.post("/profile/language", data={"language": "en"}, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 302  # reached the view: no CSRF refusal
