"""Live sockets follow password changes: a socket opened by an ended session stops being served, a session that must
change its password cannot open one, a token's socket goes on."""

from __future__ import annotations

import pytest
from flask import Flask

from meeting_hub.accounts import passwords
from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from tests import factories
from tests.attendance.conftest import (
    LiveBriefing,
    changed_elsewhere,
    emit_check_in,
    make_live_briefing_with_pha_lai,
    socket_client,
    token_for,
)


@pytest.fixture
def live(app: Flask, network: factories.SmallNetwork) -> LiveBriefing:
    """A live briefing on the small network (as in tests/attendance)."""
    with app.app_context():
        return make_live_briefing_with_pha_lai(network)


def test_socket_of_an_ended_session_stops_after_a_password_change(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 0
    by_session = socket_client(app, username="op-sao-do")
    by_token = socket_client(app, token=token_for(app, "op-sao-do"))
    assert emit_check_in(by_session, live, 0)["ok"] is True
    with app.app_context():
        passwords.change_own_password(accounts.find_user("op-sao-do"), factories.PASSWORD, "doi-mat-khau-moi-2026")
        db.session.commit()
    # Changed in this process: the session's socket is closed as the change commits, before any further event.
    assert not by_session.is_connected("/live")
    assert emit_check_in(by_token, live, 1)["ok"] is True  # tokens are not ended by a password change


def test_socket_of_a_session_ended_in_another_process_is_refused_at_its_next_event(
    app: Flask, live: LiveBriefing
) -> None:
    app.config["LIVE_USER_RECHECK_SECONDS"] = 0
    by_session = socket_client(app, username="op-sao-do")
    assert emit_check_in(by_session, live, 0)["ok"] is True
    with app.app_context(), changed_elsewhere():
        passwords.change_own_password(accounts.find_user("op-sao-do"), factories.PASSWORD, "doi-mat-khau-moi-2026")
        db.session.commit()
    assert by_session.is_connected("/live")  # this process was not told
    refused = emit_check_in(by_session, live, 1)
    assert refused["ok"] is False and refused["error"]["code"] == "unauthorized"
    assert not by_session.is_connected("/live")


def test_session_that_must_change_its_password_cannot_open_a_socket(app: Flask, live: LiveBriefing) -> None:
    with app.app_context():
        accounts.find_user("op-sao-do").must_change_password = True
        db.session.commit()
    assert not socket_client(app, username="op-sao-do").is_connected("/live")
    assert socket_client(app, token=token_for(app, "op-sao-do")).is_connected("/live")
