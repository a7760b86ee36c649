"""API: raised issues (raise idempotently, list, search, export, the workflow steps), categories and the report-back.

Responders see only the issues assigned to their agency and operators only their endpoint's: any other issue is
answered 404, as if it did not exist (an attempt to act on one is audited). Refused workflow steps answer 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import marshmallow as ma
from flask import Response, current_app
from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.api.common import Blueprint, bounded_date, caller
from meeting_hub.clock import local_today
from meeting_hub.errors import ValidationFailed
from meeting_hub.event_log.log import CLIENT_OP_ID_PATTERN
from meeting_hub.extensions import db
from meeting_hub.follow_up import exports, payloads, search, services, summary
from meeting_hub.follow_up.models import Issue, IssueAction, IssueEvent, IssuePriority, IssueStatus
from meeting_hub.public_links import external_url
from meeting_hub.scheduling import services as scheduling
from meeting_hub.text_input import MULTILINE_TEXT, InputSchema
from meeting_hub.url_converters import id_field as _id_field

blueprint = Blueprint("api_follow_up", __name__, description="Raised issues and their follow-up")

MAX_PER_PAGE = 200


# Schemas


class CategorySchema(ma.Schema):
    """A category of raised issues."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    default_due_days = ma.fields.Integer()


class RaiseBody(InputSchema):
    """An issue raised at a briefing, with the client's operation id. Rules across fields and stored data (422
    otherwise): `endpoint_id` is invited to the briefing, `person_id` and `cell_id` belong to that endpoint,
    `category` is the code of an active category (GET /api/v1/categories lists them)."""

    endpoint_id = _id_field(required=True)
    person_id = _id_field(load_default=None, allow_none=True)
    cell_id = _id_field(load_default=None, allow_none=True)
    category = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, services.MAX_TITLE_LENGTH))
    content = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=services.MAX_TEXT_LENGTH), metadata=MULTILINE_TEXT
    )
    priority = ma.fields.String(
        load_default=IssuePriority.NORMAL.value, validate=ma.validate.OneOf([p.value for p in IssuePriority])
    )
    client_op_id = ma.fields.String(required=True, validate=ma.validate.Regexp(CLIENT_OP_ID_PATTERN))


class AssignBody(InputSchema):
    """The agency and due date (default: today plus the category's days)."""

    agency_id = _id_field(required=True)
    due_on = bounded_date(load_default=None, allow_none=True)
    comment = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=services.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


class AnswerBody(InputSchema):
    """The agency's answer."""

    body = ma.fields.String(
        required=True, validate=ma.validate.Length(1, services.MAX_TEXT_LENGTH), metadata=MULTILINE_TEXT
    )


class CloseBody(InputSchema):
    """An optional note of the leader who accepts the answer."""

    comment = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=services.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


class ReturnBody(InputSchema):
    """Why the answer goes back to the agency, and optionally a new due date."""

    reason = ma.fields.String(
        required=True, validate=ma.validate.Length(1, services.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )
    due_on = bounded_date(load_default=None, allow_none=True)


class WithdrawBody(InputSchema):
    """Why the issue is withdrawn."""

    reason = ma.fields.String(
        required=True, validate=ma.validate.Length(1, services.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


class IssueListArgs(InputSchema):
    """The list's filters, order and page."""

    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf([s.value for s in IssueStatus]))
    endpoint_id = _id_field(strict=False, load_default=None)
    category = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))
    agency_id = _id_field(strict=False, load_default=None)
    briefing_id = _id_field(strict=False, load_default=None)
    overdue = ma.fields.Boolean(load_default=None)
    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    raised_from = bounded_date(load_default=None)
    raised_to = bounded_date(load_default=None)
    sort = ma.fields.String(load_default=search.DEFAULT_SORT, validate=ma.validate.OneOf(list(search.SORTS)))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 100_000))
    per_page = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, MAX_PER_PAGE))


class ExportArgs(IssueListArgs):
    """The list's filters and order (every page)."""

    class Meta:
        exclude = ("page", "per_page")


class TimelineEntrySchema(ma.Schema):
    """One step of an issue's timeline."""

    action = ma.fields.String(required=True, metadata={"enum": [a.value for a in IssueAction]})
    actor = ma.fields.String(allow_none=True, metadata={"description": "username"})
    actor_name = ma.fields.String()
    at = ma.fields.String(required=True, metadata={"format": "date-time"})
    comment = ma.fields.String(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(required=True)
    agency_id = ma.fields.Integer(allow_none=True)
    due_on = ma.fields.String(allow_none=True, metadata={"format": "date"})
    attachment_url = ma.fields.String(allow_none=True)


class IssueSchema(ma.Schema):
    """An issue as the API shows it."""

    id = ma.fields.Integer(required=True)
    briefing_id = ma.fields.Integer(required=True)
    endpoint_id = ma.fields.Integer(required=True)
    endpoint_name = ma.fields.String(required=True)
    cell_id = ma.fields.Integer(allow_none=True)
    cell_name = ma.fields.String(allow_none=True)
    person_id = ma.fields.Integer(allow_none=True)
    person_name = ma.fields.String(allow_none=True)
    category = ma.fields.String(required=True)
    category_name = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    content = ma.fields.String(required=True)
    priority = ma.fields.String(required=True, metadata={"enum": [p.value for p in IssuePriority]})
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in IssueStatus]})
    agency_id = ma.fields.Integer(allow_none=True)
    agency_name = ma.fields.String(allow_none=True)
    due_on = ma.fields.String(allow_none=True, metadata={"format": "date"})
    overdue = ma.fields.Boolean(required=True)
    raised_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    raised_by = ma.fields.String(allow_none=True)
    assigned_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    answered_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    closed_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    answer = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class IssueDetailSchema(IssueSchema):
    """An issue with its timeline."""

    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema), required=True)


class IssuePageSchema(ma.Schema):
    """A page of the filtered list, with the number of matching issues."""

    items = ma.fields.List(ma.fields.Nested(IssueSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


class EndpointStatusSchema(ma.Schema):
    """One endpoint's issues by status."""

    endpoint_id = ma.fields.Integer(required=True)
    endpoint_name = ma.fields.String(required=True)
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    overdue = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class AgencyStatsSchema(ma.Schema):
    """How an agency handles its issues."""

    agency_id = ma.fields.Integer(required=True)
    agency_name = ma.fields.String(required=True)
    assigned = ma.fields.Integer(required=True)
    answered = ma.fields.Integer(required=True)
    answered_on_time = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    median_days_to_answer = ma.fields.Float(allow_none=True)


class SummarySchema(ma.Schema):
    """The filtered issues per endpoint and status, and per agency."""

    endpoints = ma.fields.List(ma.fields.Nested(EndpointStatusSchema), required=True)
    agencies = ma.fields.List(ma.fields.Nested(AgencyStatsSchema), required=True)


class ReportBackEndpointSchema(ma.Schema):
    """One endpoint's part of the report-back."""

    endpoint_id = ma.fields.Integer(required=True)
    endpoint_name = ma.fields.String(required=True)
    resolved = ma.fields.List(ma.fields.Nested(IssueSchema), required=True)
    overdue = ma.fields.List(ma.fields.Nested(IssueSchema), required=True)


class ReportBackSchema(ma.Schema):
    """Issues of earlier briefings answered or closed since the previous briefing, and those still overdue."""

    briefing_id = ma.fields.Integer(required=True)
    previous_briefing_id = ma.fields.Integer(allow_none=True)
    since = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    until = ma.fields.String(required=True, metadata={"format": "date-time"})
    endpoints = ma.fields.List(ma.fields.Nested(ReportBackEndpointSchema), required=True)


# Conversions


def issue_dict(issue: Issue, today: date) -> dict[str, Any]:
    """Return the API form of an issue."""
    return _with_url(payloads.issue_payload(issue, today))


def _with_url(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "url": external_url("follow_up.issue_detail", issue_id=payload["id"])}


def _timeline_entry(issue: Issue, step: IssueEvent) -> dict[str, Any]:
    return {
        "action": step.action.value,
        "actor": step.actor.username if step.actor else None,
        "actor_name": step.actor_name,
        "at": payloads.iso_time(step.at),
        "comment": step.comment,
        "from_status": step.from_status.value if step.from_status else None,
        "to_status": step.to_status.value,
        "agency_id": step.agency_id,
        "due_on": payloads.iso_date(step.due_on),
        "attachment_url": external_url("follow_up.attachment", issue_id=issue.id, event_id=step.id)
        if step.attachment_stored_name
        else None,
    }


def _detail(issue: Issue) -> dict[str, Any]:
    return {
        **issue_dict(issue, local_today()),
        "timeline": [_timeline_entry(issue, step) for step in services.timeline(issue)],
    }


def _filters(args: dict[str, Any]) -> search.IssueFilters:
    return search.IssueFilters(
        status=IssueStatus(args["status"]) if args.get("status") else None,
        endpoint_id=args.get("endpoint_id"),
        category=args.get("category"),
        agency_id=args.get("agency_id"),
        briefing_id=args.get("briefing_id"),
        overdue=args.get("overdue"),
        q=args.get("q") or "",
        raised_from=args.get("raised_from"),
        raised_to=args.get("raised_to"),
    )


# Operations


@blueprint.get("/categories")
@blueprint.response(200, CategorySchema(many=True))
def categories() -> list[dict[str, Any]]:
    """List the active categories of raised issues ({code, name}, and the due-date default in days)."""
    return [
        {"code": c.code, "name": c.name, "default_due_days": c.default_due_days} for c in services.list_categories()
    ]


@blueprint.get("/briefings/<int:briefing_id>/issues")
@blueprint.response(200, IssueSchema(many=True))
def briefing_issues(briefing_id: int) -> list[dict[str, Any]]:
    """List the issues raised at a briefing that the caller may see, oldest first."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    issues = search.iter_issues(user, search.IssueFilters(briefing_id=briefing.id), sort="raised_at")
    today = local_today()
    return [issue_dict(issue, today) for issue in issues]


@blueprint.post("/briefings/<int:briefing_id>/issues")
@blueprint.arguments(RaiseBody)
@blueprint.response(201, IssueSchema)
@blueprint.alt_response(200, schema=IssueSchema, description="A replay of a client_op_id seen before")
def raise_issue(body: dict[str, Any], briefing_id: int) -> tuple[dict[str, Any], int]:
    """Raise an issue: 201 when new, 200 with the issue it created for a replayed client_op_id."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    data = services.IssueData(
        endpoint_id=body["endpoint_id"],
        category=body["category"],
        title=body["title"],
        content=body["content"],
        client_op_id=body["client_op_id"],
        person_id=body["person_id"],
        cell_id=body["cell_id"],
        priority=IssuePriority(body["priority"]),
    )
    result = services.raise_issue(briefing, data, user)
    db.session.commit()
    return _with_url(result.result), 200 if result.replayed else 201


@blueprint.get("/issues")
@blueprint.arguments(IssueListArgs, location="query")
@blueprint.response(200, IssuePageSchema)
def list_issues(args: dict[str, Any]) -> dict[str, Any]:
    """List the issues the caller may see, filtered, searched (diacritics and case ignored), sorted, by page."""
    per_page = args["per_page"] or int(current_app.config["PAGE_SIZE"])
    page = search.list_issues(caller(), _filters(args), sort=args["sort"], page=args["page"], per_page=per_page)
    today = local_today()
    return {
        "items": [issue_dict(issue, today) for issue in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
    }


def _export_rows(args: dict[str, Any]) -> list[list[exports.Cell]]:
    user, filters = caller(), _filters(args)
    limit = int(current_app.config["ISSUE_EXPORT_MAX_ROWS"])
    if search.count_issues(user, filters) > limit:
        raise ValidationFailed(
            _("Danh sách có hơn %(n)d ý kiến: hãy lọc bớt trước khi xuất.", n=limit),
            details={"filters": _("Quá nhiều dòng.")},
        )
    today = local_today()
    rows: list[list[exports.Cell]] = [exports.header()]
    rows.extend(exports.issue_row(issue, today) for issue in search.iter_issues(user, filters, sort=args["sort"]))
    return rows


def _download(content: bytes, mimetype: str, extension: str) -> Response:
    name = f"y-kien-kien-nghi-{local_today().isoformat()}.{extension}"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.get("/issues.csv")
@blueprint.arguments(ExportArgs, location="query")
@blueprint.response(200, content_type="text/csv", description="The filtered list as CSV (UTF-8 with BOM)")
def export_csv(args: dict[str, Any]) -> Response:
    """Export the filtered list as CSV (UTF-8 with a byte order mark); formula-like cells are neutralised."""
    return _download(exports.to_csv(_export_rows(args)), "text/csv", "csv")  # Werkzeug adds "; charset=utf-8"


@blueprint.get("/issues.xlsx")
@blueprint.arguments(ExportArgs, location="query")
@blueprint.response(200, content_type=XLSX_MIMETYPE, description="The filtered list as an Excel workbook")
def export_xlsx(args: dict[str, Any]) -> Response:
    """Export the filtered list as an Excel workbook; formula-like cells are neutralised."""
    return _download(exports.to_xlsx(_export_rows(args)), XLSX_MIMETYPE, "xlsx")


@blueprint.get("/issues/summary")
@blueprint.arguments(ExportArgs, location="query")
@blueprint.response(200, SummarySchema)
def issue_summary(args: dict[str, Any]) -> dict[str, Any]:
    """Count the filtered issues per endpoint and status, and per agency (on time, median days to answer)."""
    user, filters = caller(), _filters(args)
    return {
        "endpoints": [
            {
                "endpoint_id": row.endpoint.id,
                "endpoint_name": row.endpoint.name,
                "by_status": {status.value: count for status, count in row.by_status.items()},
                "overdue": row.overdue,
                "total": row.total,
            }
            for row in summary.by_endpoint_and_status(user, filters)
        ],
        "agencies": [
            {
                "agency_id": row.agency.id,
                "agency_name": row.agency.name,
                "assigned": row.assigned,
                "answered": row.answered,
                "answered_on_time": row.answered_on_time,
                "open": row.open,
                "overdue": row.overdue,
                "median_days_to_answer": row.median_days_to_answer,
            }
            for row in summary.by_agency(user, filters)
        ],
    }


@blueprint.get("/issues/<int:issue_id>")
@blueprint.response(200, IssueDetailSchema)
def get_issue(issue_id: int) -> dict[str, Any]:
    """Return an issue with its timeline (another agency's or endpoint's: 404)."""
    return _detail(services.get_issue(issue_id, caller()))


def _step(issue_id: int, action: IssueAction, apply: Callable[[Issue, User], object]) -> dict[str, Any]:
    """Take one workflow step on an issue the caller may see, commit, and return the issue with its timeline."""
    user = caller()
    issue = services.get_issue(issue_id, user, action)
    apply(issue, user)
    db.session.commit()
    return _detail(issue)


@blueprint.post("/issues/<int:issue_id>/assign")
@blueprint.arguments(AssignBody)
@blueprint.response(200, IssueDetailSchema)
def assign_issue(body: dict[str, Any], issue_id: int) -> dict[str, Any]:
    """Assign (or reassign) the issue to an agency with a due date."""
    return _step(
        issue_id,
        IssueAction.ASSIGN,
        lambda issue, user: services.assign_issue(issue, body["agency_id"], body["due_on"], user, body["comment"]),
    )


@blueprint.post("/issues/<int:issue_id>/answer")
@blueprint.arguments(AnswerBody)
@blueprint.response(200, IssueDetailSchema)
def answer_issue(body: dict[str, Any], issue_id: int) -> dict[str, Any]:
    """Answer an issue assigned to the caller's agency (a PDF can be attached on the web page)."""
    return _step(issue_id, IssueAction.ANSWER, lambda issue, user: services.answer_issue(issue, body["body"], user))


@blueprint.post("/issues/<int:issue_id>/close")
@blueprint.arguments(CloseBody, required=False)
@blueprint.response(200, IssueDetailSchema)
def close_issue(body: dict[str, Any], issue_id: int) -> dict[str, Any]:
    """Accept the answer and close the issue."""
    return _step(
        issue_id, IssueAction.CLOSE, lambda issue, user: services.close_issue(issue, user, body.get("comment", ""))
    )


@blueprint.post("/issues/<int:issue_id>/return")
@blueprint.arguments(ReturnBody)
@blueprint.response(200, IssueDetailSchema)
def return_issue(body: dict[str, Any], issue_id: int) -> dict[str, Any]:
    """Return the answer to the agency with a reason (optionally a new due date)."""
    return _step(
        issue_id,
        IssueAction.RETURN,
        lambda issue, user: services.return_issue(issue, body["reason"], user, body["due_on"]),
    )


@blueprint.post("/issues/<int:issue_id>/withdraw")
@blueprint.arguments(WithdrawBody)
@blueprint.response(200, IssueDetailSchema)
def withdraw_issue(body: dict[str, Any], issue_id: int) -> dict[str, Any]:
    """Withdraw an issue with a reason (organizers)."""
    return _step(
        issue_id, IssueAction.WITHDRAW, lambda issue, user: services.withdraw_issue(issue, body["reason"], user)
    )


@blueprint.get("/briefings/<int:briefing_id>/report-back")
@blueprint.response(200, ReportBackSchema)
def report_back(briefing_id: int) -> dict[str, Any]:
    """Return what is reported back at a briefing (operators: their own endpoint only)."""
    user = caller()
    report = summary.report_back(scheduling.get_briefing(briefing_id, user), user)
    today = local_today()
    return {
        "briefing_id": report.briefing.id,
        "previous_briefing_id": report.previous.id if report.previous else None,
        "since": payloads.iso_time(report.since),
        "until": payloads.iso_time(report.until),
        "endpoints": [
            {
                "endpoint_id": part.endpoint.id,
                "endpoint_name": part.endpoint.name,
                "resolved": [issue_dict(issue, today) for issue in part.resolved],
                "overdue": [issue_dict(issue, today) for issue in part.overdue],
            }
            for part in report.endpoints
        ],
    }
