"""Participation in polls on the statistics page: of the people present or late at each endpoint, the share who
answered each held briefing's polls, per briefing, per month and per endpoint; staff only."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from meeting_hub.reports import poll_statistics
from meeting_hub.reports.statistics import local_month
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.reports.conftest import PolledBriefing


def test_participation_per_endpoint_briefing_and_month(
    app: Flask, network: factories.SmallNetwork, polled: PolledBriefing
) -> None:
    with app.app_context():
        # Held in the same window, without polls: not a column of the table.
        other = factories.make_live_briefing([network.sao_do.id])
        factories.close_briefing(other, accounts.find_user("organizer"))
        db.session.commit()
        briefing = scheduling.get_briefing(polled.briefing_id)
        month = local_month(briefing.starts_at)
        stats = poll_statistics.poll_participation(month)
        # Three polls; Sao Đỏ (1 present) answered all three, Hoàng Hoa Thám (1 late) the named and secret ones
        # but reported nothing for the endpoint poll; Phả Lại had nobody present.
        assert [(row.briefing.id, row.polls) for row in stats.briefings] == [(polled.briefing_id, 3)]
        by_name = {row.endpoint.name: row for row in stats.endpoints}
        assert set(by_name) == {"Sao Đỏ", "Hoàng Hoa Thám", "Phả Lại"}
        sao_do = by_name["Sao Đỏ"].by_briefing[polled.briefing_id]
        assert (sao_do.answered, sao_do.eligible, sao_do.rate) == (3, 3, 1.0)
        hht = by_name["Hoàng Hoa Thám"].total
        assert (hht.answered, hht.eligible) == (2, 3)
        assert by_name["Phả Lại"].total.rate is None
        assert (stats.total.answered, stats.total.eligible, stats.polls) == (5, 6, 3)
        assert dict(stats.months)[month].answered == 5
        assert [figures.rate for _month, figures in stats.months if _month != month] == [None] * 11


def test_the_statistics_page_shows_participation_to_staff_only(app: Flask, polled: PolledBriefing) -> None:
    with app.app_context():
        month = local_month(scheduling.get_briefing(polled.briefing_id).starts_at).strftime("%Y-%m")
    page = signed_in_client(app, "leader").get(f"/statistics?month={month}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="polls-heading"') : html.index('id="issues-heading"')]
    assert "Tỉ lệ trả lời thăm dò ý kiến theo điểm cầu" in section
    assert "3 câu hỏi" in section
    row = re.search(r"Hoàng Hoa Thám</a></th>(.*?)</tr>", section, re.S)
    assert row is not None and "66,7%" in row.group(1) and "2/3 lượt trả lời" in row.group(1)
    assert "83,3%" in section  # 5 answers of 6 possible, in all
    for username in ("op-sao-do", "responder"):
        assert signed_in_client(app, username).get(f"/statistics?month={month}").status_code == 403


@pytest.mark.parametrize("username", ["organizer", "admin"])
def test_an_empty_window_says_there_were_no_polls(app: Flask, network: factories.SmallNetwork, username: str) -> None:
    html = signed_in_client(app, username).get("/statistics?month=2020-01").get_data(as_text=True)
    section = html[html.index('id="polls-heading"') : html.index('id="issues-heading"')]
    assert "Chưa có câu hỏi thăm dò nào trong khoảng thời gian này." in section
