"""/favicon.ico: the app's mark, for browsers and tools that ask for it at the root whatever the page links."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, request

blueprint = Blueprint("favicon", __name__)

#: A week: the mark rarely changes, and every page of a weak link saves the request.
MAX_AGE_SECONDS = 7 * 24 * 3600


@lru_cache(maxsize=1)
def _icon(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.ico").read_bytes()


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """Serve the ICO version of the mark (pages link the SVG one), cacheable and revalidated by its ETag."""
    response = Response(_icon(current_app.static_folder or ""), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    response.add_etag()
    response.make_conditional(request)
    return response
