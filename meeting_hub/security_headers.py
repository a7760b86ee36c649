"""Headers every response carries: a Content-Security-Policy without inline scripts, HSTS over HTTPS, and the rest.

Scripts run only from the app's own files, or inline when they carry the request's nonce (`{{ csp_nonce() }}` in a
template); inline event handlers (`onclick=`) never run. Styles may be inline (Bootstrap and a few `style=` attributes).
"""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.wrappers import Response

HSTS_MAX_AGE = 365 * 24 * 3600


def csp_nonce() -> str:
    """Return this request's script nonce (one per request, made on first use)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Return the policy: the app's own origin for everything, nonce'd inline scripts, no framing, no plugins."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response and `csp_nonce()` to templates."""
    app.add_template_global(csp_nonce)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:  # behind nginx, MEETING_HUB_TRUST_PROXY makes X-Forwarded-Proto count
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")
        return response
