"""API authentication: bearer tokens and sessions, 401/403 as JSON, and audited denials."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services
from meeting_hub.accounts.models import AuditEvent
from meeting_hub.extensions import db
from tests import factories
from tests.conftest import AuthActions


def _token(app: Flask, username: str) -> str:
    with app.app_context():
        raw = services.issue_api_token(services.find_user(username), "test", None)
        db.session.commit()
    return raw


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_credentials_the_api_answers_401_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/endpoints")
    assert response.status_code == 401
    assert response.json == {"error": {"code": "unauthorized", "message": "Vui lòng đăng nhập để tiếp tục."}}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_token_answers_401(client: FlaskClient, network: factories.SmallNetwork) -> None:
    response = client.get("/api/v1/me", headers=_bearer("mh_not-a-real-token"))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_organizer_token_lists_the_endpoints(app: Flask, client: FlaskClient, network: factories.SmallNetwork) -> None:
    response = client.get("/api/v1/endpoints", headers=_bearer(_token(app, "organizer")))
    assert response.status_code == 200
    names = [endpoint["name"] for endpoint in response.json]
    assert names == ["Sao Đỏ", "Hoàng Hoa Thám"]  # wards first, then communes
    assert {endpoint["kind"] for endpoint in response.json} == {"ward", "commune"}


def test_me_answers_for_a_token_and_for_a_session_alike(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    by_token = client.get("/api/v1/me", headers=_bearer(_token(app, "op-sao-do"))).json
    auth.sign_in("op-sao-do")
    by_session = client.get("/api/v1/me").json
    assert by_token == by_session
    assert by_token["username"] == "op-sao-do"
    assert by_token["role"] == "operator"
    assert by_token["endpoint_id"] == network.sao_do.id
    assert set(by_token) >= {"id", "username", "display_name", "role", "endpoint_id", "agency_id", "calendar_feed_url"}


def test_token_beats_the_session_cookie_next_to_it(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    auth.sign_in("admin")
    response = client.get("/api/v1/me", headers=_bearer(_token(app, "leader")))
    assert response.json["username"] == "leader"


def test_operator_gets_own_roster_but_403_on_another_endpoint_with_an_audit_event(
    app: Flask, client: FlaskClient, network: factories.SmallNetwork
) -> None:
    headers = _bearer(_token(app, "op-sao-do"))
    own = client.get(f"/api/v1/endpoints/{network.sao_do.id}/people", headers=headers)
    assert own.status_code == 200
    assert sorted(person["full_name"] for person in own.json) == ["Nguyễn Văn Đức", "Trần Thị Hạnh"]

    other = client.get(f"/api/v1/endpoints/{network.hoang_hoa_tham.id}/people", headers=headers)
    assert other.status_code == 403
    assert other.json["error"]["code"] == "forbidden"
    with app.app_context():
        denial = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
        assert denial.actor_name == "op-sao-do"
        assert f"/api/v1/endpoints/{network.hoang_hoa_tham.id}/people" in denial.target


def test_responder_cannot_read_rosters(app: Flask, client: FlaskClient, network: factories.SmallNetwork) -> None:
    response = client.get(f"/api/v1/endpoints/{network.sao_do.id}/people", headers=_bearer(_token(app, "responder")))
    assert response.status_code == 403


def test_revoked_token_stops_working(app: Flask, client: FlaskClient, network: factories.SmallNetwork) -> None:
    raw = _token(app, "leader")
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 200
    with app.app_context():
        user = services.find_user("leader")
        token = services.list_api_tokens(user)[0]
        services.revoke_api_token(token.id, user)
        db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 401


def test_deactivated_user_token_stops_working(app: Flask, client: FlaskClient, network: factories.SmallNetwork) -> None:
    raw = _token(app, "leader")
    with app.app_context():
        services.deactivate_user(services.find_user("leader"), services.find_user("admin"))
        db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 401


def test_tokens_are_stored_hashed(app: Flask, network: factories.SmallNetwork) -> None:
    raw = _token(app, "leader")
    with app.app_context():
        stored = services.list_api_tokens(services.find_user("leader"))[0].token_hash
    assert raw not in stored
    assert len(stored) == 64


def test_unknown_api_route_answers_json_404(client: FlaskClient, app: Flask, network: factories.SmallNetwork) -> None:
    response = client.get("/api/v1/does-not-exist", headers=_bearer(_token(app, "leader")))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
