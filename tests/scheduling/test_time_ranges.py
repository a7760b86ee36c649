"""A briefing's hours read unambiguously wherever they are shown, including one that ends after midnight."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.extensions import db
from meeting_hub.scheduling import services
from meeting_hub.web import format_time_range
from tests import factories
from tests.conftest import AuthActions

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_range_names_the_end_day_only_past_local_midnight(app_ctx: Flask) -> None:
    evening = datetime(2026, 12, 3, 19, tzinfo=HCM)
    assert format_time_range(evening, datetime(2026, 12, 3, 21, 30, tzinfo=HCM)) == "19:00–21:30"
    assert format_time_range(evening, datetime(2026, 12, 4, 1, tzinfo=HCM)) == "19:00–01:00 (ngày 04/12/2026)"
    # Stored in UTC, 06:00–08:00 local starts on the day before in UTC: still one local day.
    morning = datetime(2026, 12, 3, 23, tzinfo=ZoneInfo("UTC"))
    assert format_time_range(morning, datetime(2026, 12, 4, 1, tzinfo=ZoneInfo("UTC"))) == "06:00–08:00"


def test_pages_show_the_next_day_of_a_late_briefing(
    app: Flask, client: FlaskClient, auth: AuthActions, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        briefing = services.create_briefing(
            services.BriefingData(
                title="Giao ban trực tuyến buổi tối",
                starts_at=datetime(2026, 12, 3, 19, tzinfo=HCM),
                ends_at=datetime(2026, 12, 4, 1, tzinfo=HCM),
                endpoint_ids=[network.hoang_hoa_tham.id],
            ),
            network.organizer,
        )
        db.session.commit()
        briefing_id = briefing.id
    shown = "19:00–01:00 (ngày 04/12/2026)"
    auth.sign_in("organizer")
    assert shown in client.get(f"/briefings/{briefing_id}").text
    assert shown in client.get("/calendar?month=2026-12&view=list").text
    assert shown in client.get(f"/briefings/{briefing_id}/live").text
