"""Bulletin distribution: each invited endpoint's operator confirms receipt of a material for their own endpoint; the
organizer sees which endpoints have not."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.errors import AccessDenied
from meeting_hub.extensions import db
from meeting_hub.reports import distribution
from meeting_hub.reports.models import MaterialReceipt
from meeting_hub.scheduling import materials
from meeting_hub.scheduling import services as scheduling
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import HeldBriefing
from tests.scheduling.test_materials import make_pdf


@pytest.fixture
def material_id(app: Flask, held: HeldBriefing) -> int:
    """The month's bulletin, attached to the held briefing (Sao Đỏ, Hoàng Hoa Thám and Phả Lại invited)."""
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        material = materials.attach_material(
            briefing, "Thông tin tuyên giáo tháng 3", "ban-tin.pdf", make_pdf(), accounts.find_user("organizer")
        )
        db.session.commit()
        return material.id


def receipts(app: Flask) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(MaterialReceipt.endpoint_id, MaterialReceipt.confirmed_by_id)).all()
        return sorted((endpoint_id, accounts.get_user(user_id).username) for endpoint_id, user_id in rows)


def test_an_operator_confirms_for_their_own_endpoint_once(app: Flask, held: HeldBriefing, material_id: int) -> None:
    client = signed_in_client(app, "op-sao-do")
    page = client.get(f"/briefings/{held.briefing_id}").get_data(as_text=True)
    assert "Đã nhận" in page
    assert client.post(f"/materials/{material_id}/receipt").status_code == 302
    assert client.post(f"/materials/{material_id}/receipt").status_code == 302  # a second tap changes nothing
    assert receipts(app) == [(held.network.sao_do.id, "op-sao-do")]
    page = client.get(f"/briefings/{held.briefing_id}").get_data(as_text=True)
    assert "Điểm cầu đã nhận lúc" in page


def test_the_organizer_sees_who_has_not_confirmed(app: Flask, held: HeldBriefing, material_id: int) -> None:
    signed_in_client(app, "op-pha-lai").post(f"/materials/{material_id}/receipt")
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        status = distribution.distribution(briefing)[material_id]
        assert [r.endpoint.name for r in status.received] == ["Phả Lại"]
        assert [e.name for e in status.missing] == ["Hoàng Hoa Thám", "Sao Đỏ"]
        assert status.invited == 3
    page = signed_in_client(app, "organizer").get(f"/briefings/{held.briefing_id}").get_data(as_text=True)
    assert "Đã nhận: 1/3 điểm cầu" in page
    assert "2 điểm cầu chưa xác nhận" in page
    assert "Xã Hoàng Hoa Thám" in page and "Phường Sao Đỏ" in page


def test_only_operators_of_invited_endpoints_confirm(app: Flask, held: HeldBriefing, material_id: int) -> None:
    for username in ("organizer", "leader", "admin", "responder"):
        assert signed_in_client(app, username).post(f"/materials/{material_id}/receipt").status_code == 403
    # Sao Đỏ only: Hoàng Hoa Thám's operator may not confirm this one.
    with app.app_context():
        briefing = scheduling.get_briefing(held.briefing_id)
        briefing.endpoints = [e for e in briefing.endpoints if e.code == "sao-do"]
        db.session.commit()
        material = db.session.get(materials.Material, material_id)
        assert material is not None
        with pytest.raises(AccessDenied):
            distribution.confirm_receipt(material, accounts.find_user("op-hoang-hoa-tham"))
    assert signed_in_client(app, "op-hoang-hoa-tham").post(f"/materials/{material_id}/receipt").status_code == 403
    assert receipts(app) == []


def test_deleting_a_material_deletes_its_receipts(app: Flask, held: HeldBriefing, material_id: int) -> None:
    signed_in_client(app, "op-sao-do").post(f"/materials/{material_id}/receipt")
    assert signed_in_client(app, "organizer").post(f"/materials/{material_id}/delete").status_code == 302
    assert receipts(app) == []
