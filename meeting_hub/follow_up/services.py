"""Raised issues: recording them (idempotently), the workflow steps, who sees which, and the editable categories.

Every step goes through `_transition`: the role may take the action (workflow.ACTORS), the issue is the actor's to act
on, the workflow allows the step from the current status (workflow.TRANSITIONS). Each step is a line on the issue's
timeline, an audit event, a live `issue` event on its briefing's log, and notifications. A refused step raises an
error carrying what was refused; the error handlers write it to the audit log after rolling back
(`ServiceError.audit_entry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from meeting_hub.accounts import audit
from meeting_hub.accounts.models import User
from meeting_hub.accounts.roles import Role
from meeting_hub.clock import local_iso, local_today
from meeting_hub.database import utcnow
from meeting_hub.errors import AccessDenied, AuditEntry, Conflict, NotFound, TryAgain, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.follow_up import notifications
from meeting_hub.follow_up.attachments import AnswerFile, store_answer_pdf
from meeting_hub.follow_up.models import (
    ISSUE_STATUS_LABELS,
    Issue,
    IssueAction,
    IssueCategory,
    IssueEvent,
    IssuePriority,
    IssueStatus,
    NotificationKind,
)
from meeting_hub.follow_up.payloads import issue_payload
from meeting_hub.follow_up.workflow import ACTION_VERBS, ACTORS, next_status
from meeting_hub.network.models import Agency, Cell, Endpoint, Person
from meeting_hub.network.services import ENDPOINT_CODE_PATTERN  # category codes have the same slug shape
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from meeting_hub.scheduling.services import is_invited
from meeting_hub.vietnamese import normalize_name

MAX_TITLE_LENGTH = 300
MAX_TEXT_LENGTH = 10_000
MAX_REASON_LENGTH = 2_000
#: A due date further away than this is a typing error.
MAX_DUE_DAYS = 730

#: The categories the first migration seeds (the migration holds its own frozen copy); tests and the demo, which
#: build their tables with create_all, seed these with seed_default_categories().
DEFAULT_CATEGORIES: list[tuple[str, str]] = [
    ("dat-dai", "Đất đai"),
    ("ha-tang-giao-thong", "Hạ tầng - giao thông"),
    ("moi-truong", "Môi trường"),
    ("chinh-sach-xa-hoi", "Chính sách xã hội"),
    ("an-ninh-trat-tu", "An ninh trật tự"),
    ("xay-dung-dang", "Xây dựng Đảng"),
    ("khac", "Khác"),
]


# Refusals


class TransitionRefused(Conflict):
    """The workflow does not allow this step from the issue's current status (409 `conflict`)."""

    def __init__(self, message: str, *, issue_id: int, action: IssueAction, status: IssueStatus) -> None:
        super().__init__(message)
        self.issue_id, self.action, self.status = issue_id, action, status

    def audit_entry(self) -> AuditEntry | None:
        detail = {"step": self.action.value, "status": self.status.value, "reason": self.message}
        return AuditEntry("issue.refused", f"issue:{self.issue_id}", detail)


class IssueHidden(NotFound):
    """The issue is not the actor's to see (another agency's, another endpoint's): answered as not found."""

    def __init__(self, message: str, *, issue_id: int, action: IssueAction | None) -> None:
        super().__init__(message)
        self.issue_id, self.action = issue_id, action

    def audit_entry(self) -> AuditEntry | None:
        if self.action is None:  # reading, not a workflow step
            return None
        return AuditEntry(
            "issue.refused", f"issue:{self.issue_id}", {"step": self.action.value, "reason": "not_visible"}
        )


def _not_found() -> str:
    return str(_("Không tìm thấy ý kiến, kiến nghị."))


# Who sees what


def can_see_issue(viewer: User, issue: Issue) -> bool:
    """Operators see their endpoint's issues, responders those assigned to their agency, staff every issue."""
    if viewer.role == Role.OPERATOR:
        return issue.endpoint_id == viewer.endpoint_id
    if viewer.role == Role.RESPONDER:
        return issue.agency_id is not None and issue.agency_id == viewer.agency_id
    return viewer.role in (Role.ADMIN, Role.ORGANIZER, Role.LEADER)


def visibility_clause(viewer: User) -> sa.ColumnElement[bool]:
    """Return the condition on issues that `can_see_issue` states, for queries."""
    if viewer.role == Role.OPERATOR:
        return Issue.endpoint_id == viewer.endpoint_id if viewer.endpoint_id is not None else sa.false()
    if viewer.role == Role.RESPONDER:
        return Issue.agency_id == viewer.agency_id if viewer.agency_id is not None else sa.false()
    return sa.true() if viewer.role in (Role.ADMIN, Role.ORGANIZER, Role.LEADER) else sa.false()


def get_issue(issue_id: int, viewer: User, action: IssueAction | None = None) -> Issue:
    """Return an issue the viewer may see; another agency's or endpoint's is "not found" (audited for an action)."""
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(_not_found())
    if not can_see_issue(viewer, issue):
        raise IssueHidden(_not_found(), issue_id=issue.id, action=action)
    return issue


# Categories


@dataclass
class CategoryData:
    """What an admin fills in for a category."""

    code: str
    name: str
    default_due_days: int | None = None
    position: int = 0
    active: bool = True


def default_due_days() -> int:
    """Return the due-date default of new categories (config ISSUE_DEFAULT_DUE_DAYS, 15)."""
    return int(current_app.config.get("ISSUE_DEFAULT_DUE_DAYS", 15))


def list_categories(include_inactive: bool = False) -> list[IssueCategory]:
    """Return the categories in their display order."""
    statement = sa.select(IssueCategory).order_by(IssueCategory.position, IssueCategory.id)
    if not include_inactive:
        statement = statement.where(IssueCategory.active.is_(True))
    return list(db.session.scalars(statement))


def get_category(category_id: int) -> IssueCategory:
    """Return a category or raise NotFound."""
    category = db.session.get(IssueCategory, category_id)
    if category is None:
        raise NotFound(_("Không tìm thấy lĩnh vực."))
    return category


def _clean_category(data: CategoryData, existing: IssueCategory | None) -> None:
    """Normalise the code and name in place, then check the category (the code unused by another one)."""
    data.code, data.name = data.code.strip().lower(), normalize_name(data.name)
    errors: dict[str, str] = {}
    if not ENDPOINT_CODE_PATTERN.match(data.code) or len(data.code) > 64:
        errors["code"] = _("Mã lĩnh vực chỉ gồm chữ thường không dấu, số và gạch ngang (vd. dat-dai).")
    else:
        clash = db.session.scalar(sa.select(IssueCategory.id).where(IssueCategory.code == data.code))
        if clash is not None and (existing is None or clash != existing.id):
            errors["code"] = _("Mã lĩnh vực này đã được dùng.")
    if not data.name or len(data.name) > 200:
        errors["name"] = _("Cần nhập tên lĩnh vực (tối đa 200 ký tự).")
    if data.default_due_days is not None and not 1 <= data.default_due_days <= 365:
        errors["default_due_days"] = _("Số ngày xử lý từ 1 đến 365.")
    if errors:
        raise ValidationFailed(_("Thông tin lĩnh vực chưa hợp lệ."), details=errors)


def create_category(data: CategoryData, actor: User | None) -> IssueCategory:
    """Add a category; the caller commits."""
    _clean_category(data, None)
    category = IssueCategory(
        code=data.code,
        name=data.name,
        default_due_days=data.default_due_days or default_due_days(),
        position=data.position,
        active=data.active,
    )
    category.refresh_search_text()
    db.session.add(category)
    db.session.flush()
    audit.record("issue_category.create", actor, target=f"issue_category:{category.code}", name=category.name)
    return category


def update_category(category: IssueCategory, data: CategoryData, actor: User) -> IssueCategory:
    """Rename a category, change its due-date default, order or activity; the caller commits."""
    _clean_category(data, category)
    category.code, category.name = data.code, data.name
    category.default_due_days = data.default_due_days or category.default_due_days
    category.position, category.active = data.position, data.active
    category.refresh_search_text()
    audit.record("issue_category.update", actor, target=f"issue_category:{category.code}", name=category.name)
    return category


def seed_default_categories() -> None:
    """Add the default categories that are missing (databases built without the migrations)."""
    existing = set(db.session.scalars(sa.select(IssueCategory.code)))
    for position, (code, name) in enumerate(DEFAULT_CATEGORIES, start=1):
        if code not in existing:
            category = IssueCategory(code=code, name=name, default_due_days=15, position=position)
            category.refresh_search_text()
            db.session.add(category)
    db.session.flush()


def default_due_on(category: IssueCategory, today: date) -> date:
    """Return the due date an assignment made today proposes for the category."""
    return today + timedelta(days=category.default_due_days)


# Raising


@dataclass(frozen=True)
class IssueData:
    """An issue as an operator's console or an organizer sends it."""

    endpoint_id: int
    category: str
    title: str
    client_op_id: str
    content: str = ""
    person_id: int | None = None
    cell_id: int | None = None
    priority: IssuePriority = IssuePriority.NORMAL


@dataclass(frozen=True)
class RaiseResult:
    """The raised issue; its form when it was raised (the API's, kept for replays); whether this was a replay."""

    issue: Issue
    result: dict[str, Any]
    replayed: bool


def _replayed(actor: User, client_op_id: str) -> RaiseResult | None:
    previous = log.previous_result(actor.id, client_op_id)
    if previous is None:
        return None
    issue = db.session.get(Issue, previous["id"]) if "title" in previous else None
    if issue is None:  # the id went with another kind of operation (a check-in)
        raise Conflict(_("Mã thao tác (client_op_id) này đã được dùng cho một thao tác khác."))
    return RaiseResult(issue, previous, replayed=True)


def _validate_issue_data(data: IssueData) -> tuple[str, str]:
    errors: dict[str, str] = {}
    if not log.valid_client_op_id(data.client_op_id):
        errors["client_op_id"] = _("Mã thao tác phải dài 8-64 ký tự: chữ, số, dấu - _ . :")
    title = " ".join(data.title.split())
    content = data.content.strip()
    if not title:
        errors["title"] = _("Cần nhập tiêu đề ý kiến.")
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = _("Tiêu đề không dài quá %(n)d ký tự.", n=MAX_TITLE_LENGTH)
    if len(content) > MAX_TEXT_LENGTH:
        errors["content"] = _("Nội dung không dài quá %(n)d ký tự.", n=MAX_TEXT_LENGTH)
    if errors:
        raise ValidationFailed(_("Thông tin ý kiến chưa hợp lệ."), details=errors)
    return title, content


def _require_role(actor: User, action: IssueAction) -> None:
    if actor.role not in ACTORS[action]:
        messages = {
            IssueAction.RAISE: _("Bạn không có quyền ghi nhận ý kiến."),
            IssueAction.ASSIGN: _("Chỉ lãnh đạo và cán bộ tổ chức được giao xử lý ý kiến."),
            IssueAction.ANSWER: _("Chỉ cán bộ cơ quan xử lý được trả lời ý kiến."),
            IssueAction.CLOSE: _("Chỉ lãnh đạo được chấp nhận và đóng ý kiến."),
            IssueAction.RETURN: _("Chỉ lãnh đạo được trả lại câu trả lời."),
            IssueAction.WITHDRAW: _("Chỉ cán bộ tổ chức được rút ý kiến."),
        }
        raise AccessDenied(messages[action])


def _raiser_cell_and_person(data: IssueData) -> tuple[Cell | None, Person | None]:
    person = cell = None
    if data.person_id is not None:
        person = db.session.get(Person, data.person_id)
        if person is None or not person.active or person.cell.endpoint_id != data.endpoint_id:
            raise ValidationFailed(
                _("Người nêu ý kiến không thuộc điểm cầu này."), details={"person_id": _("Không hợp lệ.")}
            )
        cell = person.cell
    if data.cell_id is not None:
        cell = db.session.get(Cell, data.cell_id)
        if cell is None or cell.endpoint_id != data.endpoint_id or (person is not None and person.cell_id != cell.id):
            raise ValidationFailed(_("Chi bộ không thuộc điểm cầu này."), details={"cell_id": _("Không hợp lệ.")})
    return cell, person


def raise_issue(briefing: Briefing, data: IssueData, actor: User, now: datetime | None = None) -> RaiseResult:
    """Record an issue raised at a briefing; idempotent by client_op_id. The caller commits.

    Operators record for their own endpoint, organizers for any invited endpoint, while the briefing is live or after
    it ended (an operator's console may send what it kept offline later). A replayed client_op_id returns the issue
    as it was when created (the original result) and writes nothing.
    """
    title, content = _validate_issue_data(data)
    replay = _replayed(actor, data.client_op_id)
    if replay is not None:
        return replay
    _require_role(actor, IssueAction.RAISE)
    if actor.role == Role.OPERATOR and actor.endpoint_id != data.endpoint_id:
        raise AccessDenied(_("Bạn chỉ được ghi ý kiến cho điểm cầu của mình."))
    if briefing.status not in (BriefingStatus.LIVE, BriefingStatus.ENDED):
        raise Conflict(_("Chỉ ghi nhận ý kiến khi buổi giao ban đang diễn ra hoặc đã kết thúc."))
    if not is_invited(briefing, data.endpoint_id):
        raise ValidationFailed(
            _("Điểm cầu này không được mời dự buổi giao ban."), details={"endpoint_id": _("Không hợp lệ.")}
        )
    category = db.session.scalar(
        sa.select(IssueCategory).where(IssueCategory.code == data.category, IssueCategory.active.is_(True))
    )
    if category is None:
        raise ValidationFailed(_("Lĩnh vực không tồn tại."), details={"category": _("Không hợp lệ.")})
    cell, person = _raiser_cell_and_person(data)

    operation = log.claim_operation(actor.id, data.client_op_id, "raise_issue")
    if operation is None:  # a concurrent request with the same id won the claim and has committed
        replay = _replayed(actor, data.client_op_id)
        if replay is None:
            raise TryAgain(_("Thao tác này đang được xử lý, vui lòng gửi lại sau."))
        return replay

    now = now or utcnow()
    issue = Issue(
        briefing_id=briefing.id,
        endpoint=db.session.get(Endpoint, data.endpoint_id),
        cell=cell,
        person=person,
        category=category,
        title=title,
        content=content,
        priority=data.priority,
        status=IssueStatus.NEW,
        raised_by_id=actor.id,
        raised_at=now,
        updated_at=now,
    )
    issue.refresh_search_text()
    db.session.add(issue)
    db.session.flush()
    _record_step(issue, IssueAction.RAISE, None, actor, now)
    result = issue_payload(issue, local_today(now))
    log.finish_operation(operation, result)
    return RaiseResult(issue, result, replayed=False)


# Workflow steps


def _record_step(
    issue: Issue,
    action: IssueAction,
    from_status: IssueStatus | None,
    actor: User,
    now: datetime,
    comment: str = "",
    **fields: Any,
) -> IssueEvent:
    """Add the timeline line, the audit event and the live event of a step."""
    step = IssueEvent(
        issue=issue,
        action=action,
        from_status=from_status,
        to_status=issue.status,
        actor_id=actor.id,
        actor_name=actor.display_name,
        at=now,
        comment=comment,
        **fields,
    )
    db.session.add(step)
    notifications.mark_done(issue, actor, now)  # acting on the issue answers the actor's notices of it
    detail: dict[str, Any] = {"from": from_status.value if from_status else None, "to": issue.status.value}
    if issue.agency_id is not None and action == IssueAction.ASSIGN:
        detail.update(agency_id=issue.agency_id, due_on=issue.due_on)
    audit.record(f"issue.{action.value}", actor, target=f"issue:{issue.id}", **detail)
    # Dashboards of the briefing get every step; the endpoint's consoles too (the transport routes by endpoint_id).
    log.append_event(
        issue.briefing_id,
        "issue",
        {
            "briefing_id": issue.briefing_id,
            "issue_id": issue.id,
            "endpoint_id": issue.endpoint_id,
            "person_id": issue.person_id,
            "action": action.value,
            "status": issue.status.value,
            "title": issue.title,
            "category": issue.category.code,
            "priority": issue.priority.value,
            "at": local_iso(now),
            "by": actor.username,
        },
    )
    return step


def _transition(issue: Issue, action: IssueAction, actor: User) -> IssueStatus:
    """Check the role, the ownership and the workflow for a step; return the status it leads to."""
    _require_role(actor, action)
    if not can_see_issue(actor, issue):
        raise IssueHidden(_not_found(), issue_id=issue.id, action=action)
    target = next_status(issue.status, action)
    if target is None:
        raise TransitionRefused(
            _(
                "Không thể %(verb)s ý kiến đang ở trạng thái “%(status)s”.",
                verb=ACTION_VERBS[action],
                status=ISSUE_STATUS_LABELS[issue.status],
            ),
            issue_id=issue.id,
            action=action,
            status=issue.status,
        )
    return target


def _validate_due_on(due_on: date, today: date) -> None:
    if due_on < today:
        raise ValidationFailed(_("Hạn xử lý không được trước hôm nay."), details={"due_on": _("Đã qua.")})
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise ValidationFailed(_("Hạn xử lý quá xa (tối đa 2 năm)."), details={"due_on": _("Quá xa.")})


def _active_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise ValidationFailed(_("Cơ quan xử lý không tồn tại."), details={"agency_id": _("Không hợp lệ.")})
    return agency


def _clean_text(text: str, field: str, *, required: bool, limit: int) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(_("Cần nhập nội dung."), details={field: _("Bắt buộc.")})
    if len(text) > limit:
        raise ValidationFailed(_("Nội dung quá dài (tối đa %(n)d ký tự).", n=limit), details={field: _("Quá dài.")})
    return text


def assign_issue(
    issue: Issue,
    agency_id: int,
    due_on: date | None,
    actor: User,
    comment: str = "",
    now: datetime | None = None,
) -> Issue:
    """Assign (or reassign) an issue to an agency with a due date (default: the category's); the caller commits."""
    target = _transition(issue, IssueAction.ASSIGN, actor)
    now = now or utcnow()
    today = local_today(now)
    agency = _active_agency(agency_id)
    due_on = due_on or default_due_on(issue.category, today)
    _validate_due_on(due_on, today)
    comment = _clean_text(comment, "comment", required=False, limit=MAX_REASON_LENGTH)
    before, previous_agency = issue.status, issue.agency_id
    issue.status, issue.agency, issue.due_on = target, agency, due_on
    issue.assigned_at = issue.updated_at = now
    _record_step(issue, IssueAction.ASSIGN, before, actor, now, comment, agency_id=agency.id, due_on=due_on)
    if previous_agency != agency.id:
        notifications.notify(issue, NotificationKind.ASSIGNED, actor, now)
    return issue


def bulk_assign(
    issue_ids: list[int], agency_id: int, due_on: date | None, actor: User, now: datetime | None = None
) -> list[Issue]:
    """Assign several issues at once; all or none (the first refusal stops everything). The caller commits."""
    issues = [get_issue(issue_id, actor, IssueAction.ASSIGN) for issue_id in dict.fromkeys(issue_ids)]
    if not issues:
        raise ValidationFailed(_("Chưa chọn ý kiến nào."), details={"issue_ids": _("Bắt buộc.")})
    return [assign_issue(issue, agency_id, due_on, actor, now=now) for issue in issues]


def answer_issue(
    issue: Issue, body: str, actor: User, attachment: AnswerFile | None = None, now: datetime | None = None
) -> Issue:
    """Record the agency's answer, with an optional PDF; the caller commits."""
    target = _transition(issue, IssueAction.ANSWER, actor)
    body = _clean_text(body, "body", required=True, limit=MAX_TEXT_LENGTH)
    stored = store_answer_pdf(attachment) if attachment is not None else None
    now = now or utcnow()
    before = issue.status
    issue.status, issue.answer = target, body
    issue.answered_at = issue.updated_at = now
    answered_on = local_today(now)
    if issue.assigned_at is not None:
        issue.days_to_answer = max(0, (answered_on - local_today(issue.assigned_at)).days)
    issue.answered_on_time = issue.due_on is not None and answered_on <= issue.due_on
    files: dict[str, Any] = {}
    if stored is not None:
        files = {
            "attachment_name": stored.original_name,
            "attachment_stored_name": stored.stored_name,
            "attachment_size": stored.size,
            "attachment_sha256": stored.sha256,
        }
    _record_step(issue, IssueAction.ANSWER, before, actor, now, body, **files)
    notifications.notify(issue, NotificationKind.ANSWERED, actor, now)
    return issue


def close_issue(issue: Issue, actor: User, comment: str = "", now: datetime | None = None) -> Issue:
    """Accept the answer and close the issue; the caller commits."""
    target = _transition(issue, IssueAction.CLOSE, actor)
    comment = _clean_text(comment, "comment", required=False, limit=MAX_REASON_LENGTH)
    now = now or utcnow()
    before = issue.status
    issue.status = target
    issue.closed_at = issue.updated_at = now
    _record_step(issue, IssueAction.CLOSE, before, actor, now, comment)
    return issue


def return_issue(
    issue: Issue, reason: str, actor: User, due_on: date | None = None, now: datetime | None = None
) -> Issue:
    """Return the answer to the agency with a reason (and optionally a new due date); the caller commits."""
    target = _transition(issue, IssueAction.RETURN, actor)
    reason = _clean_text(reason, "reason", required=True, limit=MAX_REASON_LENGTH)
    now = now or utcnow()
    if due_on is not None:
        _validate_due_on(due_on, local_today(now))
        issue.due_on = due_on
    before = issue.status
    issue.status = target
    issue.updated_at = now
    _record_step(issue, IssueAction.RETURN, before, actor, now, reason, agency_id=issue.agency_id, due_on=due_on)
    notifications.notify(issue, NotificationKind.RETURNED, actor, now)
    return issue


def withdraw_issue(issue: Issue, reason: str, actor: User, now: datetime | None = None) -> Issue:
    """Withdraw an issue that needs no answer (a duplicate, raised by mistake), with a reason; the caller commits."""
    target = _transition(issue, IssueAction.WITHDRAW, actor)
    reason = _clean_text(reason, "reason", required=True, limit=MAX_REASON_LENGTH)
    now = now or utcnow()
    before = issue.status
    issue.status = target
    issue.closed_at = issue.updated_at = now
    _record_step(issue, IssueAction.WITHDRAW, before, actor, now, reason)
    return issue


def timeline(issue: Issue) -> list[IssueEvent]:
    """Return the issue's steps in order, with their actors and agencies loaded."""
    return list(
        db.session.scalars(
            sa.select(IssueEvent)
            .options(sa.orm.joinedload(IssueEvent.actor), sa.orm.joinedload(IssueEvent.agency))
            .where(IssueEvent.issue_id == issue.id)
            .order_by(IssueEvent.at, IssueEvent.id)
        )
    )


def get_attachment(issue: Issue, event_id: int) -> IssueEvent:
    """Return the step of the issue that carries an attached PDF, or raise NotFound."""
    step = db.session.get(IssueEvent, event_id)
    if step is None or step.issue_id != issue.id or not step.attachment_stored_name:
        raise NotFound(_("Không tìm thấy tệp đính kèm."))
    return step
