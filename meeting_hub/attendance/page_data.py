"""What the live pages embed: the briefing an operator should take, the roster by cell, the dashboard's endpoints and
their groups, names and recent events, the console's part of the follow-up (categories, the issues raised at the
endpoint, its report-back) and its polls (with what the endpoint answered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for

from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance.models import ATTENDANCE_STATUS_LABELS, LINK_STATUS_LABELS
from meeting_hub.clock import local_today
from meeting_hub.event_log import log
from meeting_hub.follow_up import search, summary
from meeting_hub.follow_up import services as follow_up
from meeting_hub.follow_up.models import ISSUE_STATUS_LABELS, Issue
from meeting_hub.network.models import ENDPOINT_KIND_LABELS, PERSON_ROLE_LABELS, Endpoint, PersonRole
from meeting_hub.network.services import list_people
from meeting_hub.polls import services as polls
from meeting_hub.polls.models import POLL_KIND_LABELS, POLL_STATUS_LABELS
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.vietnamese import fold
from meeting_hub.web import format_date

#: How many of the latest events a dashboard shows in its feed when it opens.
FEED_SIZE = 30
#: How much of an answer the console's report-back shows (the issue's page has it all).
ANSWER_EXCERPT = 240


def briefing_to_take(viewer: User, now: datetime | None = None) -> Briefing | None:
    """Return the briefing whose roll-call the viewer should take now: the live one, else one starting today.

    Any live briefing counts, whatever its date: one opened early, run past its end or reopened must stay reachable.
    """
    live = scheduling.live_briefings(viewer)
    if live:
        return live[0]
    today = local_today(now)
    return next(
        (b for b in scheduling.list_briefings(viewer, today, today) if b.status == BriefingStatus.SCHEDULED), None
    )


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


@dataclass(frozen=True)
class EndpointGroup:
    """A set of endpoints the dashboard counts together."""

    key: str
    name: str


def endpoint_group(endpoint: Endpoint) -> EndpointGroup:
    """Return the group the dashboard counts an endpoint under.

    Endpoints have no group of their own yet (provinces come with a later change): until then, their kind (phường or
    xã). A group model plugs in here; the dashboard only knows each endpoint's group key and the groups' names.
    """
    return EndpointGroup(key=f"kind-{endpoint.kind.value}", name=str(ENDPOINT_KIND_LABELS[endpoint.kind]))


def dashboard_endpoints(viewer: User, briefing: Briefing) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Return the briefing's endpoints as the dashboard lists them (by name, with group, search key and the console
    link of those who may check in for them) and their groups, by name."""
    can_check_in = viewer.role in (Role.ORGANIZER, Role.ADMIN)
    groups: dict[str, EndpointGroup] = {}
    endpoints = []
    for endpoint in sorted(briefing.endpoints, key=lambda endpoint: (fold(endpoint.name), endpoint.id)):
        group = endpoint_group(endpoint)
        groups.setdefault(group.key, group)
        endpoints.append(
            {
                "id": endpoint.id,
                "name": endpoint.display_name,
                "group": group.key,
                "key": f"{fold(endpoint.display_name)} {endpoint.code} {fold(endpoint.party_committee_name)}",
                "console_url": url_for("attendance.briefing_console", briefing_id=briefing.id, endpoint_id=endpoint.id)
                if can_check_in
                else None,
            }
        )
    ordered = sorted(groups.values(), key=lambda group: fold(group.name))
    return endpoints, [{"key": group.key, "name": group.name} for group in ordered]


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


def issue_categories() -> list[dict[str, str]]:
    """Return the active categories of raised issues, in their display order, for the console's form."""
    return [{"code": category.code, "name": category.name} for category in follow_up.list_categories()]


def category_names() -> dict[str, str]:
    """Return every category's name by code (inactive ones too: old events still name them), for the feeds."""
    return {category.code: category.name for category in follow_up.list_categories(include_inactive=True)}


def issue_status_labels() -> dict[str, str]:
    """Return the translated issue status labels, for the console's list."""
    return {status.value: str(label) for status, label in ISSUE_STATUS_LABELS.items()}


def raised_issues(viewer: User, briefing: Briefing, endpoint_id: int) -> list[dict[str, Any]]:
    """Return the issues raised at this briefing for the endpoint, oldest first, as the console lists them."""
    filters = search.IssueFilters(briefing_id=briefing.id, endpoint_id=endpoint_id)
    return [
        {
            "id": issue.id,
            "title": issue.title,
            "category": issue.category.code,
            "status": issue.status.value,
            "person_id": issue.person_id,
            "person_name": issue.person.full_name if issue.person else None,
        }
        for issue in search.iter_issues(viewer, filters, sort="raised_at")
    ]


def _excerpt(text: str, limit: int = ANSWER_EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _report_line(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.id,
        "title": issue.title,
        "category": issue.category.name,
        "status": issue.status.value,
        "agency": issue.agency.name if issue.agency else "",
        "answer": _excerpt(issue.answer or ""),
        "due_on": format_date(issue.due_on),
        "url": url_for("follow_up.issue_detail", issue_id=issue.id),
    }


def report_back(viewer: User, briefing: Briefing, endpoint_id: int) -> dict[str, Any] | None:
    """Return the endpoint's report-back at this briefing (the briefing page's, cut to the endpoint), or None when
    there is nothing to report: issues of earlier briefings answered or closed since the previous one, and those still
    overdue. Dates are written out (dd/mm/yyyy): the console shows them as they are, offline too."""
    report = summary.report_back(briefing, viewer, endpoint_id=endpoint_id)
    part = next((part for part in report.endpoints if part.endpoint.id == endpoint_id), None)
    if part is None or not (part.resolved or part.overdue):
        return None
    return {
        "since": format_date(report.previous.starts_at) if report.previous else None,
        "resolved": [_report_line(issue) for issue in part.resolved],
        "overdue": [_report_line(issue) for issue in part.overdue],
    }


def console_polls(viewer: User, briefing: Briefing, endpoint_id: int) -> dict[str, Any]:
    """Return the briefing's opened polls (open or closed) with what the endpoint answered, and the seq they are
    current at (read first: what changes after it also comes as an event, and applying it again changes nothing)."""
    seq = log.current_seq(briefing.id)
    return {
        "seq": seq,
        "polls": [
            {**polls.poll_dict(poll), **polls.endpoint_answers(poll, endpoint_id)}
            for poll in polls.console_polls(briefing, viewer)
        ],
    }


def poll_labels() -> dict[str, dict[str, str]]:
    """Return the translated poll kinds and statuses, for the console's poll cards."""
    return {
        "kinds": {kind.value: str(label) for kind, label in POLL_KIND_LABELS.items()},
        "statuses": {status.value: str(label) for status, label in POLL_STATUS_LABELS.items()},
    }
