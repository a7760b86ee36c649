"""The briefing page's status changes: confirmed in the page (a modal, or a second step without JavaScript), never
taken unconfirmed; the same through the API and the /live socket after a reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.scheduling import lifecycle, services
from meeting_hub.scheduling.models import Briefing, BriefingStatus
from tests import factories
from tests.attendance.conftest import received_events, socket_client, stamp, token_for
from tests.conftest import AuthActions


def _create(app: Flask, *, starts_in: timedelta = timedelta(minutes=-5), state: str = "scheduled") -> int:
    with app.app_context():
        organizer = factories.accounts.find_user("organizer")
        start = utcnow() + starts_in
        briefing = services.create_briefing(
            services.BriefingData(title="Giao ban thử", starts_at=start, ends_at=start + timedelta(hours=2)), organizer
        )
        if state in ("live", "ended"):
            factories.open_briefing(briefing, organizer)
        db.session.commit()
        if state == "ended":
            factories.close_briefing(briefing, organizer)
            db.session.commit()
        return briefing.id


def _status(app: Flask, briefing_id: int) -> BriefingStatus:
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None
        return briefing.status


def test_briefing_page_puts_the_controls_first_with_the_consequence_in_a_modal(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, state="live")
    auth.sign_in("organizer")
    page = client.get(f"/briefings/{briefing_id}").text
    controls = page.index("briefing-controls")
    assert controls < page.index("Chương trình")  # above the agenda: first thing on a phone
    assert f'href="/briefings/{briefing_id}/close" role="button" data-bs-toggle="modal"' in page
    assert 'id="confirm-close"' in page
    assert "Còn 3 người chưa được điểm danh" in page
    assert "Kết thúc, để 3 người chưa điểm danh" in page
    assert "Màn hình theo dõi trực tiếp" in page[controls:]


def test_closing_without_javascript_is_a_second_step_and_nothing_changes_unconfirmed(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, state="live")
    auth.sign_in("organizer")
    step = client.get(f"/briefings/{briefing_id}/close")
    assert step.status_code == 200
    assert "Kết thúc giao ban?" in step.text
    assert "Còn 3 người chưa được điểm danh" in step.text
    unconfirmed = client.post(f"/briefings/{briefing_id}/close", data={})
    assert unconfirmed.status_code == 200 and "Còn 3 người chưa được điểm danh" in unconfirmed.text
    assert _status(app, briefing_id) == BriefingStatus.LIVE
    told_fewer = client.post(
        f"/briefings/{briefing_id}/close", data={"close-confirmed": "1", "close-confirm_unrecorded": "2"}
    )
    assert told_fewer.status_code == 200
    assert "Còn 3 người chưa được điểm danh" in told_fewer.text
    assert _status(app, briefing_id) == BriefingStatus.LIVE
    done = client.post(
        f"/briefings/{briefing_id}/close",
        data={"close-confirmed": "1", "close-confirm_unrecorded": "3"},
        follow_redirects=True,
    )
    assert "Buổi giao ban đã kết thúc; biên bản đã được chốt, tệp PDF sẵn sàng sau ít giây." in done.text
    assert _status(app, briefing_id) == BriefingStatus.ENDED
    assert "Phiên bản 1" in done.text  # the versions are listed on the briefing page
    assert f"/briefings/{briefing_id}/minutes.pdf?version=1" in done.text


def test_early_open_says_the_planned_day(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, starts_in=timedelta(days=4))
    auth.sign_in("organizer")
    page = client.get(f"/briefings/{briefing_id}").text
    assert "Mở giao ban sớm?" in page
    assert "Vẫn mở sớm" in page
    client.post(f"/briefings/{briefing_id}/open", data={"open-confirmed": "1"})
    assert _status(app, briefing_id) == BriefingStatus.LIVE


def test_cancel_needs_its_confirmation(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, starts_in=timedelta(days=4))
    auth.sign_in("organizer")
    step = client.post(f"/briefings/{briefing_id}/cancel", data={"cancel-reason": "Trùng lịch"})
    assert "Hủy buổi giao ban?" in step.text and "Không thể mở lại một buổi đã hủy" in step.text
    assert _status(app, briefing_id) == BriefingStatus.SCHEDULED
    client.post(f"/briefings/{briefing_id}/cancel", data={"cancel-confirmed": "1", "cancel-reason": "Trùng lịch"})
    assert _status(app, briefing_id) == BriefingStatus.CANCELLED


def test_reopen_page_asks_for_a_reason(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, state="ended")
    auth.sign_in("organizer")
    page = client.get(f"/briefings/{briefing_id}").text
    assert "Mở lại giao ban" in page and "Kết thúc nhầm? Có thể mở lại đến" in page
    missing = client.post(f"/briefings/{briefing_id}/reopen", data={"reopen-confirmed": "1", "reopen-reason": " "})
    assert "Cần nêu lý do mở lại." in missing.text
    assert _status(app, briefing_id) == BriefingStatus.ENDED
    done = client.post(
        f"/briefings/{briefing_id}/reopen",
        data={"reopen-confirmed": "1", "reopen-reason": "Kết thúc nhầm"},
        follow_redirects=True,
    )
    assert "Đã mở lại buổi giao ban" in done.text
    assert "Lý do: Kết thúc nhầm" in done.text
    assert _status(app, briefing_id) == BriefingStatus.LIVE


@pytest.mark.parametrize("username", ["leader", "op-sao-do", "responder"])
def test_only_organizers_change_a_status(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork, username: str
) -> None:
    briefing_id = _create(app, state="ended")
    auth.sign_in(username)
    assert client.get(f"/briefings/{briefing_id}/reopen").status_code == 403
    assert client.post(f"/briefings/{briefing_id}/reopen", data={"reopen-confirmed": "1"}).status_code == 403
    assert _status(app, briefing_id) == BriefingStatus.ENDED


def test_home_lists_a_live_briefing_apart_from_the_upcoming_ones(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    _create(app, state="live")
    _create(app, starts_in=timedelta(minutes=-1))
    auth.sign_in("leader")
    page = client.get("/").text
    live, upcoming = page.index("Đang diễn ra"), page.index("Buổi giao ban sắp tới")
    assert live < upcoming
    assert page.count('data-phase="live"') == 1
    assert page.index('data-phase="due"') > upcoming
    assert "Đến giờ, chưa mở" in page


def test_api_confirmations_and_reopen(app: Flask, client: FlaskClient, network: factories.SmallNetwork) -> None:
    headers = {"Authorization": f"Bearer {token_for(app, 'organizer')}"}
    early = _create(app, starts_in=timedelta(days=4))
    refused = client.post(f"/api/v1/briefings/{early}/open", headers=headers)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "confirmation_required"
    assert (
        client.post(f"/api/v1/briefings/{early}/open", json={"confirm_early": True}, headers=headers).status_code == 200
    )
    closing = client.post(f"/api/v1/briefings/{early}/close", headers=headers)
    assert closing.status_code == 409
    assert closing.json["error"]["details"] == {"unrecorded": 3}
    ended = client.post(f"/api/v1/briefings/{early}/close", json={"confirm_unrecorded": 3}, headers=headers)
    assert ended.json["status"] == "ended" and ended.json["reopen_until"] is not None
    assert client.post(f"/api/v1/briefings/{early}/reopen", json={}, headers=headers).status_code == 422
    reopened = client.post(f"/api/v1/briefings/{early}/reopen", json={"reason": "Kết thúc nhầm"}, headers=headers)
    assert reopened.status_code == 200 and reopened.json["status"] == "live"
    again = client.post(f"/api/v1/briefings/{early}/reopen", json={"reason": "Lần nữa"}, headers=headers)
    assert again.status_code == 409
    leader = {"Authorization": f"Bearer {token_for(app, 'leader')}"}
    assert client.post(f"/api/v1/briefings/{early}/reopen", json={"reason": "x"}, headers=leader).status_code == 403
    document = client.get("/api/v1/openapi.json", headers=headers).json
    assert "post" in document["paths"]["/api/v1/briefings/{briefing_id}/reopen"]


def test_consoles_follow_a_reopening_and_operators_check_in_again_by_socket(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    briefing_id = _create(app, state="live")
    headers = {"Authorization": f"Bearer {token_for(app, 'organizer')}"}
    dashboard = socket_client(app, username="organizer")
    assert dashboard.emit("watch", {"briefing_id": briefing_id}, namespace="/live", callback=True)["ok"]
    console = socket_client(app, username="op-sao-do")
    person_id = network.sao_do_people[0].id

    def check_in() -> dict[str, object]:
        message = {"briefing_id": briefing_id, "person_id": person_id, "status": "present", "client_op_id": stamp()}
        ack: dict[str, object] = console.emit("check_in", message, namespace="/live", callback=True)
        return ack

    client.post(f"/api/v1/briefings/{briefing_id}/close", json={"confirm_unrecorded": 3}, headers=headers)
    assert check_in()["ok"] is False
    client.post(f"/api/v1/briefings/{briefing_id}/reopen", json={"reason": "Kết thúc nhầm"}, headers=headers)
    assert check_in()["ok"] is True
    events = [e for e in received_events(dashboard) if e["type"] == "briefing"]
    assert [(e["status"], e.get("reopened")) for e in events] == [("ended", None), ("live", True)]
    assert events[-1]["reason"] == "Kết thúc nhầm"
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None and lifecycle.reopen_until(briefing) is None
