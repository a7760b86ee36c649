"""/metrics: Prometheus text for the allowed networks only; requests, sockets and check-ins move the counters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub import create_app
from meeting_hub.extensions import db
from meeting_hub.observability import metrics
from tests.attendance.conftest import LiveBriefing, socket_client, stamp
from tests.conftest import base_config
from tests.observability.conftest import make_app, sample

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


def test_loopback_may_read_the_metrics(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base=LOCAL)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "# TYPE meeting_hub_http_requests_total counter" in response.get_data(as_text=True)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.5", "::ffff:198.51.100.1", "2001:db8::1", ""])
def test_other_addresses_are_refused(client: FlaskClient, address: str) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 403
    assert "meeting_hub_" not in response.get_data(as_text=True)


def test_the_allowed_networks_are_configurable(tmp_path: Path) -> None:
    application = make_app(tmp_path, METRICS_ALLOWED_NETWORKS="10.0.0.0/8, 192.168.1.7")
    client = application.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.8"}).status_code == 403
    assert client.get("/metrics", environ_base=LOCAL).status_code == 403  # the list replaces the default


def test_a_bad_network_stops_the_start(tmp_path: Path) -> None:
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}") | {"METRICS_ALLOWED_NETWORKS": ["10.0.0.300/8"]}
    with pytest.raises(RuntimeError, match="MEETING_HUB_METRICS_ALLOWED_NETWORKS.*'10.0.0.300/8'"):
        create_app(config)


def test_a_request_moves_the_counters_under_its_route_not_its_path(client: FlaskClient) -> None:
    before = sample("meeting_hub_http_requests_total", route="health.healthz", method="GET", status="200")
    durations = sample("meeting_hub_http_request_duration_seconds_count", route="health.healthz", method="GET")
    # A server closes every response: the request is counted then (the test client leaves that to the test).
    client.get("/healthz").close()
    client.get("/healthz").close()
    assert sample("meeting_hub_http_requests_total", route="health.healthz", method="GET", status="200") == before + 2
    assert sample("meeting_hub_http_request_duration_seconds_count", route="health.healthz", method="GET") == (
        durations + 2
    )

    unmatched = sample("meeting_hub_http_requests_total", route="unmatched", method="GET", status="404")
    client.get("/no-such-page/987654321012").close()
    assert sample("meeting_hub_http_requests_total", route="unmatched", method="GET", status="404") == unmatched + 1
    text = client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    # Only label sets are checked: a sample's value (a timestamp) may contain any digits.
    assert not any("987654321012" in labels for labels in re.findall(r"\{[^}]*\}", text))


def test_a_junk_method_does_not_make_a_new_series(client: FlaskClient) -> None:
    before = sample("meeting_hub_http_requests_total", route="unmatched", method="other", status="405")
    client.open("/no-such-page", method="BREW").close()
    after = sample("meeting_hub_http_requests_total", route="unmatched", method="other", status="405")
    other = after + sample("meeting_hub_http_requests_total", route="unmatched", method="other", status="404")
    assert other > before


def test_a_socket_check_in_moves_the_counters(app: Flask, live: LiveBriefing) -> None:
    sockets = sample("meeting_hub_live_sockets")
    written = sample("meeting_hub_check_ins_total", outcome="written")
    replayed = sample("meeting_hub_check_ins_total", outcome="replayed")
    batches = sample("meeting_hub_check_in_batch_size_count")
    committed = sample("meeting_hub_check_in_batches_total", outcome="committed")
    events_ok = sample("meeting_hub_socket_events_total", event="check_in", outcome="ok")

    console = socket_client(app, username="op-sao-do")
    assert sample("meeting_hub_live_sockets") == sockets + 1
    message = {
        "briefing_id": live.briefing_id,
        "person_id": live.network.sao_do_people[0].id,
        "status": "present",
        "client_op_id": stamp(),
    }
    assert console.emit("check_in", message, namespace="/live", callback=True)["ok"] is True
    assert console.emit("check_in", message, namespace="/live", callback=True)["replayed"] is True

    assert sample("meeting_hub_check_ins_total", outcome="written") == written + 1
    assert sample("meeting_hub_check_ins_total", outcome="replayed") == replayed + 1
    assert sample("meeting_hub_check_in_batch_size_count") == batches + 2
    assert sample("meeting_hub_check_in_batches_total", outcome="committed") == committed + 2
    assert sample("meeting_hub_socket_events_total", event="check_in", outcome="ok") == events_ok + 2
    console.disconnect(namespace="/live")
    assert sample("meeting_hub_live_sockets") == sockets


def test_a_refused_socket_event_is_counted_by_its_error_code(app: Flask, live: LiveBriefing) -> None:
    before = sample("meeting_hub_socket_events_total", event="check_in", outcome="invalid")
    console = socket_client(app, username="op-sao-do")
    ack = console.emit("check_in", {"briefing_id": live.briefing_id}, namespace="/live", callback=True)
    assert ack["ok"] is False
    assert sample("meeting_hub_socket_events_total", event="check_in", outcome="invalid") == before + 1


def test_check_ins_count_only_when_their_transaction_commits(app_ctx: Flask) -> None:
    written = sample("meeting_hub_check_ins_total", outcome="written")
    metrics.count_check_ins(db.session, written=4)
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()
    assert sample("meeting_hub_check_ins_total", outcome="written") == written
    metrics.count_check_ins(db.session, written=2)
    db.session.execute(sa.text("SELECT 1"))
    db.session.commit()
    assert sample("meeting_hub_check_ins_total", outcome="written") == written + 2


def test_job_outcomes_are_counted() -> None:
    before = sample("meeting_hub_jobs_total", job="send_reminders", outcome="succeeded")
    durations = sample("meeting_hub_job_duration_seconds_count", job="send_reminders")
    metrics.record_job_outcome("send_reminders", "succeeded", duration_seconds=0.8)
    metrics.record_job_outcome("send_reminders", "succeeded")
    assert sample("meeting_hub_jobs_total", job="send_reminders", outcome="succeeded") == before + 2
    assert sample("meeting_hub_job_duration_seconds_count", job="send_reminders") == durations + 1
