"""Pages: the poll panel of the briefing page (organizers manage, leaders read), the form that prepares or edits a
draft poll, and the open, close and delete buttons. The live tally is the dashboard's; this page shows the results
as they stand when it is loaded."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from meeting_hub.accounts.access import acting_user, signed_in_user
from meeting_hub.accounts.forms import ConfirmForm
from meeting_hub.accounts.roles import Role
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from meeting_hub.polls import services
from meeting_hub.polls.forms import POLL_KIND_HELP, PollForm
from meeting_hub.polls.models import POLL_KIND_LABELS, POLL_STATUS_LABELS, Poll, PollKind, PollStatus
from meeting_hub.polls.services import PollDraft
from meeting_hub.scheduling.models import Briefing
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.web import show_refusal

blueprint = Blueprint("polls", __name__)

#: Who sees the panel: the managers, and leaders (read only). Operators answer on the console, not here.
PANEL_READERS = (*services.POLL_MANAGERS, Role.LEADER)


def _percent(count: int, of: int) -> int:
    return round(100 * count / of) if of else 0


def _results_view(results: dict[str, Any], endpoint_names: dict[int, str]) -> dict[str, Any]:
    """Return a poll's results with each option's share of the people who answered, and the endpoints' names."""
    answered = results["answered"]
    return {
        **results,
        "options": [{**option, "percent": _percent(option["count"], answered)} for option in results["options"]],
        "answered_percent": _percent(answered, results["eligible"]),
        "by_endpoint": [{**row, "name": endpoint_names.get(row["endpoint_id"], "")} for row in results["by_endpoint"]],
        "other_texts": [
            {**other, "endpoint_name": endpoint_names.get(other["endpoint_id"], "")}
            for other in results.get("other_texts", [])
        ],
    }


def briefing_poll_panel(briefing: Briefing) -> dict[str, Any] | None:
    """Return what the briefing page's poll section shows to the signed-in user, or None when it shows nothing."""
    user = signed_in_user()
    if user is None or user.role not in PANEL_READERS:
        return None
    polls = services.briefing_polls(briefing, user)
    can_manage = user.role in services.POLL_MANAGERS
    can_add = can_manage and services.accepts_new_polls(briefing)
    if not polls and not can_add:
        return None
    results = {poll.id: services.poll_results(poll) for poll in polls if poll.status != PollStatus.DRAFT}
    endpoint_ids = {row["endpoint_id"] for result in results.values() for row in result["by_endpoint"]}
    endpoint_names = {
        endpoint.id: endpoint.display_name
        for endpoint in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(endpoint_ids)))
    }
    return {
        "can_manage": can_manage,
        "can_add": can_add,
        "opening_refusal": services.opening_refusal(briefing),
        "polls": [
            {"poll": poll, "results": _results_view(results[poll.id], endpoint_names) if poll.id in results else None}
            for poll in polls
        ],
        "form": ConfirmForm(formdata=None),
    }


@blueprint.app_context_processor
def _poll_template_globals() -> dict[str, Any]:
    return {
        "briefing_poll_panel": briefing_poll_panel,
        "poll_kind_labels": POLL_KIND_LABELS,
        "poll_status_labels": POLL_STATUS_LABELS,
    }


def _back_to(briefing_id: int, poll_id: int | None = None) -> ResponseReturnValue:
    anchor = f"poll-{poll_id}" if poll_id is not None else "polls"
    return redirect(url_for("scheduling.briefing_detail", briefing_id=briefing_id, _anchor=anchor))


def _submitted_draft(form: PollForm) -> PollDraft | None:
    """Return the poll as posted when the form holds one; otherwise None, with every problem beside its field: the
    form's own (no ballot kind chosen) and, at the same time, the service's rules on the question and options."""
    if form.validate_on_submit():
        return form.draft()
    if form.is_submitted():
        try:
            services.clean_poll_text(form.question.data or "", form.typed_options())
        except ServiceError as error:
            show_refusal(form, error)
    return None


def _render_form(form: PollForm, briefing: Briefing, poll: Poll | None) -> str:
    return render_template(
        "polls/poll_form.html", form=form, briefing=briefing, poll=poll, kind_help=POLL_KIND_HELP, kinds=PollKind
    )


@blueprint.route("/briefings/<int:briefing_id>/polls/new", methods=["GET", "POST"])
def poll_create(briefing_id: int) -> ResponseReturnValue:
    """Prepare a poll as a draft for a scheduled or live briefing."""
    actor = acting_user()
    briefing = get_briefing(briefing_id, actor)
    if not services.accepts_new_polls(briefing):
        flash(_("Buổi giao ban đã kết thúc hoặc đã hủy: không thể thêm câu hỏi thăm dò."), "warning")
        return _back_to(briefing.id)
    form = PollForm()
    if draft := _submitted_draft(form):
        try:
            poll = services.create_poll(briefing, draft, actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu bản nháp câu hỏi thăm dò. Bấm “Mở thăm dò” khi muốn các điểm cầu trả lời."), "success")
            return _back_to(briefing.id, poll.id)
    return _render_form(form, briefing, None)


@blueprint.route("/polls/<int:poll_id>/edit", methods=["GET", "POST"])
def poll_edit(poll_id: int) -> ResponseReturnValue:
    """Edit a draft poll; an opened one is kept as it was asked."""
    actor = acting_user()
    poll = services.get_poll(poll_id, actor)
    briefing = get_briefing(poll.briefing_id, actor)
    if poll.status != PollStatus.DRAFT:
        flash(_("Câu hỏi thăm dò đã mở hoặc đã đóng: không sửa được nữa."), "warning")
        return _back_to(briefing.id, poll.id)
    form = PollForm()
    if request.method == "GET":
        form.fill(services.draft_of(poll))
    if draft := _submitted_draft(form):
        try:
            services.update_poll(poll, draft, actor)
        except ServiceError as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu câu hỏi thăm dò."), "success")
            return _back_to(briefing.id, poll.id)
    return _render_form(form, briefing, poll)


def _poll_step(poll_id: int, step: str) -> ResponseReturnValue:
    """Open, close or delete a poll from a button of the briefing page (each button asks first)."""
    actor = acting_user()
    poll = services.get_poll(poll_id, actor)
    briefing_id = poll.briefing_id
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ, vui lòng thử lại."), "danger")
        return _back_to(briefing_id, poll.id)
    try:
        if step == "open":
            services.open_poll(poll, actor)
            message = _("Đã mở thăm dò: các điểm cầu đã thấy câu hỏi và có thể trả lời.")
        elif step == "close":
            services.close_poll(poll, actor)
            message = _("Đã đóng thăm dò: kết quả dưới đây là kết quả cuối cùng.")
        else:
            services.delete_poll(poll, actor)
            message = _("Đã xóa bản nháp câu hỏi thăm dò.")
    except ServiceError as error:
        show_refusal(None, error)
        return _back_to(briefing_id, poll_id)
    db.session.commit()
    flash(message, "success")
    return _back_to(briefing_id, None if step == "delete" else poll_id)


@blueprint.post("/polls/<int:poll_id>/open")
def poll_open(poll_id: int) -> ResponseReturnValue:
    """Open a draft poll of a live briefing: the endpoints see it and answer."""
    return _poll_step(poll_id, "open")


@blueprint.post("/polls/<int:poll_id>/close")
def poll_close(poll_id: int) -> ResponseReturnValue:
    """Close an open poll for good: its results become final."""
    return _poll_step(poll_id, "close")


@blueprint.post("/polls/<int:poll_id>/delete")
def poll_delete(poll_id: int) -> ResponseReturnValue:
    """Delete a draft poll."""
    return _poll_step(poll_id, "delete")
