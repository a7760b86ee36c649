"""Pages of the bulletin for signed-in users: the list, the form, the bulletin's page (organizers: reach per endpoint;
operators: their endpoint's link, QR code and receipt), its files and QR codes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from meeting_hub import qr_codes
from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import require_endpoint
from meeting_hub.accounts.roles import Role
from meeting_hub.bulletins import files, links, services
from meeting_hub.bulletins.forms import BulletinForm, briefing_choices
from meeting_hub.bulletins.models import BULLETIN_STATUS_LABELS, Bulletin, BulletinLink
from meeting_hub.bulletins.services import BulletinUpload
from meeting_hub.clock import local_today
from meeting_hub.errors import NotFound, ServiceError
from meeting_hub.extensions import db
from meeting_hub.notifications import bulletin_notices
from meeting_hub.notifications.routes import CHANNEL_LABELS, STATE_LABELS
from meeting_hub.public_links import external_url
from meeting_hub.reports import charts
from meeting_hub.web import format_date, show_refusal

blueprint = Blueprint("bulletins", __name__)

blueprint.add_app_template_global(services.bulletins_of_briefing, "bulletins_of_briefing")


@blueprint.app_context_processor
def _bulletin_template_globals() -> dict[str, Any]:
    return {"bulletin_status_labels": BULLETIN_STATUS_LABELS}


def share_url(link: BulletinLink) -> str:
    """Return the public address of a share link (on MEETING_HUB_PUBLIC_BASE_URL when set)."""
    return external_url("bulletin_public.shared", token=link.token)


def _share(bulletin: Bulletin, link: BulletinLink | None) -> dict[str, Any] | None:
    """What the share block of a link shows: its address, the message for Zalo, its QR code files."""
    if link is None:
        return None
    url = share_url(link)
    source = "public" if link.endpoint_id is None else str(link.endpoint_id)
    return {
        "url": url,
        "message": links.share_message(bulletin, url, current_app.config["DEPARTMENT_NAME"]),
        "title": bulletin.title,
        "source": source,
        "qr_svg": url_for("bulletins.qr_code", bulletin_id=bulletin.id, source=source, kind="svg"),
        "qr_png": url_for("bulletins.qr_code", bulletin_id=bulletin.id, source=source, kind="png"),
    }


@blueprint.get("/bulletins")
def bulletin_list() -> ResponseReturnValue:
    """List the bulletins, newest month first (drafts only for organizers and admins)."""
    user = acting_user()
    return render_template(
        "bulletins/list.html", bulletins=services.list_bulletins(user), can_manage=services.can_manage(user)
    )


def _upload() -> BulletinUpload | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    return BulletinUpload(upload.filename, upload.stream)


def _form(bulletin: Bulletin | None) -> BulletinForm:
    form = BulletinForm() if request.method == "POST" else BulletinForm(obj=bulletin)
    form.briefing_id.choices = briefing_choices(bulletin.briefing_id if bulletin else None)
    return form


@blueprint.route("/bulletins/new", methods=["GET", "POST"])
def bulletin_create() -> ResponseReturnValue:
    """Create the month's bulletin from its PDF, as a draft."""
    actor = acting_user()
    form = _form(None)
    if request.method == "GET":
        form.month.data = local_today().replace(day=1)
        form.title.data = services.default_title(form.month.data)
    if form.validate_on_submit():
        upload = _upload()
        if upload is None:
            message = _("Vui lòng chọn một tệp PDF để tải lên.")
            form.file.errors = [message]
            flash(message, "danger")
        else:
            try:
                bulletin = services.create_bulletin(
                    form.month.data, form.title.data or "", upload, actor, form.briefing_id.data
                )
            except ServiceError as error:
                show_refusal(form, error)
            else:
                db.session.commit()
                flash(_("Đã tạo bản nháp “%(title)s”. Kiểm tra bìa rồi phát hành.", title=bulletin.title), "success")
                return redirect(url_for("bulletins.bulletin_detail", bulletin_id=bulletin.id))
    return render_template("bulletins/form.html", form=form, bulletin=None)


@blueprint.route("/bulletins/<int:bulletin_id>/edit", methods=["GET", "POST"])
def bulletin_edit(bulletin_id: int) -> ResponseReturnValue:
    """Change a bulletin's month, title, briefing or PDF."""
    actor = acting_user()
    bulletin = services.get_bulletin(bulletin_id, actor)
    form = _form(bulletin)
    if form.validate_on_submit():
        try:
            services.update_bulletin(
                bulletin,
                actor,
                month=form.month.data,
                title=form.title.data or "",
                briefing_id=form.briefing_id.data,
                upload=_upload(),
            )
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu bản tin."), "success")
            return redirect(url_for("bulletins.bulletin_detail", bulletin_id=bulletin.id))
    return render_template("bulletins/form.html", form=form, bulletin=bulletin)


def _opens_chart(reach: links.Reach) -> Markup:
    """Return the opens per day of every link together, as a bar chart (the statistics pages' charts)."""
    rows = []
    for day in reach.days:
        count = reach.public.by_day.get(day, 0) + sum(row.by_day.get(day, 0) for row in reach.endpoints)
        rows.append(charts.Bar(format_date(day), (charts.Segment(count, charts.BLUE, str(count)),), str(count)))
    return charts.bar_chart(_("Lượt mở theo ngày"), rows, empty_text=_("Chưa có lượt mở nào từ các liên kết chia sẻ."))


@blueprint.get("/bulletins/<int:bulletin_id>")
def bulletin_detail(bulletin_id: int) -> ResponseReturnValue:
    """Show a bulletin: to staff its reach per endpoint, to an operator their endpoint's link and receipt."""
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    context: dict[str, Any] = {"bulletin": bulletin, "can_manage": services.can_manage(user)}
    if user.role == Role.OPERATOR and user.endpoint_id is not None:
        context["share"] = _share(bulletin, links.link_for(bulletin, user.endpoint_id))
        context["receipt"] = services.receipt_of(bulletin, user.endpoint_id)
        context["own_reach"] = links.reach(bulletin, user.endpoint_id).endpoints
    else:
        reach = links.reach(bulletin)
        context["reach"] = reach
        context["opens_chart"] = _opens_chart(reach)
        context["share"] = _share(bulletin, links.link_for(bulletin))
        # The publication's messages to each endpoint's operators, beside receipts and opens.
        context["messages"] = bulletin_notices.messages_by_endpoint(bulletin)
        context["channel_labels"], context["state_labels"] = CHANNEL_LABELS, STATE_LABELS
        context["endpoint_links"] = (
            {link.endpoint_id: link for link in _current_links(bulletin)} if bulletin.links_live else {}
        )
    db.session.commit()  # an endpoint link made on first sight
    return render_template("bulletins/detail.html", **context)


def _current_links(bulletin: Bulletin) -> list[BulletinLink]:
    return list(
        db.session.scalars(
            sa.select(BulletinLink).where(
                BulletinLink.bulletin_id == bulletin.id,
                BulletinLink.share_generation == bulletin.share_generation,
                BulletinLink.endpoint_id.is_not(None),
            )
        )
    )


def _act(bulletin_id: int, action: Any, message: str) -> ResponseReturnValue:
    actor = acting_user()
    bulletin = services.get_bulletin(bulletin_id, actor)
    try:
        action(bulletin, actor)
    except ServiceError as error:
        show_refusal(None, error)
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("bulletins.bulletin_detail", bulletin_id=bulletin_id))


@blueprint.post("/bulletins/<int:bulletin_id>/publish")
def bulletin_publish(bulletin_id: int) -> ResponseReturnValue:
    """Publish a draft: its links start to work."""
    return _act(bulletin_id, services.publish, _("Đã phát hành bản tin. Các liên kết chia sẻ và mã QR đã dùng được."))


@blueprint.post("/bulletins/<int:bulletin_id>/revoke")
def bulletin_revoke(bulletin_id: int) -> ResponseReturnValue:
    """Revoke every share link of the bulletin."""
    return _act(bulletin_id, services.revoke_links, _("Đã thu hồi mọi liên kết chia sẻ và mã QR của bản tin."))


@blueprint.post("/bulletins/<int:bulletin_id>/renew")
def bulletin_renew(bulletin_id: int) -> ResponseReturnValue:
    """Issue new share links; the old ones answer that they were revoked."""
    return _act(
        bulletin_id, services.issue_new_links, _("Đã cấp liên kết mới. Liên kết và mã QR cũ không còn dùng được.")
    )


@blueprint.post("/bulletins/<int:bulletin_id>/delete")
def bulletin_delete(bulletin_id: int) -> ResponseReturnValue:
    """Delete a draft."""
    actor = acting_user()
    bulletin = services.get_bulletin(bulletin_id, actor)
    try:
        services.delete_draft(bulletin, actor)
    except ServiceError as error:
        show_refusal(None, error)
        return redirect(url_for("bulletins.bulletin_detail", bulletin_id=bulletin_id))
    db.session.commit()
    flash(_("Đã xóa bản nháp."), "success")
    return redirect(url_for("bulletins.bulletin_list"))


@blueprint.post("/bulletins/<int:bulletin_id>/receipt")
def bulletin_receipt(bulletin_id: int) -> ResponseReturnValue:
    """Confirm, for the operator's endpoint, that the bulletin was received."""
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    services.confirm_receipt(bulletin, user)
    db.session.commit()
    flash(_("Đã xác nhận điểm cầu nhận bản tin."), "success")
    return redirect(url_for("bulletins.bulletin_detail", bulletin_id=bulletin_id))


def private_file(path: Any, mimetype: str, name: str, *, attachment: bool) -> Response:
    """Send a stored file that nothing may cache beyond the browser."""
    if not path.is_file():
        raise NotFound(_("Tệp bản tin không còn trên máy chủ."))
    response = send_file(path, mimetype=mimetype, as_attachment=attachment, download_name=name, conditional=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def download_name(bulletin: Bulletin) -> str:
    """Return the ASCII file name a downloader gets: "ban-tin-2026-12.pdf"."""
    return f"ban-tin-{bulletin.month.strftime('%Y-%m')}.pdf"


@blueprint.get("/bulletins/<int:bulletin_id>/bulletin.pdf")
def bulletin_pdf(bulletin_id: int) -> ResponseReturnValue:
    """Send the bulletin's PDF to a signed-in reader (not counted: opens count the share links only)."""
    bulletin = services.get_bulletin(bulletin_id, acting_user())
    return private_file(
        files.pdf_path(bulletin.stored_name),
        "application/pdf",
        download_name(bulletin),
        attachment=request.args.get("download") == "1",
    )


@blueprint.get("/bulletins/<int:bulletin_id>/cover.png")
def bulletin_cover(bulletin_id: int) -> ResponseReturnValue:
    """Send the bulletin's cover."""
    bulletin = services.get_bulletin(bulletin_id, acting_user())
    return private_file(files.pdf_path(bulletin.cover_name), "image/png", "bia.png", attachment=False)


def _link_of_source(bulletin: Bulletin, source: str, user: User) -> BulletinLink:
    if source == "public":
        endpoint_id = None
    elif source.isdigit() and len(source) <= 12:
        endpoint_id = int(source)
        require_endpoint(user, endpoint_id)
    else:
        abort(404)
    link = links.link_for(bulletin, endpoint_id)
    if link is None:
        raise NotFound(_("Bản tin chưa phát hành hoặc liên kết đã bị thu hồi: chưa có mã QR."))
    db.session.commit()
    return link


@blueprint.get("/bulletins/<int:bulletin_id>/qr-<source>.<kind>")
def qr_code(bulletin_id: int, source: str, kind: str) -> ResponseReturnValue:
    """Send the QR code of the public link (source "public") or of an endpoint's link, as SVG or a print-size PNG."""
    if kind not in ("svg", "png"):
        abort(404)
    user = acting_user()
    bulletin = services.get_bulletin(bulletin_id, user)
    url = share_url(_link_of_source(bulletin, source, user))
    name = f"qr-ban-tin-{bulletin.month.strftime('%Y-%m')}-{source}.{kind}"
    if kind == "svg":
        response = Response(qr_codes.qr_svg(url), mimetype="image/svg+xml")
    else:
        # 20 pixels a module: about 7 cm wide at 300 dpi, for a back cover or a poster.
        response = Response(qr_codes.qr_png(url, scale=20), mimetype="image/png")
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    # The image changes when new links are issued, under the same URL.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
