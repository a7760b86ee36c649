"""API: monthly series and briefings, with their open / close / cancel / reopen actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _

from meeting_hub.accounts.models import User
from meeting_hub.api.common import Blueprint, bounded_date, caller
from meeting_hub.clock import local_today, local_zone
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.public_links import external_url
from meeting_hub.scheduling import lifecycle, services
from meeting_hub.scheduling.models import Briefing, BriefingSeries, BriefingStatus
from meeting_hub.scheduling.recurrence import WEEKDAY_CODES, MonthlyRule
from meeting_hub.text_input import MULTILINE_TEXT, InputSchema
from meeting_hub.url_converters import id_field
from meeting_hub.web_links import WebLinkField

blueprint = Blueprint("api_scheduling", __name__, description="Monthly series and briefings")

MAX_LIST_DAYS = 400


def _local_iso(value: datetime) -> datetime:
    """Times go out in the network's time zone, with their offset (+07:00)."""
    return value.astimezone(local_zone())


# Schemas


class RuleSchema(InputSchema):
    """Either {"weekday": "MO".."SU", "week": 1..4 or -1} or {"day": 1..31}."""

    weekday = ma.fields.String(validate=ma.validate.OneOf(WEEKDAY_CODES))
    week = ma.fields.Integer(validate=ma.validate.OneOf([1, 2, 3, 4, -1]))
    day = ma.fields.Integer(validate=ma.validate.Range(1, 31))

    @ma.validates_schema
    def _one_kind(self, data: dict[str, Any], **_kwargs: Any) -> None:
        by_weekday = "weekday" in data or "week" in data
        if by_weekday and "day" in data:
            raise ma.ValidationError(_("Chọn một kiểu lặp: theo thứ (weekday, week) hoặc theo ngày (day)."))
        if by_weekday and not ("weekday" in data and "week" in data):
            raise ma.ValidationError(_("Kiểu lặp theo thứ cần cả weekday và week."))
        if not by_weekday and "day" not in data:
            raise ma.ValidationError(_("Cần weekday và week, hoặc day."))


#: The rule as the OpenAPI document shows it: exactly one of the two shapes.
RULE_ONE_OF = [
    {
        "type": "object",
        "required": ["weekday", "week"],
        "properties": {
            "weekday": {"type": "string", "enum": WEEKDAY_CODES},
            "week": {"type": "integer", "enum": [1, 2, 3, 4, -1]},
        },
        "additionalProperties": False,
    },
    {
        "type": "object",
        "required": ["day"],
        "properties": {"day": {"type": "integer", "minimum": 1, "maximum": 31}},
        "additionalProperties": False,
    },
]
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


class RuleField(ma.fields.Dict):
    """A monthly rule, validated by RuleSchema and documented as oneOf its two shapes."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ma.ValidationError(_("Quy tắc lặp phải là một đối tượng JSON."))
        loaded: dict[str, Any] = RuleSchema().load(value)
        return loaded


class SeriesCreateSchema(InputSchema):
    """A monthly series to set up."""

    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 250))
    rule = RuleField(required=True, metadata={"oneOf": RULE_ONE_OF})
    start_time = ma.fields.String(
        required=True, validate=ma.validate.Regexp(TIME_PATTERN), metadata={"example": "08:00"}
    )
    duration_minutes = ma.fields.Integer(required=True, validate=ma.validate.Range(15, services.MAX_DURATION_MINUTES))
    first_month = ma.fields.String(
        required=True, validate=ma.validate.Regexp(MONTH_PATTERN), metadata={"example": "2026-03"}
    )
    months = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(1, services.MAX_SERIES_MONTHS)
    )
    endpoint_ids = ma.fields.List(id_field(), load_default=None, allow_none=True, validate=ma.validate.Length(1, 5000))
    video_link = WebLinkField(load_default="")
    room = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))


class AgendaItemSchema(InputSchema):
    """One agenda line."""

    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 300))
    presenter = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    duration_minutes = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(1, services.MAX_DURATION_MINUTES)
    )


class BriefingSchema(ma.Schema):
    """A briefing as the API shows it."""

    id = ma.fields.Integer(required=True)
    series_id = ma.fields.Integer(allow_none=True)
    title = ma.fields.String(required=True)
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [status.value for status in BriefingStatus]})
    status_changed_at = ma.fields.AwareDateTime(allow_none=True)
    status_changed_by = ma.fields.String(allow_none=True)
    cancel_reason = ma.fields.String()
    video_link = ma.fields.String()
    room = ma.fields.String()
    notes = ma.fields.String()
    holiday_name = ma.fields.String(allow_none=True)
    detached = ma.fields.Boolean()
    endpoint_ids = ma.fields.List(ma.fields.Integer())
    agenda = ma.fields.List(ma.fields.Nested(AgendaItemSchema))
    ical_uid = ma.fields.String()
    ical_sequence = ma.fields.Integer()
    reopen_until = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Until when an ended briefing may be reopened; null otherwise."}
    )
    url = ma.fields.String()


class SeriesSchema(ma.Schema):
    """A series as the API shows it, with its occurrences."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    rule = ma.fields.Nested(RuleSchema, required=True)
    rule_text = ma.fields.String()
    start_time = ma.fields.Time(format="%H:%M")
    duration_minutes = ma.fields.Integer()
    first_month = ma.fields.String()
    months = ma.fields.Integer(allow_none=True)
    endpoint_ids = ma.fields.List(ma.fields.Integer(), allow_none=True)
    briefings = ma.fields.List(ma.fields.Nested(BriefingSchema))


class BriefingCreateSchema(InputSchema):
    """A single briefing to create (times with their offset). Rules across fields (422 otherwise): `ends_at` after
    `starts_at`, at most 12 hours later, both in the years 2000-2100; `endpoint_ids` name active endpoints."""

    title = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    video_link = WebLinkField(load_default="")
    room = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    notes = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000), metadata=MULTILINE_TEXT)
    endpoint_ids = ma.fields.List(id_field(), load_default=None, allow_none=True, validate=ma.validate.Length(1, 5000))
    agenda = ma.fields.List(ma.fields.Nested(AgendaItemSchema), load_default=list, validate=ma.validate.Length(max=100))


class BriefingPatchSchema(InputSchema):
    """Fields to change on a briefing; absent fields stay as they are. The result must keep the rules of creation
    (`ends_at` after `starts_at`, at most 12 hours, years 2000-2100; active endpoints); 409 once it is no longer
    scheduled."""

    title = ma.fields.String(validate=ma.validate.Length(1, 300))
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    video_link = WebLinkField()
    room = ma.fields.String(validate=ma.validate.Length(max=300))
    notes = ma.fields.String(validate=ma.validate.Length(max=5000), metadata=MULTILINE_TEXT)
    endpoint_ids = ma.fields.List(id_field(), validate=ma.validate.Length(1, 5000))
    agenda = ma.fields.List(ma.fields.Nested(AgendaItemSchema), validate=ma.validate.Length(max=100))


class BriefingListArgs(InputSchema):
    """A date range, local dates, inclusive: `from` not after `to`, at most 400 days apart (422 otherwise)."""

    from_ = bounded_date(data_key="from", load_default=None)
    to = bounded_date(load_default=None)


class CancelSchema(InputSchema):
    """Why the briefing is cancelled."""

    reason = ma.fields.String(
        load_default="", validate=ma.validate.Length(max=lifecycle.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


class OpenSchema(InputSchema):
    """Opening before the briefing's day must be confirmed."""

    confirm_early = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "true to open before the briefing's day (else 409 confirmation_required)."},
    )


class CloseSchema(InputSchema):
    """Closing while people are unrecorded must be confirmed with how many the caller accepts to leave so."""

    confirm_unrecorded = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=0),
        metadata={
            "description": "How many unrecorded people the caller accepts (the number it was shown); when more are "
            "unrecorded, 409 confirmation_required with details.unrecorded."
        },
    )


class ReopenSchema(InputSchema):
    """Why a briefing ended by mistake is reopened."""

    reason = ma.fields.String(
        required=True, validate=ma.validate.Length(1, lifecycle.MAX_REASON_LENGTH), metadata=MULTILINE_TEXT
    )


# Conversions


def briefing_dict(briefing: Briefing) -> dict[str, Any]:
    """Return the API form of a briefing."""
    return {
        "id": briefing.id,
        "series_id": briefing.series_id,
        "title": briefing.title,
        "starts_at": _local_iso(briefing.starts_at),
        "ends_at": _local_iso(briefing.ends_at),
        "status": briefing.status.value,
        "status_changed_at": _local_iso(briefing.status_changed_at) if briefing.status_changed_at else None,
        "status_changed_by": briefing.status_changed_by.username if briefing.status_changed_by else None,
        "cancel_reason": briefing.cancel_reason,
        "video_link": briefing.video_link,
        "room": briefing.room,
        "notes": briefing.notes,
        "holiday_name": briefing.holiday_name,
        "detached": briefing.detached,
        "endpoint_ids": sorted(endpoint.id for endpoint in briefing.endpoints),
        "agenda": [
            {"title": item.title, "presenter": item.presenter, "duration_minutes": item.duration_minutes}
            for item in briefing.agenda_items
        ],
        "ical_uid": briefing.ical_uid,
        "ical_sequence": briefing.ical_sequence,
        "reopen_until": _local_iso(until) if (until := lifecycle.reopen_until(briefing)) else None,
        "url": external_url("scheduling.briefing_detail", briefing_id=briefing.id),
    }


def _series_dict(series: BriefingSeries) -> dict[str, Any]:
    rule = services.series_rule(series)
    rule_out: dict[str, Any] = (
        {"day": rule.day} if rule.day is not None else {"weekday": WEEKDAY_CODES[rule.weekday or 0], "week": rule.week}
    )
    return {
        "id": series.id,
        "title": series.title,
        "rule": rule_out,
        "rule_text": rule.describe(),
        "start_time": series.start_time,
        "duration_minutes": series.duration_minutes,
        "first_month": series.first_month.strftime("%Y-%m"),
        "months": series.months,
        "endpoint_ids": None if series.all_endpoints else sorted(endpoint.id for endpoint in series.endpoints),
        "briefings": [briefing_dict(briefing) for briefing in series.briefings],
    }


def _monthly_rule(rule: dict[str, Any]) -> MonthlyRule:
    if "day" in rule:
        return MonthlyRule(day=rule["day"])
    return MonthlyRule(weekday=WEEKDAY_CODES.index(rule["weekday"]), week=rule["week"])


def _agenda(items: list[dict[str, Any]] | None) -> list[services.AgendaItemData] | None:
    if items is None:
        return None
    return [services.AgendaItemData(**item) for item in items]


# Operations


@blueprint.post("/series")
@blueprint.arguments(SeriesCreateSchema)
@blueprint.response(201, SeriesSchema)
def create_series(body: dict[str, Any]) -> dict[str, Any]:
    """Set up a monthly series; its occurrences are generated at once."""
    year, month = (int(part) for part in body["first_month"].split("-"))
    data = services.SeriesData(
        title=body["title"],
        rule=_monthly_rule(body["rule"]),
        start_time=time.fromisoformat(body["start_time"]),  # a string field: always "HH:MM"
        duration_minutes=body["duration_minutes"],
        first_month=date(year, month, 1),
        months=body["months"],
        endpoint_ids=body["endpoint_ids"],
        video_link=body["video_link"],
        room=body["room"],
    )
    series = services.schedule_series(data, caller())
    db.session.commit()
    return _series_dict(series)


@blueprint.get("/briefings")
@blueprint.arguments(BriefingListArgs, location="query")
@blueprint.response(200, BriefingSchema(many=True))
def list_briefings(args: dict[str, Any]) -> list[dict[str, Any]]:
    """List the briefings the caller may see between two local dates (default: this month and the next two)."""
    first = args["from_"] or local_today().replace(day=1)
    last = args["to"] or first + timedelta(days=92)
    if last < first:
        raise ValidationFailed(_("Ngày kết thúc phải sau ngày bắt đầu."), details={"to": _("Phải sau “from”.")})
    if (last - first).days > MAX_LIST_DAYS:
        raise ValidationFailed(
            _("Khoảng thời gian tối đa %(n)d ngày.", n=MAX_LIST_DAYS), details={"to": _("Khoảng quá dài.")}
        )
    services.extend_series_horizons()
    briefings = services.list_briefings(caller(), first, last, with_details=True)
    return [briefing_dict(briefing) for briefing in briefings]


@blueprint.post("/briefings")
@blueprint.arguments(BriefingCreateSchema)
@blueprint.response(201, BriefingSchema)
def create_briefing(body: dict[str, Any]) -> dict[str, Any]:
    """Create a single briefing outside any series."""
    data = services.BriefingData(
        title=body["title"],
        starts_at=body["starts_at"],
        ends_at=body["ends_at"],
        video_link=body["video_link"],
        room=body["room"],
        notes=body["notes"],
        endpoint_ids=body["endpoint_ids"],
        agenda=_agenda(body["agenda"]),
    )
    briefing = services.create_briefing(data, caller())
    db.session.commit()
    return briefing_dict(briefing)


@blueprint.get("/briefings/<int:briefing_id>")
@blueprint.response(200, BriefingSchema)
def get_briefing(briefing_id: int) -> dict[str, Any]:
    """Return one briefing (operators: only those their endpoint is invited to)."""
    return briefing_dict(services.get_briefing(briefing_id, caller()))


@blueprint.patch("/briefings/<int:briefing_id>")
@blueprint.arguments(BriefingPatchSchema)
@blueprint.response(200, BriefingSchema)
def update_briefing(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Change or move one briefing; the rest of its series is left alone."""
    briefing = services.get_briefing(briefing_id)
    data = services.BriefingData(
        title=body.get("title"),
        starts_at=body.get("starts_at"),
        ends_at=body.get("ends_at"),
        video_link=body.get("video_link"),
        room=body.get("room"),
        notes=body.get("notes"),
        endpoint_ids=body.get("endpoint_ids"),
        agenda=_agenda(body.get("agenda")),
    )
    services.update_briefing(briefing, data, caller())
    db.session.commit()
    return briefing_dict(briefing)


def _change_status(briefing_id: int, change: Callable[[Briefing, User], Briefing]) -> dict[str, Any]:
    briefing = services.get_briefing(briefing_id)
    change(briefing, caller())
    db.session.commit()
    return briefing_dict(briefing)


@blueprint.post("/briefings/<int:briefing_id>/cancel")
@blueprint.arguments(CancelSchema, required=False)
@blueprint.response(200, BriefingSchema)
def cancel_briefing(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Cancel a scheduled briefing; it stays in calendars as cancelled."""
    reason = body.get("reason", "")
    return _change_status(briefing_id, lambda briefing, actor: lifecycle.cancel_briefing(briefing, actor, reason))


@blueprint.post("/briefings/<int:briefing_id>/open")
@blueprint.arguments(OpenSchema, required=False)
@blueprint.response(200, BriefingSchema)
def open_briefing(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Open a scheduled briefing: it goes live. Before its day: 409 confirmation_required unless confirm_early."""
    confirm_early = bool(body.get("confirm_early", False))
    return _change_status(
        briefing_id, lambda briefing, actor: lifecycle.open_briefing(briefing, actor, confirm_early=confirm_early)
    )


@blueprint.post("/briefings/<int:briefing_id>/close")
@blueprint.arguments(CloseSchema, required=False)
@blueprint.response(200, BriefingSchema)
def close_briefing(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Close a live briefing. With people unrecorded: 409 confirmation_required (details.unrecorded) unless
    confirm_unrecorded is at least that number."""
    accepted = body.get("confirm_unrecorded")
    return _change_status(
        briefing_id, lambda briefing, actor: lifecycle.close_briefing(briefing, actor, confirm_unrecorded=accepted)
    )


@blueprint.post("/briefings/<int:briefing_id>/reopen")
@blueprint.arguments(ReopenSchema)
@blueprint.response(200, BriefingSchema)
def reopen_briefing(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Reopen a briefing ended by mistake, with a reason, within the reopening window (reopen_until)."""
    reason = body["reason"]
    return _change_status(briefing_id, lambda briefing, actor: lifecycle.reopen_briefing(briefing, actor, reason))
