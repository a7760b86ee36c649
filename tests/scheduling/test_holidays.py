"""Public holidays: the official days computed per year, seeding once, the organizers' edits, the CLI and the page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.accounts.services import find_user
from meeting_hub.errors import NotFound, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling import holidays
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing, Holiday, HolidaySeedYear
from tests import factories
from tests.conftest import AuthActions

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _days(year: int) -> dict[date, str]:
    return {holiday.day: holiday.name for holiday in holidays.official_holidays(year)}


def test_the_official_holidays_of_2026() -> None:
    assert _days(2026) == {
        date(2026, 1, 1): "Tết Dương lịch",
        date(2026, 2, 16): "Tết Nguyên đán (29 Tết)",
        date(2026, 2, 17): "Tết Nguyên đán (mùng 1)",
        date(2026, 2, 18): "Tết Nguyên đán (mùng 2)",
        date(2026, 2, 19): "Tết Nguyên đán (mùng 3)",
        date(2026, 2, 20): "Tết Nguyên đán (mùng 4)",
        date(2026, 4, 26): "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
        date(2026, 4, 30): "Ngày Giải phóng miền Nam, thống nhất đất nước",
        date(2026, 5, 1): "Ngày Quốc tế Lao động",
        date(2026, 9, 1): "Quốc khánh (nghỉ liền kề)",
        date(2026, 9, 2): "Quốc khánh",
    }


@pytest.mark.parametrize(
    ("year", "bridge"),
    # The days the government chose: 2/9 with 3/9 in 2021 and 2024, with 1/9 in 2022, 2023 and 2025.
    [
        (2021, date(2021, 9, 3)),
        (2022, date(2022, 9, 1)),
        (2023, date(2023, 9, 1)),
        (2024, date(2024, 9, 3)),
        (2025, date(2025, 9, 1)),
    ],
)
def test_the_day_next_to_national_day(year: int, bridge: date) -> None:
    assert _days(year)[bridge] == "Quốc khánh (nghỉ liền kề)"


def test_tet_with_a_thirtieth_is_named_so() -> None:
    assert _days(2024)[date(2024, 2, 9)] == "Tết Nguyên đán (30 Tết)"
    assert len(holidays.official_holidays(2024)) == 11


def _briefing_on(day: date, organizer: Any) -> Briefing:
    return scheduling.create_briefing(
        scheduling.BriefingData(
            title="Giao ban chuyên đề",
            starts_at=datetime(day.year, day.month, day.day, 8, tzinfo=HCM),
            ends_at=datetime(day.year, day.month, day.day, 10, tzinfo=HCM),
        ),
        organizer,
    )


def test_seeding_adds_each_year_once_and_keeps_the_organizers_edits(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    on_tet = _briefing_on(date(2027, 2, 6), network.organizer)
    # An organizer's own name for a day wins over the computed one.
    holidays.add_holiday(date(2027, 1, 1), "Tết Dương lịch 2027", network.organizer)
    db.session.commit()

    added = holidays.seed_official_holidays(2026, 2)
    db.session.commit()
    assert len(added) == 21  # 11 a year, less the day already there
    assert holidays.holiday_name(date(2027, 1, 1)) == "Tết Dương lịch 2027"
    assert db.session.get(Briefing, on_tet.id).holiday_name == "Tết Nguyên đán (mùng 1)"  # type: ignore[union-attr]
    assert set(db.session.scalars(sa.select(HolidaySeedYear.year))) == {2026, 2027}

    # A day removed stays removed when seeding runs again; a new year is added.
    removed = db.session.scalars(sa.select(Holiday).where(Holiday.day == date(2027, 9, 3))).one()
    holidays.remove_holiday(removed.id, network.organizer)
    db.session.commit()
    assert holidays.seed_official_holidays(2026, 2) == []
    again = holidays.seed_official_holidays(2026, 3)
    db.session.commit()
    assert {holiday.day.year for holiday in again} == {2028}
    assert holidays.holiday_name(date(2027, 9, 3)) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Holiday)) == 32
    with pytest.raises(ValidationFailed):
        holidays.seed_official_holidays(2026, 0)


def test_restore_adds_back_only_the_missing_days(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    holidays.seed_official_holidays(2026, 1)
    tet = db.session.scalars(sa.select(Holiday).where(Holiday.day == date(2026, 2, 17))).one()
    holidays.rename_holiday(tet.id, "Mùng 1 Tết Bính Ngọ", network.organizer)
    national_day = db.session.scalars(sa.select(Holiday).where(Holiday.day == date(2026, 9, 2))).one()
    holidays.remove_holiday(national_day.id, network.organizer)
    db.session.commit()

    added = holidays.restore_official_holidays(2026, network.organizer)
    db.session.commit()
    assert [(holiday.day, holiday.name) for holiday in added] == [(date(2026, 9, 2), "Quốc khánh")]
    assert holidays.holiday_name(date(2026, 2, 17)) == "Mùng 1 Tết Bính Ngọ"
    assert holidays.restore_official_holidays(2026, network.organizer) == []
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("holiday.%")).order_by(AuditEvent.id)
        )
    )
    assert actions == ["holiday.seed", "holiday.rename", "holiday.remove", "holiday.restore"]


def test_renaming_a_holiday_renames_the_flag_of_its_briefings(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing_on(date(2026, 12, 8), network.organizer)
    holiday = holidays.add_holiday(date(2026, 12, 8), "  Ngày   nghỉ bù ", network.organizer)
    assert holiday.name == "Ngày nghỉ bù"
    holidays.rename_holiday(holiday.id, "Nghỉ bù Quốc khánh", network.organizer)
    db.session.commit()
    assert db.session.get(Briefing, briefing.id).holiday_name == "Nghỉ bù Quốc khánh"  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed):
        holidays.rename_holiday(holiday.id, "   ", network.organizer)
    with pytest.raises(ValidationFailed):
        holidays.rename_holiday(holiday.id, "x" * 201, network.organizer)
    with pytest.raises(NotFound):
        holidays.rename_holiday(holiday.id + 100, "Khác", network.organizer)


def test_the_seed_command_is_idempotent(app: Flask, runner: Any) -> None:
    first = runner.invoke(args=["holidays", "seed", "--years", "2", "--from-year", "2027"])
    assert first.exit_code == 0, first.output
    assert "06/02/2027  Tết Nguyên đán (mùng 1)" in first.output
    assert "Đã thêm 22 ngày lễ cho các năm 2027–2028" in first.output
    second = runner.invoke(args=["holidays", "seed", "--years", "2", "--from-year", "2027"])
    assert second.exit_code == 0 and "Đã thêm 0 ngày lễ" in second.output
    refused = runner.invoke(args=["holidays", "seed", "--years", "0"])
    assert refused.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Holiday)) == 22


# The page


@pytest.fixture
def holiday_id(app: Flask, network: factories.SmallNetwork) -> int:
    with app.app_context():
        holiday = holidays.add_holiday(date(2026, 12, 8), "Ngày nghỉ bù", find_user("organizer"))
        db.session.commit()
        return holiday.id


def test_the_page_renames_removes_and_restores(
    app: Flask, client: FlaskClient, auth: AuthActions, holiday_id: int
) -> None:
    auth.sign_in("organizer")
    page = client.get("/holidays")
    assert "Thứ Ba, 08/12/2026" in page.text
    assert "Xóa ngày lễ 08/12/2026 (Ngày nghỉ bù)?" in page.text  # asked before removing
    renamed = client.post(f"/holidays/{holiday_id}/rename", data={"name": "Nghỉ bù"}, follow_redirects=True)
    assert "Đã đổi tên ngày lễ." in renamed.text and 'value="Nghỉ bù"' in renamed.text
    empty = client.post(f"/holidays/{holiday_id}/rename", data={"name": ""}, follow_redirects=True)
    assert "Cần nhập tên ngày lễ" in empty.text
    removed = client.post(f"/holidays/{holiday_id}/delete", follow_redirects=True)
    assert "Đã xóa ngày lễ 08/12/2026 (Nghỉ bù)." in removed.text
    gone = client.post(f"/holidays/{holiday_id}/delete", follow_redirects=True)  # a second tab, a double click
    assert "Không tìm thấy ngày lễ." in gone.text
    restored = client.post("/holidays/restore", data={"year": "2026"}, follow_redirects=True)
    assert "Đã thêm 11 ngày lễ chính thức của năm 2026." in restored.text
    bad_year = client.post("/holidays/restore", data={"year": "1900"}, follow_redirects=True)
    assert "Năm không hợp lệ" in bad_year.text


def test_a_holiday_is_added_with_a_date_typed_dd_mm_yyyy(client: FlaskClient, auth: AuthActions, network: Any) -> None:
    auth.sign_in("organizer")
    added = client.post("/holidays", data={"day": "8/12/2026", "name": "Ngày nghỉ bù"}, follow_redirects=True)
    assert "Đã thêm ngày lễ." in added.text and "08/12/2026" in added.text
    wrong = client.post("/holidays", data={"day": "12/31/2026", "name": "Giao thừa"})
    assert "Tháng phải từ 01 đến 12" in wrong.text and 'value="12/31/2026"' in wrong.text
    twice = client.post("/holidays", data={"day": "08/12/2026", "name": "Lần hai"})
    assert "Ngày 08/12/2026 đã có trong danh sách (Ngày nghỉ bù)." in twice.text


@pytest.mark.parametrize("username", ["leader", "op-sao-do", "responder"])
def test_only_organizers_edit_holidays(client: FlaskClient, auth: AuthActions, holiday_id: int, username: str) -> None:
    auth.sign_in(username)
    assert client.get("/holidays").status_code == 403
    assert client.post(f"/holidays/{holiday_id}/rename", data={"name": "X"}).status_code == 403
    assert client.post(f"/holidays/{holiday_id}/delete").status_code == 403
    assert client.post("/holidays/restore", data={"year": "2026"}).status_code == 403
