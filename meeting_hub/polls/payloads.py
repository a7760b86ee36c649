"""The shapes of poll writes, shared by the REST API and the `answer` socket event."""

from __future__ import annotations

import marshmallow as ma

from meeting_hub.event_log.log import CLIENT_OP_ID_PATTERN
from meeting_hub.polls.models import PollKind
from meeting_hub.polls.services import (
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_OTHER_TEXT_LENGTH,
    MAX_QUESTION_LENGTH,
    MIN_OPTIONS,
)
from meeting_hub.text_input import InputSchema
from meeting_hub.url_converters import id_field

#: The most people one endpoint may count for one option (far above any room).
MAX_COUNT = 100_000


class PollBody(InputSchema):
    """A new poll (a draft). Rules the schema cannot state (422 otherwise): the question and every option hold more
    than spaces; no two options are the same, ignoring case and the spaces around them. The briefing must be
    scheduled or live (409 otherwise)."""

    question = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_QUESTION_LENGTH))
    options = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, MAX_OPTION_LENGTH)),
        required=True,
        validate=ma.validate.Length(MIN_OPTIONS, MAX_OPTIONS),
    )
    multiple = ma.fields.Boolean(load_default=False)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in PollKind]))
    #: One more option, "Khác" (other), after the organizer's, with an optional text in each answer.
    allow_other = ma.fields.Boolean(load_default=False)
    #: Cell secretaries may answer from their own phones through the endpoint's QR link (not for endpoint polls).
    allow_self_answer = ma.fields.Boolean(load_default=False)


class PollAnswerBody(InputSchema):
    """An answer. For a named or secret poll: `person_id` (recorded present or late at the briefing; an operator's own
    endpoint) and `choices`, distinct option indexes below the number of options, one unless the poll is multiple; no
    `counts`; `endpoint_id`, if given, is the person's. With "other" allowed, its index is the number of options and
    `other_text` may say what (only with that choice). For an endpoint poll: `counts`, one per option ("other"
    included), an optional `other_text` when "other" counts someone, and `endpoint_id` (an operator may leave it out:
    their own); no `person_id`, no `choices`. Breaking these is 422. 409 when the poll is not open, the briefing not
    live, the person not present or late, a secret poll already answered by the person, or the counts above the people
    present or late at the endpoint (their sum for a single choice, each for a multiple one)."""

    person_id = id_field(load_default=None, allow_none=True)
    endpoint_id = id_field(load_default=None, allow_none=True)
    choices = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(0, MAX_OPTIONS)),
        load_default=list,
        validate=ma.validate.Length(max=MAX_OPTIONS + 1),
    )
    counts = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(0, MAX_COUNT)),
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(MIN_OPTIONS, MAX_OPTIONS + 1),
    )
    other_text = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=MAX_OTHER_TEXT_LENGTH)
    )
    client_op_id = ma.fields.String(required=True, validate=ma.validate.Regexp(CLIENT_OP_ID_PATTERN))


class PollAnswerMessage(PollAnswerBody):
    """`answer` over the socket: the same body and the poll's id."""

    poll_id = id_field(required=True)
