"""What each role's home page shows: the network's figures and the briefings coming up."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from meeting_hub.network.models import Agency, Cell, Endpoint, Person
from meeting_hub.network.services import endpoint_counts
from meeting_hub.scheduling.holidays import flagged_briefings
from meeting_hub.scheduling.services import live_briefings, upcoming_briefings


def home_summary(user: User) -> dict[str, Any]:
    """Return what the user's home page shows."""
    summary: dict[str, Any] = {"role": user.role, "live": live_briefings(user), "upcoming": upcoming_briefings(user)}
    if user.role in (Role.ORGANIZER, Role.ADMIN):
        summary["flagged"] = flagged_briefings()
    if user.role == Role.OPERATOR and user.endpoint_id is not None:
        summary["endpoint"] = db.session.get(Endpoint, user.endpoint_id)
        summary["counts"] = endpoint_counts([user.endpoint_id]).get(user.endpoint_id, {})
        # During a live briefing the roll-call is the operator's job: the first screen leads straight to it.
        # (the console's own choice, attendance.page_data.briefing_to_take, also takes the first live briefing)
        summary["take_now"] = summary["live"][0] if summary["live"] else None
    elif user.role == Role.RESPONDER and user.agency_id is not None:
        summary["agency"] = db.session.get(Agency, user.agency_id)
    else:
        summary["endpoints"] = db.session.scalar(sa.select(sa.func.count(Endpoint.id)).where(Endpoint.active.is_(True)))
        summary["cells"] = db.session.scalar(sa.select(sa.func.count(Cell.id)).where(Cell.active.is_(True)))
        summary["people"] = db.session.scalar(sa.select(sa.func.count(Person.id)).where(Person.active.is_(True)))
        summary["agencies"] = db.session.scalar(sa.select(sa.func.count(Agency.id)).where(Agency.active.is_(True)))
        if user.role == Role.ADMIN:
            summary["users"] = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(True)))
    return summary
