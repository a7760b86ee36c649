"""Briefing reminders for cell secretaries: the endpoint's channels (admins set them), the roster page marking the
secretaries no message reaches, and the roster import flagging numbers that take no text message."""

from __future__ import annotations

import io
import json
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db
from meeting_hub.network import services
from meeting_hub.network.models import Endpoint, PersonRole
from tests import factories
from tests.conftest import AuthActions


def _endpoint_form(endpoint: Endpoint, **changes: object) -> dict[str, object]:
    return {
        "name": endpoint.name,
        "kind": endpoint.kind.value,
        "code": endpoint.code,
        "party_committee_name": endpoint.party_committee_name,
        "active": "y",
    } | changes


def _secretary_channels(app: Flask, endpoint_id: int) -> list[str]:
    with app.app_context():
        endpoint = db.session.get(Endpoint, endpoint_id)
        assert endpoint is not None
        return list(endpoint.secretary_channels)


def test_an_admin_chooses_the_secretaries_channels_on_the_endpoint_form(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    endpoint = network.sao_do
    auth.sign_in("admin")
    page = client.get(f"/admin/endpoints/{endpoint.id}").get_data(as_text=True)
    assert "Nhắc lịch giao ban cho bí thư chi bộ qua" in page
    assert 'value="sms" checked' not in page  # none by default
    saved = client.post(
        f"/admin/endpoints/{endpoint.id}", data=_endpoint_form(endpoint, secretary_channels=["zalo", "sms"])
    )
    assert saved.status_code == 302
    assert _secretary_channels(app, endpoint.id) == ["sms", "zalo"]
    assert 'value="zalo" checked' in client.get(f"/admin/endpoints/{endpoint.id}").get_data(as_text=True)
    # E-mail is no channel for people on a roster: refused with the reason beside the field.
    refused = client.post(
        f"/admin/endpoints/{endpoint.id}", data=_endpoint_form(endpoint, secretary_channels=["email"])
    )
    assert "Bí thư chi bộ chỉ nhận nhắc lịch qua SMS hoặc Zalo." in refused.get_data(as_text=True)
    assert _secretary_channels(app, endpoint.id) == ["sms", "zalo"]
    # Unticking both turns the reminders off.
    client.post(f"/admin/endpoints/{endpoint.id}", data=_endpoint_form(endpoint))
    assert _secretary_channels(app, endpoint.id) == []
    with app.app_context():
        details = [
            json.loads(event.detail)["secretary_channels"]
            for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "endpoint.update"))
        ]
    assert details == [["sms", "zalo"], []]


def test_only_admins_change_the_secretaries_channels(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    endpoint = network.sao_do
    for username in ("organizer", "leader", "op-sao-do", "responder"):
        auth.sign_in(username)
        answer = client.post(
            f"/admin/endpoints/{endpoint.id}", data=_endpoint_form(endpoint, secretary_channels=["sms"])
        )
        assert answer.status_code == 403, username
        auth.sign_out()
    assert _secretary_channels(app, endpoint.id) == []


def test_the_roster_marks_the_secretaries_no_reminder_reaches(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        cell = db.session.get(Endpoint, network.sao_do.id).cells[0]  # type: ignore[union-attr]
        factories.make_person(cell, full_name="Vũ Thị Lan", phone="0912 345 678")
        factories.make_person(cell, full_name="Đặng Văn Bình", phone="0220 3882 123")  # an office landline
        factories.make_person(cell, full_name="Hoàng Văn Phó", role=PersonRole.DEPUTY)  # deputies get no reminder
        db.session.commit()
    auth.sign_in("op-sao-do")
    quiet = client.get(f"/endpoints/{network.sao_do.id}").get_data(as_text=True)
    assert "secretary-reach" not in quiet and "Không nhắn tin được" not in quiet  # reminders off: no marks

    with app.app_context():
        endpoint = db.session.get(Endpoint, network.sao_do.id)
        assert endpoint is not None
        endpoint.secretary_channels = ["sms", "zalo"]
        unreachable = services.unreachable_secretaries(endpoint)
        names = {person.full_name for person in endpoint.cells[0].people if person.id in (unreachable or set())}
        db.session.commit()
    # Nguyễn Văn Đức (the small network's secretary) has no phone at all.
    assert names == {"Đặng Văn Bình", "Nguyễn Văn Đức"}
    page = client.get(f"/endpoints/{network.sao_do.id}").get_data(as_text=True)
    assert "2 bí thư không nhắn tin được" in page
    assert "qua SMS, Zalo" in page
    assert page.count("Không nhắn tin được") == 2
    bình = page.index("Đặng Văn Bình")
    assert "Không nhắn tin được" in page[bình : page.index("</li>", bình)]
    lan = page.index("Vũ Thị Lan")
    assert "Không nhắn tin được" not in page[lan : page.index("</li>", lan)]


def test_the_import_keeps_every_phone_and_flags_those_no_message_reaches(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    roster = (
        "endpoint_code,cell,full_name,role,phone\n"
        "sao-do,Khu dân cư Hàn Giang,Nguyễn Văn Đức,secretary,0912345678\n"
        "sao-do,Khu dân cư Tân Tiến,Phạm Thị Thu Hương,secretary,0220 3882 123\n"
        "hoang-hoa-tham,Thôn Đông Xá,Lê Quang Thắng,secretary,\n"
    )
    auth.sign_in("admin")
    answer = client.post(
        "/admin/roster-import",
        data={"file": (io.BytesIO(roster.encode()), "roster.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Đã nhập 3 dòng" in answer
    assert "1 số điện thoại đã được lưu đúng như trong tệp nhưng không phải số di động Việt Nam" in answer
    assert "(dòng 3)" in answer
    with app.app_context():
        assert "0220 3882 123" in {person.phone for person in db.session.scalars(sa.select(services.Person))}


def test_the_import_command_says_which_lines_take_no_text_message(
    app: Flask, network: factories.SmallNetwork, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "endpoint_code,cell,full_name,role,phone\nsao-do,Khu dân cư Hàn Giang,Trần Văn Tư,member,0220 3882 123\n"
    )
    done = app.test_cli_runner().invoke(args=["import-roster", str(roster)])
    assert done.exit_code == 0, done.output
    assert "1 số điện thoại không phải số di động Việt Nam" in done.output
    assert "dòng 2" in done.output
