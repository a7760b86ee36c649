"""The audit log page: Vietnamese labels for every action the app writes, filters, pages, targets as links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import audit
from meeting_hub.accounts.audit_log import ACTION_GROUPS, ACTION_LABELS, AuditFilters
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.errors import ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.follow_up.models import IssueAction
from tests import factories
from tests.conftest import AuthActions

SOURCE = Path(__file__).resolve().parents[2] / "meeting_hub"
#: f-string action codes in the source, and the codes they stand for.
DYNAMIC_ACTIONS = {"issue.{action.value}": {f"issue.{action.value}" for action in IssueAction}}
_WRITTEN = re.compile(r'(?:audit\.record|AuditEntry)\(\s*(f?)"([^"]+)"')


def _written_actions() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for is_f, code in _WRITTEN.findall(path.read_text(encoding="utf-8")):
            if is_f:
                assert code in DYNAMIC_ACTIONS, f"{path}: teach this test what {code!r} expands to"
                found |= DYNAMIC_ACTIONS[code]
            else:
                found.add(code)
    return found


def test_every_action_the_app_writes_has_a_vietnamese_label() -> None:
    written = _written_actions()
    assert len(written) > 40  # the scan finds the calls
    missing = sorted(written - ACTION_LABELS.keys())
    assert missing == [], f"add a label in accounts/audit_log.py for: {missing}"
    assert all(code.split(".")[0] in ACTION_GROUPS for code in ACTION_LABELS)


def test_the_day_filters_read_dates_as_every_date_field_does(app_ctx: Flask) -> None:
    filters = AuditFilters.from_text("", "", "03/12/2026", " 3/1/2027 ")
    assert (filters.first_day, filters.last_day) == (date(2026, 12, 3), date(2027, 1, 3))
    assert AuditFilters.from_text("", "", "", "").first_day is None
    assert AuditFilters.from_text("", "", "2026-12-03", "").first_day == date(2026, 12, 3)  # ISO, from old links
    with pytest.raises(ValidationFailed) as refused:
        AuditFilters.from_text("", "", "31/02/2026", "1/1/2026")
    assert refused.value.details == {"first_day": "Tháng 02/2026 không có ngày 31."}
    with pytest.raises(ValidationFailed) as backwards:
        AuditFilters.from_text("", "", "03/12/2026", "01/12/2026")
    assert set(backwards.value.details) == {"last_day"}


def _seed(app: Flask) -> None:
    with app.app_context():
        lan = factories.make_user(username="lan", display_name="Trần Thị Lan")
        endpoint = factories.make_endpoint(code="dong-lac", name="Đồng Lạc")
        db.session.add_all(
            [
                AuditEvent(at=datetime(2026, 11, 30, 16, 59, tzinfo=UTC), actor_id=lan.id, actor_name="lan",
                           action="endpoint.update", target="endpoint:dong-lac", detail='{"active": false}'),
                AuditEvent(at=datetime(2026, 11, 30, 17, 1, tzinfo=UTC), actor_name="lan", action="user.create",
                           target="user:lan", detail='{"role": "leader", "must_change": true}'),
                AuditEvent(at=datetime(2026, 12, 2, 3, 0, tzinfo=UTC), actor_name="khach", action="sign_in.failed",
                           target="user:khach"),
                AuditEvent(at=datetime(2026, 12, 2, 3, 5, tzinfo=UTC), actor_name="lan", action="briefing.open",
                           target="briefing:999", detail='{"reason": "' + "rất-dài-" * 40 + '"}'),
            ]
        )  # fmt: skip
        db.session.commit()
        assert endpoint.id


def test_log_reads_in_vietnamese_with_linked_targets(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    _seed(app)
    auth.sign_in("admin")
    page = client.get("/admin/audit").text
    assert "Sửa điểm cầu" in page
    assert re.search(r'<a href="/endpoints/\d+">Phường Đồng Lạc</a>|<a href="/endpoints/\d+">[^<]*Đồng Lạc', page)
    assert re.search(r'<a href="/admin/users/\d+">Trần Thị Lan \(lan\)</a>', page)
    assert "vai trò:</span> Lãnh đạo" in page
    assert "phải đổi mật khẩu:</span> có" in page
    assert "999 (không còn)" in page  # a target that is gone
    assert "user:khach" not in page.replace("khach (không còn)", "")
    assert "Đăng nhập thất bại" in page
    assert "text-break" in page  # long values wrap instead of widening the page


def test_filters_by_who_what_and_when(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    _seed(app)
    auth.sign_in("admin")

    def rows(**query: str) -> list[str]:
        page = client.get("/admin/audit", query_string=query).text
        return re.findall(r'<div class="small text-body-secondary font-monospace">([a-z_.]+)</div>', page)

    assert rows(actor="lan") == ["briefing.open", "user.create", "endpoint.update"]
    assert rows(action="sign_in.failed") == ["sign_in.failed"]
    assert set(rows(action="endpoint")) == {"endpoint.update", "endpoint.create"}  # a whole group
    # Local days (UTC+7): 30/11 16:59 UTC is 30/11 23:59 local; 17:01 UTC is already 01/12.
    assert rows(actor="lan", first_day="01/12/2026", last_day="01/12/2026") == ["user.create"]
    assert rows(actor="lan", last_day="30/11/2026") == ["endpoint.update"]
    page = client.get("/admin/audit", query_string={"first_day": "12/2026", "last_day": "31/02/2026"}).text
    assert "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy" in page
    assert "Tháng 02/2026 không có ngày 31." in page
    # The list below is not filtered by day, and the page says so above it.
    notice = "Ngày lọc chưa hợp lệ nên danh sách dưới đây chưa lọc theo ngày."
    assert page.index(notice) < page.index('id="audit-table"')
    assert notice not in client.get("/admin/audit", query_string={"first_day": "01/12/2026"}).text
    only_end = client.get("/admin/audit", query_string={"actor": "lan", "last_day": "99/99/2026"}).text
    assert notice in only_end and "endpoint.update" in only_end and "briefing.open" in only_end


def test_log_is_paginated(app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork) -> None:
    app.config["PAGE_SIZE"] = 5
    with app.app_context():
        for n in range(12):
            audit.record("holiday.add", None, actor_name="lan", target=f"holiday:2026-01-{n + 1:02d}")
        db.session.commit()
    auth.sign_in("admin")
    first = client.get("/admin/audit?action=holiday.add").text
    assert "12 sự kiện" in first and "trang 1/3" in first
    last = client.get("/admin/audit?action=holiday.add&page=3").text
    assert last.count('font-monospace">holiday.add<') == 2
    assert "page=2" in last and "action=holiday.add" in last


def test_only_admins_read_the_log(client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork) -> None:
    auth.sign_in("leader")
    assert client.get("/admin/audit").status_code == 403
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "access.denied")) == 1


def test_coded_details_read_in_vietnamese(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        audit.record("issue.assign", None, actor_name="leader", target="issue:1", to="assigned", due_on="2026-12-10")
        db.session.commit()
    auth.sign_in("admin")
    page = client.get("/admin/audit?action=issue.assign").text
    assert "sang:</span> Đã giao xử lý" in page
    assert "hạn:</span> 10/12/2026" in page
