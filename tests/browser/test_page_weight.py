"""An operator's pages, loaded cold over a phone link: what each one moves over the network must stay under 200 KB.

Each page is opened in a fresh browser context (empty cache, signed-in cookies only) whose network Chromium throttles
to a mobile profile through CDP; the transfer is summed from CDP's own accounting (encoded bytes on the wire, headers
included) plus, for the console, what its service worker fetches to keep the page offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request

from tests.browser.conftest import sign_in
from tests.browser.test_live_attendance import _open_the_demo_briefing

pytestmark = pytest.mark.browser

PAGE_BUDGET = 200 * 1024
#: A weak mobile link: 1.6 Mbit/s down, 750 kbit/s up, 150 ms of latency.
MOBILE_NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@dataclass
class Weight:
    """What one cold page load moved: on the wire (encoded) and once decoded, per request."""

    encoded: int = 0
    decoded: int = 0
    requests: int = 0
    worker: int = 0  # bytes fetched by a service worker, outside the page's own accounting
    urls: list[str] = field(default_factory=list)
    load_ms: float = 0.0


def _cold_load(browser: Browser, storage_state: dict[str, Any], url: str, ready: str) -> Weight:
    """Open url in a fresh context over the mobile network, wait for `ready` and for the network to rest."""
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        storage_state=storage_state,
        **PHONE,  # type: ignore[arg-type]
    )
    weight = Weight()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", MOBILE_NETWORK)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        urls: dict[str, str] = {}

        def sent(event: dict[str, Any]) -> None:
            urls[event["requestId"]] = event["request"]["url"]

        def received(event: dict[str, Any]) -> None:
            weight.decoded += int(event["dataLength"])

        def finished(event: dict[str, Any]) -> None:
            weight.encoded += int(event["encodedDataLength"])
            weight.requests += 1
            weight.urls.append(urls.get(event["requestId"], "?"))

        def worker_request(request: Request) -> None:
            # Requests of a service worker reach the context, not the page's CDP session.
            if request.service_worker is not None:
                sizes = request.sizes()
                weight.worker += sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.dataReceived", received)
        cdp.on("Network.loadingFinished", finished)
        context.on("requestfinished", worker_request)
        page.goto(url, wait_until="load")
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        weight.load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    finally:
        context.close()
    return weight


def _signed_in_state(browser: Browser, base_url: str, username: str) -> dict[str, Any]:
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        page = context.new_page()
        sign_in(page, base_url, username)
        return dict(context.storage_state())
    finally:
        context.close()


def test_every_operator_page_loads_cold_under_200_kb_on_a_mobile_link(
    browser: Browser, page: Page, base_url: str
) -> None:
    sign_in(page, base_url, "organizer")
    briefing_id = _open_the_demo_briefing(page, base_url)
    state = _signed_in_state(browser, base_url, "op-sao-do")
    pages = {
        "home": (f"{base_url}/", "h1"),
        "console": (f"{base_url}/briefings/{briefing_id}/console", "body[data-offline-ready='1']"),
        "briefing detail": (f"{base_url}/briefings/{briefing_id}", "h1"),
        "issue list": (f"{base_url}/issues", "h1"),
        "profile": (f"{base_url}/profile", "h1"),
    }
    weights = {name: _cold_load(browser, state, url, ready) for name, (url, ready) in pages.items()}
    print("\npage: KB on the wire (page + service worker) / KB decoded, requests, load event ms")
    for name, weight in weights.items():
        print(
            f"  {name}: {(weight.encoded + weight.worker) / 1024:.1f} ({weight.encoded / 1024:.1f} + "
            f"{weight.worker / 1024:.1f}) / {weight.decoded / 1024:.1f}, {weight.requests}, {weight.load_ms:.0f}"
        )
    for name, weight in weights.items():
        assert weight.encoded + weight.worker <= PAGE_BUDGET, (name, weight)
        # Compressed: the decoded pages and assets are several times what went over the wire.
        assert weight.decoded > 2 * weight.encoded, (name, weight)


def test_no_page_asks_for_a_missing_favicon(page: Page, base_url: str) -> None:
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    sign_in(page, base_url, "op-sao-do")
    page.goto(f"{base_url}/profile")
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert icon.split("?")[0].endswith("/static/favicon.svg")  # a versioned static URL
    assert page.request.get(icon).ok
    assert page.request.get(f"{base_url}/favicon.ico").ok
    assert missing == []
