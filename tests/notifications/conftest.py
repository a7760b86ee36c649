"""Helpers for the notification tests: apps with provider settings, outbox rows queued through queue_notice; contact
details on the small network, briefings ahead, delayed runs."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import execution, registry
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.notifications.models import Channel, OutboundMessage
from meeting_hub.notifications.outbox import SEND_JOB, Notice, Recipient, queue_notice
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.conftest import sqlite_app
from tests.follow_up.conftest import follow_up  # noqa: F401 - the follow-up fixture, for the follow-up messages
from tests.notifications.providers import make_certificate

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nPRODID:-//test//\r\nEND:VCALENDAR\r\n"


_keys = itertools.count(1)


@contextmanager
def notify_app(tmp_path: Path, **overrides: Any) -> Iterator[Flask]:
    """An app on a fresh SQLite file whose jobs run right after the commit, with these settings."""
    settings = {"JOBS_BACKEND": "immediate", "NOTIFY_RETRY_DELAY_SECONDS": 30, **overrides}
    yield from sqlite_app(tmp_path, **settings)


@pytest.fixture(scope="module")
def module_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for a test module (making one takes about a second); each test sets the settings it needs."""
    folder = tmp_path_factory.mktemp("app")
    with notify_app(folder, INSTANCE_PATH=str(folder / "instance")) as app:
        yield app


@pytest.fixture
def configure(module_app: Flask) -> Iterator[Callable[..., Flask]]:
    """Set provider settings on the module's app for one test (the senders read them at every send)."""
    saved = dict(module_app.config)

    def apply(**settings: Any) -> Flask:
        module_app.config.update(settings)
        return module_app

    yield apply
    module_app.config.clear()
    module_app.config.update(saved)


def queue_message(app: Flask, channel: Channel, address: str, **notice: Any) -> int:
    """Queue one notice to one recipient on one channel through queue_notice, commit (the job runs), return the id."""
    values: dict[str, Any] = {
        "kind": "briefing.reminder",
        "key": f"test:{next(_keys)}",
        "subject": "Nhắc lịch: Giao ban tuyên giáo trực tuyến tháng 12",
        "text": "Giao ban bắt đầu lúc 08:00 ngày 15/12/2026. Đường dẫn: https://giaoban.example.vn/b/1",
        "html": "<p>Giao ban bắt đầu lúc <strong>08:00</strong> ngày 15/12/2026.</p>",
        "zalo_params": {"ten_cuoc_hop": "Giao ban tháng 12", "thoi_gian": "08:00 15/12/2026"},
    } | notice
    recipient = Recipient(
        key=f"user:{address}",
        name="Nguyễn Thị Hoà",
        email=address if channel is Channel.EMAIL else None,
        phone=None if channel is Channel.EMAIL else address,
        channels=(channel,),
    )
    with app.app_context():
        (message,) = queue_notice(recipient, Notice(**values))
        message_id = message.id
        db.session.commit()
        db.session.remove()
    return message_id


def row(app: Flask, message_id: int) -> OutboundMessage:
    """Return the outbox row as it is now (detached)."""
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        db.session.expunge(message)
        db.session.remove()
        return message


def run_with_key(app: Flask, key: str) -> JobRun | None:
    """Return the job run added under a key (detached), if any."""
    with app.app_context():
        run = db.session.query(JobRun).filter_by(key=key).one_or_none()
        if run is not None:
            db.session.expunge(run)
        db.session.remove()
        return run


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


VIDEO_LINK = "https://meet.example.vn/giao-ban"


def give_contacts(network: factories.SmallNetwork) -> None:
    """Sao Đỏ's operator: e-mail only; Hoàng Hoa Thám's: e-mail and SMS without a phone. The caller commits."""
    operator = accounts.find_user(network.operator.username)
    operator.email, operator.channels = "op-sao-do@chilinh.gov.vn", ["email"]
    other = accounts.find_user(network.other_operator.username)
    other.email, other.phone, other.channels = "op-hht@chilinh.gov.vn", None, ["email", "sms"]


def briefing_ahead(
    network: factories.SmallNetwork, *, minutes: int, endpoint_ids: list[int] | None = None, title: str = ""
) -> Briefing:
    """Create and commit a briefing starting `minutes` from now (both endpoints invited unless given)."""
    start = (utcnow() + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(
            title=title or "Giao ban tuyên giáo tháng 1",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            video_link=VIDEO_LINK,
            endpoint_ids=endpoint_ids or [network.sao_do.id, network.hoang_hoa_tham.id],
        ),
        accounts.find_user("organizer"),
    )
    db.session.commit()
    return briefing


def outbox(kind: str | None = None) -> list[OutboundMessage]:
    """Return the outbox rows (of one event kind), by id."""
    statement = sa.select(OutboundMessage).order_by(OutboundMessage.id)
    if kind is not None:
        statement = statement.where(OutboundMessage.event_kind == kind)
    return list(db.session.scalars(statement))


def run_delayed(app: Flask, name: str) -> int:
    """Run the queued runs of a job as a worker would once they are due (tests' queue keeps delayed runs); return
    how many ran."""
    with app.app_context():
        run_ids = list(
            db.session.scalars(
                sa.select(JobRun.id).where(JobRun.name == name, JobRun.status == JobStatus.QUEUED).order_by(JobRun.id)
            )
        )
        db.session.remove()
    for run_id in run_ids:
        execution.execute_run(app, run_id)
    return len(run_ids)


def at(moment: datetime, seconds: int) -> datetime:
    """Return a moment shifted by some seconds."""
    return moment + timedelta(seconds=seconds)


@pytest.fixture
def sending_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave queued messages pending: these tests check what is queued and when, not how it is sent (test_email.py,
    test_http_channels.py and the end-to-end reminder test do)."""
    importlib.import_module("meeting_hub.notifications.sending")  # declared first, so the app's import finds it done
    held = registry.JobDefinition(SEND_JOB, lambda message_id: None)
    monkeypatch.setitem(registry._definitions, SEND_JOB, held)
