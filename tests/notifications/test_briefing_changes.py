"""Moved, cancelled and invited notices: told after a delay, in the briefing's latest state, once."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.clock import local_zone
from meeting_hub.extensions import db
from meeting_hub.notifications.announcements import BriefingAnnouncement
from meeting_hub.notifications.briefing_notices import CHANGE_JOB
from meeting_hub.scheduling import lifecycle
from meeting_hub.scheduling import services as scheduling
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.notifications.conftest import briefing_ahead, give_contacts, outbox, run_delayed

DAY = 24 * 60


def _move(briefing_id: int, by: timedelta) -> None:
    briefing = db.session.get(Briefing, briefing_id)
    assert briefing is not None
    scheduling.update_briefing(
        briefing, scheduling.BriefingData(starts_at=briefing.starts_at + by), accounts.find_user("organizer")
    )
    db.session.commit()


def _local(briefing: Briefing) -> str:
    local = briefing.starts_at.astimezone(local_zone())
    return f"{local:%H:%M} {local:%d/%m/%Y}"


def test_two_moves_close_together_send_one_notice_with_the_latest_time(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing_id = briefing_ahead(network, minutes=3 * DAY).id
        _move(briefing_id, timedelta(hours=1))
        _move(briefing_id, timedelta(hours=1))
        assert outbox() == []  # nothing at once: the delay lets later changes come
        db.session.commit()
    assert run_delayed(app, CHANGE_JOB) == 2
    with app.app_context():
        briefing = db.session.get(Briefing, briefing_id)
        assert briefing is not None
        rows = outbox("briefing.moved")
        # The first run was overtaken by the second change: one notice per operator channel, with the latest time.
        assert sorted((m.recipient_key, m.channel.value) for m in rows) == sorted(
            [
                (f"user:{network.operator.id}", "email"),
                (f"user:{network.other_operator.id}", "email"),
                (f"user:{network.other_operator.id}", "sms"),
            ]
        )
        assert {m.event_key for m in rows} == {f"briefing:{briefing_id}:moved:2"}
        assert all(_local(briefing) in m.subject for m in rows)
        was = briefing.starts_at - timedelta(hours=2)
        assert f"trước đây {was.astimezone(local_zone()):%H:%M}" in rows[0].body_text
        assert rows[0].ics is not None and "SEQUENCE:2" in rows[0].ics
        announcement = db.session.get(BriefingAnnouncement, briefing_id)
        assert announcement is not None and announcement.starts_at == briefing.starts_at


def test_moved_and_moved_back_sends_nothing(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing_id = briefing_ahead(network, minutes=3 * DAY).id
        _move(briefing_id, timedelta(hours=2))
        _move(briefing_id, -timedelta(hours=2))
    run_delayed(app, CHANGE_JOB)
    with app.app_context():
        assert outbox() == []


def test_a_cancellation_is_told_once_with_the_reason(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=2 * DAY)
        briefing_id = briefing.id
        lifecycle.cancel_briefing(briefing, accounts.find_user("organizer"), "Trùng lịch họp Thành ủy")
        db.session.commit()
    run_delayed(app, CHANGE_JOB)
    run_delayed(app, CHANGE_JOB)  # nothing queued twice
    with app.app_context():
        rows = outbox("briefing.cancelled")
        assert len(rows) == 3 and {m.event_key for m in rows} == {f"briefing:{briefing_id}:cancelled"}
        assert "Lý do: Trùng lịch họp Thành ủy" in rows[0].body_text
        assert rows[0].ics is not None and "STATUS:CANCELLED" in rows[0].ics
        assert outbox("briefing.moved") == []


def test_an_endpoint_added_to_the_invitation_is_invited_and_the_others_hear_nothing(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing = briefing_ahead(network, minutes=5 * DAY, endpoint_ids=[network.sao_do.id])
        briefing_id = briefing.id
        assert outbox() == []
        scheduling.update_briefing(
            briefing,
            scheduling.BriefingData(endpoint_ids=[network.sao_do.id, network.hoang_hoa_tham.id]),
            accounts.find_user("organizer"),
        )
        db.session.commit()
    run_delayed(app, CHANGE_JOB)
    with app.app_context():
        rows = outbox()
        assert {(m.event_kind, m.recipient_key) for m in rows} == {
            ("briefing.invited", f"user:{network.other_operator.id}")
        }
        assert {m.event_key for m in rows} == {f"briefing:{briefing_id}:invited"}


def test_changes_to_briefings_beyond_the_horizon_are_left_to_reminders_and_calendars(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        give_contacts(network)
        db.session.commit()
        briefing_id = briefing_ahead(network, minutes=90 * DAY).id
        _move(briefing_id, timedelta(days=1))
    run_delayed(app, CHANGE_JOB)
    with app.app_context():
        assert outbox() == []
