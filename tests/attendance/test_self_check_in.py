"""QR self check-in: off by default, signed links, phone confirmation, never overriding the operator."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import self_check_in, services
from meeting_hub.attendance.models import AttendanceRecord, AttendanceStatus, CheckInVia
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.scheduling import services as scheduling
from tests.attendance.conftest import LiveBriefing, signed_in_client


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
