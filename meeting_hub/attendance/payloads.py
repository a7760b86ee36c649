"""The shapes of attendance writes and socket messages, shared by the socket handlers and the REST API."""

from __future__ import annotations

import marshmallow as ma

from meeting_hub.attendance.models import AttendanceStatus, LinkStatus
from meeting_hub.attendance.services import MAX_NOTE_LENGTH, MAX_SUBSTITUTE_LENGTH
from meeting_hub.event_log.log import CLIENT_OP_ID_PATTERN
from meeting_hub.text_input import InputSchema
from meeting_hub.url_converters import id_field


def _id_field() -> ma.fields.Integer:
    return id_field(required=True)


class CheckInBody(InputSchema):
    """A check-in: who, with which status, and the client's operation id. Rules across fields and stored data (422
    otherwise): a `substitute_name` only with status present or late; `person_id` on the roster of an invited
    endpoint the caller may record for."""

    person_id = _id_field()
    status = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in AttendanceStatus]))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_NOTE_LENGTH))
    substitute_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=MAX_SUBSTITUTE_LENGTH))
    client_op_id = ma.fields.String(required=True, validate=ma.validate.Regexp(CLIENT_OP_ID_PATTERN))


class BriefingRef(InputSchema):
    """A socket message about one briefing."""

    briefing_id = _id_field()


class WatchMessage(BriefingRef):
    """`watch`: start receiving a briefing's events, after last_seq when given."""

    last_seq = ma.fields.Integer(load_default=None, allow_none=True, strict=True, validate=ma.validate.Range(0, 2**62))


class CheckInMessage(BriefingRef, CheckInBody):
    """`check_in` over the socket."""


class LinkStatusMessage(BriefingRef):
    """`link_status`: the operator's report on their endpoint's link."""

    status = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in LinkStatus]))


class HeartbeatMessage(BriefingRef):
    """`heartbeat`: the console is alive."""
