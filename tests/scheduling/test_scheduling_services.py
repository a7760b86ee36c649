"""Scheduling services: series generation and editing, single briefings, status, holidays, visibility."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from meeting_hub.errors import AccessDenied, Conflict, ValidationFailed
from meeting_hub.extensions import db
from meeting_hub.scheduling import holidays, lifecycle, services
from meeting_hub.scheduling.models import BriefingStatus
from meeting_hub.scheduling.recurrence import MonthlyRule
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)


def _series(network: factories.SmallNetwork, **overrides: object) -> services.SeriesData:
    values: dict[str, object] = {
        "title": "Giao ban công tác tuyên giáo",
        "rule": MonthlyRule(weekday=1, week=2),
        "start_time": time(8, 0),
        "duration_minutes": 120,
        "first_month": date(2026, 3, 1),
        "months": 3,
    }
    values.update(overrides)
    return services.SeriesData(**values)  # type: ignore[arg-type]


def test_series_generates_its_occurrences_in_local_time(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    series = services.schedule_series(_series(network), network.organizer, NOW)
    db.session.commit()
    starts = [b.starts_at.astimezone(HCM) for b in series.briefings]
    assert [s.date() for s in starts] == [date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12)]
    assert {s.time() for s in starts} == {time(8, 0)}
    assert series.briefings[0].starts_at == datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # stored in UTC
    assert series.briefings[0].ends_at - series.briefings[0].starts_at == timedelta(hours=2)
    assert [b.title for b in series.briefings] == [
        "Giao ban công tác tuyên giáo tháng 3/2026",
        "Giao ban công tác tuyên giáo tháng 4/2026",
        "Giao ban công tác tuyên giáo tháng 5/2026",
    ]
    assert {e.code for e in series.briefings[0].endpoints} == {"sao-do", "hoang-hoa-tham"}
    assert len({b.ical_uid for b in series.briefings}) == 3


def test_open_ended_series_covers_the_horizon_and_extends_as_time_passes(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    series = services.schedule_series(
        _series(network, months=None, first_month=date(2026, 2, 1)), network.organizer, NOW
    )
    assert len(series.briefings) == 12  # Feb 2026 .. Jan 2027
    assert services.extend_all_series(NOW) == 0
    assert services.extend_all_series(datetime(2026, 5, 15, tzinfo=UTC)) == 3
    db.session.refresh(series)
    assert len(series.briefings) == 15


def test_subset_of_endpoints_is_invited(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    data = _series(network, endpoint_ids=[network.hoang_hoa_tham.id])
    series = services.schedule_series(data, network.organizer, NOW)
    assert all([e.code for e in b.endpoints] == ["hoang-hoa-tham"] for b in series.briefings)
    assert services.list_briefings(network.operator, date(2026, 1, 1), date(2026, 12, 31)) == []
    assert len(services.list_briefings(network.other_operator, date(2026, 1, 1), date(2026, 12, 31))) == 3
    with pytest.raises(AccessDenied):
        services.get_briefing(series.briefings[0].id, network.operator)


def test_bad_series_data_is_refused_with_field_errors(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    with pytest.raises(ValidationFailed) as error:
        services.schedule_series(_series(network, title=" ", duration_minutes=5, months=0), network.organizer, NOW)
    assert set(error.value.details) == {"title", "duration_minutes", "months"}
    with pytest.raises(ValidationFailed):
        services.schedule_series(_series(network, endpoint_ids=[99999]), network.organizer, NOW)


def test_moving_one_occurrence_leaves_the_others_alone(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    series = services.schedule_series(_series(network), network.organizer, NOW)
    first, second, third = series.briefings
    before = [(b.starts_at, b.ical_sequence) for b in (first, third)]
    new_start = datetime(2026, 4, 16, 14, 0, tzinfo=HCM)
    services.update_briefing(second, services.BriefingData(starts_at=new_start), network.organizer)
    assert second.starts_at == new_start
    assert second.ends_at - second.starts_at == timedelta(hours=2)  # moving keeps the duration
    assert second.ical_sequence == 1
    assert second.detached
    assert [(b.starts_at, b.ical_sequence) for b in (first, third)] == before


def test_editing_the_series_changes_future_occurrences_only(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    series = services.schedule_series(_series(network), network.organizer, NOW)
    march, april, may = series.briefings
    moved_start = datetime(2026, 5, 20, 9, 0, tzinfo=HCM)
    services.update_briefing(may, services.BriefingData(starts_at=moved_start), network.organizer)
    # Later, in April (after the April briefing), the series moves to the 3rd Thursday at 14:00.
    later = datetime(2026, 4, 20, tzinfo=UTC)
    march_before, april_before = march.starts_at, april.starts_at
    services.update_series(
        series, _series(network, rule=MonthlyRule(weekday=3, week=3), start_time=time(14, 0)), network.organizer, later
    )
    assert (march.starts_at, april.starts_at) == (march_before, april_before)
    assert may.starts_at == moved_start  # moved on its own: keeps its time
    assert may.ical_sequence == 1


def test_editing_the_series_moves_untouched_future_occurrences(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    series = services.schedule_series(_series(network), network.organizer, NOW)
    services.update_series(series, _series(network, rule=MonthlyRule(day=31), months=2), network.organizer, NOW)
    march, april, may = series.briefings
    assert march.starts_at.astimezone(HCM).date() == date(2026, 3, 31)
    assert april.starts_at.astimezone(HCM).date() == date(2026, 4, 30)
    assert march.ical_sequence == 1
    assert may.status == BriefingStatus.CANCELLED  # the series was shortened: kept, cancelled
    assert may.ical_sequence == 1


def test_status_transitions(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = services.create_briefing(
        services.BriefingData(
            starts_at=datetime(2026, 3, 3, 8, tzinfo=HCM), ends_at=datetime(2026, 3, 3, 10, tzinfo=HCM)
        ),
        network.organizer,
    )
    assert briefing.title == "Giao ban công tác tuyên giáo tháng 3/2026"
    with pytest.raises(Conflict):
        factories.close_briefing(briefing, network.organizer)
    factories.open_briefing(briefing, network.organizer)
    assert briefing.status == BriefingStatus.LIVE
    assert briefing.status_changed_by_id == network.organizer.id
    with pytest.raises(Conflict):
        lifecycle.cancel_briefing(briefing, network.organizer)
    factories.close_briefing(briefing, network.organizer)
    assert briefing.status == BriefingStatus.ENDED
    assert briefing.ical_sequence == 2
    with pytest.raises(Conflict):
        services.update_briefing(briefing, services.BriefingData(title="Khác"), network.organizer)


def test_cancel_keeps_the_briefing_with_its_reason(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = services.create_briefing(
        services.BriefingData(
            starts_at=datetime(2026, 3, 3, 8, tzinfo=HCM), ends_at=datetime(2026, 3, 3, 10, tzinfo=HCM)
        ),
        network.organizer,
    )
    lifecycle.cancel_briefing(briefing, network.organizer, "Trùng lịch họp Thành ủy")
    assert briefing.status == BriefingStatus.CANCELLED
    assert briefing.cancel_reason == "Trùng lịch họp Thành ủy"
    assert briefing in services.briefings_for_feed(network.leader)


def test_end_before_start_is_refused(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    with pytest.raises(ValidationFailed):
        services.create_briefing(
            services.BriefingData(
                starts_at=datetime(2026, 3, 3, 10, tzinfo=HCM), ends_at=datetime(2026, 3, 3, 8, tzinfo=HCM)
            ),
            network.organizer,
        )


def test_holidays_flag_occurrences_and_never_move_them(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    holidays.add_holiday(date(2026, 4, 14), "Giỗ Tổ Hùng Vương (ví dụ)", network.organizer)
    series = services.schedule_series(_series(network), network.organizer, NOW)
    april = series.briefings[1]
    assert april.holiday_name == "Giỗ Tổ Hùng Vương (ví dụ)"
    assert april.starts_at.astimezone(HCM).date() == date(2026, 4, 14)  # flagged, not moved
    assert holidays.flagged_briefings(NOW) == [april]
    # A holiday added later flags the existing occurrence too; removing it clears the flag.
    holiday = holidays.add_holiday(date(2026, 5, 12), "Ngày nghỉ bù", network.organizer)
    db.session.refresh(series.briefings[2])
    assert series.briefings[2].holiday_name == "Ngày nghỉ bù"
    holidays.remove_holiday(holiday.id, network.organizer)
    db.session.refresh(series.briefings[2])
    assert series.briefings[2].holiday_name is None
    with pytest.raises(ValidationFailed):
        holidays.add_holiday(date(2026, 4, 14), "Trùng", network.organizer)


def test_agenda_is_kept_in_order(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    agenda = [
        services.AgendaItemData("Thông tin thời sự", "Ban Tuyên giáo", 30),
        services.AgendaItemData("Ý kiến các điểm cầu", "", None),
    ]
    briefing = services.create_briefing(
        services.BriefingData(
            starts_at=datetime(2026, 3, 3, 8, tzinfo=HCM), ends_at=datetime(2026, 3, 3, 10, tzinfo=HCM), agenda=agenda
        ),
        network.organizer,
    )
    assert [(i.position, i.title) for i in briefing.agenda_items] == [
        (1, "Thông tin thời sự"),
        (2, "Ý kiến các điểm cầu"),
    ]
    with pytest.raises(ValidationFailed):
        services.update_briefing(
            briefing, services.BriefingData(agenda=[services.AgendaItemData(" ")]), network.organizer
        )
