"""Serving switches: the proxy trust flag, the websocket compression policy, the async mode check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import request

from meeting_hub import async_mode, create_app
from meeting_hub.realtime.deflate import WebSocketDeflatePolicy
from tests.conftest import base_config

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "giaoban.example.vn"}


def _seen_behind_proxy(tmp_path: Path, trust: bool) -> dict[str, Any]:
    app = create_app({**base_config(tmp_path, f"sqlite:///{tmp_path / 'proxy.db'}"), "TRUST_PROXY": trust})
    seen: dict[str, Any] = {}

    @app.after_request
    def remember(response: Any) -> Any:
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
        return response

    app.test_client().get("/healthz", headers=FORWARDED, base_url="http://localhost")
    return seen


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    assert _seen_behind_proxy(tmp_path, trust=False) == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_a_trusted_proxy_sets_address_scheme_and_host(tmp_path: Path) -> None:
    assert _seen_behind_proxy(tmp_path, trust=True) == {
        "addr": "203.0.113.7",
        "scheme": "https",
        "host": "giaoban.example.vn",
    }


@pytest.mark.parametrize(
    ("policy", "query", "kept"),
    [
        ("never", "EIO=4&transport=websocket", False),
        ("never", "EIO=4&transport=websocket&deflate=1", False),
        ("on-request", "EIO=4&transport=websocket", False),
        ("on-request", "EIO=4&transport=websocket&deflate=1", True),
        ("always", "EIO=4&transport=websocket", True),
    ],
)
def test_the_deflate_policy_keeps_or_drops_the_offer(policy: str, query: str, kept: bool) -> None:
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return []

    middleware = WebSocketDeflatePolicy(inner, policy)
    middleware({"QUERY_STRING": query, "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate"}, lambda *a: None)
    assert ("HTTP_SEC_WEBSOCKET_EXTENSIONS" in seen) is kept


def test_an_unknown_deflate_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="LIVE_WEBSOCKET_DEFLATE"):
        WebSocketDeflatePolicy(lambda environ, start_response: [], "sometimes")


def test_gevent_mode_without_monkey_patching_is_refused() -> None:
    assert not async_mode.gevent_patched()  # the test process itself is never patched
    with pytest.raises(RuntimeError, match="MEETING_HUB_ASYNC_MODE=gevent"):
        async_mode.check("gevent")
    with pytest.raises(RuntimeError, match="one of"):
        async_mode.check("eventlet")
    async_mode.check("threading")
