"""What the live dashboard embeds for a large network: endpoint groups, search keys and who gets console links."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from meeting_hub.attendance import page_data
from meeting_hub.extensions import db
from meeting_hub.network.models import EndpointKind
from meeting_hub.scheduling.models import Briefing
from tests import factories
from tests.attendance.conftest import LiveBriefing, signed_in_client
from tests.attendance.test_live_pages import embedded


def test_endpoints_are_grouped_by_kind_until_groups_exist(app_ctx: Flask) -> None:
    ward = factories.make_endpoint(code="van-an", name="Văn An", kind=EndpointKind.WARD)
    commune = factories.make_endpoint(code="le-loi", name="Lê Lợi", kind=EndpointKind.COMMUNE)
    assert page_data.endpoint_group(ward) == page_data.EndpointGroup(key="kind-ward", name="Phường")
    assert page_data.endpoint_group(commune) == page_data.EndpointGroup(key="kind-commune", name="Xã")


def test_the_dashboard_embeds_groups_search_keys_and_console_links_for_organizers(
    app: Flask, live: LiveBriefing
) -> None:
    page = signed_in_client(app, "organizer").get(f"/briefings/{live.briefing_id}/live")
    assert page.status_code == 200
    data = embedded(page.text, "dashboard-data")
    assert data["groups"] == [{"key": "kind-ward", "name": "Phường"}, {"key": "kind-commune", "name": "Xã"}]
    by_name = {endpoint["name"]: endpoint for endpoint in data["endpoints"]}
    assert [e["name"] for e in data["endpoints"]] == ["Xã Hoàng Hoa Thám", "Phường Phả Lại", "Phường Sao Đỏ"]
    assert by_name["Xã Hoàng Hoa Thám"]["group"] == "kind-commune"
    assert by_name["Phường Sao Đỏ"]["group"] == "kind-ward"
    # The key is folded (no diacritics, lower case) and carries the code: the page folds the query the same way.
    assert by_name["Xã Hoàng Hoa Thám"]["key"].startswith("xa hoang hoa tham hoang-hoa-tham")
    assert by_name["Phường Sao Đỏ"]["console_url"].endswith(
        f"/briefings/{live.briefing_id}/console?endpoint_id={by_name['Phường Sao Đỏ']['id']}"
    )
    labels = embedded(page.text, "dashboard-labels")
    assert labels["tiles_shown"] == "Đang hiện {n}/{total} điểm cầu"
    assert "Không có tín hiệu" in page.text and "Có vấn đề trước" in page.text


def test_the_dashboard_stays_closed_to_operators_and_responders(app: Flask, live: LiveBriefing) -> None:
    for username in ("op-sao-do", "responder"):
        response = signed_in_client(app, username).get(f"/briefings/{live.briefing_id}/live")
        assert response.status_code == 403, username


def test_a_title_with_a_bidi_override_is_isolated_on_the_dashboard_and_the_console(
    app: Flask, live: LiveBriefing
) -> None:
    # The forms and the API refuse U+202E in a title now; one stored before must still not reverse the date and
    # times written after it on the dashboard.
    title = "Giao ban \u202etháng 1"
    with app.app_context():
        briefing = db.session.get(Briefing, live.briefing_id)
        assert briefing is not None
        briefing.title = title
        db.session.commit()
    dashboard = signed_in_client(app, "organizer").get(f"/briefings/{live.briefing_id}/live").text
    assert f"><bdi>{title}</bdi></a>" in dashboard
    console = signed_in_client(app, "op-sao-do").get(f"/briefings/{live.briefing_id}/console").text
    assert f'<p class="subtitle"><bdi>{title}</bdi></p>' in console
    # Live lines get their names, notes and titles in <bdi> nodes (dashboard.js, console/*.js): formatNodes.
    script = (Path(app.static_folder or "") / "js" / "dashboard.js").read_text()
    assert "formatNodes(template, { title: event.title })" in script and "isolated(event.note)" in script
