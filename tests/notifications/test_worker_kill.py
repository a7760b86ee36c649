"""kill -9 between the send and its commit, with real `meeting-hub worker` processes on the SQLite queue: the next
worker finishes the row, and the local provider holds exactly one message. (What a worker does with a row left in
sending on the other channels is tested in-process in test_recovery.py: each worker start costs seconds.)"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from meeting_hub import create_app
from meeting_hub.extensions import db
from meeting_hub.notifications.models import Channel, MessageState
from tests.jobs.test_worker_process import ROOT, _config
from tests.notifications.conftest import queue_message, row
from tests.notifications.providers import HttpRequest, JsonServer, Reply, SmtpServer, wait_for
from tests.server_processes import worker_environment

WORKER = [
    sys.executable,
    "-c",
    "import tests.notifications.kill_hooks; from meeting_hub.cli import main; main()",
    "worker",
    "--threads",
    "1",
]
FROM = "Ban Tuyên giáo <giaoban@chilinh.gov.vn>"

StartWorker = Callable[..., "subprocess.Popen[bytes]"]


@pytest.fixture
def providers() -> Iterator[tuple[SmtpServer, JsonServer]]:
    """A local SMTP server and a local SMS gateway that dedupes on request_id."""

    def answer(request: HttpRequest, count: int) -> Reply:
        return 200, {"id": f"sms-{count}"}

    with SmtpServer() as smtp, JsonServer(answer, dedupe_on="request_id") as gateway:
        yield smtp, gateway


def _settings(providers: tuple[SmtpServer, JsonServer]) -> dict[str, str]:
    smtp, gateway = providers
    return {"SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "MAIL_FROM": FROM, "SMS_GATEWAY_URL": gateway.url}


@pytest.fixture
def queue_app(tmp_path: Path, providers: tuple[SmtpServer, JsonServer]) -> Iterator[Flask]:
    """The app the test queues messages with, on the SQLite queue the workers share."""
    app = create_app(_config(tmp_path, **_settings(providers)))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def start_worker(tmp_path: Path, providers: tuple[SmtpServer, JsonServer]) -> Iterator[StartWorker]:
    """Start `meeting-hub worker` processes on the test's database, queue and providers; kill leftovers at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = worker_environment(tmp_path, ROOT)
    env |= {f"MEETING_HUB_{name}": value for name, value in _settings(providers).items()}

    def start(**extra: Any) -> subprocess.Popen[bytes]:
        with (tmp_path / f"worker-{len(started) + 1}.log").open("wb") as log:
            process = subprocess.Popen(WORKER, cwd=ROOT, env=env | extra, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _killed_after_send(queue_app: Flask, start_worker: StartWorker, channel: Channel, address: str) -> int:
    """Queue one message, let a worker send it and die before the commit; return the message id."""
    message_id = queue_message(queue_app, channel, address)
    first = start_worker(MEETING_HUB_TEST_KILL_AT="after_send")
    assert first.wait(60) == -signal.SIGKILL
    cut_short = row(queue_app, message_id)
    assert cut_short.state is MessageState.SENDING and cut_short.handed_over_at is not None
    assert cut_short.claimed_by is not None and cut_short.claimed_by.endswith(f":{first.pid}")
    return message_id


def test_an_sms_cut_short_by_kill_9_after_the_gateway_took_it_is_finished_once_by_the_next_worker(
    queue_app: Flask, start_worker: StartWorker, providers: tuple[SmtpServer, JsonServer]
) -> None:
    _smtp, gateway = providers
    message_id = _killed_after_send(queue_app, start_worker, Channel.SMS, "84912345678")
    assert len(gateway.delivered) == 1

    second = start_worker()
    wait_for(lambda: row(queue_app, message_id).state is MessageState.SENT, what="the next worker to finish it")
    finished = row(queue_app, message_id)
    assert finished.provider_id == "sms-1" and finished.attempts == 2
    # Asked again with the same request_id: the gateway answered it without a second SMS.
    assert [request.body["request_id"] for request in gateway.requests] == [str(message_id)] * 2
    assert len(gateway.delivered) == 1
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0
