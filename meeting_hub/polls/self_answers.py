"""Self-answers: a cell secretary answers an open poll from their own phone, through the endpoint's QR link.

The person is confirmed as in self check-in (their name on the endpoint's roster and the last four digits of its
phone number), and the answer then takes the operators' path without a user (services.answer_poll_self), where the
operator's entry wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.attendance.self_check_in import SelfCheckInTarget, confirm_person
from meeting_hub.errors import NotFound
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.polls import services
from meeting_hub.polls.models import Poll, PollKind, PollStatus
from meeting_hub.scheduling.models import Briefing, BriefingStatus


@dataclass(frozen=True)
class SelfAnswerOutcome:
    """What the secretary is told: their name, the poll, and (a named poll only) what was recorded."""

    person: Person
    poll: Poll
    choices: list[int]


def open_for_self_answers(briefing: Briefing) -> list[Poll]:
    """Return the briefing's open polls that its cell secretaries may answer themselves (none unless it is live)."""
    if briefing.status != BriefingStatus.LIVE:
        return []
    return list(
        db.session.scalars(
            sa.select(Poll)
            .where(
                Poll.briefing_id == briefing.id,
                Poll.status == PollStatus.OPEN,
                Poll.allow_self_answer.is_(True),
                Poll.kind != PollKind.ENDPOINT,
            )
            .order_by(Poll.id)
        )
    )


def answer_as_self(
    target: SelfCheckInTarget,
    poll_id: int,
    person_id: int,
    phone_last_digits: str,
    choices: list[int],
    other_text: str | None,
) -> SelfAnswerOutcome:
    """Confirm the person, then record their answer; the caller commits (and rolls back a refusal)."""
    person = confirm_person(target, person_id, phone_last_digits)
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(_("Không tìm thấy câu hỏi thăm dò."))
    services.answer_poll_self(poll, target.briefing, target.endpoint.id, person.id, choices, other_text)
    return SelfAnswerOutcome(person, poll, [] if poll.kind == PollKind.SECRET else sorted(set(choices)))
