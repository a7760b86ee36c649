"""Figures for each role's home page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db
from meeting_hub.network.models import Agency, Cell, Endpoint, Person, PersonRole


def endpoint_counts(endpoint_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Return {endpoint id: {cells, people, secretaries}} for active cells and people, in two queries."""
    cells = sa.select(Cell.endpoint_id, sa.func.count(Cell.id)).where(Cell.active.is_(True)).group_by(Cell.endpoint_id)
    people = (
        sa.select(
            Cell.endpoint_id,
            sa.func.count(Person.id),
            sa.func.count(Person.id).filter(Person.role == PersonRole.SECRETARY),
        )
        .join(Person.cell)
        .where(Person.active.is_(True), Cell.active.is_(True))
        .group_by(Cell.endpoint_id)
    )
    if endpoint_ids is not None:
        cells = cells.where(Cell.endpoint_id.in_(endpoint_ids))
        people = people.where(Cell.endpoint_id.in_(endpoint_ids))
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, n_cells in db.session.execute(cells):
        counts.setdefault(endpoint_id, {"cells": 0, "people": 0, "secretaries": 0})["cells"] = n_cells
    for endpoint_id, n_people, n_secretaries in db.session.execute(people):
        entry = counts.setdefault(endpoint_id, {"cells": 0, "people": 0, "secretaries": 0})
        entry["people"], entry["secretaries"] = n_people, n_secretaries
    return counts


def home_summary(user: User) -> dict[str, Any]:
    """Return what the user's home page shows."""
    summary: dict[str, Any] = {"role": user.role}
    if user.role == Role.OPERATOR and user.endpoint_id is not None:
        summary["endpoint"] = db.session.get(Endpoint, user.endpoint_id)
        summary["counts"] = endpoint_counts([user.endpoint_id]).get(user.endpoint_id, {})
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
