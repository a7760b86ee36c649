"""Check-ins: idempotent by client_op_id (also under concurrency, on SQLite and PostgreSQL), logged with a growing
seq, corrections kept, and every role rule."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, CheckInVia, LinkStatus
from meeting_hub.attendance.snapshot import attendance_snapshot
from meeting_hub.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from meeting_hub.event_log import log
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import LiveBriefing
from tests.concurrency import run_at_once
from tests.conftest import base_config


def _check_in(person_id: int, status: AttendanceStatus = AttendanceStatus.PRESENT, **kw: str) -> services.CheckIn:
    return services.CheckIn(person_id=person_id, status=status, client_op_id=kw.pop("op", uuid.uuid4().hex), **kw)


def test_a_check_in_creates_a_record_and_a_logged_event(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        person_id = live.network.sao_do_people[0].id
        result = services.record_check_in(briefing, _check_in(person_id), operator)
        db.session.commit()
        assert not result.replayed
        assert result.result["record"]["status"] == "present"
        assert result.result["record"]["via"] == "operator"
        assert result.result["record"]["recorded_by"] == "op-sao-do"
        events = log.events_since(briefing.id, 0)
        assert events is not None
        assert [e["type"] for e in events] == ["briefing", "attendance"]  # opened, then the check-in
        assert events[-1]["seq"] == result.result["seq"] == 2


def test_replaying_a_client_op_id_returns_the_original_and_writes_nothing(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        person_id = live.network.sao_do_people[0].id
        first = services.record_check_in(briefing, _check_in(person_id, op="same-operation-1"), operator)
        db.session.commit()
        # The replay even carries other values: it is the same operation, so the original result comes back.
        again = services.record_check_in(
            briefing, _check_in(person_id, AttendanceStatus.ABSENT, op="same-operation-1"), operator
        )
        db.session.commit()
        assert again.replayed
        assert again.result == first.result
        assert log.current_seq(briefing.id) == 2
        record = db.session.scalars(sa.select(AttendanceRecord)).one()
        assert record.status == AttendanceStatus.PRESENT


def test_a_correction_updates_the_record_and_both_stay_in_the_log(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        person_id = live.network.sao_do_people[0].id
        services.record_check_in(briefing, _check_in(person_id, AttendanceStatus.ABSENT), operator)
        services.record_check_in(
            briefing, _check_in(person_id, AttendanceStatus.LATE, note="Đường ngập", substitute_name=""), operator
        )
        db.session.commit()
        records = list(db.session.scalars(sa.select(AttendanceRecord)))
        assert [(r.status, r.note) for r in records] == [(AttendanceStatus.LATE, "Đường ngập")]
        statuses = [e["status"] for e in log.events_since(briefing.id, 0) or [] if e["type"] == "attendance"]
        assert statuses == ["absent", "late"]


def test_substitute_is_recorded_for_dự_thay(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        person_id = live.network.sao_do_people[0].id
        result = services.record_check_in(briefing, _check_in(person_id, substitute_name="Lê Văn Dự"), operator)
        assert result.result["record"]["substitute_name"] == "Lê Văn Dự"
        with pytest.raises(ValidationFailed):
            services.record_check_in(
                briefing, _check_in(person_id, AttendanceStatus.ABSENT, substitute_name="Ai đó"), operator
            )


def test_operator_of_another_endpoint_is_refused(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        with pytest.raises(AccessDenied):
            services.record_check_in(
                briefing, _check_in(live.network.sao_do_people[0].id), accounts.find_user("op-pha-lai")
            )


def test_leaders_and_responders_cannot_check_in(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        for username in ("leader", "responder"):
            with pytest.raises(AccessDenied):
                services.record_check_in(
                    briefing, _check_in(live.network.sao_do_people[0].id), accounts.find_user(username)
                )


def test_operators_only_check_in_while_live_organizers_may_correct_after(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        factories.close_briefing(briefing, accounts.find_user("organizer"))
        person_id = live.network.sao_do_people[0].id
        with pytest.raises(Conflict):
            services.record_check_in(briefing, _check_in(person_id), accounts.find_user("op-sao-do"))
        result = services.record_check_in(briefing, _check_in(person_id), accounts.find_user("organizer"))
        assert result.result["record"]["via"] == CheckInVia.ORGANIZER.value


def test_unknown_person_and_bad_op_id_are_refused(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        with pytest.raises(NotFound):
            services.record_check_in(briefing, _check_in(999_999), operator)
        with pytest.raises(ValidationFailed):
            services.record_check_in(briefing, _check_in(live.network.sao_do_people[0].id, op="short"), operator)


def test_snapshot_counts_per_endpoint(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        first, second = live.network.sao_do_people
        services.record_check_in(briefing, _check_in(first.id), operator)
        services.record_check_in(briefing, _check_in(second.id, AttendanceStatus.EXCUSED, note="Ốm"), operator)
        services.set_link_status(briefing, LinkStatus.DEGRADED, operator)
        db.session.commit()
        snapshot = attendance_snapshot(briefing)
        assert snapshot["seq"] == 4
        sao_do = next(e for e in snapshot["endpoints"] if e["endpoint_id"] == live.network.sao_do.id)
        assert sao_do == {
            "endpoint_id": live.network.sao_do.id,
            "link_status": "degraded",
            "last_seen_at": sao_do["last_seen_at"],
            "expected": 2,
            "present": 1,
            "late": 0,
            "excused": 1,
            "absent": 0,
            "pending": 0,
        }
        pha_lai = next(e for e in snapshot["endpoints"] if e["endpoint_id"] == live.pha_lai_id)
        assert (pha_lai["expected"], pha_lai["pending"], pha_lai["link_status"]) == (1, 1, None)
        assert len(snapshot["records"]) == 2


def test_heartbeats_are_logged_only_every_so_often(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        operator = accounts.find_user("op-sao-do")
        assert services.record_heartbeat(briefing, operator) is not None
        db.session.commit()
        assert services.record_heartbeat(briefing, operator) is None  # too soon: last_seen only
        db.session.commit()
        with pytest.raises(AccessDenied):
            services.record_heartbeat(briefing, accounts.find_user("leader"))


def _concurrent_same_operation(app: Flask, briefing_id: int, username: str, person_id: int) -> list[bool]:
    """Send the same client_op_id from five threads at once; return each one's `replayed`."""

    def send(ready: Callable[[], None]) -> bool:
        briefing = scheduling.get_briefing(briefing_id)
        user = accounts.find_user(username)
        ready()
        return services.record_check_in(briefing, _check_in(person_id, op="five-times-op"), user).replayed

    return run_at_once(app, send)


def _assert_one_record_one_event(app: Flask, briefing_id: int) -> None:
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id))) == 1
        attendance_events = db.session.scalar(
            sa.select(sa.func.count(BriefingEvent.id)).where(
                BriefingEvent.briefing_id == briefing_id, BriefingEvent.type == "attendance"
            )
        )
        assert attendance_events == 1


def test_same_client_op_id_five_times_concurrently_makes_one_record_on_sqlite(app: Flask, live: LiveBriefing) -> None:
    outcomes = _concurrent_same_operation(app, live.briefing_id, "op-sao-do", live.network.sao_do_people[0].id)
    assert sorted(outcomes) == [False, True, True, True, True]
    _assert_one_record_one_event(app, live.briefing_id)


@pytest.mark.postgres
def test_same_client_op_id_five_times_concurrently_makes_one_record_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    pg_app = create_app(base_config(tmp_path, postgres_url))
    with pg_app.app_context():
        db.create_all()
        network = factories.make_small_network()
        briefing = factories.make_live_briefing(hours=1)
        briefing_id, person_id = briefing.id, network.sao_do_people[0].id
    try:
        outcomes = _concurrent_same_operation(pg_app, briefing_id, "op-sao-do", person_id)
        assert sorted(outcomes) == [False, True, True, True, True]
        _assert_one_record_one_event(pg_app, briefing_id)
        # Concurrent different check-ins get distinct, gap-free seqs.
        with pg_app.app_context():
            assert log.current_seq(briefing_id) == 2
    finally:
        with pg_app.app_context():
            db.engine.dispose()
