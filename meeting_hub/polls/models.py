"""Live polls during a briefing: the poll, and its answers stored by ballot kind.

- named: one PollBallot per person, with the person's choices.
- secret: who answered (PollParticipant: poll, person, endpoint; no time, no order, no choice) and, apart from it, an
  anonymous tally per endpoint and option (PollTally). Nothing stored pairs a person with a choice.
- endpoint: one PollEndpointReport per endpoint, the counts of hands its operator entered (replaced by a later one).

With `allow_other`, one more option follows the organizer's: "other", index len(options), with an optional text
(on the ballot, on the endpoint's report, or for a secret poll in PollOtherText, which names no one).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from meeting_hub.database import Base, UTCDateTime, string_enum, utcnow


class PollKind(StrEnum):
    """Who answers and what is kept of it."""

    NAMED = "named"
    SECRET = "secret"
    ENDPOINT = "endpoint"


class PollStatus(StrEnum):
    """A poll is prepared as a draft, opened during the briefing, then closed for good."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AnswerSource(StrEnum):
    """Who entered an answer: the endpoint's operator (or an organizer), or the person from their phone."""

    OPERATOR = "operator"
    SELF = "self"


POLL_KIND_LABELS = {
    PollKind.NAMED: _l("Theo từng người, ghi tên"),
    PollKind.SECRET: _l("Theo từng người, bỏ phiếu kín"),
    PollKind.ENDPOINT: _l("Theo điểm cầu (đếm số người)"),
}
POLL_STATUS_LABELS = {
    PollStatus.DRAFT: _l("Bản nháp"),
    PollStatus.OPEN: _l("Đang mở"),
    PollStatus.CLOSED: _l("Đã đóng"),
}


class Poll(Base):
    """A question put to the briefing's endpoints, with 2 to 10 options."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    briefing_id: Mapped[int] = mapped_column(sa.ForeignKey("briefings.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(sa.String(500))
    #: The options' texts, in order: an answer names options by their index in this list.
    options: Mapped[list[str]] = mapped_column(sa.JSON)
    multiple: Mapped[bool] = mapped_column(default=False)
    #: One more option, "other" (index len(options)), with a free text.
    allow_other: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Cell secretaries may answer from their own phones through the endpoint's QR link.
    allow_self_answer: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    kind: Mapped[PollKind] = mapped_column(string_enum(PollKind, "poll_kind"))
    status: Mapped[PollStatus] = mapped_column(string_enum(PollStatus, "poll_status"), default=PollStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PollBallot(Base):
    """A named poll's answer of one person (a later answer replaces it)."""

    __tablename__ = "poll_ballots"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    #: The person's endpoint at the briefing (their attendance record's).
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), index=True)
    #: The chosen options' indexes, ascending.
    choices: Mapped[list[int]] = mapped_column(sa.JSON)
    #: What the person said with "other", if they chose it and said something.
    other_text: Mapped[str | None] = mapped_column(sa.String(200))
    source: Mapped[AnswerSource] = mapped_column(
        string_enum(AnswerSource, "poll_answer_source"), default=AnswerSource.OPERATOR, server_default="operator"
    )
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The seq of the event that set the current choices.
    seq: Mapped[int] = mapped_column()


class PollParticipant(Base):
    """Who answered a secret poll, and at which endpoint: deliberately no choice, no time and no seq, so that no row
    can be matched with a change of the tally (the composite key gives no insertion order either)."""

    __tablename__ = "poll_participants"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), index=True)
    #: Who entered the ballot (not what it said): a self-answer and an operator's entry exclude each other.
    source: Mapped[AnswerSource] = mapped_column(
        string_enum(AnswerSource, "poll_answer_source"), default=AnswerSource.OPERATOR, server_default="operator"
    )


class PollTally(Base):
    """A secret poll's anonymous count of one option at one endpoint, raised by each answer."""

    __tablename__ = "poll_tallies"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), primary_key=True)
    option_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)


class PollOtherText(Base):
    """A secret poll's "other" texts at one endpoint, counted like the tallies: the text, never who wrote it."""

    __tablename__ = "poll_other_texts"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class PollEndpointReport(Base):
    """An endpoint poll's counts at one endpoint, as its operator last entered them."""

    __tablename__ = "poll_endpoint_reports"

    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("endpoints.id"), primary_key=True)
    #: How many people chose each option, by index.
    counts: Mapped[list[int]] = mapped_column(sa.JSON)
    #: How many people answered: the sum of the counts for a single choice, their largest for a multiple one.
    answered: Mapped[int] = mapped_column()
    #: What the room said with "other", as the operator noted it.
    other_text: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seq: Mapped[int] = mapped_column()
