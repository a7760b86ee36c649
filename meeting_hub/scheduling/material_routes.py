"""Pages and files of briefing materials: upload, download, share link, QR codes, the printable QR page."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from meeting_hub import qr_codes, stored_files
from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.models import User
from meeting_hub.errors import NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.http_errors import error_response
from meeting_hub.public_links import external_url
from meeting_hub.scheduling import materials
from meeting_hub.scheduling.models import Material
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.vietnamese import fold

blueprint = Blueprint("materials", __name__)

blueprint.add_app_template_filter(stored_files.format_size, "filesize")
blueprint.add_app_template_global(materials.can_manage_materials, "can_manage_materials")
blueprint.add_app_template_global(materials.default_material_title, "default_material_title")


def _briefing_page(briefing_id: int) -> str:
    # The briefing page belongs to the scheduling blueprint; until it is registered, land on the home page.
    if "scheduling.briefing_detail" in current_app.view_functions:
        return url_for("scheduling.briefing_detail", briefing_id=briefing_id, _anchor="materials")
    return "/"


def share_url(material: Material) -> str:
    """Return the public link of a material's share token."""
    return external_url("materials.shared", token=material.share_token)


def _pdf_response(material: Material) -> Response:
    """Send a material's file as a download, counting it unless the request only resumes an earlier one."""
    # HEAD comes from link previews of chat apps, a range past 0 from a resumed download: neither is a new one.
    resumes = request.range is not None and any(start != 0 for start, _end in request.range.ranges)
    path = materials.open_material_for_download(material, count=request.method == "GET" and not resumes)
    db.session.commit()
    name = materials.download_name(material)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, conditional=True)
    # Werkzeug's ASCII fallback drops "đ" entirely; fold it to "d" as Vietnamese readers expect.
    ascii_name = re.sub(r"[^a-z0-9._-]+", "-", fold(name)).strip("-") or "tai-lieu.pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Revoking a link must take effect at once: no shared cache may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/briefings/<int:briefing_id>/materials")
def upload(briefing_id: int) -> ResponseReturnValue:
    """Attach an uploaded PDF to a briefing; errors come back to the briefing page as a message."""
    actor = acting_user()
    briefing = get_briefing(briefing_id, actor)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Vui lòng chọn một tệp PDF để tải lên."), "danger")
        return redirect(_briefing_page(briefing.id))
    try:
        material = materials.attach_material(
            briefing, request.form.get("title", ""), upload.filename, upload.stream, actor
        )
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã tải lên tài liệu “%(title)s”.", title=material.title), "success")
    return redirect(_briefing_page(briefing.id))


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Answer a body over MAX_CONTENT_LENGTH with the size limit, on the briefing page for an upload."""
    limits = [materials.max_material_bytes(), current_app.config.get("MAX_CONTENT_LENGTH")]
    message = materials.size_limit_message(min(limit for limit in limits if limit))
    briefing_id = (request.view_args or {}).get("briefing_id")
    if request.endpoint == "materials.upload" and isinstance(briefing_id, int):
        flash(message, "danger")
        return redirect(_briefing_page(briefing_id))
    return error_response(413, "too_large", message)


@blueprint.get("/materials/<int:material_id>/download")
def download(material_id: int) -> ResponseReturnValue:
    """Download a material (anyone who may see its briefing)."""
    return _pdf_response(materials.get_material(material_id, acting_user()))


@blueprint.get("/m/<token>")
def shared(token: str) -> ResponseReturnValue:
    """Serve a material through its share link, without signing in; a revoked or unknown link is a 404 page."""
    try:
        material = materials.find_shared_material(token)
        return _pdf_response(material)
    except NotFound as error:
        db.session.rollback()
        return render_template("scheduling/material_gone.html", message=error.message), 404


def _live_share_url(material: Material) -> str:
    if material.share_revoked_at is not None:
        raise NotFound(_("Liên kết chia sẻ của tài liệu này đã bị thu hồi."))
    return share_url(material)


def _qr_response(body: str | bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The image changes when the link is renewed, under the same URL.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blueprint.get("/materials/<int:material_id>/qr.svg")
def qr_svg(material_id: int) -> ResponseReturnValue:
    """Return the QR code of the share link as SVG, for the page."""
    material = materials.get_material(material_id, acting_user())
    return _qr_response(qr_codes.qr_svg(_live_share_url(material)), "image/svg+xml")


@blueprint.get("/materials/<int:material_id>/qr.png")
def qr_png(material_id: int) -> ResponseReturnValue:
    """Return the QR code of the share link as a large PNG, for print."""
    material = materials.get_material(material_id, acting_user())
    response = _qr_response(qr_codes.qr_png(_live_share_url(material)), "image/png")
    response.headers["Content-Disposition"] = f'inline; filename="qr-tai-lieu-{material.id}.png"'
    return response


@blueprint.get("/materials/<int:material_id>/print")
def print_page(material_id: int) -> ResponseReturnValue:
    """Show an A4 page with the material's title, its briefing, a big QR code and the link in text."""
    material = materials.get_material(material_id, acting_user())
    link = share_url(material) if material.share_revoked_at is None else None
    # Markup: segno writes the SVG, and the only text in it (the link) is escaped.
    qr = Markup(qr_codes.qr_svg(link)) if link is not None else None
    return render_template(
        "scheduling/material_print.html",
        material=material,
        share_link=link,
        qr=qr,
        back_url=_briefing_page(material.briefing_id),
    )


def _edit(material_id: int) -> tuple[User, Material]:
    actor = acting_user()
    return actor, materials.get_material(material_id, actor)


@blueprint.post("/materials/<int:material_id>/revoke")
def revoke(material_id: int) -> ResponseReturnValue:
    """Revoke a material's share link."""
    actor, material = _edit(material_id)
    materials.revoke_share_link(material, actor)
    db.session.commit()
    flash(_("Đã thu hồi liên kết chia sẻ của “%(title)s”.", title=material.title), "success")
    return redirect(_briefing_page(material.briefing_id))


@blueprint.post("/materials/<int:material_id>/renew")
def renew(material_id: int) -> ResponseReturnValue:
    """Issue a new share link for a material; the old link and its QR codes stop working."""
    actor, material = _edit(material_id)
    materials.renew_share_link(material, actor)
    db.session.commit()
    flash(
        _("Đã cấp liên kết chia sẻ mới cho “%(title)s”. Mã QR cũ không còn dùng được.", title=material.title), "success"
    )
    return redirect(_briefing_page(material.briefing_id))


@blueprint.post("/materials/<int:material_id>/delete")
def delete(material_id: int) -> ResponseReturnValue:
    """Delete a material and its file."""
    actor, material = _edit(material_id)
    briefing_id, title = material.briefing_id, material.title
    materials.delete_material(material, actor)
    db.session.commit()
    flash(_("Đã xóa tài liệu “%(title)s”.", title=title), "success")
    return redirect(_briefing_page(briefing_id))
