"""Reading the audit log: Vietnamese labels for every action, filters (who, what, when), pages, and targets shown as
names with links.

Targets are stored as "kind:key" text (user:lan, briefing:12). Each domain's kinds are resolved to names and links by
resolvers registered here (meeting_hub/audit_targets.py registers them all: accounts sits below the other domains
and does not import them).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.accounts.roles import ROLE_LABELS
from meeting_hub.clock import local_day_bounds
from meeting_hub.date_fields import day_from_query
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db

#: Every action code the app writes, with what it means; a test fails when a code in the source has no label here.
ACTION_LABELS: dict[str, LazyString] = {
    # Sign-in and access
    "sign_in.ok": _l("Đăng nhập"),
    "sign_in.failed": _l("Đăng nhập thất bại"),
    "sign_in.throttled": _l("Đăng nhập bị tạm chặn (sai nhiều lần)"),
    "access.denied": _l("Bị từ chối truy cập"),
    "access.bad_token": _l("Mã truy cập API không hợp lệ"),
    "password.change": _l("Đổi mật khẩu"),
    "password.change_refused": _l("Đổi mật khẩu bị từ chối (sai mật khẩu hiện tại)"),
    "password.reset": _l("Quản trị đặt lại mật khẩu"),
    # Accounts
    "user.create": _l("Tạo tài khoản"),
    "user.update": _l("Sửa tài khoản"),
    "user.deactivate": _l("Khóa tài khoản"),
    "user.contacts": _l("Sửa thông tin liên hệ, kênh nhận thông báo"),
    "api_token.create": _l("Tạo mã truy cập API"),
    "api_token.revoke": _l("Thu hồi mã truy cập API"),
    "calendar_feed.reset": _l("Tạo đường dẫn lịch mới"),
    # Network
    "endpoint.create": _l("Thêm điểm cầu"),
    "endpoint.update": _l("Sửa điểm cầu"),
    "endpoint.merge": _l("Sáp nhập điểm cầu"),
    "cell.create": _l("Thêm chi bộ"),
    "cell.update": _l("Sửa chi bộ"),
    "person.create": _l("Thêm người"),
    "person.update": _l("Sửa thông tin người"),
    "agency.create": _l("Thêm cơ quan xử lý"),
    "agency.update": _l("Sửa cơ quan xử lý"),
    "roster.import": _l("Nhập danh sách từ tệp"),
    # Scheduling
    "series.create": _l("Tạo lịch giao ban định kỳ"),
    "series.update": _l("Sửa lịch giao ban định kỳ"),
    "briefing.create": _l("Tạo buổi giao ban"),
    "briefing.update": _l("Sửa buổi giao ban"),
    "briefing.open": _l("Mở buổi giao ban"),
    "briefing.close": _l("Kết thúc buổi giao ban"),
    "briefing.reopen": _l("Mở lại buổi giao ban"),
    "briefing.cancel": _l("Hủy buổi giao ban"),
    "briefing.self_check_in": _l("Bật/tắt tự điểm danh bằng mã QR"),
    "holiday.add": _l("Thêm ngày nghỉ lễ"),
    "holiday.remove": _l("Xóa ngày nghỉ lễ"),
    "holiday.rename": _l("Đổi tên ngày nghỉ lễ"),
    "holiday.restore": _l("Điền lại ngày lễ chính thức của một năm"),
    "holiday.seed": _l("Thêm ngày lễ chính thức theo năm"),
    "material.upload": _l("Tải lên tài liệu"),
    "material.delete": _l("Xóa tài liệu"),
    "material.share_revoke": _l("Thu hồi đường dẫn chia sẻ tài liệu"),
    "material.share_renew": _l("Tạo lại đường dẫn chia sẻ tài liệu"),
    "material.receipt": _l("Xác nhận đã nhận tài liệu"),
    "bulletin.create": _l("Tạo bản tin"),
    "bulletin.update": _l("Sửa bản tin"),
    "bulletin.publish": _l("Phát hành bản tin"),
    "bulletin.share_revoke": _l("Thu hồi liên kết chia sẻ bản tin"),
    "bulletin.share_renew": _l("Cấp liên kết mới cho bản tin"),
    "bulletin.delete": _l("Xóa bản nháp bản tin"),
    "bulletin.receipt": _l("Xác nhận đã nhận bản tin"),
    # Attendance
    "self_check_in.failed": _l("Tự điểm danh thất bại"),
    # Raised issues
    "issue.raise": _l("Ghi nhận ý kiến"),
    "issue.assign": _l("Giao xử lý ý kiến"),
    "issue.answer": _l("Trả lời ý kiến"),
    "issue.close": _l("Chấp nhận trả lời, đóng ý kiến"),
    "issue.return": _l("Trả lại câu trả lời"),
    "issue.withdraw": _l("Rút ý kiến"),
    "issue.refused": _l("Thao tác với ý kiến bị từ chối"),
    "issue_category.create": _l("Thêm lĩnh vực ý kiến"),
    "issue_category.update": _l("Sửa lĩnh vực ý kiến"),
    # Polls
    "poll.create": _l("Tạo câu hỏi thăm dò ý kiến"),
    "poll.update": _l("Sửa câu hỏi thăm dò ý kiến"),
    "poll.delete": _l("Xóa bản nháp câu hỏi thăm dò ý kiến"),
    "poll.open": _l("Mở thăm dò ý kiến"),
    "poll.close": _l("Đóng thăm dò ý kiến"),
    # Reports
    "minutes.freeze": _l("Chốt biên bản"),
    "minutes.correct": _l("Đính chính biên bản"),
    "minutes.prepare": _l("Lập lại tệp PDF biên bản"),
    # Notifications
    "notification.resend": _l("Gửi lại tin nhắn"),
    "notification.resend_all": _l("Gửi lại tất cả tin lỗi"),
}

#: The groups of the action filter, by code prefix.
ACTION_GROUPS: dict[str, LazyString] = {
    "sign_in": _l("Đăng nhập"),
    "access": _l("Truy cập"),
    "password": _l("Mật khẩu"),
    "user": _l("Tài khoản"),
    "api_token": _l("Mã truy cập API"),
    "calendar_feed": _l("Lịch cá nhân"),
    "endpoint": _l("Điểm cầu"),
    "cell": _l("Chi bộ"),
    "person": _l("Người"),
    "agency": _l("Cơ quan xử lý"),
    "roster": _l("Danh sách"),
    "series": _l("Lịch định kỳ"),
    "briefing": _l("Buổi giao ban"),
    "holiday": _l("Ngày nghỉ lễ"),
    "material": _l("Tài liệu"),
    "bulletin": _l("Bản tin"),
    "self_check_in": _l("Tự điểm danh"),
    "issue": _l("Ý kiến, kiến nghị"),
    "issue_category": _l("Lĩnh vực ý kiến"),
    "poll": _l("Thăm dò ý kiến"),
    "minutes": _l("Biên bản"),
    "notification": _l("Tin nhắn"),
}

#: Names of the detail fields the log keeps; unknown ones are shown as stored.
DETAIL_LABELS: dict[str, LazyString] = {
    "role": _l("vai trò"),
    "active": _l("hoạt động"),
    "must_change": _l("phải đổi mật khẩu"),
    "forced": _l("đổi bắt buộc"),
    "reason": _l("lý do"),
    "label": _l("tên gợi nhớ"),
    "name": _l("tên"),
    "title": _l("tiêu đề"),
    "from": _l("từ"),
    "to": _l("sang"),
    "step": _l("bước"),
    "status": _l("trạng thái"),
    "agency_id": _l("cơ quan"),
    "due_on": _l("hạn"),
    "into": _l("vào"),
    "endpoint": _l("điểm cầu"),
    "endpoint_id": _l("điểm cầu"),
    "briefing_id": _l("buổi giao ban"),
    "rows": _l("số dòng"),
    "created_people": _l("người mới"),
    "updated_people": _l("người cập nhật"),
    "created_cells": _l("chi bộ mới"),
    "occurrences": _l("số buổi"),
    "changed": _l("thay đổi"),
    "channels": _l("kênh nhận thông báo"),
    "secretary_channels": _l("kênh nhắc bí thư chi bộ"),
    "unusable_phones": _l("số điện thoại không nhận được tin nhắn"),
    "enabled": _l("bật"),
    "version": _l("phiên bản"),
    "size_bytes": _l("dung lượng (byte)"),
    "download_count": _l("lượt tải"),
    "count": _l("số tin"),
    "in_doubt": _l("không rõ đã đến (chưa gửi lại)"),
    "no_address": _l("chưa có địa chỉ nhận (chưa gửi lại)"),
}

DATE_FORMAT_HINT = "dd/mm/yyyy"


def action_label(action: str) -> str:
    """Return the Vietnamese label of an action code (the code itself for one written by an older version)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


@dataclass(frozen=True)
class AuditFilters:
    """Who (a username or part of it), what (an action code or a group of them), when (local days, inclusive)."""

    actor: str = ""
    action: str = ""
    first_day: date | None = None
    last_day: date | None = None

    @classmethod
    def from_text(cls, actor: str, action: str, first_day: str, last_day: str) -> AuditFilters:
        """Read the filters as typed; raise ValidationFailed naming the bad fields."""
        errors: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for name, text in (("first_day", first_day), ("last_day", last_day)):
            days[name], problem = day_from_query(text)  # dd/mm/yyyy as every date field reads it
            if problem:
                errors[name] = problem
        if days["first_day"] and days["last_day"] and days["first_day"] > days["last_day"]:
            errors["last_day"] = _("Ngày kết thúc phải từ ngày bắt đầu trở đi.")
        if errors:
            raise ValidationFailed(_("Bộ lọc chưa hợp lệ."), details=errors)
        return cls(actor.strip()[:64], action.strip()[:64], days["first_day"], days["last_day"])


@dataclass
class AuditPage:
    """One page of audit events, newest first."""

    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def search_events(filters: AuditFilters, page: int, per_page: int) -> AuditPage:
    """Return one page of the events matching the filters, newest first."""
    conditions: list[Any] = []
    if filters.actor:
        conditions.append(AuditEvent.actor_name.contains(filters.actor.lower(), autoescape=True))
    if filters.action in ACTION_GROUPS:
        conditions.append(AuditEvent.action.startswith(f"{filters.action}.", autoescape=True))
    elif filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.first_day or filters.last_day:
        start, end = local_day_bounds(filters.first_day or date(1970, 1, 1), filters.last_day or date(9998, 12, 30))
        if filters.first_day:
            conditions.append(AuditEvent.at >= start)
        if filters.last_day:
            conditions.append(AuditEvent.at < end)
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*conditions)) or 0
    pages = max(math.ceil(total / per_page), 1)
    page = min(max(page, 1), pages)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AuditPage(list(events), page, pages, total)


# Targets


@dataclass(frozen=True)
class TargetLink:
    """What a target reads as: a name, and the page to open it on (None when there is none, or it is gone)."""

    name: str
    url: str | None = None


#: Resolves the keys of one kind ("12", "lan") to their names and links; keys it does not know are gone.
Resolver = Callable[[list[str]], dict[str, TargetLink]]


@dataclass(frozen=True)
class TargetKind:
    """A kind of target: its label (Buổi giao ban) and its resolver."""

    label: LazyString
    resolve: Resolver


_target_kinds: dict[str, TargetKind] = {}
#: Labels of coded detail values, by detail key ("to": {"assigned": "Đã giao xử lý"}), registered by the domains.
_detail_values: dict[str, dict[str, LazyString]] = {}


def register_target_kind(kind: str, label: LazyString, resolve: Resolver) -> None:
    """Teach the log how to show targets of one kind."""
    _target_kinds[kind] = TargetKind(label, resolve)


def register_detail_values(key: str, labels: dict[str, LazyString]) -> None:
    """Teach the log the labels of the coded values a detail field holds (statuses, steps)."""
    _detail_values.setdefault(key, {}).update(labels)


@dataclass
class ShownEvent:
    """An audit event as the page shows it."""

    event: AuditEvent
    action: str
    kind_label: str
    target: TargetLink
    details: list[tuple[str, str]] = field(default_factory=list)


def _split_target(target: str) -> tuple[str, str] | None:
    kind, sep, key = target.partition(":")
    if not sep or kind not in _target_kinds or " " in kind:
        return None
    return kind, key


def _detail_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("có") if value else _("không"))
    if key == "role" and isinstance(value, str):
        for role, label in ROLE_LABELS.items():
            if role.value == value:
                return str(label)
    if isinstance(value, str) and value in _detail_values.get(key, {}):
        return str(_detail_values[key][value])
    if key == "due_on" and isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return datetime.strptime(value, "%Y-%m-%d").strftime("%d/%m/%Y")
    if value is None:
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _details(detail: str) -> list[tuple[str, str]]:
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(data, dict):
        return [("", str(data))]
    return [(str(DETAIL_LABELS.get(key, key)), _detail_value(key, value)) for key, value in data.items()]


def show_events(events: list[AuditEvent]) -> list[ShownEvent]:
    """Return the events with their action labels, targets as names with links, and readable details."""
    keys: dict[str, set[str]] = {}
    for event in events:
        split = _split_target(event.target)
        if split is not None:
            keys.setdefault(split[0], set()).add(split[1])
    resolved = {kind: _target_kinds[kind].resolve(sorted(kind_keys)) for kind, kind_keys in keys.items()}
    shown = []
    for event in events:
        split = _split_target(event.target)
        if split is None:
            kind_label, target = "", TargetLink(event.target)
        else:
            kind, key = split
            kind_label = str(_target_kinds[kind].label)
            target = resolved[kind].get(key) or TargetLink(_("%(key)s (không còn)", key=key))
        shown.append(ShownEvent(event, action_label(event.action), kind_label, target, _details(event.detail)))
    return shown


def actor_names() -> list[str]:
    """Return the names of everyone in the log, for the "who" field's suggestions."""
    return list(db.session.scalars(sa.select(AuditEvent.actor_name).distinct().order_by(AuditEvent.actor_name)))
