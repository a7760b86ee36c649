"""/favicon.ico: the app's mark, for browsers and tools that ask for it at the root whatever the page links."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from flask.typing import ResponseReturnValue

blueprint = Blueprint("favicon", __name__)

#: A week: the mark rarely changes, and every page of a weak link saves the request.
MAX_AGE_SECONDS = 7 * 24 * 3600


@blueprint.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Serve the ICO version of the mark (pages link the SVG one)."""
    return send_from_directory(
        current_app.static_folder or "", "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=MAX_AGE_SECONDS
    )
