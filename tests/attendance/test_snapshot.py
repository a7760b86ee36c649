"""The attendance snapshot: its figures equal the database, for the whole briefing and for one endpoint (whose
queries are filtered to that endpoint), and the API serves it in the contract's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.api.attendance import AttendanceSchema
from meeting_hub.attendance import services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, EndpointLink, LinkStatus
from meeting_hub.attendance.snapshot import attendance_snapshot
from meeting_hub.clock import local_iso
from meeting_hub.event_log.models import BriefingEvent
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.conftest import base_config

ENDPOINT_KEYS = [
    "endpoint_id",
    "link_status",
    "last_seen_at",
    "expected",
    "present",
    "late",
    "excused",
    "absent",
    "pending",
]
RECORD_KEYS = ["person_id", "endpoint_id", "status", "note", "substitute_name", "recorded_at", "recorded_by", "via"]


@dataclass
class Roll:
    """A live briefing of Sao Đỏ, Hoàng Hoa Thám and Phả Lại, part-way through its roll-call."""

    app: Flask
    briefing_id: int
    sao_do: int
    hoang_hoa_tham: int
    pha_lai: int
    corrected_person: int


def _make_roll(app: Flask) -> Roll:
    """Records at two endpoints (one corrected, one of a person deactivated since), a closed cell, links at two."""
    with app.app_context():
        network = factories.make_small_network()
        pha_lai = factories.make_endpoint(code="pha-lai", name="Phả Lại")
        factories.make_person(factories.make_cell(pha_lai, name="Khu dân cư Ninh Chấp"))
        leaving = factories.make_person(network.sao_do_people[0].cell, full_name="Phạm Văn Nghỉ")
        closed_cell = factories.make_cell(network.hoang_hoa_tham, name="Thôn Sáp Nhập")
        factories.make_person(closed_cell, full_name="Đỗ Thị Sáp")
        briefing = factories.make_live_briefing()
        organizer = accounts.find_user("organizer")

        operator = accounts.find_user("op-sao-do")
        first, second = network.sao_do_people
        for person_id, status, op, extra in [
            (first.id, AttendanceStatus.PRESENT, "snap-op-01", {}),
            (second.id, AttendanceStatus.EXCUSED, "snap-op-02", {"note": "Ốm, đã báo"}),
            (leaving.id, AttendanceStatus.PRESENT, "snap-op-03", {}),
            (first.id, AttendanceStatus.LATE, "snap-op-04", {"substitute_name": "Vũ Văn Thay"}),  # a correction
        ]:
            services.record_check_in(briefing, services.CheckIn(person_id, status, op, **extra), operator)
        services.record_check_in(
            briefing, services.CheckIn(network.hht_people[0].id, AttendanceStatus.ABSENT, "snap-op-05"), organizer
        )
        services.set_link_status(briefing, LinkStatus.DEGRADED, operator)
        services.record_heartbeat(briefing, accounts.find_user("op-hoang-hoa-tham"))
        db.session.commit()
        # After the roll-call: a person leaves (their record stays), a cell closes (its people are no longer expected).
        leaving.active = False
        closed_cell.active = False
        db.session.commit()
        return Roll(app, briefing.id, network.sao_do.id, network.hoang_hoa_tham.id, pha_lai.id, first.id)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def roll(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Roll]:
    """The same roll-call on SQLite and on PostgreSQL: the snapshot reads recorded_at differently on each."""
    on_sqlite = request.param == "sqlite"
    url = f"sqlite:///{tmp_path / 'snapshot.db'}" if on_sqlite else request.getfixturevalue("postgres_url")
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        db.create_all()
    try:
        yield _make_roll(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def _from_database(briefing_id: int, only_endpoint: int | None = None) -> dict[str, Any]:
    """Compute the snapshot the slow, obvious way, from ORM objects: what attendance_snapshot must equal."""
    briefing = db.session.get(Briefing, briefing_id)
    assert briefing is not None
    invited = sorted(e.id for e in briefing.endpoints if only_endpoint in (None, e.id))
    records = sorted(
        (
            r
            for r in db.session.scalars(sa.select(AttendanceRecord).where(AttendanceRecord.briefing_id == briefing_id))
            if only_endpoint in (None, r.endpoint_id)
        ),
        key=lambda r: (r.endpoint_id, r.person_id),
    )
    people = list(db.session.scalars(sa.select(Person)))
    links = {
        link.endpoint_id: link
        for link in db.session.scalars(sa.select(EndpointLink).where(EndpointLink.briefing_id == briefing_id))
    }
    endpoints = []
    for endpoint_id in invited:
        expected = sum(1 for p in people if p.active and p.cell.active and p.cell.endpoint_id == endpoint_id)
        mine = [r for r in records if r.endpoint_id == endpoint_id]
        link = links.get(endpoint_id)
        endpoints.append(
            {
                "endpoint_id": endpoint_id,
                "link_status": link.status.value if link else None,
                "last_seen_at": local_iso(link.last_seen_at) if link else None,
                "expected": expected,
                **{s.value: sum(1 for r in mine if r.status == s) for s in AttendanceStatus},
                "pending": max(expected - len(mine), 0),
            }
        )
    last_seq = db.session.scalar(
        sa.select(sa.func.max(BriefingEvent.seq)).where(BriefingEvent.briefing_id == briefing_id)
    )
    return {
        "briefing_id": briefing_id,
        "seq": last_seq,
        "endpoints": endpoints,
        "records": [
            {
                "person_id": r.person_id,
                "endpoint_id": r.endpoint_id,
                "status": r.status.value,
                "note": r.note,
                "substitute_name": r.substitute_name,
                "recorded_at": local_iso(r.recorded_at),
                "recorded_by": r.recorded_by.username if r.recorded_by else None,
                "via": r.via.value,
            }
            for r in records
        ],
        # No poll at these briefings: the polls' section is tested in tests/polls/test_poll_snapshot.py.
        "polls": [],
    }


def _snapshot(roll: Roll, only_endpoint: int | None = None) -> dict[str, Any]:
    briefing = db.session.get(Briefing, roll.briefing_id)
    assert briefing is not None
    return attendance_snapshot(briefing, only_endpoint)


def test_the_snapshot_equals_the_database(roll: Roll) -> None:
    with roll.app.app_context():
        snapshot = _snapshot(roll)
        assert snapshot == _from_database(roll.briefing_id)
        # The scenario as a person would count it, so the oracle above is checked too.
        by_endpoint = {e["endpoint_id"]: e for e in snapshot["endpoints"]}
        assert list(by_endpoint) == sorted([roll.sao_do, roll.hoang_hoa_tham, roll.pha_lai])
        sao_do = by_endpoint[roll.sao_do]
        # Two people expected (the one who left is not), three recorded (their record stays): none pending.
        assert [sao_do[key] for key in ("expected", "present", "late", "excused", "absent", "pending")] == [
            2,
            1,
            1,
            1,
            0,
            0,
        ]
        assert sao_do["link_status"] == "degraded" and sao_do["last_seen_at"].endswith("+07:00")
        hht = by_endpoint[roll.hoang_hoa_tham]
        # The closed cell's person is not expected; the heartbeat made a link row, connected by default.
        assert (hht["expected"], hht["absent"], hht["pending"], hht["link_status"]) == (1, 1, 0, "connected")
        pha_lai = by_endpoint[roll.pha_lai]
        assert (pha_lai["expected"], pha_lai["pending"], pha_lai["link_status"], pha_lai["last_seen_at"]) == (
            1,
            1,
            None,
            None,
        )
        assert snapshot["seq"] == 1 + 5 + 2  # opening, five check-ins, the link status and the first heartbeat
        corrected = [r for r in snapshot["records"] if r["person_id"] == roll.corrected_person]
        assert len(corrected) == 1
        assert (corrected[0]["status"], corrected[0]["substitute_name"], corrected[0]["recorded_by"]) == (
            "late",
            "Vũ Văn Thay",
            "op-sao-do",
        )
        assert [r["via"] for r in snapshot["records"] if r["endpoint_id"] == roll.hoang_hoa_tham] == ["organizer"]
        assert len(snapshot["records"]) == 4


def test_the_one_endpoint_cut_equals_the_database_and_the_whole_snapshot(roll: Roll) -> None:
    with roll.app.app_context():
        whole = _snapshot(roll)
        for endpoint_id in (roll.sao_do, roll.hoang_hoa_tham, roll.pha_lai):
            cut = _snapshot(roll, endpoint_id)
            assert cut == _from_database(roll.briefing_id, endpoint_id)
            assert cut == {
                **whole,
                "endpoints": [e for e in whole["endpoints"] if e["endpoint_id"] == endpoint_id],
                "records": [r for r in whole["records"] if r["endpoint_id"] == endpoint_id],
            }
        assert _snapshot(roll, 999_999)["endpoints"] == []  # not invited: nothing


def test_the_one_endpoint_cut_filters_every_query_to_the_endpoint(roll: Roll) -> None:
    """1,052 consoles ask for their cut on every (re)connect: none of its queries may read the whole briefing."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    with roll.app.app_context():
        assert roll.pha_lai != roll.briefing_id  # the parameter check below tells them apart
        briefing = db.session.get(Briefing, roll.briefing_id)
        assert briefing is not None
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            attendance_snapshot(briefing, roll.pha_lai)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(statements) == 4  # the seq, the records, the endpoints, the briefing's polls (none here)
    for statement, parameters in statements:
        if "briefing_sequences" in statement or "FROM polls" in statement:
            continue  # one row, and the briefing's few polls (their answers are read per endpoint: tests/polls)
        values = parameters.values() if isinstance(parameters, dict) else parameters
        assert roll.pha_lai in values, statement


def _get(roll: Roll, username: str) -> Any:
    with roll.app.app_context():
        token = accounts.issue_api_token(accounts.find_user(username), "test", None)
        db.session.commit()
    return roll.app.test_client().get(
        f"/api/v1/briefings/{roll.briefing_id}/attendance", headers={"Authorization": f"Bearer {token}"}
    )


def test_the_api_serves_the_snapshot_in_the_contract_shape(roll: Roll) -> None:
    response = _get(roll, "organizer")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    assert sorted(body) == ["briefing_id", "endpoints", "polls", "records", "seq"]
    assert body["endpoints"] and body["records"]
    for endpoint in body["endpoints"]:
        assert sorted(endpoint) == sorted(ENDPOINT_KEYS)
        assert all(isinstance(endpoint[k], int) for k in ("endpoint_id", "expected", "pending", "present", "late"))
    for record in body["records"]:
        assert sorted(record) == sorted(RECORD_KEYS)
        assert all(isinstance(record[k], str) for k in ("status", "note", "substitute_name", "recorded_at", "via"))
    assert AttendanceSchema().validate(body) == {}
    with roll.app.app_context():
        assert body == _from_database(roll.briefing_id)
    operator = _get(roll, "op-sao-do")
    assert operator.status_code == 200
    with roll.app.app_context():
        assert operator.json == _from_database(roll.briefing_id, roll.sao_do)


def test_the_openapi_document_still_describes_the_snapshot(roll: Roll) -> None:
    document = roll.app.test_client().get("/api/v1/openapi.json").json
    responses = document["paths"]["/api/v1/briefings/{briefing_id}/attendance"]["get"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Attendance"}
    endpoint_schema = document["components"]["schemas"]["EndpointAttendance"]
    assert set(endpoint_schema["properties"]) == set(ENDPOINT_KEYS)
