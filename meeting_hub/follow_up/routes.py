"""Pages of the follow-up: the review list (with bulk assignment), the summary, an issue with its timeline and the
forms of each step, the responders' queue, raising an issue, notifications, the categories; and the CLI command
`meeting-hub notify-overdue`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import quote

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from meeting_hub.accounts.access import acting_user, signed_in_user
from meeting_hub.accounts.models import User
from meeting_hub.accounts.policy import ISSUE_ASSIGNERS, ISSUE_RAISERS, ROSTER_READERS, STAFF
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_today
from meeting_hub.date_fields import day_from_query
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.follow_up import attachments, notifications, search, services, summary
from meeting_hub.follow_up.agency_suggestion import suggest_agency
from meeting_hub.follow_up.forms import (
    AnswerForm,
    AssignForm,
    BulkAssignForm,
    CategoryForm,
    CloseForm,
    RaiseForm,
    ReturnForm,
    WithdrawForm,
)
from meeting_hub.follow_up.models import (
    ISSUE_ACTION_LABELS,
    ISSUE_PRIORITY_LABELS,
    ISSUE_STATUS_LABELS,
    NOTIFICATION_LABELS,
    Issue,
    IssueAction,
    IssuePriority,
    IssueStatus,
)
from meeting_hub.follow_up.workflow import allowed_actions, is_overdue
from meeting_hub.http_errors import audit_refusal
from meeting_hub.network.models import Agency
from meeting_hub.network.services import list_agencies, list_endpoints, list_people
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.services import get_briefing
from meeting_hub.vietnamese import sort_key
from meeting_hub.web import show_refusal

# cli_group=None: `meeting-hub notify-overdue`, not `meeting-hub follow_up notify-overdue`.
blueprint = Blueprint("follow_up", __name__, cli_group=None)


def _refused(form: FlaskForm | None, error: ServiceError) -> None:
    """Roll back a refused form submission, audit it when it was a refused step, and show why."""
    db.session.rollback()
    audit_refusal(error)
    db.session.commit()
    show_refusal(form, error)


# Template helpers shared with the home page, the briefing page and the navigation bar


def _unread_notifications() -> int:
    user = signed_in_user()
    return notifications.unread_count(user) if user is not None else 0


def _home_figures() -> dict[str, Any]:
    user = signed_in_user()
    if user is None:
        return {}
    figures: dict[str, Any] = {"counts": summary.status_counts(user)}
    if user.role == Role.RESPONDER:
        figures["queue"] = summary.queue_counts(user)
    return figures


def _briefing_follow_up(briefing: Briefing) -> dict[str, Any]:
    user = signed_in_user()
    if user is None or briefing.status == BriefingStatus.CANCELLED:
        return {}
    result: dict[str, Any] = {
        "can_raise": ISSUE_RAISERS.allows(user) and briefing.status in (BriefingStatus.LIVE, BriefingStatus.ENDED),
        "raised": search.count_issues(user, search.IssueFilters(briefing_id=briefing.id)),
    }
    if ROSTER_READERS.allows(user):
        result["report"] = summary.report_back(briefing, user)
    return result


@blueprint.app_context_processor
def _follow_up_template_globals() -> dict[str, Any]:
    return {
        "issue_status_labels": ISSUE_STATUS_LABELS,
        "issue_action_labels": ISSUE_ACTION_LABELS,
        "issue_priority_labels": ISSUE_PRIORITY_LABELS,
        "unread_notifications": _unread_notifications,
        "issue_overdue": lambda issue: is_overdue(issue, local_today()),
        "issue_home_figures": _home_figures,
        "briefing_follow_up": _briefing_follow_up,
    }


# The review list


def _parse_int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _filters_from_query() -> tuple[search.IssueFilters, dict[str, str]]:
    """Read the list's filters from the query string, and the message of each date that cannot be read."""
    status = request.args.get("status", "")
    overdue = request.args.get("overdue", "")
    raised_from, from_error = day_from_query(request.args.get("raised_from"))
    raised_to, to_error = day_from_query(request.args.get("raised_to"))
    errors = {name: error for name, error in (("raised_from", from_error), ("raised_to", to_error)) if error}
    if raised_from and raised_to and raised_from > raised_to:
        errors["raised_to"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    filters = search.IssueFilters(
        status=IssueStatus(status) if status in {s.value for s in IssueStatus} else None,
        endpoint_id=_parse_int("endpoint_id"),
        category=request.args.get("category") or None,
        agency_id=_parse_int("agency_id"),
        briefing_id=_parse_int("briefing_id"),
        overdue=True if overdue == "1" else (False if overdue == "0" else None),
        q=request.args.get("q", "")[:200],
        raised_from=raised_from,
        raised_to=raised_to,
    )
    return filters, errors


def _page_query(filters: search.IssueFilters, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Return the query of the page's links (exports, pages): dates in ISO, as the API reads them."""
    query = {key: value for key, value in request.args.items() if value and key not in skip}
    for name in ("raised_from", "raised_to"):
        value: date | None = getattr(filters, name)
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value.isoformat()
    return query


def _filter_choices(user: User) -> dict[str, Any]:
    return {
        "endpoints": list_endpoints(user, include_inactive=True),
        "agencies": list_agencies(include_inactive=True),
        "categories": services.list_categories(include_inactive=True),
    }


def _agency_choices() -> list[SelectChoice]:
    return [SelectChoice(agency.id, agency.name) for agency in list_agencies()]


@blueprint.get("/issues")
def issue_list() -> ResponseReturnValue:
    """List the issues the user may see, with filters, search, sorting, pages, exports and bulk assignment."""
    user = acting_user()
    filters, filter_errors = _filters_from_query()
    sort = request.args.get("sort", search.DEFAULT_SORT)
    sort = sort if sort in search.SORTS else search.DEFAULT_SORT
    page = search.list_issues(
        user, filters, sort=sort, page=_parse_int("page") or 1, per_page=int(current_app.config["PAGE_SIZE"])
    )
    bulk_form = BulkAssignForm()
    bulk_form.agency_id.choices = _agency_choices()
    return render_template(
        "follow_up/issue_list.html",
        page=page,
        filters=filters,
        filter_errors=filter_errors,
        sort=sort,
        query=_page_query(filters, skip=("page",)),
        can_assign=ISSUE_ASSIGNERS.allows(user),
        can_summarize=STAFF.allows(user),
        bulk_form=bulk_form,
        **_filter_choices(user),
    )


@blueprint.post("/issues/bulk-assign")
def bulk_assign() -> ResponseReturnValue:
    """Assign the ticked issues to one agency with one due date (all or none)."""
    user = acting_user()
    form = BulkAssignForm()
    form.agency_id.choices = _agency_choices()
    back = request.form.get("next", "")
    back = back if back.startswith("/issues") else url_for("follow_up.issue_list")
    ids = [int(value) for value in request.form.getlist("issue_ids") if value.isdigit() and int(value) < 2**31]
    if not form.validate_on_submit():
        if form.agency_id.errors:
            flash(form.agency_id.errors[0], "danger")
        elif form.due_on.errors:
            flash(_("Hạn xử lý: %(error)s", error=form.due_on.errors[0]), "danger")
        else:
            flash(_("Chọn cơ quan xử lý và hạn hợp lệ."), "danger")
        return redirect(back)
    try:
        assigned = services.bulk_assign(ids, form.agency_id.data, form.due_on.data, user)
    except ServiceError as error:
        _refused(form, error)
        return redirect(back)
    db.session.commit()
    flash(_("Đã giao %(n)d ý kiến cho cơ quan xử lý.", n=len(assigned)), "success")
    return redirect(back)


@blueprint.get("/issues/summary")
def issue_summary() -> ResponseReturnValue:
    """Show the filtered issues per endpoint and status, and how each agency answers."""
    user = acting_user()
    filters, filter_errors = _filters_from_query()
    return render_template(
        "follow_up/summary.html",
        filters=filters,
        filter_errors=filter_errors,
        endpoint_rows=summary.by_endpoint_and_status(user, filters),
        agency_rows=summary.by_agency(user, filters),
        statuses=list(IssueStatus),
        query=_page_query(filters),
        **_filter_choices(user),
    )


# One issue


def _step_forms(issue: Issue, user: User) -> dict[str, FlaskForm]:
    forms: dict[str, FlaskForm] = {}
    for action in allowed_actions(issue.status, user.role):
        if action == IssueAction.ASSIGN:
            assign = AssignForm(
                formdata=None,
                agency_id=issue.agency_id,
                due_on=issue.due_on or services.default_due_on(issue.category, local_today()),
            )
            assign.agency_id.choices = _agency_choices()
            forms["assign"] = assign
        elif action == IssueAction.ANSWER:
            forms["answer"] = AnswerForm(formdata=None)
        elif action == IssueAction.CLOSE:
            forms["close"] = CloseForm(formdata=None)
        elif action == IssueAction.RETURN:
            forms["return"] = ReturnForm(formdata=None)
        elif action == IssueAction.WITHDRAW:
            forms["withdraw"] = WithdrawForm(formdata=None)
    return forms


def _render_issue(issue: Issue, user: User, **overrides: FlaskForm) -> str:
    forms = _step_forms(issue, user)
    forms.update(overrides)
    return render_template(
        "follow_up/issue_detail.html",
        issue=issue,
        timeline=services.timeline(issue),
        overdue=is_overdue(issue, local_today()),
        forms=forms,
        suggestion=suggest_agency(issue.category_id, excluding_issue_id=issue.id) if "assign" in forms else None,
    )


@blueprint.get("/issues/<int:issue_id>")
def issue_detail(issue_id: int) -> ResponseReturnValue:
    """Show an issue, its timeline and the steps the user may take."""
    user = acting_user()
    return _render_issue(services.get_issue(issue_id, user), user)


def _step(issue_id: int, action: IssueAction, form: FlaskForm, apply: Any) -> ResponseReturnValue:
    """Run one workflow step from its form; on a refusal, show the issue again with the reason."""
    user = acting_user()
    issue = services.get_issue(issue_id, user, action)
    if isinstance(form, AssignForm):
        form.agency_id.choices = _agency_choices()
    if not form.validate_on_submit():
        flash(_("Vui lòng kiểm tra lại thông tin."), "danger")
        return _render_issue(issue, user, **{action.value: form}), 422
    try:
        apply(issue, user, form)
    except ServiceError as error:
        _refused(form, error)  # rolled back: the issue reloads as it was
        return _render_issue(issue, user, **{action.value: form}), error.http_status
    db.session.commit()
    flash(_("Đã cập nhật: %(action)s.", action=ISSUE_ACTION_LABELS[action]), "success")
    return redirect(url_for("follow_up.issue_detail", issue_id=issue.id))


@blueprint.post("/issues/<int:issue_id>/assign")
def assign(issue_id: int) -> ResponseReturnValue:
    """Assign (or reassign) the issue to an agency with a due date."""
    return _step(
        issue_id,
        IssueAction.ASSIGN,
        AssignForm(),
        lambda issue, user, form: services.assign_issue(
            issue, form.agency_id.data, form.due_on.data, user, form.comment.data or ""
        ),
    )


@blueprint.post("/issues/<int:issue_id>/answer")
def answer(issue_id: int) -> ResponseReturnValue:
    """Answer an issue assigned to the responder's agency, with an optional PDF."""

    def apply(issue: Issue, user: User, form: AnswerForm) -> None:
        upload = form.attachment.data
        attachment = (
            attachments.AnswerFile(upload.filename or "", upload.stream) if upload and upload.filename else None
        )
        services.answer_issue(issue, form.body.data or "", user, attachment)

    return _step(issue_id, IssueAction.ANSWER, AnswerForm(), apply)


@blueprint.post("/issues/<int:issue_id>/close")
def close(issue_id: int) -> ResponseReturnValue:
    """Accept the answer and close the issue."""
    return _step(
        issue_id,
        IssueAction.CLOSE,
        CloseForm(),
        lambda issue, user, form: services.close_issue(issue, user, form.comment.data or ""),
    )


@blueprint.post("/issues/<int:issue_id>/return")
def return_answer(issue_id: int) -> ResponseReturnValue:
    """Return the answer to the agency with a reason."""
    return _step(
        issue_id,
        IssueAction.RETURN,
        ReturnForm(),
        lambda issue, user, form: services.return_issue(issue, form.reason.data or "", user, form.due_on.data),
    )


@blueprint.post("/issues/<int:issue_id>/withdraw")
def withdraw(issue_id: int) -> ResponseReturnValue:
    """Withdraw the issue with a reason."""
    return _step(
        issue_id,
        IssueAction.WITHDRAW,
        WithdrawForm(),
        lambda issue, user, form: services.withdraw_issue(issue, form.reason.data or "", user),
    )


@blueprint.get("/issues/<int:issue_id>/attachments/<int:event_id>")
def attachment(issue_id: int, event_id: int) -> ResponseReturnValue:
    """Download the PDF attached to an answer."""
    issue = services.get_issue(issue_id, acting_user())
    step = services.get_attachment(issue, event_id)
    path = attachments.stored_path(step.attachment_stored_name or "")
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name="tra-loi.pdf")
    name = step.attachment_name or "tra-loi.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename=\"tra-loi.pdf\"; filename*=UTF-8''{quote(name)}"
    return response


# Responders


@blueprint.get("/queue")
def queue() -> ResponseReturnValue:
    """Show the responder's agency queue: just given, due soon, overdue, awaiting a leader."""
    user = acting_user()
    agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    return render_template("follow_up/queue.html", queue=summary.responder_queue(user), agency=agency)


# Raising


def _raise_form(user: User, briefing: Briefing, formdata: MultiDict[str, str] | None) -> RaiseForm:
    form = RaiseForm(formdata=formdata) if formdata is not None else RaiseForm(formdata=None)
    invited = sorted(
        (e for e in briefing.endpoints if user.role != Role.OPERATOR or e.id == user.endpoint_id),
        key=lambda e: sort_key(e.name),
    )
    form.endpoint_id.choices = [SelectChoice(e.id, e.display_name) for e in invited]
    endpoint_ids = {e.id for e in invited}
    people = [p for p in list_people(user) if p.cell.endpoint_id in endpoint_ids] if len(invited) <= 50 else []
    form.person_id.choices = [SelectChoice(0, _("— Cả điểm cầu —"))] + [
        SelectChoice(p.id, f"{p.full_name} · {p.cell.name} · {p.cell.endpoint.name}") for p in people
    ]
    form.category.choices = [SelectChoice(c.code, c.name) for c in services.list_categories()]
    if formdata is None:
        form.client_op_id.data = f"web-{uuid.uuid4().hex}"
        if user.role == Role.OPERATOR and user.endpoint_id is not None:
            form.endpoint_id.data = user.endpoint_id
    return form


@blueprint.route("/briefings/<int:briefing_id>/issues/new", methods=["GET", "POST"])
def raise_issue(briefing_id: int) -> ResponseReturnValue:
    """Record an issue raised at the briefing (organizers: from the floor, for any endpoint; operators: their own)."""
    user = acting_user()
    briefing = get_briefing(briefing_id, user)
    form = _raise_form(user, briefing, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        data = services.IssueData(
            endpoint_id=form.endpoint_id.data,
            category=form.category.data or "",
            title=form.title.data or "",
            content=form.content.data or "",
            client_op_id=form.client_op_id.data or "",
            person_id=form.person_id.data or None,
            priority=IssuePriority(form.priority.data),
        )
        try:
            result = services.raise_issue(briefing, data, user)
        except ServiceError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Đã ghi nhận ý kiến “%(title)s”.", title=result.issue.title), "success")
            if request.form.get("another"):
                return redirect(url_for("follow_up.raise_issue", briefing_id=briefing.id))
            return redirect(url_for("scheduling.briefing_detail", briefing_id=briefing.id, _anchor="follow-up"))
    return render_template("follow_up/raise_form.html", form=form, briefing=briefing)


# Notifications


@blueprint.get("/notifications")
def notification_list() -> ResponseReturnValue:
    """List the user's latest notifications."""
    user = acting_user()
    items = notifications.recent(user)
    return render_template(
        "follow_up/notifications.html",
        items=items,
        pending=notifications.pending_ids(user, [item.id for item in items]),
        labels=NOTIFICATION_LABELS,
        form=FlaskForm(),
    )


@blueprint.get("/notifications/<int:notification_id>")
def notification_open(notification_id: int) -> ResponseReturnValue:
    """Mark a notification read and go to its issue."""
    user = acting_user()
    issue_id = notifications.open_notification(notification_id, user)
    if issue_id is None:
        abort(404)
    db.session.commit()
    return redirect(url_for("follow_up.issue_detail", issue_id=issue_id))


@blueprint.post("/notifications/read")
def notifications_read() -> ResponseReturnValue:
    """Mark every notification of the user read."""
    notifications.mark_all_read(acting_user())
    db.session.commit()
    return redirect(url_for("follow_up.notification_list"))


# Categories (admins)


@blueprint.get("/issue-categories")
def category_list() -> ResponseReturnValue:
    """List the categories of raised issues."""
    return render_template("follow_up/category_list.html", categories=services.list_categories(include_inactive=True))


def _category_data(form: CategoryForm) -> services.CategoryData:
    return services.CategoryData(
        code=form.code.data or "",
        name=form.name.data or "",
        default_due_days=form.default_due_days.data,
        position=form.position.data or 0,
        active=bool(form.active.data),
    )


@blueprint.route("/issue-categories/new", methods=["GET", "POST"])
def category_create() -> ResponseReturnValue:
    """Add a category."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.create_category(_category_data(form), acting_user())
        except ServiceError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm lĩnh vực."), "success")
            return redirect(url_for("follow_up.category_list"))
    elif request.method == "GET":
        form.default_due_days.data = services.default_due_days()
    return render_template("follow_up/category_form.html", form=form, category=None)


@blueprint.route("/issue-categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(category_id: int) -> ResponseReturnValue:
    """Rename a category, change its due-date default, order or activity."""
    category = services.get_category(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            services.update_category(category, _category_data(form), acting_user())
        except ServiceError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu lĩnh vực."), "success")
            return redirect(url_for("follow_up.category_list"))
    return render_template("follow_up/category_form.html", form=form, category=category)


# Command line


@blueprint.cli.command("notify-overdue")
def notify_overdue_command() -> None:
    """Notify agencies and leaders of issues past their due date (run once a day; running it again adds nothing)."""
    created = notifications.notify_overdue()
    db.session.commit()
    click.echo(f"Đã tạo {created} thông báo quá hạn.")
