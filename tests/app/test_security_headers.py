"""Security headers: a CSP that allows no inline script without the request's nonce, HSTS over HTTPS only."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from tests import factories
from tests.conftest import AuthActions

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_response_carries_the_policy_and_the_usual_headers(app: Flask) -> None:
    response = app.test_client().get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", policy)
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(app: Flask) -> None:
    response = app.test_client().get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_inline_scripts_carry_the_nonce_of_their_response(auth: AuthActions, network: factories.SmallNetwork) -> None:
    auth.sign_in("organizer")
    response = auth._client.get("/profile")
    nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", response.text)
    assert inline, "the profile page has an inline script to check"
    assert all(f'nonce="{nonce[1]}"' in attributes for attributes in inline)
    other = auth._client.get("/profile").headers["Content-Security-Policy"]
    assert nonce[1] not in other, "a nonce is never reused"


def test_no_template_has_an_inline_event_handler_or_an_unnonced_inline_script() -> None:
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.name}: inline event handler")
        for attributes in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            if "application/json" not in attributes and "csp_nonce()" not in attributes:
                offenders.append(f"{template.name}: inline script without nonce")
    assert offenders == []
