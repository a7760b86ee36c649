"""Static URLs carry a hash of the file's content (`/static/js/live_client.js?v=3f2a9c1d`), so a long cache can
never serve a stale script: a changed file gets a new URL. Such URLs are cached for a year. Others (the console's ES
modules import each other by bare path) are revalidated on every use: a 304 costs little, a stale module breaks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

VERSIONED_MAX_AGE = 365 * 24 * 3600


class StaticVersions:
    """Content hashes of the static files, recomputed when a file's modification time changes."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self._known: dict[str, tuple[int, str]] = {}

    def version(self, filename: str) -> str | None:
        """Return a short hash of the file's content, or None when there is no such file."""
        path = self.folder / filename
        try:
            modified = os.stat(path).st_mtime_ns
        except OSError:
            return None
        known = self._known.get(filename)
        if known is not None and known[0] == modified:
            return known[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._known[filename] = (modified, digest)
        return digest


def init_app(app: Flask) -> None:
    """Version every `url_for('static', ...)` and cache versioned files for a year."""
    versions = StaticVersions(app.static_folder or "")

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = versions.version(str(values["filename"]))
            if version is not None:
                values["v"] = version

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code in (200, 304):
            if request.args.get("v"):
                response.cache_control.max_age = VERSIONED_MAX_AGE
                response.cache_control.public = True
                response.cache_control.immutable = True
            else:
                response.cache_control.no_cache = True
        return response
