"""API: a briefing's polls, prepared, opened and closed by organizers, answered idempotently (the same rules as the
socket's `answer`)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from meeting_hub.api.common import Blueprint, caller
from meeting_hub.extensions import db
from meeting_hub.polls import payloads, services
from meeting_hub.polls.models import PollKind, PollStatus
from meeting_hub.scheduling import services as scheduling

blueprint = Blueprint("api_polls", __name__, description="Live polls")


class EndpointResultSchema(ma.Schema):
    """One endpoint's answers: how many answered, of how many present or late, and the count of each option."""

    endpoint_id = ma.fields.Integer(required=True)
    answered = ma.fields.Integer(required=True)
    eligible = ma.fields.Integer(required=True)
    counts = ma.fields.List(ma.fields.Integer(), required=True)


class OptionResultSchema(ma.Schema):
    """One option and how many chose it."""

    index = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    other = ma.fields.Boolean(required=True, metadata={"description": 'The "other" option (allow_other)'})


class OtherTextSchema(ma.Schema):
    """What was said with "other" at one endpoint, and by how many (never by whom)."""

    endpoint_id = ma.fields.Integer(required=True)
    text = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class ResultsSchema(ma.Schema):
    """A poll's results: per option, per endpoint, and answered of eligible (present + late) people."""

    options = ma.fields.List(ma.fields.Nested(OptionResultSchema), required=True)
    answered = ma.fields.Integer(required=True)
    eligible = ma.fields.Integer(required=True)
    by_endpoint = ma.fields.List(ma.fields.Nested(EndpointResultSchema), required=True)
    other_texts = ma.fields.List(ma.fields.Nested(OtherTextSchema), required=True)


class PollSchema(ma.Schema):
    """A poll and its results so far."""

    id = ma.fields.Integer(required=True)
    briefing_id = ma.fields.Integer(required=True)
    question = ma.fields.String(required=True)
    options = ma.fields.List(ma.fields.String(), required=True)
    multiple = ma.fields.Boolean(required=True)
    allow_other = ma.fields.Boolean(required=True)
    allow_self_answer = ma.fields.Boolean(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": [k.value for k in PollKind]})
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in PollStatus]})
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    opened_at = ma.fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    closed_at = ma.fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    results = ma.fields.Nested(ResultsSchema, required=True)


class TallySchema(ma.Schema):
    """One endpoint's answers after the change."""

    answered = ma.fields.Integer(required=True)
    counts = ma.fields.List(ma.fields.Integer(), required=True)


class AnswerResultSchema(ma.Schema):
    """The result of an answer; the same body again when the client_op_id is replayed. `person_id` and `choices`
    come back for a named poll only: a secret poll's answer pairs nobody with a choice, not even here."""

    seq = ma.fields.Integer(required=True)
    briefing_id = ma.fields.Integer(required=True)
    poll_id = ma.fields.Integer(required=True)
    action = ma.fields.String(required=True, metadata={"enum": ["answered"]})
    endpoint_id = ma.fields.Integer(required=True)
    person_id = ma.fields.Integer()
    choices = ma.fields.List(ma.fields.Integer())
    other_text = ma.fields.String(allow_none=True)
    source = ma.fields.String(metadata={"enum": ["operator", "self"]})
    tally = ma.fields.Nested(TallySchema, required=True)


class PollEventSchema(ma.Schema):
    """The event logged by opening or closing a poll (also sent to the briefing's live clients)."""

    seq = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True, metadata={"enum": [services.EVENT_TYPE]})
    briefing_id = ma.fields.Integer(required=True)
    poll_id = ma.fields.Integer(required=True)
    action = ma.fields.String(required=True, metadata={"enum": ["opened", "closed"]})
    poll = ma.fields.Nested(PollSchema, required=True)


@blueprint.get("/briefings/<int:briefing_id>/polls")
@blueprint.response(200, PollSchema(many=True))
def briefing_polls(briefing_id: int) -> list[dict[str, Any]]:
    """List a briefing's polls with their results (operators: not the drafts; their briefings only)."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    return [services.poll_dict(poll, with_results=True) for poll in services.briefing_polls(briefing, user)]


@blueprint.post("/briefings/<int:briefing_id>/polls")
@blueprint.arguments(payloads.PollBody)
@blueprint.response(201, PollSchema)
def create_poll(body: dict[str, Any], briefing_id: int) -> dict[str, Any]:
    """Prepare a poll (a draft) for a scheduled or live briefing (organizers)."""
    user = caller()
    briefing = scheduling.get_briefing(briefing_id, user)
    draft = services.PollDraft(
        body["question"],
        body["options"],
        PollKind(body["kind"]),
        body["multiple"],
        allow_other=body["allow_other"],
        allow_self_answer=body["allow_self_answer"],
    )
    poll = services.create_poll(briefing, draft, user)
    db.session.commit()
    return services.poll_dict(poll, with_results=True)


@blueprint.get("/polls/<int:poll_id>")
@blueprint.response(200, PollSchema)
def get_poll(poll_id: int) -> dict[str, Any]:
    """Return a poll and its results so far."""
    return services.poll_dict(services.get_poll(poll_id, caller()), with_results=True)


@blueprint.post("/polls/<int:poll_id>/open")
@blueprint.response(200, PollEventSchema)
def open_poll(poll_id: int) -> dict[str, Any]:
    """Open a draft poll of a live briefing (organizers): 409 when it is not a draft or the briefing is not live."""
    user = caller()
    event = services.open_poll(services.get_poll(poll_id, user), user)
    db.session.commit()
    return event


@blueprint.post("/polls/<int:poll_id>/close")
@blueprint.response(200, PollEventSchema)
def close_poll(poll_id: int) -> dict[str, Any]:
    """Close an open poll for good (organizers); the event carries the final results. 409 when it is not open."""
    user = caller()
    event = services.close_poll(services.get_poll(poll_id, user), user)
    db.session.commit()
    return event


@blueprint.post("/polls/<int:poll_id>/answers")
@blueprint.arguments(payloads.PollAnswerBody)
@blueprint.response(201, AnswerResultSchema)
@blueprint.alt_response(200, schema=AnswerResultSchema, description="A replay of a client_op_id seen before")
def answer_poll(body: dict[str, Any], poll_id: int) -> tuple[dict[str, Any], int]:
    """Record an answer (operators: their endpoint; organizers): 201 when new, 200 with the original result for a
    replayed client_op_id. The rules across fields are those of the PollAnswerBody schema."""
    user = caller()
    result = services.answer_poll(poll_id, services.Answer.from_message(body), user)
    db.session.commit()
    return result.result, 200 if result.replayed else 201
