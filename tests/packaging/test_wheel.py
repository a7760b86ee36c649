"""The built wheel is the product: installed alone into a fresh venv, in an empty folder, it serves every page.

This builds the sdist and the wheel the way `make dist` does, installs the wheel with its `prod` extra into a new
virtual environment, and runs `meeting-hub db upgrade`, `meeting-hub demo`, `meeting-hub run` and gunicorn with gevent
workers from a folder far from the checkout. Each role signs in and follows every link its pages show.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.server_processes import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo12345"
ROLES = ["admin", "organizer", "leader", "responder", "op-hoang-hoa-tham"]
#: Links a crawler must not follow: they change state on GET-looking paths or leave the app's pages.
SKIPPED_PATHS = re.compile(r"^/(sign-out|socket\.io/)")
MAX_PAGES_PER_ROLE = 150
START_TIMEOUT = 60.0


class _Links(HTMLParser):
    """Collect the same-page references of an HTML page: links, scripts, stylesheets, images, the CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[str] = []
        self.assets: list[str] = []
        self.csrf_token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.pages.append(values["href"] or "")
        elif tag in {"script", "img"} and values.get("src"):
            self.assets.append(values["src"] or "")
        elif tag == "link" and values.get("href"):
            self.assets.append(values["href"] or "")
        elif tag == "input" and values.get("name") == "csrf_token":
            self.csrf_token = values.get("value")


class _Browser:
    """A cookie-keeping HTTP client that talks to the local server only."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, bytes]:
        """Return the status, final URL and body of a GET."""
        try:
            with self.opener.open(self.base_url + path, timeout=30) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read()

    def sign_in(self, username: str) -> None:
        """Sign in through the form, as a person would."""
        status, _, body = self.get("/sign-in")
        assert status == 200, body[:500]
        parser = _Links()
        parser.feed(body.decode())
        form = urllib.parse.urlencode(
            {"csrf_token": parser.csrf_token or "", "username": username, "password": DEMO_PASSWORD}
        ).encode()
        with self.opener.open(self.base_url + "/sign-in", data=form, timeout=30) as response:
            assert "/sign-in" not in response.url, f"{username} could not sign in"


def _run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"`{' '.join(command)}` exited with {result.returncode}:\n{output}"
    return result.stdout


# Both tests use one build: on one worker, or two workers build in the same source tree at once (and one's sdist
# finds the other's temporary tree gone).
pytestmark = pytest.mark.xdist_group("wheel")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """Build the wheel, install it with `prod` into a fresh venv, and load the demo from an empty folder."""
    if not (REPO_ROOT / "static" / "vendor" / "bootstrap").is_dir():
        pytest.fail("static/vendor is missing: run `make setup` first (make test does)", pytrace=False)
    root = tmp_path_factory.mktemp("wheel")
    dist, venv, site = root / "dist", root / "venv", root / "site"
    site.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MEETING_HUB_", "FLASK_", "PYTHON"))}
    env["HOME"] = str(root)
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO_ROOT)], env, REPO_ROOT)
    wheels = list(dist.glob("meeting_hub-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("meeting_hub-*.tar.gz")), sorted(p.name for p in dist.iterdir())
    _run([sys.executable, "-m", "venv", str(venv)], env, site)
    # As docs/deployment.md installs it: the locked, hash-checked dependencies, then the wheel alone (uv for speed;
    # `pip install --require-hashes -r` installs the same files).
    python = str(venv / "bin" / "python")
    uv = [str(Path(sys.executable).parent / "uv"), "pip", "install", "--quiet", "--python", python]
    _run([*uv, "--require-hashes", "-r", str(REPO_ROOT / "requirements" / "prod.txt")], env, site)
    _run([*uv, "--no-deps", str(wheels[0])], env, site)
    env["MEETING_HUB_SIGN_IN_RATE_LIMIT"] = "1000 per minute"
    command = str(venv / "bin" / "meeting-hub")
    _run([command, "db", "upgrade"], env, site)
    _run([command, "demo"], env, site)
    yield venv, env, site


def _answers(base_url: str) -> bool:
    try:
        return _Browser(base_url).get("/healthz")[0] == 200
    except OSError:  # refused, or reset by a server still starting (gunicorn under load): not yet
        return False


def _serve(command: list[str], env: dict[str, str], cwd: Path, port: int) -> subprocess.Popen[bytes]:
    log_path = cwd / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command} exited on start:\n{log_path.read_text()}", pytrace=False)
        if _answers(f"http://127.0.0.1:{port}"):
            return process
        time.sleep(0.2)
    process.kill()
    process.wait()
    pytest.fail(f"{command} did not answer within {START_TIMEOUT:.0f} s", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _crawl(base_url: str, username: str) -> int:
    """Sign in as `username`, follow every same-site link the pages show, and check each page and asset answers."""
    client = _Browser(base_url)
    client.sign_in(username)
    queue, seen, assets, failures = ["/"], {"/"}, set(), []
    pages = 0
    while queue and pages < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        status, url, body = client.get(path)
        pages += 1
        if status != 200:
            failures.append(f"{status} {path}")
            continue
        if "text/html" not in (body[:200].decode(errors="ignore") + "text/html"):
            continue
        parser = _Links()
        parser.feed(body.decode(errors="replace"))
        for href in parser.pages:
            target = urllib.parse.urlsplit(urllib.parse.urljoin(url, href))
            if target.netloc != urllib.parse.urlsplit(base_url).netloc or target.scheme not in {"http", "https"}:
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen and not SKIPPED_PATHS.match(target.path):
                seen.add(link)
                queue.append(link)
        assets.update(urllib.parse.urlsplit(urllib.parse.urljoin(url, src)).path for src in parser.assets)
    for asset in sorted(assets):
        if asset.startswith("/") and client.get(asset)[0] != 200:
            failures.append(f"asset {asset}")
    assert not failures, f"{username}: {failures}"
    assert any(asset.startswith("/static/") for asset in assets), "no static file was referenced"
    return pages


def _check_socket_handshake(base_url: str) -> None:
    """Engine.IO answers its polling handshake: the live layer is mounted."""
    status, _, body = _Browser(base_url).get("/socket.io/?EIO=4&transport=polling")
    assert status == 200 and b'"sid"' in body, body[:200]


def test_meeting_hub_run_from_the_wheel_serves_every_page(installed: tuple[Path, dict[str, str], Path]) -> None:
    venv, env, site = installed
    port = free_port()
    server = _serve([str(venv / "bin" / "meeting-hub"), "run", "--port", str(port)], env, site, port)
    try:
        base_url = f"http://127.0.0.1:{port}"
        for username in ROLES:
            assert _crawl(base_url, username) > 5
        _check_socket_handshake(base_url)
    finally:
        _stop(server)


def test_gunicorn_with_gevent_from_the_wheel_serves_the_pages(installed: tuple[Path, dict[str, str], Path]) -> None:
    venv, env, site = installed
    port = free_port()
    # As the systemd unit runs it: the gunicorn settings ship inside the package (one gevent worker).
    gevent_env = env | {"MEETING_HUB_ASYNC_MODE": "gevent", "MEETING_HUB_BIND": f"127.0.0.1:{port}"}
    command = [str(venv / "bin" / "gunicorn"), "-c", "python:meeting_hub.gunicorn_config"]
    server = _serve([*command, "meeting_hub:create_app()"], gevent_env, site, port)
    try:
        base_url = f"http://127.0.0.1:{port}"
        for username in ("organizer", "op-sao-do"):
            assert _crawl(base_url, username) > 5
        _check_socket_handshake(base_url)
    finally:
        _stop(server)
