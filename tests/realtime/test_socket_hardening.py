"""The socket layer's edges: the default namespace refused, unknown events answered at once, malformed packets
logged in one short line (rate-limited) instead of a traceback each; event budgets per user and per address, not
per connection; a cap on a user's open connections."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from meeting_hub.extensions import socketio
from meeting_hub.realtime.connections import REFUSALS_BEFORE_CLOSE
from meeting_hub.realtime.packet_guard import PacketGuard
from tests.attendance.conftest import LiveBriefing, signed_in_client, socket_client, token_for


def test_the_default_namespace_refuses_everyone(app: Flask, live: LiveBriefing) -> None:
    anonymous = socketio.test_client(app)
    assert not anonymous.is_connected("/")
    signed_in = socketio.test_client(app, flask_test_client=signed_in_client(app, "organizer"))
    assert not signed_in.is_connected("/")  # nothing is served there, to anyone


def test_an_unknown_event_is_answered_at_once_with_an_error(app: Flask, live: LiveBriefing) -> None:
    console = socket_client(app, username="op-sao-do")
    ack = console.emit("chek_in", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert ack == {"ok": False, "error": {"code": "unknown_event", "message": "Máy chủ không nhận sự kiện này."}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_malformed_packets_are_logged_in_one_short_line_not_a_traceback_each(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    guard = socketio.server.eio.handlers["message"]
    assert isinstance(guard, PacketGuard)
    clock = FakeClock()
    guard.log.clock = clock
    caplog.set_level(logging.WARNING)
    # Sent on an Engine.IO session that never connected to a namespace: no sign-in is needed to send these.
    for junk in ["2garbage", "9", "", "2{}", "21[", '2"x'] * 50:
        socketio.server.eio._trigger_event("message", "not-signed-in", junk, run_async=False)
    lines = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(lines) == 1
    assert lines[0].exc_info is None and "Traceback" not in caplog.text
    assert "malformed socket packet" in lines[0].getMessage()
    clock.now += 11
    socketio.server.eio._trigger_event("message", "not-signed-in", "2garbage", run_async=False)
    lines = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(lines) == 2
    assert lines[1].getMessage().startswith("refused 300 malformed socket packet(s)")


def _heartbeat(client: Any, live: LiveBriefing) -> bool:
    ack = client.emit("heartbeat", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    if not ack["ok"]:
        assert ack["error"]["code"] == "rate_limited"
    return bool(ack["ok"])


def test_more_sockets_buy_no_more_events_the_budget_is_the_users(app: Flask, live: LiveBriefing) -> None:
    # Next to nothing earned back during the test: what is accepted is the burst, whatever the machine's speed.
    app.config.update(LIVE_EVENTS_PER_SECOND=0.001, LIVE_EVENTS_BURST=6)
    token = token_for(app, "op-sao-do")
    sockets = [socketio.test_client(app, namespace="/live", auth={"token": token}) for _ in range(5)]
    accepted = sum(_heartbeat(client, live) for _ in range(4) for client in sockets)
    assert accepted == 6  # the burst of one user, not 5 x 6
    other_operator = socket_client(app, username="op-pha-lai")
    assert _heartbeat(other_operator, live)  # another user's budget is untouched


def test_the_address_budget_is_shared_by_every_user_behind_it(app: Flask, live: LiveBriefing) -> None:
    app.config.update(LIVE_ADDRESS_EVENTS_PER_SECOND=0.001, LIVE_ADDRESS_EVENTS_BURST=4)
    sao_do = socket_client(app, token=token_for(app, "op-sao-do"))
    pha_lai = socket_client(app, token=token_for(app, "op-pha-lai"))
    accepted = sum(_heartbeat(client, live) for _ in range(4) for client in (sao_do, pha_lai))
    assert accepted == 4  # two users, one address: one budget


def test_a_user_may_hold_only_so_many_open_connections_the_newest_wins(app: Flask, live: LiveBriefing) -> None:
    app.config["LIVE_MAX_CONNECTIONS_PER_USER"] = 3
    token = token_for(app, "op-sao-do")
    opened = [socketio.test_client(app, namespace="/live", auth={"token": token}) for _ in range(5)]
    assert [client.is_connected("/live") for client in opened] == [False, False, True, True, True]
    assert _heartbeat(opened[-1], live)
    assert socket_client(app, username="organizer").is_connected("/live")  # other users are not counted
    assert all(client.is_connected("/live") for client in opened[2:])


def test_a_flood_refused_by_the_users_budget_leaves_the_address_budget_to_the_others(
    app: Flask, live: LiveBriefing
) -> None:
    app.config.update(
        LIVE_EVENTS_PER_SECOND=0.001, LIVE_EVENTS_BURST=2, LIVE_ADDRESS_EVENTS_PER_SECOND=0.001,
        LIVE_ADDRESS_EVENTS_BURST=5,
    )  # fmt: skip
    flooder = socket_client(app, token=token_for(app, "op-sao-do"))
    neighbour = socket_client(app, token=token_for(app, "op-pha-lai"))  # the same address
    assert sum(_heartbeat(flooder, live) for _ in range(50)) == 2
    assert [_heartbeat(neighbour, live) for _ in range(2)] == [True, True]


def test_a_client_that_keeps_sending_while_refused_is_disconnected(app: Flask, live: LiveBriefing) -> None:
    app.config.update(LIVE_EVENTS_PER_SECOND=0.001, LIVE_EVENTS_BURST=1)
    flooder = socket_client(app, token=token_for(app, "op-sao-do"))
    sent = 0
    while flooder.is_connected("/live") and sent < REFUSALS_BEFORE_CLOSE + 5:
        _heartbeat(flooder, live)
        sent += 1
    assert not flooder.is_connected("/live")
    assert sent == REFUSALS_BEFORE_CLOSE + 1  # the one allowed, then the refusals
