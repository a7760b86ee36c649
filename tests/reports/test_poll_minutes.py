"""Poll results in the minutes: section VI lists each poll put to the briefing with its tallies (never who chose
what), says when a poll was still open, and a frozen version keeps the figures of the moment it was frozen."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import services as attendance
from meeting_hub.attendance.models import AttendanceStatus
from meeting_hub.extensions import db
from meeting_hub.polls.models import PollBallot
from meeting_hub.reports import minutes
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import (
    ENDPOINT_QUESTION,
    NAMED_QUESTION,
    SECRET_OTHER_TEXT,
    SECRET_QUESTION,
    PolledBriefing,
    hold_briefing,
    op_id,
)
from tests.reports.test_minutes import pdf_text

SECTION = "VI. KẾT QUẢ THĂM DÒ Ý KIẾN"


def squeeze(text: str) -> str:
    """Return the text with every run of spaces and line breaks as one space (table cells and wrapped lines)."""
    return " ".join(text.split())


def poll_section(text: str) -> str:
    """Return the text from the poll section's heading to the signatures, squeezed, without page footers."""
    text = re.sub(r"Biên bản phiên bản \d+, chốt lúc .*?Trang \d+/\d+", " ", text)
    start = text.index(SECTION)
    return squeeze(text[start : text.index("THƯ KÝ", start)])


def question_block(section: str, question: str) -> str:
    """Return one poll's part of the section (up to the next "Câu n.")."""
    start = section.index(question)
    following = re.search(r" Câu \d+\. ", section[start:])
    return section[start : start + following.start()] if following else section[start:]


def test_the_minutes_list_each_poll_with_counts_shares_and_endpoints(
    app: Flask, polled: PolledBriefing, tmp_path: Path
) -> None:
    pdf = signed_in_client(app, "leader").get(f"/api/v1/briefings/{polled.briefing_id}/minutes.pdf")
    assert pdf.headers["X-Minutes-Version"] == "1"
    section = poll_section(pdf_text(pdf.data, tmp_path))

    named = question_block(section, NAMED_QUESTION)
    assert "Câu 1." in section and "Câu 3." in section
    assert "Hình thức: Theo từng người, ghi tên; một lựa chọn. Đã đóng lúc" in named
    assert "Số người trả lời: 2/2 người có mặt (100,0%)." in named
    assert "1 Rất hữu ích 1 50,0%" in named
    assert "2 Hữu ích 0 0,0%" in named
    assert "3 =Chưa hữu ích 0 0,0%" in named
    assert "4 Khác 1 50,0%" in named
    # Per endpoint: answered/present, then each option's count; Phả Lại had nobody present and is left out.
    assert "Trả lời/có mặt 1 2 3 Khác" in named
    assert "Phường Sao Đỏ 1/1 1 0 0 0" in named
    assert "Xã Hoàng Hoa Thám 1/1 0 0 0 1" in named
    assert "Ý kiến khác: Điểm cầu Nội dung Hoàng Hoa Thám =HYPERLINK(" in named
    assert "Theo điểm cầu (2/3 điểm cầu có câu trả lời):" in named
    assert "Phả Lại" not in named

    secret = question_block(section, SECRET_QUESTION)
    assert "Theo từng người, bỏ phiếu kín" in secret
    assert "Bỏ phiếu kín: chỉ ghi số phiếu, không ghi ai chọn phương án nào." in secret
    assert "2 Tín nhiệm 1 50,0%" in secret
    assert "4 Khác 1 50,0%" in secret
    assert f"Hoàng Hoa Thám {SECRET_OTHER_TEXT}" in secret

    endpoint = question_block(section, ENDPOINT_QUESTION)
    assert "Theo điểm cầu (đếm số người); nhiều lựa chọn." in endpoint
    assert "Câu hỏi chưa đóng khi lập biên bản: số liệu tính đến lúc lập biên bản." in endpoint
    assert "Số người trả lời (theo số liệu các điểm cầu báo): 1/2 người có mặt (50,0%)." in endpoint
    assert "tổng các tỉ lệ có thể vượt 100%" in endpoint
    assert "Điểm cầu có người dự nhưng chưa trả lời: Hoàng Hoa Thám." in endpoint

    # Tallies only: nobody who answered is named in the section, whatever the kind.
    for name in ("Nguyễn Văn Đức", "Lê Quang Thắng"):
        assert name not in section


def test_a_frozen_version_keeps_the_poll_figures_of_its_moment(
    app: Flask, polled: PolledBriefing, tmp_path: Path
) -> None:
    with app.app_context():
        briefing = scheduling.get_briefing(polled.briefing_id)
        organizer = accounts.find_user("organizer")
        # After the close: Bùi Xuân Việt is found to have been present, and a ballot goes missing from the table.
        check_in = attendance.CheckIn(polled.held.people["Bùi Xuân Việt"], AttendanceStatus.PRESENT, op_id())
        attendance.record_check_in(briefing, check_in, organizer)
        db.session.query(PollBallot).filter_by(
            poll_id=polled.named_id, person_id=polled.held.people["Lê Quang Thắng"]
        ).delete()
        minutes.correct_minutes(briefing, "Bổ sung điểm danh", organizer)
        db.session.commit()
        v1, v2 = (minutes.read_version(v) for v in minutes.list_versions(briefing))
    old = question_block(poll_section(pdf_text(v1, tmp_path)), NAMED_QUESTION)
    new = question_block(poll_section(pdf_text(v2, tmp_path)), NAMED_QUESTION)
    assert "Số người trả lời: 2/2 người có mặt (100,0%)." in old
    assert "4 Khác 1 50,0%" in old and "Ý kiến khác" in old
    assert "Số người trả lời: 1/3 người có mặt (33,3%)." in new
    assert "4 Khác 0 0,0%" in new and "Ý kiến khác" not in new
    assert "Điểm cầu có người dự nhưng chưa trả lời: Hoàng Hoa Thám, Phả Lại." in new


def test_minutes_without_polls_have_no_poll_section(
    app: Flask, network: factories.SmallNetwork, tmp_path: Path
) -> None:
    with app.app_context():
        held = hold_briefing(network)
    pdf = signed_in_client(app, "organizer").get(f"/api/v1/briefings/{held.briefing_id}/minutes.pdf")
    assert SECTION not in pdf_text(pdf.data, tmp_path)


def test_a_version_frozen_before_polls_existed_still_reads(app: Flask, polled: PolledBriefing) -> None:
    with app.app_context():
        frozen = minutes.get_version(scheduling.get_briefing(polled.briefing_id))
        assert frozen is not None and frozen.content is not None
        content = dict(frozen.content)
        assert len(content.pop("polls")) == 3
        assert minutes.data_from_snapshot(content).polls == []


def test_many_responding_endpoints_give_a_summary_not_a_table(
    app: Flask, polled: PolledBriefing, tmp_path: Path
) -> None:
    app.config["REPORT_POLL_ENDPOINT_ROWS"] = 1
    pdf = signed_in_client(app, "organizer").get(f"/api/v1/briefings/{polled.briefing_id}/minutes.pdf?draft=1")
    named = question_block(poll_section(pdf_text(pdf.data, tmp_path)), NAMED_QUESTION)
    assert "Có câu trả lời từ 2/3 điểm cầu. Số liệu từng điểm cầu có trong tệp kết quả thăm dò (Excel, CSV)." in named
    assert "Phường Sao Đỏ" not in named


def test_the_other_option_is_named_in_the_minutes_language_whoever_froze_them(
    app: Flask, polled: PolledBriefing, tmp_path: Path
) -> None:
    with app.app_context():
        frozen = minutes.get_version(scheduling.get_briefing(polled.briefing_id))
        assert frozen is not None and frozen.content is not None
        data = minutes.data_from_snapshot(frozen.content)
        named = data.polls[0]
        assert named.options[-1].other and named.options[-1].text == "Khác"
        # As if an organizer with an English session had closed the briefing.
        named.options[-1] = type(named.options[-1])("Other", named.options[-1].count, other=True)
        text = pdf_text(minutes._layout(data, version=1), tmp_path)
    block = question_block(poll_section(text), NAMED_QUESTION)
    assert "4 Khác 1 50,0%" in block and "Other" not in block
