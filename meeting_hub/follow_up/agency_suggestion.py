"""Which agency to suggest when assigning an issue: the one most often given issues of the same category.

Only a suggestion: the assign form still starts on "— Chọn —" and offers a button "Đề xuất: …"; the choice stays the
user's.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from meeting_hub.extensions import db
from meeting_hub.follow_up.models import Issue, IssueStatus
from meeting_hub.network.models import Agency
from meeting_hub.vietnamese import sort_key


@dataclass(frozen=True)
class AgencySuggestion:
    """The suggested agency, and how many issues of the category it was given."""

    agency_id: int
    agency_name: str
    issues: int


def suggest_agency(category_id: int, *, excluding_issue_id: int | None = None) -> AgencySuggestion | None:
    """Return the active agency holding the most issues of this category (ties: Vietnamese order), or None."""
    statement = (
        sa.select(Agency.id, Agency.name, sa.func.count(Issue.id))
        .join(Issue, Issue.agency_id == Agency.id)
        .where(Issue.category_id == category_id, Agency.active.is_(True), Issue.status != IssueStatus.WITHDRAWN)
        .group_by(Agency.id, Agency.name)
    )
    if excluding_issue_id is not None:
        statement = statement.where(Issue.id != excluding_issue_id)
    rows = db.session.execute(statement).all()
    if not rows:
        return None
    agency_id, name, count = min(rows, key=lambda row: (-row[2], sort_key(row[1])))
    return AgencySuggestion(agency_id=agency_id, agency_name=name, issues=count)
