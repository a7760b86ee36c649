"""Participation in polls over time: of the people present (or late) at each endpoint, the share who answered the
polls of each held briefing, per briefing, per month and per endpoint.

A briefing's polls are its open and closed ones (drafts were never put). Each poll counts its answers and the people
present or late when it is counted, as its results say (polls.services.poll_results): 2 polls with 10 people present
at an endpoint make 20 possible answers there. An endpoint poll's "answered" is what its operator reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from meeting_hub.extensions import db
from meeting_hub.network.models import Endpoint
from meeting_hub.polls.reports import Participation, participation
from meeting_hub.reports.statistics import held_briefings, local_month, month_window, trend_months
from meeting_hub.scheduling.models import Briefing
from meeting_hub.scheduling.recurrence import add_months
from meeting_hub.vietnamese import sort_key


@dataclass
class BriefingPolls:
    """One held briefing with polls: how many polls, and the answers of every endpoint together."""

    briefing: Briefing
    polls: int
    total: Participation = field(default_factory=Participation)


@dataclass
class EndpointPolls:
    """One endpoint's participation at each briefing with polls (by briefing id), and over the whole window."""

    endpoint: Endpoint
    by_briefing: dict[int, Participation] = field(default_factory=dict)
    total: Participation = field(default_factory=Participation)


@dataclass
class PollParticipation:
    """Participation in polls over a window of months: per briefing, per month, per endpoint, and in all."""

    briefings: list[BriefingPolls]
    months: list[tuple[date, Participation]]
    endpoints: list[EndpointPolls]

    @property
    def total(self) -> Participation:
        """Return the participation of every briefing of the window together."""
        result = Participation()
        for row in self.briefings:
            result.add(row.total.answered, row.total.eligible)
        return result

    @property
    def polls(self) -> int:
        """Return how many polls were put in the window."""
        return sum(row.polls for row in self.briefings)


def poll_participation(last_month: date, months: int | None = None) -> PollParticipation:
    """Return the participation in the polls of the briefings held in the `months` months ending with `last_month`."""
    months = months or trend_months()
    first_day, last_day = month_window(last_month, months)
    briefings = held_briefings(first_day, last_day)
    poll_counts, by_place = participation(briefing.id for briefing in briefings)
    rows = {
        briefing.id: BriefingPolls(briefing, poll_counts[briefing.id])
        for briefing in briefings
        if briefing.id in poll_counts
    }
    month_totals: dict[date, Participation] = {add_months(first_day, n): Participation() for n in range(months)}
    by_endpoint: dict[int, EndpointPolls] = {}
    endpoints = {
        e.id: e for e in db.session.scalars(sa.select(Endpoint).where(Endpoint.id.in_({key[1] for key in by_place})))
    }
    for (briefing_id, endpoint_id), figures in by_place.items():
        rows[briefing_id].total.add(figures.answered, figures.eligible)
        row = by_endpoint.setdefault(endpoint_id, EndpointPolls(endpoints[endpoint_id]))
        row.by_briefing[briefing_id] = figures
        row.total.add(figures.answered, figures.eligible)
    briefing_rows = list(rows.values())  # held_briefings' order: oldest first
    for item in briefing_rows:
        month_totals[local_month(item.briefing.starts_at)].add(item.total.answered, item.total.eligible)
    return PollParticipation(
        briefings=briefing_rows,
        months=list(month_totals.items()),
        endpoints=sorted(by_endpoint.values(), key=lambda row: sort_key(row.endpoint.name)),
    )
