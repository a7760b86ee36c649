"""Helpers for the message tests: contact details on the small network, briefings ahead, outbox rows, delayed runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import execution
from meeting_hub.jobs.models import JobRun, JobStatus
from meeting_hub.notifications.models import OutboundMessage
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.follow_up.conftest import follow_up  # noqa: F401 - the follow-up fixture, for the follow-up messages

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
