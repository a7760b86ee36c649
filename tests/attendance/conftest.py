"""Fixtures for attendance: a live briefing on the small network (plus Phả Lại), and socket clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import live_access
from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.extensions import db, socketio
from tests import factories
from tests.conftest import AuthActions


@dataclass
class LiveBriefing:
    """A live briefing to which Sao Đỏ, Hoàng Hoa Thám and Phả Lại are invited."""

    network: factories.SmallNetwork
    briefing_id: int
    pha_lai_id: int
    pha_lai_person_id: int


def make_live_briefing_with_pha_lai(network: factories.SmallNetwork) -> LiveBriefing:
    """Add Phả Lại (one person, an operator) to the small network and open a briefing inviting all three."""
    pha_lai = factories.make_endpoint(code="pha-lai", name="Phả Lại")
    person = factories.make_person(factories.make_cell(pha_lai, name="Khu dân cư Ninh Chấp"))
    factories.make_user(Role.OPERATOR, username="op-pha-lai", endpoint_id=pha_lai.id)
    briefing = factories.make_live_briefing()
    return LiveBriefing(network, briefing.id, pha_lai.id, person.id)


@pytest.fixture
def live(app: Flask, network: factories.SmallNetwork) -> LiveBriefing:
    with app.app_context():
        return make_live_briefing_with_pha_lai(network)


def signed_in_client(app: Flask, username: str) -> FlaskClient:
    """Return an HTTP test client signed in as the user."""
    client = app.test_client()
    response = AuthActions(client).sign_in(username)
    assert response.status_code == 302
    return client


def socket_client(app: Flask, username: str | None = None, token: str | None = None) -> Any:
    """Return a Socket.IO test client on /live, with a session cookie (username) or an API token."""
    http = signed_in_client(app, username) if username else app.test_client()
    auth = {"token": token} if token else None
    return socketio.test_client(app, namespace="/live", flask_test_client=http, auth=auth)


def token_for(app: Flask, username: str) -> str:
    """Issue an API token for the user."""
    with app.app_context():
        raw = accounts.issue_api_token(accounts.find_user(username), "test", None)
        db.session.commit()
    return raw


def received_events(client: Any) -> list[dict[str, Any]]:
    """Return every event the client received in `events` messages, in order."""
    events: list[dict[str, Any]] = []
    for message in client.get_received("/live"):
        if message["name"] == "events":
            events.extend(message["args"][0]["events"])
    return events


@contextmanager
def changed_elsewhere() -> Iterator[None]:
    """Make the account changes committed inside the block as if by another server process: the database (and so
    the auth epoch) changes, but this process's open sockets are not told; only a recheck or sweep finds them."""
    saved = list(live_access._subscribers)
    live_access._subscribers.clear()
    try:
        yield
    finally:
        live_access._subscribers.extend(saved)


def stamp() -> str:
    """Return a unique client_op_id."""
    return f"op-{datetime.now().timestamp():.6f}-{id(object())}"


def emit_check_in(client: Any, live: LiveBriefing, person_index: int = 0) -> dict[str, Any]:
    """Check one of Sao Đỏ's people in as present over a socket client, with a fresh client_op_id; return the ack."""
    message = {
        "briefing_id": live.briefing_id,
        "person_id": live.network.sao_do_people[person_index].id,
        "status": "present",
        "client_op_id": stamp(),
    }
    ack: dict[str, Any] = client.emit("check_in", message, namespace="/live", callback=True)
    return ack
