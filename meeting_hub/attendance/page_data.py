"""What the live pages embed: the briefing an operator should take, the roster by cell, names and recent events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meeting_hub.accounts.models import User
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS, LINK_STATUS_LABELS
from meeting_hub.clock import local_today
from meeting_hub.event_log import log
from meeting_hub.network.models import PERSON_ROLE_LABELS, PersonRole
from meeting_hub.network.services import list_people
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.vietnamese import fold

#: How many of the latest events a dashboard shows in its feed when it opens.
FEED_SIZE = 30


def briefing_to_take(viewer: User, now: datetime | None = None) -> Briefing | None:
    """Return the briefing whose roll-call the viewer should take now: the live one, else one starting today.

    Today's briefings are looked at as well as the upcoming ones because a live briefing that runs past its planned
    end is no longer "upcoming", and its roll-call must still be reachable.
    """
    today = local_today(now)
    todays = scheduling.list_briefings(viewer, today, today)
    for briefing in [*todays, *scheduling.upcoming_briefings(viewer, now)]:
        if briefing.status == BriefingStatus.LIVE:
            return briefing
    return next((b for b in todays if b.status == BriefingStatus.SCHEDULED), None)


def roster_by_cell(viewer: User, endpoint_id: int) -> list[dict[str, Any]]:
    """Return an endpoint's active people grouped by active cell, each with a diacritics-folded search key.

    Phone numbers are left out on purpose: the console keeps this roster on the device for offline use.
    """
    cells: dict[int, dict[str, Any]] = {}
    for person in list_people(viewer, endpoint_id=endpoint_id):
        if not person.cell.active:
            continue  # attendance_snapshot does not expect people of closed cells either
        cell = cells.setdefault(person.cell_id, {"id": person.cell_id, "name": person.cell.name, "people": []})
        cell["people"].append(
            {
                "id": person.id,
                "name": person.full_name,
                "role": "" if person.role == PersonRole.SECRETARY else str(PERSON_ROLE_LABELS[person.role]),
                "key": fold(person.full_name),
            }
        )
    return list(cells.values())


def person_names(viewer: User, endpoint_ids: list[int]) -> dict[int, str]:
    """Return the names of the people of these endpoints, for the dashboard's event feed."""
    wanted = set(endpoint_ids)
    return {person.id: person.full_name for person in list_people(viewer) if person.cell.endpoint_id in wanted}


def recent_events(briefing: Briefing, count: int = FEED_SIZE) -> list[dict[str, Any]]:
    """Return the briefing's latest logged events, oldest first."""
    last = log.current_seq(briefing.id)
    return log.events_since(briefing.id, max(last - count, 0), limit=count) or []


def status_labels() -> dict[str, str]:
    """Return the translated attendance and link status labels, for the pages' scripts."""
    return {
        **{status.value: str(label) for status, label in ATTENDANCE_STATUS_LABELS.items()},
        **{f"link_{status.value}": str(label) for status, label in LINK_STATUS_LABELS.items()},
    }
