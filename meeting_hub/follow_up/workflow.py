"""The issue workflow as data: which action leads from which status to which, and which roles may take it.

    new ──assign──▶ assigned ──answer──▶ answered ──close──▶ closed
                    ▲   │ assign (again:    │
                    │   │ another agency    │
                    │   ▼ or due date)      │
                    └───────── return ◀─────┘
    new, assigned ──withdraw──▶ withdrawn

Anything not in TRANSITIONS is refused (409 in the API) and audited. Ownership (the operator's endpoint, the
responder's agency) is checked by the services on top of the roles here.
"""

from __future__ import annotations

from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts.policy import ISSUE_ASSIGNERS, ISSUE_RAISERS, ISSUE_RESPONDERS, ISSUE_REVIEWERS, ORGANIZERS
from meeting_hub.accounts.roles import Role
from meeting_hub.follow_up.models import Issue, IssueAction, IssueStatus

#: (current status, action) -> the status it leads to.
TRANSITIONS: dict[tuple[IssueStatus, IssueAction], IssueStatus] = {
    (IssueStatus.NEW, IssueAction.ASSIGN): IssueStatus.ASSIGNED,
    (IssueStatus.ASSIGNED, IssueAction.ASSIGN): IssueStatus.ASSIGNED,
    (IssueStatus.ASSIGNED, IssueAction.ANSWER): IssueStatus.ANSWERED,
    (IssueStatus.ANSWERED, IssueAction.CLOSE): IssueStatus.CLOSED,
    (IssueStatus.ANSWERED, IssueAction.RETURN): IssueStatus.ASSIGNED,
    (IssueStatus.NEW, IssueAction.WITHDRAW): IssueStatus.WITHDRAWN,
    (IssueStatus.ASSIGNED, IssueAction.WITHDRAW): IssueStatus.WITHDRAWN,
}

#: Who may take each action: the same role sets as the routes' access policy.
ACTORS: dict[IssueAction, frozenset[Role]] = {
    IssueAction.RAISE: ISSUE_RAISERS.roles,
    IssueAction.ASSIGN: ISSUE_ASSIGNERS.roles,
    IssueAction.ANSWER: ISSUE_RESPONDERS.roles,
    IssueAction.CLOSE: ISSUE_REVIEWERS.roles,
    IssueAction.RETURN: ISSUE_REVIEWERS.roles,
    IssueAction.WITHDRAW: ORGANIZERS.roles,
}

#: The statuses in which an issue still waits for someone; past its due date it is overdue.
OPEN_STATUSES = frozenset({IssueStatus.NEW, IssueStatus.ASSIGNED, IssueStatus.ANSWERED})
#: The statuses that carry a due date that can pass.
DUE_STATUSES = frozenset({IssueStatus.ASSIGNED, IssueStatus.ANSWERED})

#: The verb of each action, for "Không thể <verb> ý kiến đang ở trạng thái ...".
ACTION_VERBS: dict[IssueAction, LazyString] = {
    IssueAction.RAISE: _l("ghi nhận"),
    IssueAction.ASSIGN: _l("giao xử lý"),
    IssueAction.ANSWER: _l("trả lời"),
    IssueAction.CLOSE: _l("đóng"),
    IssueAction.RETURN: _l("trả lại"),
    IssueAction.WITHDRAW: _l("rút"),
}


def is_overdue(issue: Issue, today: date) -> bool:
    """Tell whether the issue's due date (a local calendar day) has passed while it is not closed or withdrawn."""
    return issue.status in DUE_STATUSES and issue.due_on is not None and today > issue.due_on


def next_status(current: IssueStatus, action: IssueAction) -> IssueStatus | None:
    """Return the status the action leads to from the current one, or None when the workflow forbids it."""
    return TRANSITIONS.get((current, action))


def allowed_actions(current: IssueStatus, role: Role) -> list[IssueAction]:
    """Return the actions a role may take on an issue in this status (ownership aside), in workflow order."""
    return [action for action in IssueAction if (current, action) in TRANSITIONS and role in ACTORS[action]]
