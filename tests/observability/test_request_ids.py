"""Every response carries X-Request-ID: the proxy's when well formed, else a new one; the access line carries it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.observability.request_ids import accepted_request_id
from tests import factories
from tests.conftest import AuthActions
from tests.observability.conftest import json_lines, make_app

NEW_ID = re.compile(r"[0-9a-f]{32}")


def test_a_request_without_an_id_gets_a_new_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second)
    assert first != second


def test_a_well_formed_id_from_the_proxy_is_kept(client: FlaskClient) -> None:
    nginx_id = "7f3c2a9e0d8b4c1fa6e5d4c3b2a19080"
    assert client.get("/healthz", headers={"X-Request-ID": nginx_id}).headers["X-Request-ID"] == nginx_id
    other = "web-1.req_42"
    assert client.get("/sign-in", headers={"X-Request-ID": other}).headers["X-Request-ID"] == other


@pytest.mark.parametrize(
    "received",
    [
        "",
        "has space",
        "semi;colon",
        "<script>",
        "x" * 129,
        "Hoàng-Hoa-Thám",
        "id\twith\ttabs",
    ],
)
def test_a_malformed_id_is_replaced(client: FlaskClient, received: str) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": received}).headers["X-Request-ID"]
    assert NEW_ID.fullmatch(returned)
    assert returned != received


def test_the_longest_accepted_id_is_128_characters() -> None:
    assert accepted_request_id("a" * 128) == "a" * 128
    assert accepted_request_id("a" * 129) != "a" * 129


def test_error_responses_and_socketio_handshakes_carry_the_id_too(client: FlaskClient) -> None:
    assert NEW_ID.fullmatch(client.get("/no-such-page").headers["X-Request-ID"])
    assert NEW_ID.fullmatch(client.get("/api/v1/me").headers["X-Request-ID"])  # 401 from the access policy
    handshake = client.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status_code == 200
    assert NEW_ID.fullmatch(handshake.headers["X-Request-ID"])


def test_a_response_has_exactly_one_request_id_header(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc"})
    assert response.headers.getlist("X-Request-ID") == ["abc"]


def test_the_access_line_has_method_path_status_duration_route_user_and_id(
    json_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    with json_app.app_context():
        network = factories.make_small_network()
        organizer_id = network.organizer.id
    client = json_app.test_client()
    AuthActions(client).sign_in("organizer")
    capsys.readouterr()
    response = client.get("/", headers={"X-Request-ID": "req-from-nginx-1"})
    assert response.status_code == 200
    response.close()  # a server closes every response: the access line is written then
    access = [line for line in json_lines(capsys.readouterr().err) if line["logger"] == "meeting_hub.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-from-nginx-1"
    assert line["user_id"] == organizer_id
    assert (line["method"], line["path"], line["status"], line["route"]) == ("GET", "/", 200, "home.index")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["message"].startswith("GET / 200 ")


def test_a_secret_token_in_the_url_never_reaches_the_log(json_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    client = json_app.test_client()
    capsys.readouterr()
    client.get("/calendar/s3cr3t-feed-token.ics?x=1").close()
    client.get("/m/s3cr3t-share-token").close()
    written = capsys.readouterr().err
    assert "s3cr3t" not in written
    paths = [line["path"] for line in json_lines(written) if line["logger"] == "meeting_hub.access"]
    assert paths == ["/calendar/<token>.ics", "/m/<token>"]


def test_control_characters_in_a_path_are_escaped_in_text_logs(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.get("/no-such-page%0A2026-12-03 INFO forged line").close()
    lines = capsys.readouterr().err.splitlines()
    access = [line for line in lines if " meeting_hub.access " in line]
    assert len(access) == 1
    assert "/no-such-page\\n2026-12-03 INFO forged line 404 " in access[0]
    assert not any(line.startswith("2026-12-03 INFO forged") for line in lines)


def test_health_and_metrics_access_lines_are_debug(json_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    client = json_app.test_client()
    capsys.readouterr()
    client.get("/healthz").close()
    client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).close()
    assert [line for line in json_lines(capsys.readouterr().err) if line["logger"] == "meeting_hub.access"] == []


def test_access_lines_can_be_turned_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    application = make_app(tmp_path, LOG_ACCESS=False)
    capsys.readouterr()
    response = application.test_client().get("/sign-in")
    assert response.headers["X-Request-ID"]
    response.close()
    assert "meeting_hub.access" not in capsys.readouterr().err
