"""Pages of QR self check-in: the secretary's phone page, the endpoints' QR codes, and the organizer's switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from markupsafe import Markup

from meeting_hub import qr_codes
from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.forms import ConfirmForm
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import self_check_in
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import csrf, db, limiter
from meeting_hub.public_links import external_url
from meeting_hub.scheduling.services import get_briefing

blueprint = Blueprint("self_check_in", __name__)


def _guess_key() -> str:
    # Several secretaries may share one address (the ward office's Wi-Fi): limit guesses per person, not per address.
    return f"{get_remote_address()}:{request.form.get('person_id', '')}"


@blueprint.route("/checkin/<token>", methods=["GET", "POST"])
@limiter.limit("5 per 10 minutes", methods=["POST"], key_func=_guess_key)
def check_in_page(token: str) -> ResponseReturnValue:
    """Let a secretary pick their name and confirm with the last four digits of their phone."""
    target = self_check_in.resolve_token(token)
    outcome = None
    error = None
    if request.method == "POST":
        try:
            outcome = self_check_in.check_in_self(
                target, request.form.get("person_id", type=int) or 0, request.form.get("phone_last_digits", "")
            )
            db.session.commit()
        except ServiceError as failure:
            db.session.rollback()
            db.session.commit()  # keep the audit line of a failed attempt
            error = failure.message
    return render_template(
        "attendance/self_check_in.html",
        target=target,
        people=self_check_in.roster(target.endpoint),
        outcome=outcome,
        error=error,
        status_labels=ATTENDANCE_STATUS_LABELS,
    )


# Reached by scanning a printed code on a phone with no session: the signed token and the phone digits guard it.
csrf.exempt(f"{__name__}.check_in_page")


@blueprint.get("/briefings/<int:briefing_id>/self-check-in")
def qr_sheet(briefing_id: int) -> ResponseReturnValue:
    """Show each invited endpoint's QR code for printing (operators: their own endpoint's only)."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    endpoints = [e for e in briefing.endpoints if user.role != Role.OPERATOR or e.id == user.endpoint_id]
    codes = []
    for endpoint in endpoints:
        link = external_url(
            "self_check_in.check_in_page", token=self_check_in.self_check_in_token(briefing.id, endpoint.id)
        )
        codes.append({"endpoint": endpoint, "link": link, "qr": Markup(qr_codes.qr_svg(link))})
    return render_template(
        "attendance/self_check_in_qr.html",
        briefing=briefing,
        codes=codes,
        can_switch=user.role in (Role.ORGANIZER, Role.ADMIN),
        confirm_form=ConfirmForm(),
    )


@blueprint.post("/briefings/<int:briefing_id>/self-check-in")
def switch(briefing_id: int) -> ResponseReturnValue:
    """Turn QR self check-in on or off for a briefing."""
    actor = acting_user()
    briefing = get_briefing(briefing_id)
    if ConfirmForm().validate_on_submit():
        enabled = request.form.get("enabled") == "1"
        self_check_in.set_self_check_in(briefing, enabled, actor)
        db.session.commit()
        flash(_("Đã bật tự điểm danh bằng mã QR.") if enabled else _("Đã tắt tự điểm danh bằng mã QR."), "success")
    if request.form.get("back") == "briefing":  # the switch on the briefing page
        return redirect(url_for("scheduling.briefing_detail", briefing_id=briefing.id, _anchor="self-check-in"))
    return redirect(url_for("self_check_in.qr_sheet", briefing_id=briefing.id))
