"""The polls' section of a live snapshot: a briefing's open and closed polls with their tallies, compact.

A dashboard that resyncs gets the polls with the attendance (attendance/snapshot.py reads the seq first, then this):
each tally here is the endpoint's whole tally, as each "answered" event carries it, so an event the snapshot already
reflects sets the same values again and nothing is counted twice. Only endpoints with answers are listed (a national
briefing invites 1,052); the dashboard takes each endpoint's eligible people from its own roll-call records.

A handful of queries whatever the number of polls, endpoints or answers: the polls, then one per answer table for
all of them, then the eligible people per endpoint. An operator's one-endpoint cut filters each query to it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from meeting_hub.attendance import snapshot as attendance_snapshot
from meeting_hub.extensions import db
from meeting_hub.polls import services
from meeting_hub.polls.models import (
    Poll,
    PollBallot,
    PollEndpointReport,
    PollKind,
    PollParticipant,
    PollStatus,
    PollTally,
)

#: The key of the section in the snapshot.
SECTION = "polls"
_SHOWN = (PollStatus.OPEN, PollStatus.CLOSED)


def _where_endpoint(model: Any, poll_ids: list[int], only_endpoint: int | None) -> list[Any]:
    clauses = [model.poll_id.in_(poll_ids)]
    if only_endpoint is not None:
        clauses.append(model.endpoint_id == only_endpoint)
    return clauses


def _tallies(polls: list[Poll], only_endpoint: int | None) -> dict[int, dict[int, dict[str, Any]]]:
    """Return {poll: {endpoint: {answered, counts}}} for the endpoints with answers, one query per answer table."""
    widths = {poll.id: services.option_count(poll) for poll in polls}
    found: dict[int, dict[int, dict[str, Any]]] = {poll.id: {} for poll in polls}

    def tally(poll_id: int, endpoint_id: int) -> dict[str, Any]:
        entry = found[poll_id].get(endpoint_id)
        if entry is None:
            entry = found[poll_id][endpoint_id] = {"answered": 0, "counts": [0] * widths[poll_id]}
        return entry

    by_kind: dict[PollKind, list[int]] = defaultdict(list)
    for poll in polls:
        by_kind[poll.kind].append(poll.id)
    connection = db.session.connection()
    if named := by_kind.get(PollKind.NAMED):
        ballot = PollBallot.__table__.c
        for poll_id, endpoint_id, choices in connection.execute(
            sa.select(ballot.poll_id, ballot.endpoint_id, ballot.choices).where(
                *_where_endpoint(ballot, named, only_endpoint)
            )
        ):
            entry = tally(poll_id, endpoint_id)
            entry["answered"] += 1
            for index in choices:
                entry["counts"][index] += 1
    if secret := by_kind.get(PollKind.SECRET):
        participant, counted = PollParticipant.__table__.c, PollTally.__table__.c
        for poll_id, endpoint_id, answered in connection.execute(
            sa.select(participant.poll_id, participant.endpoint_id, sa.func.count())
            .where(*_where_endpoint(participant, secret, only_endpoint))
            .group_by(participant.poll_id, participant.endpoint_id)
        ):
            tally(poll_id, endpoint_id)["answered"] = answered
        for poll_id, endpoint_id, index, count in connection.execute(
            sa.select(counted.poll_id, counted.endpoint_id, counted.option_index, counted.count).where(
                *_where_endpoint(counted, secret, only_endpoint)
            )
        ):
            tally(poll_id, endpoint_id)["counts"][index] = count
    if by_endpoint := by_kind.get(PollKind.ENDPOINT):
        report = PollEndpointReport.__table__.c
        for poll_id, endpoint_id, counts, answered in connection.execute(
            sa.select(report.poll_id, report.endpoint_id, report.counts, report.answered).where(
                *_where_endpoint(report, by_endpoint, only_endpoint)
            )
        ):
            found[poll_id][endpoint_id] = {"answered": answered, "counts": list(counts)}
    return found


def polls_section(briefing_id: int, only_endpoint: int | None = None) -> list[dict[str, Any]]:
    """Return the briefing's open and closed polls, each with its tally now (cut to one endpoint if given).

    Each poll: its API shape without results, then `answered`, `eligible` and `counts` (totals over the endpoints
    in the cut) and `by_endpoint: [{endpoint_id, answered, counts}]` for the endpoints that have answers.
    """
    polls = list(
        db.session.scalars(
            sa.select(Poll).where(Poll.briefing_id == briefing_id, Poll.status.in_(_SHOWN)).order_by(Poll.id)
        )
    )
    if not polls:
        return []
    tallies = _tallies(polls, only_endpoint)
    eligible_by_endpoint = services.eligible_by_endpoint(
        briefing_id, None if only_endpoint is None else [only_endpoint]
    )
    eligible = sum(eligible_by_endpoint.values())
    section = []
    for poll in polls:
        width = services.option_count(poll)
        rows = [{"endpoint_id": endpoint_id, **entry} for endpoint_id, entry in sorted(tallies[poll.id].items())]
        section.append(
            {
                **services.poll_dict(poll),
                "answered": sum(row["answered"] for row in rows),
                "eligible": eligible,
                "counts": [sum(row["counts"][index] for row in rows) for index in range(width)],
                "by_endpoint": rows,
            }
        )
    return section


attendance_snapshot.add_section(SECTION, polls_section)
