"""The issue's "done when", end to end: a briefing 61 minutes ahead; the minute tick after the 60-minute mark sends
the reminder by e-mail to the SMTP server the settings name, once, however many ticks follow."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from meeting_hub.extensions import db
from meeting_hub.jobs import execution
from meeting_hub.notifications.models import MessageState
from tests import factories
from tests.notifications.conftest import at, briefing_ahead, give_contacts, outbox
from tests.notifications.providers import SmtpServer


def test_the_60_minute_reminder_reaches_the_operators_mailbox_once(app: Flask, network: factories.SmallNetwork) -> None:
    with SmtpServer() as server, app.app_context():
        app.config.update(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM="giaoban@example.vn")
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=61)
        start = briefing.starts_at
        db.session.commit()
        execution.run_minute_chores(app, at(start - timedelta(minutes=61), 0))
        assert server.received == []
        # The tick of the minute after the mark sends it; the next ticks send nothing more.
        for seconds in (20, 80, 140):
            execution.run_minute_chores(app, at(start - timedelta(minutes=60), seconds))
            db.session.commit()
        mailbox = {address: item.message for item in server.received for address in item.recipients}
        assert len(server.received) == 2 and set(mailbox) == {"op-sao-do@chilinh.gov.vn", "op-hht@chilinh.gov.vn"}
        message = mailbox["op-sao-do@chilinh.gov.vn"]
        assert message["X-Meeting-Hub-Event"] == "briefing.reminder"
        assert str(message["Subject"]).startswith("Nhắc lịch giao ban: Giao ban tuyên giáo tháng 1")
        states = {(m.address, m.channel.value): m.state for m in outbox()}
        assert states[("op-sao-do@chilinh.gov.vn", "email")] is MessageState.SENT
        assert states[("", "sms")] is MessageState.UNREACHABLE  # Hoàng Hoa Thám's operator chose SMS, has no phone
