"""How the audit log shows each kind of target ("briefing:12" → the briefing's title, linked to its page).

Sits on top of the domains, like models.py: the log itself (accounts/audit_log.py) is below them and only holds the
registry. Each resolver loads the names of one page's keys in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from meeting_hub.accounts.audit_log import TargetLink, register_detail_values, register_target_kind
from meeting_hub.accounts.models import ApiToken, User
from meeting_hub.bulletins.models import Bulletin
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import ISSUE_ACTION_LABELS, ISSUE_STATUS_LABELS, Issue, IssueCategory
from meeting_hub.network.models import Agency, Cell, Endpoint, Person
from meeting_hub.notifications.models import OutboundMessage
from meeting_hub.scheduling.models import Briefing, BriefingSeries, Holiday, Material


def _ids(keys: Iterable[str]) -> list[int]:
    return [int(key) for key in keys if key.isdigit() and int(key) < 2**31]


def _by_id(model: Any, keys: list[str], link: Callable[[Any], TargetLink]) -> dict[str, TargetLink]:
    rows = db.session.scalars(sa.select(model).where(model.id.in_(_ids(keys))))
    return {str(row.id): link(row) for row in rows}


def _users(keys: list[str]) -> dict[str, TargetLink]:
    users = db.session.scalars(sa.select(User).where(User.username.in_(keys)))
    return {
        user.username: TargetLink(
            f"{user.display_name} ({user.username})", url_for("accounts.user_edit", user_id=user.id)
        )
        for user in users
    }


def _api_tokens(keys: list[str]) -> dict[str, TargetLink]:
    def link(token: ApiToken) -> TargetLink:
        return TargetLink(f"{token.label or '#' + str(token.id)} ({token.user.username})")

    return _by_id(ApiToken, keys, link)


def _endpoints(keys: list[str]) -> dict[str, TargetLink]:
    endpoints = db.session.scalars(sa.select(Endpoint).where(Endpoint.code.in_(keys)))
    return {e.code: TargetLink(e.display_name, url_for("network.endpoint_detail", endpoint_id=e.id)) for e in endpoints}


def _cells(keys: list[str]) -> dict[str, TargetLink]:
    def link(cell: Cell) -> TargetLink:
        url = url_for("network.endpoint_detail", endpoint_id=cell.endpoint_id)
        return TargetLink(f"{cell.name} · {cell.endpoint.name}", url)

    return _by_id(Cell, keys, link)


def _people(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(Person, keys, lambda p: TargetLink(p.full_name, url_for("network.person_edit", person_id=p.id)))


def _agencies(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(Agency, keys, lambda a: TargetLink(a.name, url_for("network.agency_edit", agency_id=a.id)))


def _local_day(briefing: Briefing) -> str:
    return briefing.starts_at.astimezone(local_zone()).strftime("%d/%m/%Y")


def _briefings(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(
        Briefing,
        keys,
        lambda b: TargetLink(f"{b.title} ({_local_day(b)})", url_for("scheduling.briefing_detail", briefing_id=b.id)),
    )


def _series(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(
        BriefingSeries, keys, lambda s: TargetLink(s.title, url_for("scheduling.series_edit", series_id=s.id))
    )


def _materials(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(
        Material,
        keys,
        lambda m: TargetLink(m.title, url_for("scheduling.briefing_detail", briefing_id=m.briefing_id)),
    )


def _bulletins(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(Bulletin, keys, lambda b: TargetLink(b.title, url_for("bulletins.bulletin_detail", bulletin_id=b.id)))


def _holidays(keys: list[str]) -> dict[str, TargetLink]:
    days = []
    for key in keys:
        try:
            days.append(date.fromisoformat(key))
        except ValueError:
            continue
    holidays = db.session.scalars(sa.select(Holiday).where(Holiday.day.in_(days)))
    return {
        h.day.isoformat(): TargetLink(f"{h.day.strftime('%d/%m/%Y')} {h.name}", url_for("scheduling.holidays"))
        for h in holidays
    }


def _issues(keys: list[str]) -> dict[str, TargetLink]:
    return _by_id(Issue, keys, lambda i: TargetLink(i.title, url_for("follow_up.issue_detail", issue_id=i.id)))


def _issue_categories(keys: list[str]) -> dict[str, TargetLink]:
    categories = db.session.scalars(sa.select(IssueCategory).where(IssueCategory.code.in_(keys)))
    return {c.code: TargetLink(c.name, url_for("follow_up.category_edit", category_id=c.id)) for c in categories}


def _messages(keys: list[str]) -> dict[str, TargetLink]:
    def link(message: OutboundMessage) -> TargetLink:
        text = f"{message.recipient_name} ({message.channel.value})"
        if message.briefing_id is None:
            return TargetLink(text)
        return TargetLink(text, url_for("notifications.briefing_notifications", briefing_id=message.briefing_id))

    return _by_id(OutboundMessage, keys, link)


def _files(keys: list[str]) -> dict[str, TargetLink]:
    return {key: TargetLink(key) for key in keys}


def register() -> None:
    """Register every kind of target the app writes to the audit log."""
    register_target_kind("user", _l("Tài khoản"), _users)
    register_target_kind("api_token", _l("Mã truy cập API"), _api_tokens)
    register_target_kind("endpoint", _l("Điểm cầu"), _endpoints)
    register_target_kind("cell", _l("Chi bộ"), _cells)
    register_target_kind("person", _l("Người"), _people)
    register_target_kind("agency", _l("Cơ quan xử lý"), _agencies)
    register_target_kind("briefing", _l("Buổi giao ban"), _briefings)
    register_target_kind("series", _l("Lịch định kỳ"), _series)
    register_target_kind("material", _l("Tài liệu"), _materials)
    register_target_kind("bulletin", _l("Bản tin"), _bulletins)
    register_target_kind("holiday", _l("Ngày nghỉ lễ"), _holidays)
    register_target_kind("issue", _l("Ý kiến"), _issues)
    register_target_kind("issue_category", _l("Lĩnh vực"), _issue_categories)
    register_target_kind("file", _l("Tệp"), _files)
    register_target_kind("message", _l("Tin nhắn"), _messages)
    statuses = {status.value: label for status, label in ISSUE_STATUS_LABELS.items()}
    for key in ("from", "to", "status"):
        register_detail_values(key, statuses)
    register_detail_values("step", {action.value: label for action, label in ISSUE_ACTION_LABELS.items()})
