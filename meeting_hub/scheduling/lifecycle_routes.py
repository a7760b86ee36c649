"""Pages of a briefing's status changes (open, close, cancel, reopen): each confirmed before it is taken.

The briefing page shows each confirmation in a Bootstrap modal, opened by a link to the same confirmation as a page:
without JavaScript the link leads there (the second step). The server takes a change only when its form says it was
confirmed, and the services refuse an early open or a close with more unrecorded people than were confirmed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from meeting_hub.accounts.access import acting_user
from meeting_hub.accounts.models import User
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.scheduling import lifecycle, services
from meeting_hub.scheduling.forms import StatusChangeForm
from meeting_hub.scheduling.models import Briefing
from meeting_hub.web import show_refusal

blueprint = Blueprint("lifecycle", __name__)


#: Each status change: the status it starts from, and the style of the button that asks for it.
_STEPS: dict[str, dict[str, Any]] = {
    "open": {"from": "scheduled", "button": "btn-danger"},
    "close": {"from": "live", "button": "btn-dark"},
    "cancel": {"from": "scheduled", "button": "btn-outline-danger"},
    "reopen": {"from": "ended", "button": "btn-outline-danger"},
}


def _consequence(briefing: Briefing, action: str) -> lifecycle.Consequence:
    if action == "open":
        return lifecycle.open_consequence(briefing)
    if action == "close":
        return lifecycle.close_consequence(briefing)
    if action == "cancel":
        return lifecycle.cancel_consequence(briefing)
    return lifecycle.reopen_consequence(briefing)


def _step(briefing: Briefing, action: str, form: StatusChangeForm | None = None) -> dict[str, Any]:
    """Return what a status change's confirmation shows: title, consequence, form and the labels of its buttons."""
    consequence = _consequence(briefing, action)
    texts = {
        "open": (
            _("Mở giao ban sớm?") if consequence.needs_confirmation else _("Mở giao ban?"),
            _("Mở giao ban"),
            _("Vẫn mở sớm") if consequence.needs_confirmation else _("Mở giao ban ngay"),
        ),
        "close": (
            _("Kết thúc giao ban?"),
            _("Kết thúc giao ban"),
            _("Kết thúc, để %(n)d người chưa điểm danh", n=consequence.unrecorded)
            if consequence.unrecorded
            else _("Kết thúc giao ban"),
        ),
        "cancel": (_("Hủy buổi giao ban?"), _("Hủy buổi"), _("Hủy buổi giao ban")),
        "reopen": (_("Mở lại buổi giao ban?"), _("Mở lại giao ban"), _("Mở lại")),
    }
    title, label, confirm_label = texts[action]
    form = form or StatusChangeForm(prefix=action, formdata=None)
    form.confirm_unrecorded.data = consequence.unrecorded
    return {
        "action": action,
        "title": title,
        "label": label,
        "confirm_label": confirm_label,
        "button": _STEPS[action]["button"],
        "consequence": consequence,
        "form": form,
        "url": url_for(f"lifecycle.briefing_{action}", briefing_id=briefing.id),
    }


def lifecycle_steps(briefing: Briefing) -> dict[str, dict[str, Any]]:
    """Return the status changes an organizer may take on the briefing now, by action."""
    steps = {}
    for action, rule in _STEPS.items():
        if briefing.status.value != rule["from"]:
            continue
        if action == "reopen" and not lifecycle.can_reopen(briefing):
            continue
        steps[action] = _step(briefing, action)
    return steps


def _change_status(briefing: Briefing, action: str, form: StatusChangeForm, actor: User) -> str:
    """Take the confirmed status change; return the message to flash."""
    if action == "open":
        lifecycle.open_briefing(briefing, actor, confirm_early=True)
        return str(_("Buổi giao ban đã mở."))
    if action == "close":
        lifecycle.close_briefing(briefing, actor, confirm_unrecorded=form.confirm_unrecorded.data or 0)
        return str(_("Buổi giao ban đã kết thúc; biên bản đã được chốt, tệp PDF sẵn sàng sau ít giây."))
    if action == "cancel":
        lifecycle.cancel_briefing(briefing, actor, form.reason.data or "")
        return str(_("Đã hủy buổi giao ban."))
    lifecycle.reopen_briefing(briefing, actor, form.reason.data or "")
    return str(_("Đã mở lại buổi giao ban: các điểm cầu điểm danh tiếp được."))


def _status_step(briefing_id: int, action: str) -> ResponseReturnValue:
    """Show a status change's confirmation (GET, or a POST not confirmed yet), or take the confirmed change.

    The briefing page shows the same confirmation in a modal; this page is its second step without JavaScript, and
    the server never takes a change that was not confirmed.
    """
    actor = acting_user()
    briefing = services.get_briefing(briefing_id)
    detail = url_for("scheduling.briefing_detail", briefing_id=briefing_id)
    if briefing.status.value != _STEPS[action]["from"]:
        flash(_("Buổi giao ban đã đổi trạng thái: hãy xem lại."), "warning")
        return redirect(detail)
    form = StatusChangeForm(prefix=action)
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.errors.keys() - {"reason"}:
                flash(_("Yêu cầu không hợp lệ, vui lòng thử lại."), "danger")
                return redirect(detail)
        elif form.confirmed.data == "1":
            try:
                message = _change_status(briefing, action, form, actor)
            except lifecycle.ConfirmationRequired as error:
                show_refusal(None, error)  # the numbers changed since the page was shown: confirm them again
                form = StatusChangeForm(prefix=action, formdata=None, reason=form.reason.data)
            except ServiceError as error:
                show_refusal(form, error)
            else:
                db.session.commit()
                flash(message, "success")
                return redirect(detail)
    return render_template("scheduling/confirm_status.html", briefing=briefing, step=_step(briefing, action, form))


@blueprint.route("/briefings/<int:briefing_id>/open", methods=["GET", "POST"])
def briefing_open(briefing_id: int) -> ResponseReturnValue:
    """Confirm, then open the briefing (it goes live)."""
    return _status_step(briefing_id, "open")


@blueprint.route("/briefings/<int:briefing_id>/close", methods=["GET", "POST"])
def briefing_close(briefing_id: int) -> ResponseReturnValue:
    """Confirm, then close the live briefing."""
    return _status_step(briefing_id, "close")


@blueprint.route("/briefings/<int:briefing_id>/cancel", methods=["GET", "POST"])
def briefing_cancel(briefing_id: int) -> ResponseReturnValue:
    """Confirm, then cancel a scheduled briefing."""
    return _status_step(briefing_id, "cancel")


@blueprint.route("/briefings/<int:briefing_id>/reopen", methods=["GET", "POST"])
def briefing_reopen(briefing_id: int) -> ResponseReturnValue:
    """Confirm with a reason, then reopen a briefing ended by mistake."""
    return _status_step(briefing_id, "reopen")
