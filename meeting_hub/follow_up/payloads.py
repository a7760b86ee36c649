"""The JSON form of an issue, shared by the API and the idempotent raise (whose replay returns exactly it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from meeting_hub.clock import local_iso
from meeting_hub.follow_up.models import Issue
from meeting_hub.follow_up.workflow import is_overdue


def iso_time(value: datetime | None) -> str | None:
    """Write a time in the network's time zone with its offset (+07:00)."""
    return local_iso(value)


def iso_date(value: date | None) -> str | None:
    """Write a date as YYYY-MM-DD."""
    return value.isoformat() if value is not None else None


def issue_payload(issue: Issue, today: date) -> dict[str, Any]:
    """Return an issue as the API shows it (without its URL, which needs a request)."""
    return {
        "id": issue.id,
        "briefing_id": issue.briefing_id,
        "endpoint_id": issue.endpoint_id,
        "endpoint_name": issue.endpoint.name,
        "cell_id": issue.cell_id,
        "cell_name": issue.cell.name if issue.cell else None,
        "person_id": issue.person_id,
        "person_name": issue.person.full_name if issue.person else None,
        "category": issue.category.code,
        "category_name": issue.category.name,
        "title": issue.title,
        "content": issue.content,
        "priority": issue.priority.value,
        "status": issue.status.value,
        "agency_id": issue.agency_id,
        "agency_name": issue.agency.name if issue.agency else None,
        "due_on": iso_date(issue.due_on),
        "overdue": is_overdue(issue, today),
        "raised_at": iso_time(issue.raised_at),
        "raised_by": issue.raised_by.username if issue.raised_by else None,
        "assigned_at": iso_time(issue.assigned_at),
        "answered_at": iso_time(issue.answered_at),
        "closed_at": iso_time(issue.closed_at),
        "answer": issue.answer,
    }
