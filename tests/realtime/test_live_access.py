"""Open sockets end with the access that opened them: a token revoked, a sign-out, a password change or reset, a
deactivation, a new role or endpoint. In the process that made the change at once; in any other within the recheck
interval (the sweep). Rooms are left, so nothing more is delivered."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import passwords
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.models import ApiToken, User
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db, socketio
from meeting_hub.network import services as network_services
from meeting_hub.network.models import Endpoint
from meeting_hub.realtime import revocation, transport
from tests import factories
from tests.attendance.conftest import (
    LiveBriefing,
    changed_elsewhere,
    emit_check_in,
    signed_in_client,
    token_for,
)


@dataclass
class Sockets:
    """op-sao-do's sockets: one opened by a browser session (with its HTTP client), one by an API token."""

    http: FlaskClient
    by_session: Any
    by_token: Any


def _open_sockets(app: Flask) -> Sockets:
    http = signed_in_client(app, "op-sao-do")
    by_session = socketio.test_client(app, namespace="/live", flask_test_client=http)
    by_token = socketio.test_client(app, namespace="/live", auth={"token": token_for(app, "op-sao-do")})
    assert by_session.is_connected("/live") and by_token.is_connected("/live")
    return Sockets(http, by_session, by_token)


def _user_data(user: User, **changes: Any) -> accounts.UserData:
    data = accounts.UserData(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        endpoint_id=user.endpoint_id,
        agency_id=user.agency_id,
        language=user.language,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def _revoke_token(sockets: Sockets) -> None:
    user = accounts.find_user("op-sao-do")
    token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert token_id is not None
    accounts.revoke_api_token(token_id, user)


def _sign_out(sockets: Sockets) -> None:
    assert sockets.http.post("/sign-out").status_code == 302


def _change_password(sockets: Sockets) -> None:
    passwords.change_own_password(accounts.find_user("op-sao-do"), factories.PASSWORD, "doi-mat-khau-moi-2026")


def _admin_reset(sockets: Sockets) -> None:
    user = accounts.find_user("op-sao-do")
    accounts.update_user(user, _user_data(user, password="dat-lai-boi-admin-2026"), accounts.find_user("admin"))


def _deactivate(sockets: Sockets) -> None:
    accounts.deactivate_user(accounts.find_user("op-sao-do"), accounts.find_user("admin"))


def _make_leader(sockets: Sockets) -> None:
    user = accounts.find_user("op-sao-do")
    accounts.update_user(user, _user_data(user, role=Role.LEADER, endpoint_id=None), accounts.find_user("admin"))


def _move_to_pha_lai(sockets: Sockets) -> None:
    user = accounts.find_user("op-sao-do")
    pha_lai = db.session.scalar(sa.select(Endpoint.id).where(Endpoint.code == "pha-lai"))
    accounts.update_user(user, _user_data(user, endpoint_id=pha_lai), accounts.find_user("admin"))


def _merge_sao_do(sockets: Sockets) -> None:
    sao_do = db.session.scalar(sa.select(Endpoint).where(Endpoint.code == "sao-do"))
    pha_lai = db.session.scalar(sa.select(Endpoint).where(Endpoint.code == "pha-lai"))
    assert sao_do is not None and pha_lai is not None
    network_services.merge_endpoint(sao_do, pha_lai, accounts.find_user("admin"))


# Each change, and which of op-sao-do's sockets it ends: (the session's, the token's).
CHANGES: dict[str, tuple[Callable[[Sockets], None], bool, bool]] = {
    "token revoked": (_revoke_token, False, True),
    "signed out": (_sign_out, True, False),
    "password changed": (_change_password, True, False),
    "password reset by an admin": (_admin_reset, True, False),
    "deactivated": (_deactivate, True, True),
    "made a leader": (_make_leader, True, True),
    "moved to another endpoint": (_move_to_pha_lai, True, True),
    "endpoint merged": (_merge_sao_do, True, True),
}


def _apply(app: Flask, change: Callable[[Sockets], None], sockets: Sockets) -> None:
    with app.app_context():
        change(sockets)
        db.session.commit()


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_in_this_process_closes_the_sockets_it_ends_at_once(app: Flask, live: LiveBriefing, name: str) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0  # no recheck, no sweep: only the commit can close them
    change, ends_session, ends_token = CHANGES[name]
    sockets = _open_sockets(app)
    assert emit_check_in(sockets.by_token, live)["ok"] is True
    _apply(app, change, sockets)
    assert sockets.by_session.is_connected("/live") is not ends_session
    assert sockets.by_token.is_connected("/live") is not ends_token
    for survivor in [
        s for s, ended in ((sockets.by_session, ends_session), (sockets.by_token, ends_token)) if not ended
    ]:
        assert emit_check_in(survivor, live, 1)["ok"] is True


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_in_another_process_closes_the_sockets_at_the_next_sweep(
    app: Flask, live: LiveBriefing, name: str
) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0
    change, ends_session, ends_token = CHANGES[name]
    sockets = _open_sockets(app)
    with changed_elsewhere():
        _apply(app, change, sockets)
    assert sockets.by_session.is_connected("/live") and sockets.by_token.is_connected("/live")
    with app.app_context():
        assert revocation.sweep() == int(ends_session) + int(ends_token)
    assert sockets.by_session.is_connected("/live") is not ends_session
    assert sockets.by_token.is_connected("/live") is not ends_token
    with app.app_context():
        assert revocation.sweep() == 0  # the survivors' grants were brought up to the new epoch


def test_a_token_revoked_elsewhere_is_refused_at_its_next_event_when_the_recheck_is_due(
    app: Flask, live: LiveBriefing
) -> None:
    """The red-team's case: check-ins kept being accepted +0, +6 and +30 s after the revocation."""
    app.config["LIVE_USER_RECHECK_SECONDS"] = 0
    sockets = _open_sockets(app)
    assert emit_check_in(sockets.by_token, live)["ok"] is True
    with changed_elsewhere():
        _apply(app, _revoke_token, sockets)
    refused = emit_check_in(sockets.by_token, live, 1)
    assert refused["ok"] is False and refused["error"]["code"] == "unauthorized"
    assert not sockets.by_token.is_connected("/live")
    assert emit_check_in(sockets.by_session, live, 1)["ok"] is True


def test_a_token_revoked_over_http_ends_its_socket_and_cannot_open_another(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0
    raw = token_for(app, "op-sao-do")
    by_token = socketio.test_client(app, namespace="/live", auth={"token": raw})
    assert emit_check_in(by_token, live)["ok"] is True
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    owner = signed_in_client(app, "op-sao-do")
    assert owner.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    assert not by_token.is_connected("/live")
    assert not socketio.test_client(app, namespace="/live", auth={"token": raw}).is_connected("/live")


def _participants(briefing_room: str) -> set[str]:
    return {sid for sid, _eio_sid in socketio.server.manager.get_participants(transport.NAMESPACE, briefing_room)}


def _sid(client: Any) -> str:
    sid = socketio.server.manager.sid_from_eio_sid(client.eio_sid, transport.NAMESPACE)
    assert sid is not None
    return str(sid)


def test_a_deactivated_leader_leaves_the_dashboard_room(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0
    dashboard = socketio.test_client(app, namespace="/live", flask_test_client=signed_in_client(app, "leader"))
    assert dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)["ok"]
    room = transport.dashboard_room(live.briefing_id)
    sid = _sid(dashboard)
    assert sid in _participants(room)
    with app.app_context():
        accounts.deactivate_user(accounts.find_user("leader"), accounts.find_user("admin"))
        db.session.commit()
    assert not dashboard.is_connected("/live")
    assert sid not in _participants(room)  # what the briefing's dashboards get from now on never reaches it


def test_an_operator_moved_to_another_endpoint_leaves_the_old_endpoint_room(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 3600.0
    http = signed_in_client(app, "op-sao-do")
    console = socketio.test_client(app, namespace="/live", flask_test_client=http)
    assert console.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)["ok"]
    old_room = transport.endpoint_room(live.briefing_id, live.network.sao_do.id)
    sid = _sid(console)
    assert sid in _participants(old_room)
    with app.app_context():
        _move_to_pha_lai(Sockets(http, console, None))
        db.session.commit()
    assert not console.is_connected("/live")
    assert sid not in _participants(old_room)
    # The console connects again (the browser client does so by itself) and now watches its new endpoint only.
    again = socketio.test_client(app, namespace="/live", flask_test_client=http)
    assert again.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)["ok"]
    new_sid = _sid(again)
    assert new_sid in _participants(transport.endpoint_room(live.briefing_id, live.pha_lai_id))
    assert new_sid not in _participants(old_room)


def test_the_background_sweep_closes_a_socket_whose_token_was_revoked_elsewhere(app: Flask, live: LiveBriefing) -> None:
    app.config.update(LIVE_SWEEP=True, LIVE_USER_RECHECK_SECONDS=0.05)
    sockets = _open_sockets(app)
    with changed_elsewhere():
        _apply(app, _revoke_token, sockets)
    deadline = time.monotonic() + 5
    while sockets.by_token.is_connected("/live") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not sockets.by_token.is_connected("/live")
    assert sockets.by_session.is_connected("/live")
