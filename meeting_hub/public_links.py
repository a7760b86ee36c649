"""Absolute links that leave the app: share links, QR codes, calendar feeds, messages.

Organizers often reach the app by an address phones cannot (a LAN name, 127.0.0.1 on the server): when
MEETING_HUB_PUBLIC_BASE_URL is set, every such link is built on it instead of on the request's host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of `endpoint` as people outside the app should open it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
