"""Every time the API and the socket events send is ISO 8601 in the network's time zone (+07:00), as docs/api.md
says: never Z, +00:00 or a time without offset."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from meeting_hub.attendance.models import AttendanceRecord
from meeting_hub.attendance.snapshot import _LocalIso
from meeting_hub.clock import local_iso
from meeting_hub.extensions import db
from tests.attendance.conftest import (
    LiveBriefing,
    received_events,
    signed_in_client,
    socket_client,
    stamp,
    token_for,
)
from tests.follow_up.conftest import FollowUp, op_id

LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+07:00$")


def _times(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Return (path, text) of every timestamp in a JSON value: keys "at", "*_at" and "server_time"."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "at" or key.endswith("_at") or key == "server_time") and isinstance(item, str):
                found.append((f"{path}.{key}", item))
            else:
                found.extend(_times(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_times(item, f"{path}[{index}]"))
    return found


def _assert_local(value: Any, *, expected_keys: set[str]) -> None:
    times = _times(value)
    wrong = [(path, text) for path, text in times if not LOCAL_TIME.match(text)]
    assert wrong == []
    keys = {path.rsplit(".", 1)[-1] for path, _ in times}
    assert expected_keys <= keys, f"missing timestamps: {expected_keys - keys}"


def _headers(app: Flask, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, username)}"}


def test_attendance_times_over_the_api_and_the_socket(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="organizer")
    assert dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)["ok"]
    console = socket_client(app, username="op-sao-do")
    person_id = live.network.sao_do_people[0].id
    check_in = {"briefing_id": live.briefing_id, "person_id": person_id, "status": "late", "client_op_id": stamp()}
    assert console.emit("check_in", check_in, namespace="/live", callback=True)["ok"]
    assert console.emit(
        "link_status", {"briefing_id": live.briefing_id, "status": "degraded"}, namespace="/live", callback=True
    )["ok"]
    live_events = received_events(dashboard)
    assert {event["type"] for event in live_events} == {"attendance", "link_status"}
    _assert_local(live_events, expected_keys={"recorded_at", "last_seen_at"})

    client = app.test_client()
    headers = _headers(app, "op-sao-do")
    body = {"person_id": live.network.sao_do_people[1].id, "status": "present", "client_op_id": "rest-op-time-1"}
    posted = client.post(f"/api/v1/briefings/{live.briefing_id}/attendance", json=body, headers=headers)
    assert posted.status_code == 201
    _assert_local(posted.json, expected_keys={"recorded_at"})
    snapshot = client.get(f"/api/v1/briefings/{live.briefing_id}/attendance", headers=headers).json
    _assert_local(snapshot, expected_keys={"recorded_at", "last_seen_at"})
    # The same instant as stored, only written in the network's zone.
    with app.app_context():
        record = db.session.query(AttendanceRecord).filter_by(person_id=person_id).one()
        assert snapshot["records"][0]["recorded_at"] == local_iso(record.recorded_at)

    # A dashboard (re)joining gets the snapshot, or the events it missed, with the same offset.
    again = socket_client(app, username="organizer")
    ack = again.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    _assert_local(ack["snapshot"], expected_keys={"recorded_at", "last_seen_at"})
    catch_up = again.emit("watch", {"briefing_id": live.briefing_id, "last_seq": 1}, namespace="/live", callback=True)
    _assert_local(catch_up["events"], expected_keys={"recorded_at", "last_seen_at"})


def test_briefing_status_and_the_dashboard_page_carry_the_offset(app: Flask, live: LiveBriefing) -> None:
    dashboard = socket_client(app, username="organizer")
    dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    client = app.test_client()
    headers = _headers(app, "organizer")
    url = f"/api/v1/briefings/{live.briefing_id}/close"
    closed = client.post(url, json={"confirm_unrecorded": 10_000}, headers=headers)  # closing with people unrecorded
    assert closed.status_code == 200, closed.json
    _assert_local(closed.json, expected_keys={"starts_at", "ends_at", "status_changed_at"})
    status_events = [event for event in received_events(dashboard) if event["type"] == "briefing"]
    assert status_events
    _assert_local(status_events, expected_keys={"at"})
    page = signed_in_client(app, "organizer").get(f"/briefings/{live.briefing_id}/live").get_data(as_text=True)
    data = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    _assert_local({"server_time": data["server_time"]}, expected_keys={"server_time"})


def test_issue_times_over_the_api_and_the_socket(app: Flask, follow_up: FollowUp) -> None:
    dashboard = socket_client(app, username="organizer")
    assert dashboard.emit("watch", {"briefing_id": follow_up.briefing_id}, namespace="/live", callback=True)["ok"]
    client = app.test_client()
    operator, leader = _headers(app, "op-sao-do"), _headers(app, "leader")
    body = {
        "endpoint_id": follow_up.network.sao_do.id,
        "category": "dat-dai",
        "title": "Tranh chấp đất đai",
        "content": "Đề nghị phường giải quyết.",
        "client_op_id": op_id(),
    }
    raised = client.post(f"/api/v1/briefings/{follow_up.briefing_id}/issues", json=body, headers=operator)
    assert raised.status_code == 201, raised.json
    issue_id = raised.json["id"]
    assigned = client.post(
        f"/api/v1/issues/{issue_id}/assign", json={"agency_id": follow_up.network.agency.id}, headers=leader
    )
    assert assigned.status_code == 200, assigned.json
    detail = client.get(f"/api/v1/issues/{issue_id}", headers=leader).json
    _assert_local(detail, expected_keys={"raised_at", "assigned_at", "at"})
    _assert_local(client.get("/api/v1/issues", headers=leader).json, expected_keys={"raised_at"})
    issue_events = [event for event in received_events(dashboard) if event["type"] == "issue"]
    assert len(issue_events) == 2
    _assert_local(issue_events, expected_keys={"at"})


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "America/New_York", "Australia/Adelaide", "Asia/Kathmandu"])
def test_the_snapshot_s_fast_formatter_matches_astimezone_across_offset_changes(zone: str) -> None:
    # Adelaide (+9:30/+10:30) changes its offset on a half hour in UTC: the cache must not span it.
    to_text = _LocalIso(ZoneInfo(zone))
    start = datetime(2026, 3, 1)
    for step in range(0, 60 * 24 * 400, 7):  # every 7 minutes for 400 days: both changes of the year
        value = start + timedelta(minutes=step, microseconds=step)
        assert to_text(value) == value.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).isoformat()
