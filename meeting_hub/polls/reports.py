"""What the minutes, the exports and the statistics read of polls: the polls put to a briefing, their results, and
(named polls only) who chose what.

The numbers come from services.poll_results, so a report says what the dashboard and the API say. Drafts were never
put to the endpoints: no report shows them. A secret poll has no per-person reading here at all: named_ballots
refuses it, and nothing else returns people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from meeting_hub.errors import Conflict
from meeting_hub.extensions import db
from meeting_hub.network.models import Cell, Endpoint, Person
from meeting_hub.polls.models import AnswerSource, Poll, PollBallot, PollKind, PollStatus
from meeting_hub.polls.services import poll_results
from meeting_hub.vietnamese import sort_key

#: The polls a report shows: those put to the endpoints (open or closed).
REPORTED_STATUSES = (PollStatus.OPEN, PollStatus.CLOSED)


def reported_polls(briefing_ids: Iterable[int]) -> list[Poll]:
    """Return the open and closed polls of these briefings, by briefing and in the order they were made."""
    ids = list(briefing_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Poll)
            .where(Poll.briefing_id.in_(ids), Poll.status.in_(REPORTED_STATUSES))
            .order_by(Poll.briefing_id, Poll.id)
        )
    )


@dataclass(frozen=True)
class OptionResult:
    """One option of a poll's results: its text, how many chose it, and whether it is the free "other" option."""

    index: int
    text: str
    count: int
    other: bool = False

    def share(self, answered: int) -> float | None:
        """Return the share of the people who answered that chose this option (None when nobody answered)."""
        return self.count / answered if answered else None


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint's answers: how many answered of how many present or late, and each option's count."""

    endpoint: Endpoint
    answered: int
    eligible: int
    counts: list[int]


@dataclass(frozen=True)
class OtherText:
    """A text given with the "other" option, the endpoint it came from (never who gave it), and how many gave it
    there (an endpoint poll: the operator's one note)."""

    endpoint: Endpoint | None
    text: str
    count: int = 1


@dataclass(frozen=True)
class PollReport:
    """A poll with its results, its endpoints loaded and sorted by name."""

    poll: Poll
    options: list[OptionResult]
    answered: int
    eligible: int
    by_endpoint: list[EndpointResult]
    other_texts: list[OtherText]

    @property
    def responding_endpoints(self) -> list[EndpointResult]:
        """Return the endpoints where someone answered."""
        return [row for row in self.by_endpoint if row.answered]

    @property
    def silent_endpoints(self) -> list[EndpointResult]:
        """Return the endpoints with people present or late where nobody answered."""
        return [row for row in self.by_endpoint if not row.answered and row.eligible]


def _endpoints(ids: Iterable[int]) -> dict[int, Endpoint]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_(wanted)))}


def poll_report(poll: Poll) -> PollReport:
    """Return a poll's results (services.poll_results) with its endpoints and the "other" texts, if any."""
    results: dict[str, Any] = poll_results(poll)
    other_texts: list[dict[str, Any]] = list(results.get("other_texts") or [])
    endpoints = _endpoints(
        [row["endpoint_id"] for row in results["by_endpoint"]]
        + [item["endpoint_id"] for item in other_texts if item.get("endpoint_id") is not None]
    )
    options = [
        OptionResult(item["index"], item["text"], item["count"], bool(item.get("other", False)))
        for item in results["options"]
    ]
    rows = [
        EndpointResult(endpoints[row["endpoint_id"]], row["answered"], row["eligible"], list(row["counts"]))
        for row in results["by_endpoint"]
    ]
    rows.sort(key=lambda row: sort_key(row.endpoint.name))
    texts = [
        OtherText(endpoints.get(item.get("endpoint_id") or 0), str(item["text"]), int(item.get("count") or 1))
        for item in other_texts
    ]
    texts.sort(key=lambda item: (sort_key(item.endpoint.name) if item.endpoint else "", sort_key(item.text)))
    return PollReport(poll, options, results["answered"], results["eligible"], rows, texts)


@dataclass(frozen=True)
class NamedBallot:
    """A named poll's answer of one person, as the per-person export lists it."""

    endpoint: Endpoint
    cell: Cell
    person: Person
    choices: list[int]
    other_text: str
    source: AnswerSource


def named_ballots(poll: Poll, endpoint_id: int | None = None) -> list[NamedBallot]:
    """Return who chose what in a named poll (or at one endpoint), by endpoint, cell and name.

    Refused for any other kind: a secret poll keeps no such pairing, and an endpoint poll has no people.
    """
    if poll.kind != PollKind.NAMED:
        raise Conflict(_("Chỉ câu hỏi ghi tên mới có danh sách lựa chọn của từng người."))
    statement = (
        sa.select(PollBallot, Person, Cell, Endpoint)
        .join(Person, Person.id == PollBallot.person_id)
        .join(Cell, Cell.id == Person.cell_id)
        .join(Endpoint, Endpoint.id == PollBallot.endpoint_id)
        .where(PollBallot.poll_id == poll.id)
    )
    if endpoint_id is not None:
        statement = statement.where(PollBallot.endpoint_id == endpoint_id)
    ballots = [
        NamedBallot(endpoint, cell, person, list(ballot.choices), ballot.other_text or "", ballot.source)
        for ballot, person, cell, endpoint in db.session.execute(statement)
    ]
    ballots.sort(
        key=lambda b: (sort_key(b.endpoint.name), sort_key(b.cell.name), sort_key(b.person.full_name), b.person.id)
    )
    return ballots


@dataclass
class Participation:
    """How many answers were given, of how many could have been (people present or late, for each poll)."""

    answered: int = 0
    eligible: int = 0

    @property
    def rate(self) -> float | None:
        """Return answered / eligible, or None when nobody could answer."""
        return self.answered / self.eligible if self.eligible else None

    def add(self, answered: int, eligible: int) -> None:
        """Count one poll's answers at a place."""
        self.answered += answered
        self.eligible += eligible


def participation(briefing_ids: Iterable[int]) -> tuple[dict[int, int], dict[tuple[int, int], Participation]]:
    """Return, for these briefings, {briefing id: number of polls} and {(briefing id, endpoint id): participation}.

    Participation sums over the briefing's open and closed polls: each poll counts its answers and its people
    present or late, so 2 polls with 10 people present make 20 possible answers.
    """
    polls: dict[int, int] = defaultdict(int)
    by_endpoint: dict[tuple[int, int], Participation] = defaultdict(Participation)
    for poll in reported_polls(briefing_ids):
        polls[poll.briefing_id] += 1
        for row in poll_results(poll)["by_endpoint"]:
            by_endpoint[(poll.briefing_id, row["endpoint_id"])].add(row["answered"], row["eligible"])
    return dict(polls), dict(by_endpoint)
