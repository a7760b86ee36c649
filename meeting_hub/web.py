"""What every page shares: language and time zone selection, date formats, the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, flash, request, session, url_for
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from meeting_hub.accounts.access import signed_in_user
from meeting_hub.accounts.policy import rule_for
from meeting_hub.accounts.roles import ROLE_LABELS, Role
from meeting_hub.clock import local_zone
from meeting_hub.date_fields import text_input_attributes
from meeting_hub.errors import ServiceError
from meeting_hub.extensions import db
from meeting_hub.network.models import CELL_KIND_LABELS, ENDPOINT_KIND_LABELS, PERSON_ROLE_LABELS
from meeting_hub.public_links import external_url


def select_locale() -> str:
    """Use the signed-in user's language; before sign-in, the one chosen on the sign-in page; else Vietnamese."""
    user = signed_in_user()
    languages: list[str] = current_app.config["LANGUAGES"]
    if user is not None and user.language in languages:
        return user.language
    chosen = session.get("language") if request else None
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return str(current_app.config["DEFAULT_LANGUAGE"])


def select_timezone() -> str:
    """Show every time in the network's time zone (Asia/Ho_Chi_Minh by default)."""
    return str(current_app.config["TIMEZONE"])


def format_date(value: date | datetime | None) -> str:
    """Format as dd/mm/yyyy, in the local time zone for datetimes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(local_zone()).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """Format as dd/mm/yyyy HH:MM (24-hour) in the local time zone."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M")


def format_time(value: datetime | None) -> str:
    """Format as HH:MM (24-hour) in the local time zone."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime("%H:%M")


def format_end_time(starts_at: datetime, ends_at: datetime) -> str:
    """Format the end of a span as HH:MM, naming its day when it ends on a later local day than it starts."""
    zone = local_zone()
    end_day = ends_at.astimezone(zone).date()
    if end_day == starts_at.astimezone(zone).date():
        return format_time(ends_at)
    return str(_("%(time)s (ngày %(day)s)", time=format_time(ends_at), day=end_day.strftime("%d/%m/%Y")))


def format_time_range(starts_at: datetime, ends_at: datetime) -> str:
    """Format a briefing's hours as "HH:MM–HH:MM"; one that ends past midnight says its end's date."""
    return f"{format_time(starts_at)}–{format_end_time(starts_at, ends_at)}"


@dataclass(frozen=True)
class NavItem:
    """A link of the top navigation."""

    endpoint: str
    label: str
    url: str


#: The top navigation: the daily links, then the rest under a "Quản lý" menu. Each link shows only to the roles the
#: access policy lets through.
NAV_MAIN: list[tuple[str, LazyString]] = [
    ("home.index", _l("Trang chủ")),
    ("scheduling.calendar", _l("Lịch giao ban")),
    ("follow_up.queue", _l("Cần trả lời")),
    ("follow_up.issue_list", _l("Ý kiến, kiến nghị")),
    ("reports.statistics_page", _l("Thống kê")),
    ("bulletins.bulletin_list", _l("Bản tin")),
    ("network.endpoint_list", _l("Điểm cầu")),
]
NAV_MORE: list[tuple[str, LazyString]] = [
    ("scheduling.series_list", _l("Chuỗi giao ban")),
    ("scheduling.holidays", _l("Ngày lễ, Tết")),
    ("network.person_list", _l("Tra cứu người")),
    ("network.agency_list", _l("Cơ quan xử lý")),
    ("follow_up.category_list", _l("Lĩnh vực ý kiến")),
    ("accounts.user_list", _l("Tài khoản")),
    ("network.roster_import", _l("Nhập danh sách")),
    ("accounts.audit_log", _l("Nhật ký hệ thống")),
]


def _allowed_links(links: list[tuple[str, LazyString]]) -> list[NavItem]:
    user = signed_in_user()
    if user is None:
        return []
    items = []
    for endpoint, label in links:
        rule = rule_for(endpoint)
        if rule is not None and rule.allows(user) and endpoint in current_app.view_functions:
            items.append(NavItem(endpoint, str(label), url_for(endpoint)))
    return items


def show_refusal(form: FlaskForm | None, error: ServiceError) -> None:
    """Show a refused form submission (field messages beside their fields, a summary flash); nothing stays written."""
    db.session.rollback()
    for field_name, message in (error.details or {}).items():
        if form is not None and hasattr(form, field_name):
            getattr(form, field_name).errors = [message]
    flash(error.message, "danger")


def _template_globals() -> dict[str, Any]:
    return {
        "nav_items": _allowed_links(NAV_MAIN),
        "nav_more_items": _allowed_links(NAV_MORE),
        "current_locale": str(get_locale()),
        "Role": Role,
        "role_labels": ROLE_LABELS,
        "endpoint_kind_labels": ENDPOINT_KIND_LABELS,
        "cell_kind_labels": CELL_KIND_LABELS,
        "person_role_labels": PERSON_ROLE_LABELS,
        "department_name": current_app.config["DEPARTMENT_NAME"],
        "has_route": lambda name: name in current_app.view_functions,
        "date_input_attributes": text_input_attributes,
    }


def init_app(app: Flask) -> None:
    """Register template filters and globals."""
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_time, "time")
    app.add_template_global(format_time_range, "time_range")
    app.add_template_global(external_url)
    app.context_processor(_template_globals)
