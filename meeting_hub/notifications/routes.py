"""Pages: a briefing's messages for its organizers (who was told what, on which channel), and sending one again."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts.access import acting_user
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.notifications import delivery_report
from meeting_hub.notifications.channels import configured_channels
from meeting_hub.notifications.models import Channel, MessageState
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.web import show_refusal

blueprint = Blueprint("notifications", __name__)

CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("SMS"), Channel.ZALO: _l("Zalo")}
STATE_LABELS = {
    MessageState.PENDING: _l("Chờ gửi"),
    MessageState.SENDING: _l("Đang gửi"),
    MessageState.SENT: _l("Đã gửi"),
    MessageState.FAILED: _l("Gửi lỗi"),
    MessageState.UNREACHABLE: _l("Không liên lạc được"),
}
STATE_BADGES = {
    MessageState.PENDING: "text-bg-secondary",
    MessageState.SENDING: "text-bg-info",
    MessageState.SENT: "text-bg-success",
    MessageState.FAILED: "text-bg-danger",
    MessageState.UNREACHABLE: "text-bg-warning",
}
KIND_LABELS = {
    "briefing.reminder": _l("Nhắc lịch"),
    "briefing.moved": _l("Đổi lịch"),
    "briefing.cancelled": _l("Hủy lịch"),
    "briefing.invited": _l("Mời dự"),
}


@blueprint.get("/briefings/<int:briefing_id>/notifications")
def briefing_notifications(briefing_id: int) -> ResponseReturnValue:
    """Show who was told what about the briefing, by endpoint, channel and state, with "send again" where it failed."""
    briefing = get_briefing(briefing_id, acting_user())
    return render_template(
        "notifications/briefing_notifications.html",
        briefing=briefing,
        report=delivery_report.briefing_messages(briefing),
        channel_labels=CHANNEL_LABELS,
        state_labels=STATE_LABELS,
        state_badges=STATE_BADGES,
        kind_labels=KIND_LABELS,
        resendable=delivery_report.RESENDABLE,
        configured=configured_channels(current_app.config),
        bulk=delivery_report.bulk_resend_plan(briefing),
        unreachable_reason=delivery_report.unreachable_reason,
    )


@blueprint.post("/briefings/<int:briefing_id>/notifications/<int:message_id>/resend")
def resend(briefing_id: int, message_id: int) -> ResponseReturnValue:
    """Send one failed or unreachable message again (the page asked first)."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    try:
        message = delivery_report.resend_message(delivery_report.get_message(briefing, message_id), user)
        db.session.commit()
    except ServiceError as error:
        show_refusal(None, error)
    else:
        flash(_("Đã xếp lịch gửi lại cho %(name)s.", name=message.recipient_name), "success")
    return redirect(url_for("notifications.briefing_notifications", briefing_id=briefing.id))


@blueprint.post("/briefings/<int:briefing_id>/notifications/resend-failed")
def resend_all(briefing_id: int) -> ResponseReturnValue:
    """Send again every failed or unreachable message that can be sent now (the page asked first)."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    try:
        plan = delivery_report.resend_all_failed(briefing, user)
        db.session.commit()
    except ServiceError as error:
        show_refusal(None, error)
    else:
        flash(_("Đã xếp lịch gửi lại %(n)d tin nhắn.", n=len(plan.ready)), "success")
    return redirect(url_for("notifications.briefing_notifications", briefing_id=briefing.id))
