"""Socket events: an id on each event's log lines; an unexpected error logged once, with that id."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from meeting_hub.attendance import events
from meeting_hub.observability.socket_events import socket_event_id
from tests.attendance.conftest import LiveBriefing, socket_client
from tests.observability.conftest import json_lines


def test_event_ids_name_the_connection_and_differ() -> None:
    first, second = socket_event_id("Xy12Ab34Cd56"), socket_event_id("Xy12Ab34Cd56")
    assert first.startswith("sock-Xy12Ab34-") and second.startswith("sock-Xy12Ab34-")
    assert first != second


def test_an_error_in_a_socket_handler_is_logged_once_with_the_event_id_and_user(
    app: Flask, live: LiveBriefing, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app.config["LOG_FORMAT"] = "json"
    from meeting_hub.observability import logs

    logs.configure(app)

    def broken(_caller: Any, _message: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("snapshot exploded")

    monkeypatch.setattr(events, "_watch", broken)
    dashboard = socket_client(app, username="organizer")
    capsys.readouterr()
    with pytest.raises(RuntimeError):  # the test client hands the error back; a server drops the ack
        dashboard.emit("watch", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    errors = [line for line in json_lines(capsys.readouterr().err) if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["message"] == "socket event watch failed"
    assert errors[0]["request_id"].startswith("sock-")
    assert errors[0]["user_id"] == live.network.organizer.id
    assert "snapshot exploded" in errors[0]["traceback"]
