"""Static URLs carry a content hash, so a year-long cache never serves a stale file."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, url_for

from meeting_hub.static_versions import StaticVersions


def test_static_urls_carry_a_content_hash_and_versioned_files_are_cached_for_a_year(app: Flask) -> None:
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{12}", url)
    client = app.test_client()
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    with client.get("/static/css/app.css") as plain:
        assert plain.cache_control.no_cache and not plain.cache_control.immutable


def test_a_changed_file_gets_a_new_version(tmp_path: Path) -> None:
    script = tmp_path / "console.js"
    script.write_text("console.log(1);")
    versions = StaticVersions(str(tmp_path))
    first = versions.version("console.js")
    script.write_text("console.log(2);")
    assert first is not None and versions.version("console.js") not in (None, first)
    assert versions.version("missing.js") is None


def test_pages_link_versioned_assets(app: Flask) -> None:
    page = app.test_client().get("/sign-in").text
    assert re.search(r'href="/static/css/app\.css\?v=[0-9a-f]{12}"', page)
