"""The bulletin's infographic page and its downloads: each chart as SVG or PNG, and all of them in one PDF."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from flask.typing import ResponseReturnValue

from meeting_hub.accounts.access import acting_user
from meeting_hub.bulletins import infographic, services

blueprint = Blueprint("bulletin_infographic", __name__)


def _file(body: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # The figures move while the month's issues are answered: always the current ones.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/bulletins/<int:bulletin_id>/infographic")
def page(bulletin_id: int) -> ResponseReturnValue:
    """Show the month's charts with their print downloads."""
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    charts = infographic.month_charts(bulletin.month, user)
    return render_template("bulletins/infographic.html", bulletin=bulletin, charts=charts)


@blueprint.get("/bulletins/<int:bulletin_id>/infographic/<slug>.<kind>")
def chart(bulletin_id: int, slug: str, kind: str) -> ResponseReturnValue:
    """Send one chart of the month as a print-ready SVG or a 2,000-pixel PNG."""
    if kind not in ("svg", "png"):
        abort(404)
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    found = next((item for item in infographic.month_charts(bulletin.month, user) if item.slug == slug), None)
    if found is None:
        abort(404)
    name = f"{slug}-{bulletin.month.strftime('%Y-%m')}.{kind}"
    if kind == "svg":
        return _file(infographic.chart_svg(found.chart), "image/svg+xml", name)
    return _file(infographic.chart_png(found.chart), "image/png", name)


@blueprint.get("/bulletins/<int:bulletin_id>/infographic.pdf")
def pdf(bulletin_id: int) -> ResponseReturnValue:
    """Send every chart of the month in one A4 PDF."""
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    content = infographic.infographic_pdf(
        bulletin.month, infographic.month_charts(bulletin.month, user), current_app.config["DEPARTMENT_NAME"]
    )
    return _file(content, "application/pdf", f"so-lieu-{bulletin.month.strftime('%Y-%m')}.pdf")
