"""Responses compressed by the app itself (no nginx in front of `meeting-hub run`), and what must stay as it is:
downloads, byte ranges and Socket.IO."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.extensions import db
from meeting_hub.http_compression import _file_cache
from tests.conftest import AuthActions, base_config

BROWSER_ENCODINGS = {"Accept-Encoding": "gzip, deflate, br, zstd"}
BOOTSTRAP_CSS = "/static/vendor/bootstrap/bootstrap.min.css"


@pytest.fixture
def demo_client(app: Flask) -> FlaskClient:
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    return app.test_client()


def _sign_in(client: FlaskClient, username: str) -> None:
    assert AuthActions(client).sign_in(username, "demo12345").status_code == 302


def _past_briefing_id(client: FlaskClient) -> int:
    today = date.today()
    window = f"from={today - timedelta(days=300)}&to={today + timedelta(days=60)}"
    briefings = client.get(f"/api/v1/briefings?{window}").get_json()
    return int(next(b["id"] for b in briefings if b["status"] == "ended"))


def test_pages_go_out_in_brotli_to_browsers_and_gzip_to_the_rest(demo_client: FlaskClient) -> None:
    # Two renders of a page may differ (times, "N minutes ago"): each body is checked on its own.
    _sign_in(demo_client, "op-sao-do")
    plain = demo_client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert "Xin chào" in plain.text
    page = demo_client.get("/", headers=BROWSER_ENCODINGS)
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    html = brotli.decompress(page.data)
    assert "Xin chào" in html.decode()
    assert int(page.headers["Content-Length"]) == len(page.data) < len(html) / 2
    older = demo_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert older.headers["Content-Encoding"] == "gzip"
    assert "Xin chào" in gzip.decompress(older.data).decode()


def _plain(client: FlaskClient, url: str) -> bytes:
    """Return a static file as sent to a client that takes no compression (a file stream, closed here)."""
    with client.get(url, headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers
        return response.data


def test_static_files_are_compressed_once_at_the_highest_level(client: FlaskClient) -> None:
    plain = _plain(client, BOOTSTRAP_CSS)
    compressed = client.get(BOOTSTRAP_CSS, headers=BROWSER_ENCODINGS)
    assert compressed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(compressed.data) == plain
    assert len(compressed.data) < len(brotli.compress(plain, quality=4))  # level 11, not the pages' level
    assert (BOOTSTRAP_CSS, compressed.headers["ETag"].strip('"').removesuffix(":br"), "br") in _file_cache
    assert client.get(BOOTSTRAP_CSS, headers=BROWSER_ENCODINGS).data == compressed.data
    older = client.get(BOOTSTRAP_CSS, headers={"Accept-Encoding": "gzip;q=1, br;q=0"})
    assert older.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(older.data) == plain
    # The validator names the encoding, so a cached compressed copy is revalidated without being sent again.
    assert compressed.headers["ETag"].endswith(':br"')
    again = client.get(BOOTSTRAP_CSS, headers={**BROWSER_ENCODINGS, "If-None-Match": compressed.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_a_byte_range_is_a_range_of_the_file_itself(client: FlaskClient) -> None:
    plain = _plain(client, BOOTSTRAP_CSS)
    part = client.get(BOOTSTRAP_CSS, headers={**BROWSER_ENCODINGS, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.data == plain[100:200]
    part.close()  # werkzeug's test client leaves a partial file response open


def test_downloads_are_sent_as_they_are(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "organizer")
    briefing_id = _past_briefing_id(demo_client)
    feed_url = demo_client.get("/api/v1/me").get_json()["calendar_feed_url"]
    downloads = {
        f"/api/v1/briefings/{briefing_id}/minutes.pdf": b"%PDF-",
        f"/api/v1/briefings/{briefing_id}/attendance.csv": "\ufeff".encode(),
        f"/api/v1/briefings/{briefing_id}/attendance.xlsx": b"PK\x03\x04",
        "/api/v1/issues.csv": "\ufeff".encode(),
        "/api/v1/issues.xlsx": b"PK\x03\x04",
        urlsplit(feed_url).path: b"BEGIN:VCALENDAR",
    }
    for url, signature in downloads.items():
        response = demo_client.get(url, headers=BROWSER_ENCODINGS)
        assert response.status_code == 200, url
        assert "Content-Encoding" not in response.headers, url
        assert response.data.startswith(signature), url
        assert int(response.headers["Content-Length"]) == len(response.data), url
    csv_url = f"/api/v1/briefings/{briefing_id}/attendance.csv"
    assert demo_client.get(csv_url, headers=BROWSER_ENCODINGS).data == demo_client.get(csv_url).data


def test_socket_io_long_polling_is_left_to_engine_io(demo_client: FlaskClient) -> None:
    _sign_in(demo_client, "organizer")
    handshake = demo_client.get("/socket.io/?EIO=4&transport=polling", headers=BROWSER_ENCODINGS)
    assert handshake.status_code == 200
    assert handshake.headers.get("Content-Encoding") in (None, "gzip", "deflate")  # engine.io's own, never ours
    assert handshake.data.startswith(b"0{")
    sid = json.loads(handshake.data[1:])["sid"]
    url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert demo_client.post(url, data="40/live,", headers=BROWSER_ENCODINGS).status_code == 200
    connected = demo_client.get(url, headers=BROWSER_ENCODINGS)
    assert connected.status_code == 200
    assert "Content-Encoding" not in connected.headers
    assert connected.data.startswith(b"40/live,{")  # the session cookie was accepted and the namespace joined


def test_compression_can_be_left_to_a_proxy(tmp_path: Path) -> None:
    app = create_app({**base_config(tmp_path, f"sqlite:///{tmp_path / 'proxied.db'}"), "HTTP_COMPRESSION": False})
    with app.app_context():
        db.create_all()  # the sign-in page asks whether demo accounts still have their published password
    response = app.test_client().get("/sign-in", headers=BROWSER_ENCODINGS)
    assert response.status_code == 200
    assert "Đăng nhập" in response.text
    assert "Content-Encoding" not in response.headers


def test_the_favicon_is_served_at_the_root_and_linked_from_pages(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO directory
    assert "max-age" in icon.headers["Cache-Control"]
    assert client.get("/favicon.ico", headers={"If-None-Match": icon.headers["ETag"]}).status_code == 304
    page = client.get("/sign-in")
    assert re.search(r'rel="icon" href="/static/favicon\.svg\?v=[0-9a-f]{12}"', page.text)
    with client.get("/static/favicon.svg") as svg:
        assert svg.mimetype == "image/svg+xml"
