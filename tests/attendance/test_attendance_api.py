"""REST attendance: the same rules and idempotency as the socket."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.attendance.models import AttendanceRecord
from meeting_hub.extensions import db
from tests.attendance.conftest import LiveBriefing, token_for


def _headers(app: Flask, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, username)}"}


def test_post_is_201_then_200_with_the_original_for_a_replay(app: Flask, live: LiveBriefing) -> None:
    client = app.test_client()
    headers = _headers(app, "op-sao-do")
    body = {
        "person_id": live.network.sao_do_people[0].id,
        "status": "late",
        "note": "Mưa to",
        "client_op_id": "rest-op-0001",
    }
    first = client.post(f"/api/v1/briefings/{live.briefing_id}/attendance", json=body, headers=headers)
    assert first.status_code == 201, first.json
    second = client.post(
        f"/api/v1/briefings/{live.briefing_id}/attendance", json={**body, "status": "absent"}, headers=headers
    )
    assert second.status_code == 200
    assert second.json == first.json
    assert first.json["record"]["status"] == "late"


def test_get_returns_the_snapshot_and_operators_see_their_endpoint_only(app: Flask, live: LiveBriefing) -> None:
    client = app.test_client()
    organizer = client.get(f"/api/v1/briefings/{live.briefing_id}/attendance", headers=_headers(app, "organizer"))
    assert organizer.status_code == 200
    assert len(organizer.json["endpoints"]) == 3
    assert organizer.json["seq"] == 1
    operator = client.get(f"/api/v1/briefings/{live.briefing_id}/attendance", headers=_headers(app, "op-sao-do"))
    assert [e["endpoint_id"] for e in operator.json["endpoints"]] == [live.network.sao_do.id]


def test_operator_of_pha_lai_gets_403_for_a_sao_do_person_and_nothing_changes(app: Flask, live: LiveBriefing) -> None:
    client = app.test_client()
    body = {"person_id": live.network.sao_do_people[0].id, "status": "present", "client_op_id": "rest-op-0002"}
    response = client.post(
        f"/api/v1/briefings/{live.briefing_id}/attendance", json=body, headers=_headers(app, "op-pha-lai")
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id))) == 0
        assert (
            db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "access.denied")) == 1
        )


def test_leader_cannot_post_and_bad_bodies_get_422(app: Flask, live: LiveBriefing) -> None:
    client = app.test_client()
    url = f"/api/v1/briefings/{live.briefing_id}/attendance"
    leader = client.post(
        url, json={"person_id": 1, "status": "present", "client_op_id": "x" * 10}, headers=_headers(app, "leader")
    )
    assert leader.status_code == 403
    bad = client.post(url, json={"person_id": "1", "status": "here"}, headers=_headers(app, "op-sao-do"))
    assert bad.status_code == 422
    assert set(bad.json["error"]["details"]) == {"person_id", "status", "client_op_id"}


def test_operator_cannot_read_a_briefing_their_endpoint_is_not_invited_to(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        from meeting_hub.accounts import services as accounts
        from meeting_hub.scheduling import services as scheduling

        briefing = scheduling.get_briefing(live.briefing_id)
        scheduling.update_briefing(
            briefing, scheduling.BriefingData(endpoint_ids=[live.network.sao_do.id]), accounts.find_user("organizer")
        )
        db.session.commit()
    client = app.test_client()
    response = client.get(f"/api/v1/briefings/{live.briefing_id}/attendance", headers=_headers(app, "op-pha-lai"))
    assert response.status_code == 403
