"""API: a briefing's attendance, read as a snapshot and written idempotently (the same rules as the socket)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import orjson
from flask import Response

from meeting_hub.accounts.roles import Role
from meeting_hub.api.common import Blueprint, caller
from meeting_hub.api.polls import PollSchema, TallySchema
from meeting_hub.attendance import payloads, services
from meeting_hub.attendance.models import AttendanceStatus, CheckInVia, LinkStatus
from meeting_hub.attendance.snapshot import attendance_snapshot
from meeting_hub.extensions import db
from meeting_hub.scheduling import services as scheduling

blueprint = Blueprint("api_attendance", __name__, description="Live attendance")


class EndpointAttendanceSchema(ma.Schema):
    """One endpoint's link and counts."""

    endpoint_id = ma.fields.Integer(required=True)
    link_status = ma.fields.String(allow_none=True, metadata={"enum": [s.value for s in LinkStatus]})
    last_seen_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    expected = ma.fields.Integer(required=True)
    present = ma.fields.Integer(required=True)
    late = ma.fields.Integer(required=True)
    excused = ma.fields.Integer(required=True)
    absent = ma.fields.Integer(required=True)
    pending = ma.fields.Integer(required=True)


class RecordSchema(ma.Schema):
    """One person's attendance."""

    person_id = ma.fields.Integer(required=True)
    endpoint_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in AttendanceStatus]})
    note = ma.fields.String(required=True)
    substitute_name = ma.fields.String(required=True)
    recorded_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    recorded_by = ma.fields.String(allow_none=True)
    via = ma.fields.String(required=True, metadata={"enum": [v.value for v in CheckInVia]})


class EndpointTallySchema(TallySchema):
    """One endpoint's answers to a poll at the snapshot (only endpoints with answers are listed)."""

    endpoint_id = ma.fields.Integer(required=True)


class SnapshotPollSchema(PollSchema):
    """An open or closed poll with its tally at the snapshot, summed over the snapshot's endpoints (an operator's:
    their endpoint's) and by endpoint; eligible: people present or late."""

    class Meta:
        exclude = ("results",)

    answered = ma.fields.Integer(required=True)
    eligible = ma.fields.Integer(required=True)
    counts = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": '"other" last if allowed'})
    by_endpoint = ma.fields.List(ma.fields.Nested(EndpointTallySchema), required=True)


class AttendanceSchema(ma.Schema):
    """A briefing's attendance at a seq, with its open and closed polls' tallies (docs/polls.md)."""

    briefing_id = ma.fields.Integer(required=True)
    seq = ma.fields.Integer(required=True)
    endpoints = ma.fields.List(ma.fields.Nested(EndpointAttendanceSchema), required=True)
    records = ma.fields.List(ma.fields.Nested(RecordSchema), required=True)
    polls = ma.fields.List(ma.fields.Nested(SnapshotPollSchema), required=True)


class CheckInResultSchema(ma.Schema):
    """The result of a check-in; the same body again when the client_op_id is replayed."""

    seq = ma.fields.Integer(required=True)
    record = ma.fields.Nested(RecordSchema, required=True)


@blueprint.get("/briefings/<int:briefing_id>/attendance")
@blueprint.response(200, AttendanceSchema)
def get_attendance(briefing_id: int) -> Response:
    """Return the attendance snapshot (operators: their own endpoint only)."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    only_endpoint = user.endpoint_id if user.role == Role.OPERATOR else None
    # A ready response skips flask-smorest's marshmallow dump, which cost more than building the snapshot at 31,560
    # records (the snapshot is in the contract's shape and types already; AttendanceSchema still documents it), and
    # orjson writes the 6 MB of a whole roll-call ten times faster than json, in the same bytes (sorted keys).
    body = orjson.dumps(attendance_snapshot(briefing, only_endpoint), option=orjson.OPT_SORT_KEYS)
    return Response(body, mimetype="application/json")


@blueprint.post("/briefings/<int:briefing_id>/attendance")
@blueprint.arguments(payloads.CheckInBody)
@blueprint.response(201, CheckInResultSchema)
@blueprint.alt_response(200, schema=CheckInResultSchema, description="A replay of a client_op_id seen before")
def post_attendance(body: dict[str, Any], briefing_id: int) -> tuple[dict[str, Any], int]:
    """Record one person's attendance: 201 when new, 200 with the original result for a replayed client_op_id."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id)
    check_in = services.CheckIn.from_message(body)
    result = services.record_check_in(briefing, check_in, user)
    db.session.commit()
    return result.result, 200 if result.replayed else 201
