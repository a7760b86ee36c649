"""Briefing reminders: found by the worker's minute tick, queued once per recipient and channel, for the right time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.clock import local_zone
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.jobs import execution
from meeting_hub.jobs.models import JobRun
from meeting_hub.network.models import Endpoint, Person, PersonRole
from meeting_hub.notifications import briefing_notices
from meeting_hub.notifications.briefing_notices import due_offset, find_due_reminders
from meeting_hub.notifications.models import Channel, MessageState
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.settings import SettingsError, load_settings
from tests import factories
from tests.notifications.conftest import VIDEO_LINK, at, briefing_ahead, give_contacts, outbox

pytestmark = pytest.mark.usefixtures("sending_held")


def test_a_briefing_61_minutes_ahead_gets_the_60_minute_reminder_once_per_operator_channel(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=61)
        start = briefing.starts_at
        db.session.commit()  # the tick works in sessions of its own: leave SQLite's write lock to them
        # Now: too early for the 60-minute one, too late for the day-before one (it would come a minute before).
        execution.run_minute_chores(app, at(start - timedelta(minutes=61), 0))
        assert outbox() == []
        db.session.commit()
        # The clock moves past the reminder's moment: the tick of that minute queues it.
        execution.run_minute_chores(app, at(start - timedelta(minutes=60), 20))
        rows = outbox()
        assert sorted((m.recipient_key, m.channel.value, m.state.value) for m in rows) == sorted(
            [
                (f"user:{network.operator.id}", "email", "pending"),
                (f"user:{network.other_operator.id}", "email", "pending"),
                (f"user:{network.other_operator.id}", "sms", "unreachable"),  # chose SMS, has no phone
            ]
        )
        key = briefing_notices.reminder_key(briefing.id, 60, start)
        assert {m.event_kind for m in rows} == {"briefing.reminder"} and {m.event_key for m in rows} == {key}
        assert key.endswith(":reminder:60:" + start.astimezone(local_zone()).isoformat())
        email = next(m for m in rows if m.recipient_key == f"user:{network.operator.id}")
        assert email.address == "op-sao-do@chilinh.gov.vn" and email.briefing_id == briefing.id
        local = start.astimezone(local_zone())
        day, clock = local.strftime("%d/%m/%Y"), local.strftime("%H:%M")
        assert email.subject == f"Nhắc lịch giao ban: Giao ban tuyên giáo tháng 1 – {clock} {day}"
        assert f"bắt đầu lúc {clock} ngày {day}" in email.body_text
        assert VIDEO_LINK in email.body_text and f"/briefings/{briefing.id}/console" in email.body_text
        assert email.body_html is not None and f'<a href="{VIDEO_LINK}">' in email.body_html
        assert email.ics is not None and "BEGIN:VEVENT" in email.ics and briefing.ical_uid in email.ics
        assert email.sms_text is not None and VIDEO_LINK in email.sms_text and "/console" not in email.sms_text
        assert email.zalo_params["date"] == day and email.zalo_params["time"] == clock
        # The next ticks add nothing: one reminder per recipient, event and channel.
        db.session.commit()
        for seconds in (60, 120):
            execution.run_minute_chores(app, at(start - timedelta(minutes=60), seconds))
        assert find_due_reminders(at(start - timedelta(minutes=60), 150)) == 0
        assert len(outbox()) == 3
        assert db.session.scalar(sa.select(sa.func.count()).where(JobRun.key == key)) == 1


def test_secretaries_get_reminders_only_where_their_endpoint_enabled_a_channel(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        sao_do = db.session.get(Endpoint, network.sao_do.id)
        assert sao_do is not None
        sao_do.secretary_channels = ["sms"]
        secretary = next(p for p in db.session.scalars(sa.select(Person)) if p.cell.endpoint_id == sao_do.id)
        assert secretary.role == PersonRole.SECRETARY
        secretary.phone = "0912 345 678"
        db.session.commit()
        briefing = briefing_ahead(network, minutes=30)
        find_due_reminders(at(briefing.starts_at - timedelta(minutes=30), 0))
        db.session.commit()
        people = [m for m in outbox() if m.person_id is not None]
        secretaries_there = {
            p.id
            for p in db.session.scalars(sa.select(Person))
            if p.cell.endpoint_id == sao_do.id and p.role == PersonRole.SECRETARY and p.active
        }
        assert {m.person_id for m in people} == secretaries_there  # no deputy, nobody of Hoàng Hoa Thám
        texted = next(m for m in people if m.person_id == secretary.id)
        assert (texted.channel, texted.state, texted.address) == (Channel.SMS, MessageState.PENDING, "84912345678")
        assert "/console" not in texted.body_text  # the console is the operators'


def test_each_reminder_is_due_from_its_moment_until_halfway_to_the_next() -> None:
    start = utcnow().replace(microsecond=0)
    offsets = [1440, 60]
    assert due_offset(start, start - timedelta(hours=25), offsets) is None
    assert due_offset(start, start - timedelta(hours=24), offsets) == 1440
    assert due_offset(start, start - timedelta(hours=13), offsets) == 1440
    assert due_offset(start, start - timedelta(hours=12), offsets) is None  # closer to the hour-before one: wait
    assert due_offset(start, start - timedelta(minutes=60), offsets) == 60
    assert due_offset(start, start - timedelta(minutes=1), offsets) == 60
    assert due_offset(start, start, offsets) is None


def test_a_moved_briefing_is_reminded_for_its_new_time_and_a_cancelled_one_not_at_all(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=50)
        first_start = briefing.starts_at
        find_due_reminders(first_start - timedelta(minutes=50))
        db.session.commit()
        assert len(outbox("briefing.reminder")) == 3
        organizer = accounts.find_user("organizer")
        scheduling.update_briefing(
            briefing, scheduling.BriefingData(starts_at=first_start + timedelta(hours=3)), organizer
        )
        db.session.commit()
        new_start = briefing.starts_at
        find_due_reminders(new_start - timedelta(minutes=59))
        db.session.commit()
        keys = {m.event_key for m in outbox("briefing.reminder")}
        assert keys == {
            briefing_notices.reminder_key(briefing.id, 60, first_start),
            briefing_notices.reminder_key(briefing.id, 60, new_start),
        }
        other = briefing_ahead(network, minutes=45, title="Giao ban bị hủy")
        lifecycle.cancel_briefing(other, organizer, "Trùng lịch")
        db.session.commit()
        find_due_reminders(other.starts_at - timedelta(minutes=40))
        db.session.commit()
        assert not [m for m in outbox("briefing.reminder") if m.briefing_id == other.id]


def test_a_reminder_run_that_comes_after_the_start_sends_nothing(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=-1)  # its start has just passed: the worker was down
        briefing_notices.send_briefing_reminder(briefing.id, 60, briefing.starts_at.isoformat())
        assert outbox() == []


def test_reminder_offsets_are_validated_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEETING_HUB_REMINDER_OFFSETS_MINUTES", "[60, 1440, 15]")
    assert load_settings().reminder_offsets_minutes == [1440, 60, 15]
    for bad in ("[60, 60]", "[0]", "1440,60", '["soon"]'):
        monkeypatch.setenv("MEETING_HUB_REMINDER_OFFSETS_MINUTES", bad)
        with pytest.raises(SettingsError, match="MEETING_HUB_REMINDER_OFFSETS_MINUTES"):
            load_settings()
