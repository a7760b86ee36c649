"""Fixtures for browser tests: a live server on the demo data, headless Chromium, pages, sign-in and screenshots.

The server runs as a subprocess (`meeting-hub run`) on its own SQLite file, loaded with `meeting-hub demo`, once per
session. Chromium is Debian's (/usr/bin/chromium): Playwright cannot download its own browsers here. Without it, browser
tests are skipped, or fail when MEETING_HUB_REQUIRE_BROWSER=1 (as in CI).
"""

from __future__ import annotations

import functools
import html
import os
import re
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest

from tests.server_processes import free_port, meeting_hub_command

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

# Debian's Chromium; MEETING_HUB_CHROMIUM points elsewhere on a machine that keeps it in another place.
CHROMIUM = Path(os.environ.get("MEETING_HUB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
DEMO_PASSWORD = "demo12345"
SERVER_START_TIMEOUT = 30.0
ALLOWED_HOSTS = {"127.0.0.1"}
BROWSER_DIR = Path(__file__).resolve().parent
# axe-core from node_modules (`make setup`): injected by the tests, never served to users.
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0 and 2.1, levels A and AA: what a public-sector site is held to.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: The impacts that fail a test; "moderate" and "minor" are left to review.
BLOCKING_IMPACTS = frozenset({"critical", "serious"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder `browser`, so `-m "not browser"` leaves them out, and keep them on one xdist
    worker: they share one demo server and one Chromium (session fixtures), which each worker would start again."""
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def _browser_unavailable(reason: str) -> NoReturn:
    """Fail when CI requires the browser tests to run, skip otherwise."""
    if os.environ.get("MEETING_HUB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Browser tests required (MEETING_HUB_REQUIRE_BROWSER=1) but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


# Live server


@dataclass
class LiveServer:
    """A running `meeting-hub run` subprocess on the demo data."""

    url: str
    workdir: Path
    env: dict[str, str] = field(repr=False)


def _server_env(workdir: Path) -> dict[str, str]:
    """The environment of the server and its setup commands, built explicitly.

    Every MEETING_HUB_* variable of the test run (instance path set per test, the test databases of CI, ...) is left
    out, so the server only sees its own database, instance folder and key.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEETING_HUB_", "FLASK_")) and key not in {"PYTHONWARNINGS"}
    }
    env.update(
        MEETING_HUB_DATABASE_URL=f"sqlite:///{workdir / 'browser.db'}",
        MEETING_HUB_INSTANCE_PATH=str(workdir / "instance"),
        MEETING_HUB_SECRET_KEY=secrets.token_hex(32),
        # Many tests sign in from the same address within a minute; the limit itself is tested without a browser.
        MEETING_HUB_SIGN_IN_RATE_LIMIT="1000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run_setup(command: list[str], env: dict[str, str], workdir: Path) -> None:
    result = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` exited with {result.returncode}:\n{result.stdout}\n{result.stderr}", pytrace=False
        )


# Straight to the local server, whatever *_proxy variables the machine has.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(url: str) -> bool:
    try:
        with DIRECT.open(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """Serve the demo network on a free local port for the whole session."""
    with tempfile.TemporaryDirectory(prefix="meeting-hub-browser-") as tmp:
        workdir = Path(tmp)
        env = _server_env(workdir)
        command = meeting_hub_command()
        _run_setup([*command, "db", "upgrade"], env, workdir)
        _run_setup([*command, "demo"], env, workdir)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        stdout_path, stderr_path = workdir / "server.out", workdir / "server.err"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [*command, "run", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
            try:
                deadline = time.monotonic() + SERVER_START_TIMEOUT
                while not _healthy(url):
                    try:
                        # Waits a little between polls, and notices a server that died on start.
                        process.wait(timeout=0.1)
                    except subprocess.TimeoutExpired:
                        pass
                    else:
                        pytest.fail(
                            f"The live server exited with {process.returncode} on start:\n"
                            f"{stderr_path.read_text(errors='replace')}",
                            pytrace=False,
                        )
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"The live server did not answer {url}/healthz within {SERVER_START_TIMEOUT:.0f} s:\n"
                            f"{stderr_path.read_text(errors='replace')}",
                            pytrace=False,
                        )
                yield LiveServer(url=url, workdir=workdir, env=env)
            finally:
                _stop(process)


@pytest.fixture
def base_url(live_server: LiveServer) -> str:
    """The live server's root URL, without a trailing slash."""
    return live_server.url


# Browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright, for the whole session."""
    if not CHROMIUM.exists():
        _browser_unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _browser_unavailable(f"the playwright package cannot be imported ({error})")
    playwright = sync_playwright().start()
    try:
        launch_error: PlaywrightError | None = None
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as error:
            launch_error = error
        if launch_error is not None:  # reported outside the except block: the message is enough, no chained traceback
            _browser_unavailable(f"Playwright cannot launch {CHROMIUM}:\n{launch_error.message[:3000]}")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class RequestLog:
    """Every URL the pages of one test requested, to check that nothing left the app's own host."""

    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def outside(self) -> list[str]:
        """Return the requested URLs whose host is not the live server's (data: and blob: URLs are local)."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in {"data", "blob", "about"} and urlsplit(url).hostname not in ALLOWED_HOSTS
        ]


@pytest.fixture
def request_log() -> RequestLog:
    """The URLs requested by this test's pages."""
    return RequestLog()


def _new_page(browser: Browser, request_log: RequestLog, **context_options: Any) -> Iterator[Page]:
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **context_options)
    context.set_default_timeout(10_000)
    context.on("request", request_log.record)
    try:
        yield context.new_page()
    finally:
        context.close()
    outside = request_log.outside()
    assert not outside, f"pages requested hosts other than the app's own: {outside}"


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, request_log: RequestLog) -> Iterator[Page]:
    """A desktop-sized page in a fresh browser context (no cookies)."""
    yield from _new_page(browser, request_log, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer, request_log: RequestLog) -> Iterator[Page]:
    """A phone-sized touch page in a fresh browser context, like an endpoint operator's."""
    yield from _new_page(browser, request_log, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)


# Helpers


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the Vietnamese sign-in form and wait for the home page."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Tên đăng nhập", exact=True).fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_url(f"{base_url}/")
    page.get_by_role("heading", name="Xin chào").wait_for()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Accessibility and page health


@dataclass(frozen=True)
class AxeViolation:
    """One critical or serious axe-core finding on one page."""

    page: str
    rule: str
    impact: str
    summary: str
    #: Each element found: its CSS selector and the start of its HTML.
    nodes: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        where = "; ".join(f"{selector} {html}" for selector, html in self.nodes)
        return f"{self.page}: [{self.impact}] {self.rule} ({self.summary}) at {where}"


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make setup` (axe-core is in package.json)", pytrace=False)
    return AXE_SCRIPT.read_text(encoding="utf-8")


_RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then(result => result.violations.map(v => ({
        rule: v.id, impact: v.impact || "", summary: v.help,
        nodes: v.nodes.map(node => [node.target.join(" "), node.html.slice(0, 100)]),
    })))"""


def run_axe(page: Page, label: str | None = None) -> list[AxeViolation]:
    """Run axe-core (WCAG 2.x A and AA rules) on the page as it is now; return its critical and serious violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: no <script> element added to the page, no CSP in the way.
        page.evaluate(_axe_source())
    found = page.evaluate(_RUN_AXE, list(AXE_TAGS))
    where = label or urlsplit(page.url).path
    return [
        AxeViolation(where, item["rule"], item["impact"], item["summary"], tuple(map(tuple, item["nodes"])))
        for item in found
        if item["impact"] in BLOCKING_IMPACTS
    ]


@dataclass
class PageProblems:
    """Console errors, uncaught script errors and failed subresource requests of a page, as they happen."""

    found: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        # Chromium logs the document's own 4xx as a console error; its status is judged by the test (on_response).
        if message.text.startswith("Failed to load resource") and message.page and source == message.page.url:
            return
        self.found.append(f"console error: {message.text} ({source})")

    def on_page_error(self, error: Exception) -> None:
        self.found.append(f"uncaught error: {error}")

    def on_response(self, response: Response) -> None:
        # The document's own status is the walk's to judge (an error page is a page too); subresources must load.
        if response.status >= 400 and response.request.resource_type != "document":
            self.found.append(f"{response.status} on {response.request.resource_type} {response.url}")

    def on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # Leaving a page aborts what it still had in flight (a socket.io poll, a lazy image): not a fault of the page.
        if "ERR_ABORTED" not in failure:
            self.found.append(f"request failed ({failure}): {request.url}")

    def take(self) -> list[str]:
        """Return what was found since the last call, and forget it."""
        found, self.found = self.found, []
        return found


def watch_problems(page: Page) -> PageProblems:
    """Start collecting the console errors, page errors and failed requests of a page."""
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_request_failed)
    return problems


# The day itself: a live briefing with its material and QR self check-in


@dataclass(frozen=True)
class DemoBriefings:
    """The demo's briefings as on the day: the coming one opened (live), with a shared PDF and QR self check-in on."""

    live_id: int
    past_id: int
    material_id: int
    share_url: str
    check_in_url: str


def csrf_token(page: Page) -> str:
    """Return the CSRF token of the page on screen (every page carries it in a meta tag)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token, f"no CSRF token on {page.url}"
    return token


def _sample_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text="Thong tin tuyen giao - so thang nay")
    return bytes(pdf.output())


@pytest.fixture(scope="session")
def demo_briefings(browser: Browser, live_server: LiveServer) -> DemoBriefings:
    """As the organizer, open the demo's coming briefing, turn QR self check-in on and share a PDF material.

    Done through the API and the forms' own POSTs rather than by clicking, so that changes to the pages' buttons
    (confirmations, wording) do not break the tests that only need the state. Idempotent: tests that opened the
    briefing before are fine.
    """
    base_url = live_server.url
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        page = context.new_page()
        sign_in(page, base_url, "organizer")
        token = csrf_token(page)
        # The demo's series: one briefing in the last weeks, the next within about two months.
        today = date.today()
        window = f"from={today - timedelta(days=100)}&to={today + timedelta(days=100)}"
        listed = page.request.get(f"{base_url}/api/v1/briefings?{window}")
        assert listed.ok, listed.text()
        briefings = listed.json()
        ended = [b for b in briefings if b["status"] == "ended"]
        coming = [b for b in briefings if b["status"] in ("scheduled", "live")]
        assert ended and coming, f"the demo should have a past and a coming briefing: {briefings}"
        past = max(ended, key=lambda b: b["starts_at"])
        live = min(coming, key=lambda b: (b["status"] != "live", b["starts_at"]))
        if live["status"] == "scheduled":
            # Before its day, opening must be confirmed (scheduling/lifecycle.py).
            opened = page.request.post(
                f"{base_url}/api/v1/briefings/{live['id']}/open",
                headers={"X-CSRFToken": token},
                data={"confirm_early": True},
            )
            assert opened.ok, opened.text()
        switched = page.request.post(
            f"{base_url}/briefings/{live['id']}/self-check-in", form={"csrf_token": token, "enabled": "1"}
        )
        assert switched.ok, switched.text()
        qr_sheet = switched.text()

        briefing_page = page.request.get(f"{base_url}/briefings/{live['id']}").text()
        if "/m/" not in briefing_page:
            uploaded = page.request.post(
                f"{base_url}/briefings/{live['id']}/materials",
                multipart={
                    "csrf_token": token,
                    "title": "Thông tin tuyên giáo tháng này",
                    "file": {"name": "tai-lieu.pdf", "mimeType": "application/pdf", "buffer": _sample_pdf()},
                },
            )
            assert uploaded.ok, uploaded.text()
            briefing_page = uploaded.text()
        share = re.search(r'href="(http[^"]+/m/[^"]+)"', briefing_page)
        material = re.search(r"/materials/(\d+)/print", briefing_page)
        check_in = re.search(r"(http[^\s<\"]+/checkin/[^\s<\"]+)", qr_sheet)
        assert share and material, "the briefing page should show the shared material"
        assert check_in, "the QR sheet should show each endpoint's self check-in link"
        return DemoBriefings(
            live_id=int(live["id"]),
            past_id=int(past["id"]),
            material_id=int(material.group(1)),
            share_url=html.unescape(share.group(1)),
            check_in_url=html.unescape(check_in.group(1)),
        )
    finally:
        context.close()
