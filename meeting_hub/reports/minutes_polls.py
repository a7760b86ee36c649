"""The poll results the minutes hold: each poll put to the briefing, with its tallies, as plain values.

Kept with a frozen version of the minutes (reports.minutes.MinutesData.polls), so a version says what the polls
showed when it was frozen, whatever changes later (a correction to the roll-call changes who was present, and so
the "eligible" of a later version, never an earlier one). Tallies only: the minutes never say who chose what,
whatever the ballot kind; the per-person list of a named poll is in its export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from meeting_hub.polls.models import PollKind, PollStatus
from meeting_hub.polls.reports import poll_report, reported_polls
from meeting_hub.scheduling.models import Briefing


@dataclass(frozen=True)
class PollOptionLine:
    """An option and how many chose it; `other` marks the free "Khác" option."""

    text: str
    count: int
    other: bool = False


@dataclass(frozen=True)
class PollEndpointLine:
    """An endpoint where someone answered: how many, of how many present or late, and each option's count."""

    endpoint_name: str
    display_name: str
    answered: int
    eligible: int
    counts: list[int]


@dataclass(frozen=True)
class PollOtherText:
    """A text given with the "Khác" option, with its endpoint and how many gave it there."""

    endpoint_name: str
    text: str
    count: int = 1


@dataclass(frozen=True)
class PollMinutes:
    """A poll as the minutes report it; `closed` False when it was still open when the minutes were made."""

    question: str
    kind: PollKind
    multiple: bool
    closed: bool
    closed_at: datetime | None
    options: list[PollOptionLine]
    answered: int
    eligible: int
    #: How many endpoints the poll was put to (the invited ones, and any other with answers).
    endpoint_count: int
    responding: list[PollEndpointLine] = field(default_factory=list)
    #: The endpoints with people present or late where nobody answered, by name.
    silent: list[str] = field(default_factory=list)
    other_texts: list[PollOtherText] = field(default_factory=list)


def poll_minutes(briefing: Briefing) -> list[PollMinutes]:
    """Return the results of the briefing's open and closed polls, in the order they were made."""
    result = []
    for poll in reported_polls([briefing.id]):
        report = poll_report(poll)
        result.append(
            PollMinutes(
                question=poll.question,
                kind=poll.kind,
                multiple=poll.multiple,
                closed=poll.status == PollStatus.CLOSED,
                closed_at=poll.closed_at,
                options=[PollOptionLine(o.text, o.count, o.other) for o in report.options],
                answered=report.answered,
                eligible=report.eligible,
                endpoint_count=len(report.by_endpoint),
                responding=[
                    PollEndpointLine(
                        row.endpoint.name, row.endpoint.display_name, row.answered, row.eligible, list(row.counts)
                    )
                    for row in report.responding_endpoints
                ],
                silent=[row.endpoint.name for row in report.silent_endpoints],
                other_texts=[
                    PollOtherText(item.endpoint.name if item.endpoint else "", item.text, item.count)
                    for item in report.other_texts
                ],
            )
        )
    return result
