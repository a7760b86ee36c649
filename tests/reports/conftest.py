"""Fixtures for reports: a briefing held like the demo's past one (agenda, roll-call, link trouble, issues), closed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus, LinkStatus
from meeting_hub.database import utcnow
from meeting_hub.demo import DEMO_AGENDA
from meeting_hub.extensions import db
from meeting_hub.follow_up import services as follow_up
from meeting_hub.polls import services as polls
from meeting_hub.polls.models import Poll, PollKind
from meeting_hub.scheduling import services as scheduling
from tests import factories

_ops = itertools.count(1)


def op_id() -> str:
    """Return a fresh client_op_id."""
    return f"report-op-{next(_ops):06d}"


@dataclass
class HeldBriefing:
    """A briefing to which Sao Đỏ, Hoàng Hoa Thám and Phả Lại were invited, held and closed."""

    network: factories.SmallNetwork
    briefing_id: int
    pha_lai_id: int
    #: Everyone on the three rosters, by name.
    people: dict[str, int]


def hold_briefing(network: factories.SmallNetwork, *, close: bool = True) -> HeldBriefing:
    """Hold a briefing like the demo's past one (inside an app context) and commit."""
    pha_lai = factories.make_endpoint(code="pha-lai", name="Phả Lại")
    ninh_chap = factories.make_cell(pha_lai, name="Khu dân cư Ninh Chấp")
    pha_lai_people = [
        factories.make_person(ninh_chap, full_name="Đặng Thị Huệ"),
        factories.make_person(ninh_chap, full_name="Bùi Xuân Việt"),
    ]
    factories.make_user(Role.OPERATOR, username="op-pha-lai", endpoint_id=pha_lai.id)
    organizer = accounts.find_user("organizer")
    start = utcnow() - timedelta(minutes=30)
    briefing = scheduling.create_briefing(
        scheduling.BriefingData(
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            room="Hội trường Thành ủy Chí Linh",
            video_link="https://hop.chilinh.vn/giao-ban-tuyen-giao",
            endpoint_ids=[network.sao_do.id, network.hoang_hoa_tham.id, pha_lai.id],
            agenda=[scheduling.AgendaItemData(title, presenter, minutes) for title, presenter, minutes in DEMO_AGENDA],
        ),
        organizer,
    )
    factories.open_briefing(briefing, organizer)
    db.session.commit()

    op_sao_do, op_hht, op_pha_lai = (accounts.find_user(n) for n in ("op-sao-do", "op-hoang-hoa-tham", "op-pha-lai"))
    duc, hanh = network.sao_do_people
    (thang,) = network.hht_people
    hue, viet = pha_lai_people
    check_ins = [
        (op_sao_do, duc.id, AttendanceStatus.PRESENT, "", "Phạm Thị Thu Hằng"),
        (op_sao_do, hanh.id, AttendanceStatus.EXCUSED, "Ốm, có giấy xin phép", ""),
        (op_hht, thang.id, AttendanceStatus.LATE, "Mất điện đầu giờ", ""),
        (op_pha_lai, hue.id, AttendanceStatus.ABSENT, "Không báo trước", ""),
        # Bùi Xuân Việt is never checked in.
    ]
    for operator, person_id, status, note, substitute in check_ins:
        attendance.record_check_in(
            briefing,
            attendance.CheckIn(person_id, status, op_id(), note=note, substitute_name=substitute),
            operator,
        )
    attendance.set_link_status(briefing, LinkStatus.DEGRADED, op_hht)
    attendance.record_heartbeat(briefing, op_hht)
    attendance.set_link_status(briefing, LinkStatus.DOWN, op_hht)
    attendance.set_link_status(briefing, LinkStatus.CONNECTED, op_hht)
    attendance.set_link_status(briefing, LinkStatus.DOWN, op_pha_lai)
    db.session.commit()

    follow_up.seed_default_categories()
    follow_up.raise_issue(
        briefing,
        follow_up.IssueData(
            endpoint_id=network.hoang_hoa_tham.id,
            category="dat-dai",
            title="Lấn chiếm đất nông nghiệp ở thôn Đông Xá",
            content="Một số hộ san lấp ruộng để làm nhà xưởng, đề nghị kiểm tra, xử lý.",
            client_op_id=op_id(),
            person_id=thang.id,
        ),
        op_hht,
    )
    follow_up.raise_issue(
        briefing,
        follow_up.IssueData(
            endpoint_id=network.sao_do.id,
            category="moi-truong",
            title="Khói bụi từ cơ sở sản xuất gạch",
            client_op_id=op_id(),
        ),
        organizer,
    )
    if close:
        factories.close_briefing(briefing, organizer)
    db.session.commit()
    people = {p.full_name: p.id for p in [duc, hanh, thang, hue, viet]}
    return HeldBriefing(network, briefing.id, pha_lai.id, people)


@pytest.fixture
def held(app: Flask, network: factories.SmallNetwork) -> HeldBriefing:
    """A briefing held and closed (its minutes frozen as version 1 on closing)."""
    with app.app_context():
        return hold_briefing(network)


@dataclass
class PolledBriefing:
    """The held briefing with three polls put to it before it closed: a named one and a secret one (closed, both
    with "Khác"), and an endpoint one (left open). Present or late: Nguyễn Văn Đức (Sao Đỏ), who chose the first
    option of the named poll and the second of the secret one, and Lê Quang Thắng (Hoàng Hoa Thám), who chose "Khác"
    in both, with a text."""

    held: HeldBriefing
    named_id: int
    secret_id: int
    endpoint_id: int

    @property
    def briefing_id(self) -> int:
        return self.held.briefing_id


NAMED_QUESTION = "Đồng chí đánh giá thế nào về bản tin Thông tin tuyên giáo tháng này?"
SECRET_QUESTION = "Đồng chí có tín nhiệm đồng chí Bí thư Đảng ủy phường?"
ENDPOINT_QUESTION = "Chi bộ nào đã phổ biến Nghị quyết tới đảng viên?"
NAMED_OTHER_TEXT = '=HYPERLINK("http://example.invalid","Bản tin nên có thêm mục hỏi đáp")'
SECRET_OTHER_TEXT = "Cần thêm thời gian tìm hiểu"


def poll_briefing(network: factories.SmallNetwork) -> PolledBriefing:
    """Hold a briefing, put three polls to it and answer them, then close it (inside an app context); commit."""
    held = hold_briefing(network, close=False)
    organizer = accounts.find_user("organizer")
    briefing = scheduling.get_briefing(held.briefing_id)
    duc, thang = held.people["Nguyễn Văn Đức"], held.people["Lê Quang Thắng"]

    def make(question: str, kind: PollKind, options: list[str], *, multiple: bool = False, other: bool = False) -> int:
        draft = polls.PollDraft(question, options, kind, multiple, allow_other=other)
        poll = polls.create_poll(briefing, draft, organizer)
        polls.open_poll(poll, organizer)
        db.session.commit()
        return poll.id

    def answer(poll_id: int, username: str, **fields: Any) -> None:
        polls.answer_poll(poll_id, polls.Answer(client_op_id=op_id(), **fields), accounts.find_user(username))
        db.session.commit()

    named = make(NAMED_QUESTION, PollKind.NAMED, ["Rất hữu ích", "Hữu ích", "=Chưa hữu ích"], other=True)
    answer(named, "op-sao-do", person_id=duc, choices=(0,))
    answer(named, "op-hoang-hoa-tham", person_id=thang, choices=(3,), other_text=NAMED_OTHER_TEXT)
    secret = make(SECRET_QUESTION, PollKind.SECRET, ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"], other=True)
    answer(secret, "op-sao-do", person_id=duc, choices=(1,))
    answer(secret, "op-hoang-hoa-tham", person_id=thang, choices=(3,), other_text=SECRET_OTHER_TEXT)
    endpoint = make(ENDPOINT_QUESTION, PollKind.ENDPOINT, ["Đã phổ biến", "Chưa phổ biến"], multiple=True)
    answer(endpoint, "op-sao-do", counts=(1, 0))
    for poll_id in (named, secret):
        polls.close_poll(db.session.get_one(Poll, poll_id), organizer)
    db.session.commit()
    factories.close_briefing(briefing, organizer)
    db.session.commit()
    return PolledBriefing(held, named, secret, endpoint)


@pytest.fixture
def polled(app: Flask, network: factories.SmallNetwork) -> PolledBriefing:
    """A briefing held and closed with polls (its minutes frozen as version 1 on closing)."""
    with app.app_context():
        return poll_briefing(network)
