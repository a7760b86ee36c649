"""QR self check-in: off by default, signed links, phone confirmation, never overriding the operator."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub import create_app
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.attendance import self_check_in, services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, CheckInVia
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import LiveBriefing, make_live_briefing_with_pha_lai, signed_in_client
from tests.conftest import base_config


def _link(app: Flask, live: LiveBriefing, endpoint_id: int) -> str:
    with app.app_context():
        return f"/checkin/{self_check_in.self_check_in_token(live.briefing_id, endpoint_id)}"


def _give_phone(app: Flask, person_id: int, phone: str) -> None:
    with app.app_context():
        db.session.get(Person, person_id).phone = phone
        db.session.commit()


def _enable(app: Flask, live: LiveBriefing) -> None:
    client = signed_in_client(app, "organizer")
    client.post(f"/briefings/{live.briefing_id}/self-check-in", data={"enabled": "1"})


def test_off_by_default_and_the_page_says_so(app: Flask, live: LiveBriefing) -> None:
    page = app.test_client().get(_link(app, live, live.network.sao_do.id))
    assert page.status_code == 200
    assert "không dùng tự điểm danh" in page.text


def test_a_forged_link_is_not_found(app: Flask, live: LiveBriefing) -> None:
    assert app.test_client().get("/checkin/forged-token").status_code == 404


def test_secretary_checks_in_with_the_last_four_digits(app: Flask, live: LiveBriefing) -> None:
    person = live.network.sao_do_people[0]
    _give_phone(app, person.id, "0912 345 678")
    _enable(app, live)
    client = app.test_client()
    link = _link(app, live, live.network.sao_do.id)
    page = client.get(link)
    assert "Nguyễn Văn Đức" in page.text
    assert "Lê Quang Thắng" not in page.text  # another endpoint's roster
    wrong = client.post(link, data={"person_id": person.id, "phone_last_digits": "1111"})
    assert "Bốn số cuối điện thoại không đúng." in wrong.text
    right = client.post(link, data={"person_id": person.id, "phone_last_digits": "5678"})
    assert "Đã ghi nhận: Có mặt" in right.text
    again = client.post(link, data={"person_id": person.id, "phone_last_digits": "5678"})
    assert "đã được điểm danh" in again.text
    with app.app_context():
        records = list(db.session.scalars(sa.select(AttendanceRecord)))
        assert [(r.via, r.recorded_by_id) for r in records] == [(CheckInVia.SELF, None)]


def test_self_check_in_never_overrides_the_operator_who_can_override_it(app: Flask, live: LiveBriefing) -> None:
    person = live.network.sao_do_people[0]
    _give_phone(app, person.id, "0912345678")
    _enable(app, live)
    with app.app_context():
        briefing = scheduling.get_briefing(live.briefing_id)
        services.record_check_in(
            briefing,
            services.CheckIn(person.id, AttendanceStatus.EXCUSED, "operator-op-0001", note="Ốm"),
            accounts.find_user("op-sao-do"),
        )
        db.session.commit()
    client = app.test_client()
    client.post(_link(app, live, live.network.sao_do.id), data={"person_id": person.id, "phone_last_digits": "5678"})
    with app.app_context():
        record = db.session.scalars(sa.select(AttendanceRecord)).one()
        assert (record.status, record.via) == (AttendanceStatus.EXCUSED, CheckInVia.OPERATOR)


def test_a_person_of_another_endpoint_cannot_use_this_link(app: Flask, live: LiveBriefing) -> None:
    other = live.network.hht_people[0]
    _give_phone(app, other.id, "0987654321")
    _enable(app, live)
    response = app.test_client().post(
        _link(app, live, live.network.sao_do.id), data={"person_id": other.id, "phone_last_digits": "4321"}
    )
    assert "Không tìm thấy tên này" in response.text


def test_qr_sheet_for_organizers_and_operators(app: Flask, live: LiveBriefing) -> None:
    organizer = signed_in_client(app, "organizer").get(f"/briefings/{live.briefing_id}/self-check-in")
    assert organizer.text.count('class="qr-image') == 3
    assert "Bật tự điểm danh" in organizer.text
    operator = signed_in_client(app, "op-sao-do").get(f"/briefings/{live.briefing_id}/self-check-in")
    assert operator.text.count('class="qr-image') == 1
    assert "Bật tự điểm danh" not in operator.text
    assert re.search(r"/checkin/[\w.-]+", operator.text)
    leader_switch = signed_in_client(app, "leader").post(f"/briefings/{live.briefing_id}/self-check-in")
    assert leader_switch.status_code == 403


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[Flask, LiveBriefing]]:
    """A live briefing on an app whose rate limits are on (the test configuration turns them off)."""
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'limited.db'}")
    config.update(RATELIMIT_ENABLED=True)
    application = create_app(config)
    with application.app_context():
        db.create_all()
        network = factories.make_small_network()
        factories.load_all(network)
    with application.app_context():
        live = make_live_briefing_with_pha_lai(network)
    yield application, live
    with application.app_context():
        db.engine.dispose()


def _from(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_guesses_are_limited_per_person_however_the_id_is_spelled_and_from_any_address(
    limited: tuple[Flask, LiveBriefing],
) -> None:
    app, live = limited
    person = live.network.sao_do_people[0]
    _give_phone(app, person.id, "0912345678")
    _enable(app, live)
    client = app.test_client()
    link = _link(app, live, live.network.sao_do.id)
    # Five wrong guesses, each spelling the id differently and coming from its own address: one allowance for all.
    for n, spelling in enumerate([f"{person.id}", f"0{person.id}", f"00{person.id}", f" {person.id}", f"+{person.id}"]):
        wrong = client.post(link, data={"person_id": spelling, "phone_last_digits": f"{n:04d}"}, **_from(f"10.0.0.{n}"))
        assert wrong.status_code == 200
        assert "Bốn số cuối điện thoại không đúng." in wrong.text
    blocked = client.post(link, data={"person_id": person.id, "phone_last_digits": "5678"}, **_from("10.0.1.1"))
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.text
    with app.app_context():
        assert db.session.scalars(sa.select(AttendanceRecord)).all() == []
    # The others at the endpoint still check themselves in.
    other = live.network.sao_do_people[1]
    _give_phone(app, other.id, "0987654321")
    done = client.post(link, data={"person_id": other.id, "phone_last_digits": "4321"}, **_from("10.0.0.1"))
    assert "Đã ghi nhận: Có mặt" in done.text


def test_wrong_guesses_across_an_endpoint_pause_self_check_in_there_only(limited: tuple[Flask, LiveBriefing]) -> None:
    app, live = limited
    app.config["SELF_CHECK_IN_ENDPOINT_LIMIT"] = "4 per 10 minutes"
    first, second = live.network.sao_do_people
    _give_phone(app, first.id, "0912345678")
    _give_phone(app, second.id, "0987654321")
    _give_phone(app, live.network.hht_people[0].id, "0911112222")
    _enable(app, live)
    client = app.test_client()
    link = _link(app, live, live.network.sao_do.id)
    # Walking the roster, a guess or two per name (and ids of nobody here): four wrong guesses for the endpoint.
    for person_id, digits in [
        (first.id, "0000"),
        (second.id, "0000"),
        (live.network.hht_people[0].id, "2222"),
        (999, "1"),
    ]:
        client.post(
            link, data={"person_id": person_id, "phone_last_digits": digits}, **_from(f"10.0.2.{person_id % 250}")
        )
    paused = client.post(link, data={"person_id": second.id, "phone_last_digits": "4321"})
    assert paused.status_code == 429
    elsewhere = client.post(
        _link(app, live, live.network.hoang_hoa_tham.id),
        data={"person_id": live.network.hht_people[0].id, "phone_last_digits": "2222"},
    )
    assert "Đã ghi nhận: Có mặt" in elsewhere.text


def test_every_failed_attempt_leaves_an_audit_line(app: Flask, live: LiveBriefing) -> None:
    person = live.network.sao_do_people[0]
    _give_phone(app, person.id, "0912345678")
    _enable(app, live)
    client = app.test_client()
    link = _link(app, live, live.network.sao_do.id)
    client.post(link, data={"person_id": person.id, "phone_last_digits": "1111"}, **_from("192.0.2.7"))
    client.post(link, data={"person_id": "999", "phone_last_digits": "1111"}, **_from("192.0.2.8"))
    with app.app_context():
        lines = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "self_check_in.failed").order_by(AuditEvent.id)
        ).all()
        assert [(line.target, line.ip_address, line.actor_name) for line in lines] == [
            (f"person:{person.id}", "192.0.2.7", "(QR)"),
            ("person:999", "192.0.2.8", "(QR)"),
        ]
        details = [json.loads(line.detail) for line in lines]
        assert [detail["reason"] for detail in details] == ["wrong_phone_digits", "not_found"]
        assert {detail["briefing_id"] for detail in details} == {live.briefing_id}


def test_the_roster_shows_only_while_secretaries_can_check_in(app: Flask, live: LiveBriefing) -> None:
    _enable(app, live)
    link = _link(app, live, live.network.sao_do.id)
    assert "Nguyễn Văn Đức" in app.test_client().get(link).text
    with app.app_context():
        factories.close_briefing(scheduling.get_briefing(live.briefing_id), accounts.find_user("organizer"))
        db.session.commit()
    closed = app.test_client().get(link)
    assert "Nguyễn Văn Đức" not in closed.text
    assert "đã kết thúc" in closed.text
