"""Pages of QR self check-in: the secretary's phone pages (check-in, answering polls), the endpoints' QR codes, and
the organizer's switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from meeting_hub import qr_codes
from meeting_hub.accounts import audit
from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.forms import ConfirmForm
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import self_check_in, self_check_in_limits
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS
from meeting_hub.errors import AuditEntry, NotFound, ServiceError
from meeting_hub.extensions import csrf, db
from meeting_hub.polls import self_answers
from meeting_hub.polls.models import PollKind
from meeting_hub.polls.services import option_texts
from meeting_hub.public_links import external_url
from meeting_hub.scheduling.services import get_briefing

blueprint = Blueprint("self_check_in", __name__)


def _form_id(text: str) -> int:
    """Read an id from the form as the service will ("07", " 7" and "+7" are 7): limits count the parsed id. Not a
    number: -1, which names nothing."""
    try:
        return int(text)
    except ValueError:
        return -1


def _take_attempt(target: self_check_in.SelfCheckInTarget, person_id: int) -> None:
    if not self_check_in_limits.take_attempt(target.briefing.id, target.endpoint.id, person_id):
        raise self_check_in.TooManyGuesses(
            _("Đã thử quá nhiều lần. Vui lòng đợi ít phút, hoặc báo cán bộ điểm cầu giúp.")
        )


def _refused(failure: ServiceError, target: self_check_in.SelfCheckInTarget, person_id: int) -> int:
    """Undo the refused work, count a wrong guess and audit the failed attempt (kept); return the page's status."""
    db.session.rollback()
    if isinstance(failure, self_check_in.WrongPhoneDigits | NotFound):
        self_check_in_limits.count_wrong_guess(target.briefing.id, target.endpoint.id)
    entry = failure.audit_entry() or AuditEntry(
        "self_check_in.failed",
        f"person:{person_id}",
        {"briefing_id": target.briefing.id, "endpoint_id": target.endpoint.id, "reason": failure.code},
    )
    audit.record(entry.action, None, actor_name="(QR)", target=entry.target or "", **entry.detail)
    db.session.commit()
    return failure.http_status if isinstance(failure, self_check_in.TooManyGuesses) else 200


@blueprint.route("/checkin/<token>", methods=["GET", "POST"])
def check_in_page(token: str) -> ResponseReturnValue:
    """Let a secretary pick their name and confirm with the last four digits of their phone."""
    target = self_check_in.resolve_token(token)
    outcome = None
    error = None
    status = 200
    if request.method == "POST":
        person_id = _form_id(request.form.get("person_id", ""))
        try:
            _take_attempt(target, person_id)
            outcome = self_check_in.check_in_self(target, person_id, request.form.get("phone_last_digits", ""))
            db.session.commit()
        except ServiceError as failure:
            status = _refused(failure, target, person_id)
            error = failure.message
    # The roster (people's names) shows only while secretaries can check in: the printed link outlives the briefing.
    is_open = self_check_in.is_open(target.briefing)
    return render_template(
        "attendance/self_check_in.html",
        target=target,
        is_open=is_open,
        people=self_check_in.roster(target.endpoint) if is_open else [],
        outcome=outcome,
        error=error,
        status_labels=ATTENDANCE_STATUS_LABELS,
        has_polls=bool(self_answers.open_for_self_answers(target.briefing)),
    ), status


@blueprint.route("/checkin/<token>/polls", methods=["GET", "POST"])
def self_answer_page(token: str) -> ResponseReturnValue:
    """Let a secretary answer the open polls the organizer opened to self-answers, confirmed as in self check-in."""
    target = self_check_in.resolve_token(token)
    error, failed_poll_id, status = None, None, 200
    if request.method == "POST":
        person_id = _form_id(request.form.get("person_id", ""))
        poll_id = _form_id(request.form.get("poll_id", ""))
        try:
            _take_attempt(target, person_id)
            outcome = self_answers.answer_as_self(
                target,
                poll_id,
                person_id,
                request.form.get("phone_last_digits", ""),
                [_form_id(choice) for choice in request.form.getlist("choices")],
                request.form.get("other_text"),
            )
            db.session.commit()
        except ServiceError as failure:
            status = _refused(failure, target, person_id)
            error, failed_poll_id = failure.message, poll_id
        else:
            if outcome.poll.kind == PollKind.SECRET:
                message = _("Đã ghi nhận phiếu kín của đồng chí %(name)s.", name=outcome.person.full_name)
            else:
                texts = option_texts(outcome.poll)
                message = _(
                    "Đã ghi câu trả lời của đồng chí %(name)s: %(choices)s.",
                    name=outcome.person.full_name,
                    choices="; ".join(texts[index] for index in outcome.choices),
                )
            flash(message, "success")
            # Back to the page by GET, so that reloading it does not send the answer again.
            return redirect(url_for("self_check_in.self_answer_page", token=token))
    polls = self_answers.open_for_self_answers(target.briefing)
    return render_template(
        "attendance/self_answer.html",
        target=target,
        polls=polls,
        people=self_check_in.roster(target.endpoint) if polls else [],
        option_texts=option_texts,
        error=error,
        failed_poll_id=failed_poll_id,
    ), status


# Reached by scanning a printed code on a phone with no session: the signed token and the phone digits guard them.
csrf.exempt(f"{__name__}.check_in_page")
csrf.exempt(f"{__name__}.self_answer_page")


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
