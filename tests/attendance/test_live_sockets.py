"""The /live namespace: connection auth, per-event authorisation, validation, delivery and resync by seq."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.attendance.models import AttendanceRecord
from meeting_hub.extensions import db
from meeting_hub.realtime import revocation
from tests.attendance.conftest import (
    LiveBriefing,
    changed_elsewhere,
    emit_check_in,
    received_events,
    socket_client,
    stamp,
    token_for,
)


def test_connection_without_credentials_is_refused(app: Flask, live: LiveBriefing) -> None:
    client = socket_client(app)
    assert not client.is_connected("/live")


def test_connection_with_a_bad_token_is_refused(app: Flask, live: LiveBriefing) -> None:
    client = socket_client(app, token="mh_not-a-token")
    assert not client.is_connected("/live")


def test_connection_with_a_token_or_a_session_is_accepted(app: Flask, live: LiveBriefing) -> None:
    assert socket_client(app, token=token_for(app, "leader")).is_connected("/live")
    assert socket_client(app, username="op-sao-do").is_connected("/live")


def test_dashboard_sees_an_operator_check_in(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="organizer")
    ack = dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert ack["ok"] is True
    assert ack["snapshot"]["seq"] == ack["seq"] == 1
    assert {e["endpoint_id"] for e in ack["snapshot"]["endpoints"]} == {
        live.network.sao_do.id,
        live.network.hoang_hoa_tham.id,
        live.pha_lai_id,
    }

    console = socket_client(app, username="op-sao-do")
    person_id = live.network.sao_do_people[0].id
    result = console.emit(
        "check_in",
        {"briefing_id": live.briefing_id, "person_id": person_id, "status": "present", "client_op_id": stamp()},
        namespace="/live",
        callback=True,
    )
    assert result["ok"] is True
    assert result["replayed"] is False
    assert result["seq"] == 2
    events = received_events(dashboard)
    assert [(e["type"], e["seq"], e["person_id"]) for e in events] == [("attendance", 2, person_id)]


def test_operator_of_pha_lai_cannot_check_in_a_sao_do_person_by_socket(app: Flask, live: LiveBriefing) -> None:
    console = socket_client(app, username="op-pha-lai")
    ack = console.emit(
        "check_in",
        {
            "briefing_id": live.briefing_id,
            "person_id": live.network.sao_do_people[0].id,
            "status": "present",
            "client_op_id": stamp(),
        },
        namespace="/live",
        callback=True,
    )
    assert ack["ok"] is False
    assert ack["error"]["code"] == "forbidden"
    assert "điểm cầu của mình" in ack["error"]["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id))) == 0
        denial = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
        assert denial.actor_name == "op-pha-lai"


def test_invalid_payload_gets_an_error_ack_that_says_what_is_wrong(app: Flask, live: LiveBriefing) -> None:
    console = socket_client(app, username="op-sao-do")
    ack = console.emit(
        "check_in", {"briefing_id": live.briefing_id, "status": "here"}, namespace="/live", callback=True
    )
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid"
    assert set(ack["error"]["details"]) == {"person_id", "status", "client_op_id"}
    assert console.emit("check_in", "not an object", namespace="/live", callback=True)["ok"] is False


def test_responder_cannot_watch(app: Flask, live: LiveBriefing) -> None:
    client = socket_client(app, username="responder")
    ack = client.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "forbidden"


def test_operator_watches_only_their_endpoint(app: Flask, live: LiveBriefing) -> None:
    sao_do = socket_client(app, username="op-sao-do")
    ack = sao_do.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert [e["endpoint_id"] for e in ack["snapshot"]["endpoints"]] == [live.network.sao_do.id]
    pha_lai = socket_client(app, username="op-pha-lai")
    pha_lai.emit(
        "check_in",
        {
            "briefing_id": live.briefing_id,
            "person_id": live.pha_lai_person_id,
            "status": "late",
            "client_op_id": stamp(),
        },
        namespace="/live",
        callback=True,
    )
    assert received_events(sao_do) == []  # Phả Lại's check-in is not Sao Đỏ's business
    assert [e["person_id"] for e in received_events(pha_lai)] == []  # pha_lai did not watch


def test_dashboard_reconnecting_with_last_seq_gets_exactly_the_missed_events(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="leader")
    first = dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    last_seq = first["seq"]
    dashboard.disconnect(namespace="/live")

    console = socket_client(app, username="op-sao-do")
    for person in live.network.sao_do_people:
        console.emit(
            "check_in",
            {"briefing_id": live.briefing_id, "person_id": person.id, "status": "present", "client_op_id": stamp()},
            namespace="/live",
            callback=True,
        )
    console.emit(
        "link_status", {"briefing_id": live.briefing_id, "status": "degraded"}, namespace="/live", callback=True
    )

    again = socket_client(app, username="leader")
    ack = again.emit("watch", {"briefing_id": live.briefing_id, "last_seq": last_seq}, namespace="/live", callback=True)
    assert ack["ok"] is True
    assert "snapshot" not in ack
    assert [e["seq"] for e in ack["events"]] == [last_seq + 1, last_seq + 2, last_seq + 3]
    assert [e["type"] for e in ack["events"]] == ["attendance", "attendance", "link_status"]
    assert ack["seq"] == last_seq + 3


def test_a_last_seq_from_the_future_gets_a_snapshot(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="leader")
    ack = dashboard.emit("watch", {"briefing_id": live.briefing_id, "last_seq": 999}, namespace="/live", callback=True)
    assert "snapshot" in ack


def test_link_status_only_from_the_operator_and_reaches_the_dashboard(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="organizer")
    dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    organizer_try = dashboard.emit(
        "link_status", {"briefing_id": live.briefing_id, "status": "down"}, namespace="/live", callback=True
    )
    assert organizer_try["ok"] is False
    console = socket_client(app, username="op-hoang-hoa-tham")
    assert console.emit(
        "link_status", {"briefing_id": live.briefing_id, "status": "down"}, namespace="/live", callback=True
    )["ok"]
    beat = console.emit("heartbeat", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert beat["ok"] is True
    events = received_events(dashboard)
    assert [(e["type"], e["link_status"], e["endpoint_id"]) for e in events] == [
        ("link_status", "down", live.network.hoang_hoa_tham.id)
    ]


def test_replayed_check_in_over_the_socket(app: Flask, live: LiveBriefing) -> None:
    console = socket_client(app, username="op-sao-do")
    message = {
        "briefing_id": live.briefing_id,
        "person_id": live.network.sao_do_people[1].id,
        "status": "excused",
        "note": "Đi công tác",
        "client_op_id": "offline-op-00000001",
    }
    first = console.emit("check_in", message, namespace="/live", callback=True)
    second = console.emit("check_in", message, namespace="/live", callback=True)
    assert (first["replayed"], second["replayed"]) == (False, True)
    assert first["seq"] == second["seq"]
    assert first["record"] == second["record"]


def test_rate_limit_per_connection(app: Flask, live: LiveBriefing) -> None:
    app.config.update(LIVE_EVENTS_PER_SECOND=1, LIVE_EVENTS_BURST=3)
    console = socket_client(app, username="op-sao-do")
    acks = [
        console.emit("heartbeat", {"briefing_id": live.briefing_id}, namespace="/live", callback=True) for _ in range(5)
    ]
    assert [ack["ok"] for ack in acks][:3] == [True, True, True]
    assert acks[-1]["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("recheck_seconds", [0.0, 3600.0])
def test_a_deactivated_operator_is_refused_once_the_account_is_read_again(
    app: Flask, live: LiveBriefing, recheck_seconds: float
) -> None:
    """A deactivation made in another process: refused once the account is read again (a deliberate, bounded delay
    of at most the recheck interval, which the sweep also keeps for sockets that send nothing)."""
    app.config["LIVE_USER_RECHECK_SECONDS"] = recheck_seconds
    console = socket_client(app, username="op-sao-do")

    def check_in(person_index: int) -> dict[str, Any]:
        return emit_check_in(console, live, person_index)

    assert check_in(0)["ok"] is True
    with app.app_context(), changed_elsewhere():
        accounts.deactivate_user(accounts.find_user("op-sao-do"), accounts.find_user("admin"))
        db.session.commit()
    after = check_in(1)
    if recheck_seconds == 0:
        assert after == {"ok": False, "error": {"code": "unauthorized", "message": "Tài khoản không còn hoạt động."}}
        assert not console.is_connected("/live")
    else:  # within the recheck period the connection still acts on what was read, until the sweep
        assert after["ok"] is True
        with app.app_context():
            assert revocation.sweep() == 1
        assert not console.is_connected("/live")


def test_a_deactivation_in_this_process_closes_the_socket_at_once(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0
    console = socket_client(app, username="op-sao-do")
    with app.app_context():
        accounts.deactivate_user(accounts.find_user("op-sao-do"), accounts.find_user("admin"))
        db.session.commit()
    assert not console.is_connected("/live")
