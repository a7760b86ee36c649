"""The bulletin's public page, reached by a share link or a QR code without signing in: cover, title, month, read or
download the PDF, share it on. Each GET by a reader adds one to the link's count of the day (see links.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from meeting_hub.bulletins import files, links
from meeting_hub.bulletins.links import LinkGone
from meeting_hub.bulletins.routes import download_name, private_file, share_url
from meeting_hub.errors import NotFound
from meeting_hub.extensions import db
from meeting_hub.public_links import external_url

blueprint = Blueprint("bulletin_public", __name__)


def _gone(error: NotFound | LinkGone) -> ResponseReturnValue:
    db.session.rollback()
    response = render_template("bulletins/gone.html", message=error.message, status=error.http_status)
    # A revoked link must not come back from a cache; search engines and previews drop a 410 for good.
    return response, error.http_status, {"Cache-Control": "no-store"}


@blueprint.get("/b/<token>")
def shared(token: str) -> ResponseReturnValue:
    """Show the bulletin behind a share link and count the open (not a HEAD, not a link-preview fetcher)."""
    try:
        link = links.find_link(token)
    except (NotFound, LinkGone) as error:
        return _gone(error)
    links.count_open(link, method=request.method, user_agent=request.headers.get("User-Agent"))
    db.session.commit()
    bulletin = link.bulletin
    url = share_url(link)
    response = current_app.make_response(
        render_template(
            "bulletins/public.html",
            bulletin=bulletin,
            token=token,
            share={
                "url": url,
                "title": bulletin.title,
                "message": links.share_message(bulletin, url, current_app.config["DEPARTMENT_NAME"]),
            },
            cover_url=external_url("bulletin_public.cover", token=token),
        )
    )
    # Every open must reach the server to be counted, and a revoked link must stop at once.
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/b/<token>/bulletin.pdf")
def pdf(token: str) -> ResponseReturnValue:
    """Send the PDF of a live link: shown in the browser, or as a download with ?download=1."""
    try:
        link = links.find_link(token)
    except (NotFound, LinkGone) as error:
        return _gone(error)
    bulletin = link.bulletin
    return private_file(
        files.pdf_path(bulletin.stored_name),
        "application/pdf",
        download_name(bulletin),
        attachment=request.args.get("download") == "1",
    )


@blueprint.get("/b/<token>/cover.png")
def cover(token: str) -> ResponseReturnValue:
    """Send the cover of a live link (the page's image and the chat apps' preview picture)."""
    try:
        link = links.find_link(token)
    except (NotFound, LinkGone) as error:
        return _gone(error)
    return private_file(files.pdf_path(link.bulletin.cover_name), "image/png", "bia.png", attachment=False)
