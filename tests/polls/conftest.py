"""Fixtures for polls: a live briefing where Sao Đỏ has two people present or late and one absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus
from meeting_hub.extensions import db
from meeting_hub.network.models import Person
from meeting_hub.polls import services
from meeting_hub.polls.models import PollKind
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import LiveBriefing, live, stamp, token_for  # noqa: F401 - live is a fixture

__all__ = ["LiveBriefing", "PollSetting", "live", "stamp", "token_for"]


@dataclass
class PollSetting:
    """The live briefing with its roll-call taken: who is present (or late) and who is absent."""

    live: LiveBriefing
    #: Sao Đỏ: present, late.
    present_ids: list[int]
    absent_id: int
    #: Hoàng Hoa Thám's one person, present.
    hht_person_id: int

    @property
    def briefing_id(self) -> int:
        return self.live.briefing_id

    @property
    def sao_do_id(self) -> int:
        return self.live.network.sao_do.id

    @property
    def hht_id(self) -> int:
        return self.live.network.hoang_hoa_tham.id


def take_roll_call(live: LiveBriefing) -> PollSetting:  # noqa: F811 - the name of the fixture imported above
    """Add an absent person to Sao Đỏ and record everyone's attendance as the organizer; commit. Needs an app
    context."""
    cell = db.session.get(Person, live.network.sao_do_people[0].id).cell
    absent = factories.make_person(cell, full_name="Phạm Văn Vắng")
    organizer = accounts.find_user("organizer")
    briefing = scheduling.get_briefing(live.briefing_id)
    present = [person.id for person in live.network.sao_do_people]
    hht = live.network.hht_people[0].id
    statuses = [
        (present[0], AttendanceStatus.PRESENT),
        (present[1], AttendanceStatus.LATE),
        (absent.id, AttendanceStatus.ABSENT),
        (hht, AttendanceStatus.PRESENT),
    ]
    for person_id, status in statuses:
        attendance.record_check_in(briefing, attendance.CheckIn(person_id, status, stamp()), organizer)
    db.session.commit()
    return PollSetting(live, present, absent.id, hht)


@pytest.fixture
def setting(app: Flask, live: LiveBriefing) -> PollSetting:  # noqa: F811 - the fixture above
    with app.app_context():
        return take_roll_call(live)


def make_poll(
    briefing_id: int,
    kind: PollKind,
    *,
    multiple: bool = False,
    options: list[str] | None = None,
    opened: bool = True,
    allow_other: bool = False,
    allow_self_answer: bool = False,
) -> int:
    """Create (and open, unless told) a poll as the organizer; commit and return its id. Needs an app context."""
    organizer = accounts.find_user("organizer")
    draft = services.PollDraft(
        "Đồng chí có đồng ý với kế hoạch dọn vệ sinh môi trường?",
        options or ["Đồng ý", "Không đồng ý", "Ý kiến khác"],
        kind,
        multiple,
        allow_other=allow_other,
        allow_self_answer=allow_self_answer,
    )
    poll = services.create_poll(scheduling.get_briefing(briefing_id), draft, organizer)
    if opened:
        services.open_poll(poll, organizer)
    db.session.commit()
    return poll.id


def answer(poll_id: int, username: str, **fields: Any) -> services.WriteResult:
    """Answer as the user with a fresh client_op_id unless given; commit. Needs an app context."""
    fields.setdefault("client_op_id", stamp())
    result = services.answer_poll(poll_id, services.Answer(**fields), accounts.find_user(username))
    db.session.commit()
    return result
