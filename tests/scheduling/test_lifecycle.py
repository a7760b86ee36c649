"""A briefing's life: early opening and closing with unrecorded people confirmed, reopening within its window, the
minutes versions it leaves, and how lists show a live or overdue briefing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus
from meeting_hub.database import utcnow
from meeting_hub.errors import Conflict, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.extensions import db
from meeting_hub.reports import minutes
from meeting_hub.scheduling import lifecycle, services
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from tests import factories


def _briefing(network: factories.SmallNetwork, *, starts_in: timedelta = timedelta(minutes=-5)) -> Briefing:
    start = utcnow() + starts_in
    briefing = services.create_briefing(
        services.BriefingData(starts_at=start, ends_at=start + timedelta(hours=2)), network.organizer
    )
    db.session.commit()
    return briefing


def _audit(action: str) -> list[dict[str, object]]:
    rows = db.session.scalars(sa.select(AuditEvent.detail).where(AuditEvent.action == action).order_by(AuditEvent.id))
    return [json.loads(detail) if detail else {} for detail in rows]


def _check_in(briefing: Briefing, person_id: int, actor: factories.User, op: str) -> None:
    attendance.record_check_in(briefing, attendance.CheckIn(person_id, AttendanceStatus.PRESENT, op), actor)


def _briefing_events(briefing: Briefing) -> list[dict[str, object]]:
    return [event for event in log.events_since(briefing.id, 0) or [] if event["type"] == "briefing"]


def test_opening_before_the_day_is_refused_unless_confirmed(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network, starts_in=timedelta(days=3))
    with pytest.raises(lifecycle.ConfirmationRequired) as refused:
        lifecycle.open_briefing(briefing, network.organizer)
    day = briefing.starts_at.astimezone(lifecycle.local_zone()).strftime("%d/%m/%Y")
    assert day in refused.value.message
    assert refused.value.details["early"] is True
    assert briefing.status == BriefingStatus.SCHEDULED
    lifecycle.open_briefing(briefing, network.organizer, confirm_early=True)
    db.session.commit()
    assert briefing.status == BriefingStatus.LIVE
    assert _audit("briefing.open")[-1]["early"] is True


def test_opening_on_the_day_needs_no_confirmation(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network)
    assert not lifecycle.open_consequence(briefing).needs_confirmation
    lifecycle.open_briefing(briefing, network.organizer)
    db.session.commit()
    assert _audit("briefing.open")[-1]["early"] is False


def test_closing_with_unrecorded_people_states_how_many_and_needs_that_number(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network)
    lifecycle.open_briefing(briefing, network.organizer)
    _check_in(briefing, network.sao_do_people[0].id, network.operator, "op-close-1")
    db.session.commit()
    consequence = lifecycle.close_consequence(briefing)
    assert consequence.unrecorded == 2  # one of Sao Đỏ, the one of Hoàng Hoa Thám
    assert "Còn 2 người chưa được điểm danh" in consequence.message
    with pytest.raises(lifecycle.ConfirmationRequired) as refused:
        lifecycle.close_briefing(briefing, network.organizer)
    assert refused.value.details == {"unrecorded": 2}
    with pytest.raises(lifecycle.ConfirmationRequired):
        lifecycle.close_briefing(briefing, network.organizer, confirm_unrecorded=1)  # shown 1: more are unrecorded
    assert briefing.status == BriefingStatus.LIVE
    lifecycle.close_briefing(briefing, network.organizer, confirm_unrecorded=2)
    db.session.commit()
    assert briefing.status == BriefingStatus.ENDED
    assert _audit("briefing.close")[-1] == {"unrecorded": 2}
    assert _briefing_events(briefing)[-1]["unrecorded"] == 2


def test_closing_with_everyone_recorded_needs_no_confirmation(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network)
    lifecycle.open_briefing(briefing, network.organizer)
    for n, person in enumerate([*network.sao_do_people, *network.hht_people]):
        _check_in(briefing, person.id, network.organizer, f"op-all-{n}")
    lifecycle.close_briefing(briefing, network.organizer)
    db.session.commit()
    assert briefing.status == BriefingStatus.ENDED
    assert _audit("briefing.close")[-1] == {"unrecorded": 0}


def test_cancel_is_audited_with_its_consequence(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network, starts_in=timedelta(days=10))
    assert "Không thể mở lại một buổi đã hủy" in lifecycle.cancel_consequence(briefing).message
    lifecycle.cancel_briefing(briefing, network.organizer, "Trùng Hội nghị Thành ủy")
    db.session.commit()
    assert _audit("briefing.cancel")[-1] == {"reason": "Trùng Hội nghị Thành ủy", "endpoints": 2}


def _ended(network: factories.SmallNetwork) -> Briefing:
    briefing = _briefing(network)
    lifecycle.open_briefing(briefing, network.organizer)
    db.session.commit()
    factories.close_briefing(briefing, network.organizer)
    db.session.commit()
    return briefing


def test_reopening_lets_the_operator_finish_the_roll_call(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _ended(network)
    person_id = network.sao_do_people[1].id
    with pytest.raises(Conflict):
        _check_in(briefing, person_id, network.operator, "op-after-end")
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        lifecycle.reopen_briefing(briefing, network.organizer, "   ")
    lifecycle.reopen_briefing(briefing, network.organizer, "Kết thúc nhầm khi Hoàng Hoa Thám chưa điểm danh xong")
    db.session.commit()
    assert briefing.status == BriefingStatus.LIVE
    _check_in(briefing, person_id, network.operator, "op-after-reopen")
    db.session.commit()
    event = _briefing_events(briefing)[-1]
    assert event["status"] == "live"
    assert event["reopened"] is True
    assert event["reason"] == "Kết thúc nhầm khi Hoàng Hoa Thám chưa điểm danh xong"
    assert _audit("briefing.reopen")[-1]["reason"] == "Kết thúc nhầm khi Hoàng Hoa Thám chưa điểm danh xong"
    assert briefing in services.live_briefings(network.operator)


def test_reopening_is_refused_after_the_window_counted_from_the_first_closing(app: Flask) -> None:
    app.config["REOPEN_WINDOW_HOURS"] = 2
    with app.app_context():
        network = factories.make_small_network()
        briefing = _ended(network)
        first_end = briefing.status_changed_at
        assert first_end is not None
        assert lifecycle.reopen_until(briefing) == first_end + timedelta(hours=2)
        lifecycle.reopen_briefing(briefing, network.organizer, "Kết thúc nhầm", now=first_end + timedelta(hours=1))
        db.session.commit()
        factories.close_briefing(briefing, network.organizer)
        db.session.commit()
        # Closing again does not restart the window.
        assert lifecycle.reopen_until(briefing) == first_end + timedelta(hours=2)
        with pytest.raises(Conflict) as late:
            lifecycle.reopen_briefing(briefing, network.organizer, "Lần nữa", now=first_end + timedelta(hours=3))
        assert "quá hạn mở lại" in late.value.message
        assert not lifecycle.can_reopen(briefing, first_end + timedelta(hours=3))


def test_only_an_ended_briefing_can_be_reopened(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _briefing(network)
    with pytest.raises(Conflict):
        lifecycle.reopen_briefing(briefing, network.organizer, "Thử")
    assert lifecycle.reopen_until(briefing) is None


def test_closing_again_freezes_version_2_and_keeps_version_1_as_it_was(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    briefing = _ended(network)
    first = minutes.get_version(briefing)
    assert first is not None and first.version == 1
    first_bytes = minutes.read_version(first)
    lifecycle.reopen_briefing(briefing, network.organizer, "Còn một người chưa điểm danh")
    db.session.commit()
    assert minutes.get_version(briefing) == first  # nothing new while it is live again
    _check_in(briefing, network.hht_people[0].id, network.other_operator, "op-late-hht")
    db.session.commit()
    factories.close_briefing(briefing, network.organizer)
    db.session.commit()
    versions = minutes.list_versions(briefing)
    assert [v.version for v in versions] == [1, 2]
    assert minutes.read_version(versions[0]) == first_bytes
    assert versions[0].sha256 == first.sha256
    assert versions[1].reason == "Còn một người chưa điểm danh"
    assert versions[1].sha256 != first.sha256
    assert minutes.reopened_versions(briefing) == {2: briefing.reopenings[0]}
    assert _audit("minutes.freeze")[-1]["reopened"] is True


def test_live_briefings_are_not_upcoming_and_a_due_one_is_not_live(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    due = _briefing(network)
    live = _briefing(network, starts_in=timedelta(minutes=-30))
    later = _briefing(network, starts_in=timedelta(days=2))
    lifecycle.open_briefing(live, network.organizer)
    db.session.commit()
    assert services.live_briefings(network.leader) == [live]
    assert services.upcoming_briefings(network.leader) == [due, later]
    assert lifecycle.display_status(due) == "due"
    assert lifecycle.display_status(live) == "live"
    assert lifecycle.display_status(later) == "scheduled"
