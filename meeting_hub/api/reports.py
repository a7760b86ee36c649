"""API: a briefing's minutes (PDF, frozen versions, corrections), its attendance and its polls' results as CSV or
XLSX."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for

from meeting_hub.accounts.roles import Role
from meeting_hub.api.common import Blueprint, caller
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.polls import services as polls
from meeting_hub.polls.models import Poll
from meeting_hub.reports import exports, minutes, poll_exports
from meeting_hub.reports.models import MinutesVersion
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from meeting_hub.text_input import MULTILINE_TEXT, InputSchema

blueprint = Blueprint("api_reports", __name__, description="Minutes and attendance exports")

PDF_MIMETYPE = "application/pdf"
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_VERSION = 9_999


class MinutesArgs(InputSchema):
    """Which minutes to send: a frozen version (default: the latest), or a draft from the current data."""

    version = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, MAX_VERSION))
    draft = ma.fields.Boolean(load_default=False)


class MinutesVersionSchema(ma.Schema):
    """One frozen version of the minutes."""

    version = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    created_by = ma.fields.String(allow_none=True, metadata={"description": "username"})
    reason = ma.fields.String(
        required=True,
        metadata={
            "description": "empty for version 1, frozen on closing; a correction's reason; or, with reopened, why "
            "the briefing was reopened before this version was frozen at its closing"
        },
    )
    reopened = ma.fields.Boolean(
        required=True, metadata={"description": "frozen when the briefing closed again after a reopening"}
    )
    state = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([state.value for state in minutes.VersionState]),
        metadata={
            "description": "the content is frozen at once; its PDF is laid out by a background job: preparing, "
            "ready, or failed (an organizer can ask for it again with POST .../minutes/{version}/prepare)"
        },
    )
    size_bytes = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null until ready"})
    sha256 = ma.fields.String(required=True, allow_none=True, metadata={"description": "of the PDF; null until ready"})
    url = ma.fields.String(required=True, metadata={"description": "answers 409 minutes_not_ready until ready"})


class CorrectionBody(InputSchema):
    """Why the minutes are corrected."""

    reason = ma.fields.String(
        required=True, validate=ma.validate.Length(1, minutes.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


def version_dict(briefing: Briefing, item: MinutesVersion) -> dict[str, Any]:
    """Return the API's form of a frozen version."""
    return {
        "version": item.version,
        "created_at": item.created_at.astimezone(local_zone()),
        "created_by": item.created_by.username if item.created_by else None,
        "reason": item.reason,
        "reopened": item.version in minutes.reopened_versions(briefing),
        "state": minutes.version_state(item).value,
        "size_bytes": item.size_bytes,
        "sha256": item.sha256,
        "url": url_for("api_reports.minutes_pdf", briefing_id=briefing.id, version=item.version),
    }


def _file(content: bytes, mimetype: str, name: str, disposition: str = "attachment") -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/briefings/<int:briefing_id>/minutes.pdf")
@blueprint.arguments(MinutesArgs, location="query")
@blueprint.response(
    200,
    content_type=PDF_MIMETYPE,
    description="The minutes as an A4 PDF: the version asked for, else the latest frozen one, else a draft. "
    "The X-Minutes-Version header names the version (empty for a draft).",
)
def minutes_pdf(args: dict[str, Any], briefing_id: int) -> Response:
    """Return the minutes of a held briefing as a PDF (409 before it is held or when cancelled)."""
    briefing = scheduling.get_briefing(briefing_id, caller())
    content, version = minutes.minutes_pdf(briefing, args["version"], draft=args["draft"])
    response = _file(content, PDF_MIMETYPE, minutes.download_name(briefing, version), "inline")
    response.headers["X-Minutes-Version"] = str(version or "")
    return response


@blueprint.get("/briefings/<int:briefing_id>/minutes")
@blueprint.response(200, MinutesVersionSchema(many=True))
def minutes_versions(briefing_id: int) -> list[dict[str, Any]]:
    """List the frozen versions of the minutes, oldest first."""
    briefing = scheduling.get_briefing(briefing_id, caller())
    return [version_dict(briefing, item) for item in minutes.list_versions(briefing)]


@blueprint.post("/briefings/<int:briefing_id>/minutes")
@blueprint.arguments(CorrectionBody)
@blueprint.response(201, MinutesVersionSchema)
def correct_minutes(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Freeze a corrected version of an ended briefing's minutes from the current data, with the reason."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    item = minutes.correct_minutes(briefing, body["reason"], user)
    db.session.commit()
    return version_dict(briefing, item)


@blueprint.post("/briefings/<int:briefing_id>/minutes/<int:version>/prepare")
@blueprint.response(202, MinutesVersionSchema)
def prepare_minutes(briefing_id: int, version: int) -> dict[str, Any]:
    """Ask again for the PDF of a frozen version whose preparation failed (a version being prepared or ready is
    left as it is)."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    item = minutes.prepare_again(briefing, version, user)
    db.session.commit()
    return version_dict(briefing, item)


def _attendance_rows(briefing_id: int) -> tuple[Briefing, list[list[Any]]]:
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    only_endpoint = user.endpoint_id if user.role == Role.OPERATOR else None
    return briefing, exports.export_rows(briefing, only_endpoint)


@blueprint.get("/briefings/<int:briefing_id>/attendance.csv")
@blueprint.response(
    200, content_type=CSV_MIMETYPE, description="Every roster row of the invited endpoints (UTF-8 with BOM)"
)
def attendance_csv(briefing_id: int) -> Response:
    """Export the attendance as CSV (operators: their own endpoint); formula-like cells are neutralised."""
    briefing, rows = _attendance_rows(briefing_id)
    return _file(
        exports.attendance_csv(rows), CSV_MIMETYPE, exports.export_name(briefing, "csv")
    )  # Werkzeug adds the charset


@blueprint.get("/briefings/<int:briefing_id>/attendance.xlsx")
@blueprint.response(200, content_type=XLSX_MIMETYPE, description="Every roster row of the invited endpoints")
def attendance_xlsx(briefing_id: int) -> Response:
    """Export the attendance as an Excel workbook with typed cells (operators: their own endpoint)."""
    briefing, rows = _attendance_rows(briefing_id)
    return _file(exports.attendance_xlsx(rows), XLSX_MIMETYPE, exports.export_name(briefing, "xlsx"))


def _poll_export(poll_id: int) -> tuple[Briefing, Poll, int | None]:
    """Return a poll the caller may see, its briefing, and the caller's endpoint when they are an operator."""
    user = caller()
    poll = polls.get_poll(poll_id, user)
    briefing = scheduling.get_briefing(poll.briefing_id, user)
    return briefing, poll, user.endpoint_id if user.role == Role.OPERATOR else None


@blueprint.get("/polls/<int:poll_id>/results.csv")
@blueprint.response(
    200,
    content_type=CSV_MIMETYPE,
    description="One row per endpoint (answered, present, the answered rate, one column per option), then the "
    "totals and each option's share (UTF-8 with BOM). Tallies only, whatever the ballot kind.",
)
def poll_results_csv(poll_id: int) -> Response:
    """Export a poll's results per endpoint as CSV (409 for a draft); formula-like cells are neutralised."""
    briefing, poll, _endpoint = _poll_export(poll_id)
    return _file(poll_exports.results_csv(poll), CSV_MIMETYPE, poll_exports.export_name(briefing, poll, "csv"))


@blueprint.get("/polls/<int:poll_id>/people.csv")
@blueprint.response(
    200,
    content_type=CSV_MIMETYPE,
    description="A named poll's answers by person: endpoint, cell, name, choices, other text (operators: their own "
    "endpoint). 409 for a secret or endpoint poll: those keep no choice by person.",
)
def poll_people_csv(poll_id: int) -> Response:
    """Export who chose what in a named poll as CSV (operators: their own endpoint)."""
    briefing, poll, endpoint_id = _poll_export(poll_id)
    return _file(
        poll_exports.people_csv(poll, endpoint_id),
        CSV_MIMETYPE,
        poll_exports.export_name(briefing, poll, "csv", people=True),
    )


@blueprint.get("/polls/<int:poll_id>/results.xlsx")
@blueprint.response(
    200,
    content_type=XLSX_MIMETYPE,
    description="Sheets: per option, per endpoint, the other texts (when the poll has the option), and for a named "
    "poll the answers by person (operators: their own endpoint's).",
)
def poll_results_xlsx(poll_id: int) -> Response:
    """Export a poll's results as an Excel workbook with typed cells (409 for a draft)."""
    briefing, poll, endpoint_id = _poll_export(poll_id)
    return _file(
        poll_exports.results_xlsx(poll, endpoint_id), XLSX_MIMETYPE, poll_exports.export_name(briefing, poll, "xlsx")
    )
