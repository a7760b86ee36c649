"""The live pages: who may open the console and the dashboard, what they embed, and the console's service worker."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from meeting_hub.accounts import services as accounts
from meeting_hub.attendance import page_data
from meeting_hub.clock import local_today
from meeting_hub.database import utcnow
from meeting_hub.extensions import db
from meeting_hub.follow_up import services as follow_up
from meeting_hub.scheduling import services as scheduling
from tests import factories
from tests.attendance.conftest import LiveBriefing, make_live_briefing_with_pha_lai, signed_in_client

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def embedded(html: str, element_id: str) -> Any:
    """Return the JSON a page embeds in <script type="application/json" id=...>."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


def console_url(briefing_id: int) -> str:
    return f"/briefings/{briefing_id}/console"


@pytest.fixture
def hht_only_briefing(app: Flask, live: LiveBriefing) -> int:
    """A live briefing to which only Hoàng Hoa Thám is invited."""
    with app.app_context():
        briefing = factories.make_live_briefing([live.network.hoang_hoa_tham.id], hours=1)
        return briefing.id


def test_an_operator_goes_from_console_to_the_live_briefing_and_gets_only_their_roster(
    app: Flask, live: LiveBriefing
) -> None:
    client = signed_in_client(app, "op-sao-do")
    response = client.get("/console")
    assert response.status_code == 302
    assert response.location.endswith(console_url(live.briefing_id))

    page = client.get(console_url(live.briefing_id))
    assert page.status_code == 200
    assert "Điểm danh · Phường Sao Đỏ" in page.text
    data = embedded(page.text, "console-data")
    people = [person for cell in data["roster"] for person in cell["people"]]
    assert sorted(p["id"] for p in people) == sorted(p.id for p in live.network.sao_do_people)
    assert [cell["name"] for cell in data["roster"]] == ["Khu dân cư Hàn Giang"]
    by_name = {p["name"]: p for p in people}
    assert by_name["Nguyễn Văn Đức"]["key"] == "nguyen van duc"
    assert by_name["Trần Thị Hạnh"]["role"] == "Phó bí thư"
    assert "Lê Quang Thắng" not in page.text  # Hoàng Hoa Thám's secretary
    assert all("phone" not in person for person in people)
    assert [e["endpoint_id"] for e in data["snapshot"]["endpoints"]] == [live.network.sao_do.id]
    assert data["reports_link"] is True
    assert data["api_url"] == f"/api/v1/briefings/{live.briefing_id}/attendance"
    labels = embedded(page.text, "console-labels")
    assert labels["outbox_pending"] == "{n} đang chờ gửi"
    assert labels["outbox_empty"] == "Đã gửi hết"


_op_ids = itertools.count(1)


def _raise(briefing_id: int, endpoint_id: int, title: str, by: str = "organizer", **extra: Any) -> int:
    data = follow_up.IssueData(
        endpoint_id=endpoint_id, category="dat-dai", title=title, client_op_id=f"page-op-{next(_op_ids):04d}", **extra
    )
    return follow_up.raise_issue(scheduling.get_briefing(briefing_id), data, accounts.find_user(by)).issue.id


@pytest.fixture
def issues_around(app: Flask, live: LiveBriefing) -> LiveBriefing:
    """An earlier briefing whose issues were answered or are overdue since, at Sao Đỏ and Hoàng Hoa Thám; and an
    issue of each raised at the live briefing."""
    network = live.network
    with app.app_context():
        follow_up.seed_default_categories()
        organizer, leader = accounts.find_user("organizer"), accounts.find_user("leader")
        responder = accounts.find_user("responder")
        start = utcnow() - timedelta(days=30)
        earlier = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=2)), organizer
        )
        factories.open_briefing(earlier, organizer)
        for endpoint, name in ((network.sao_do, "Sao Đỏ"), (network.hoang_hoa_tham, "Hoàng Hoa Thám")):
            answered = db.session.get(follow_up.Issue, _raise(earlier.id, endpoint.id, f"Đã trả lời {name}"))
            late = db.session.get(follow_up.Issue, _raise(earlier.id, endpoint.id, f"Quá hạn {name}"))
            assert answered is not None and late is not None
            for issue in (answered, late):
                follow_up.assign_issue(issue, network.agency.id, None, leader)
            follow_up.answer_issue(answered, "Đã đo đạc lại, hai hộ thống nhất ranh giới.", responder)
            late.due_on = local_today() - timedelta(days=2)  # as if given long ago
        factories.close_briefing(earlier, organizer)
        _raise(
            live.briefing_id,
            network.sao_do.id,
            "Nêu tại buổi này",
            by="op-sao-do",
            person_id=network.sao_do_people[0].id,
        )
        _raise(live.briefing_id, network.hoang_hoa_tham.id, "Nêu tại Hoàng Hoa Thám")
        db.session.commit()
    return live


def test_the_console_embeds_the_categories_its_endpoints_issues_and_report_back(
    app: Flask, issues_around: LiveBriefing
) -> None:
    page = signed_in_client(app, "op-sao-do").get(console_url(issues_around.briefing_id))
    data = embedded(page.text, "console-data")
    assert data["categories"][0] == {"code": "dat-dai", "name": "Đất đai"}
    assert [c["code"] for c in data["categories"]] == [code for code, _name in follow_up.DEFAULT_CATEGORIES]
    assert data["issue_statuses"]["new"] == "Mới"
    assert data["issues_url"] == f"/api/v1/briefings/{issues_around.briefing_id}/issues"
    # The issues raised at this briefing: the endpoint's own only.
    assert [(i["title"], i["status"], i["person_name"]) for i in data["issues"]] == [
        ("Nêu tại buổi này", "new", "Nguyễn Văn Đức")
    ]
    # The report-back: Sao Đỏ's answer and overdue issue, nothing of Hoàng Hoa Thám.
    report = data["report_back"]
    assert [(line["title"], line["status"], line["agency"]) for line in report["resolved"]] == [
        ("Đã trả lời Sao Đỏ", "answered", "Phòng Tài nguyên và Môi trường")
    ]
    assert report["resolved"][0]["answer"] == "Đã đo đạc lại, hai hộ thống nhất ranh giới."
    assert [line["title"] for line in report["overdue"]] == ["Quá hạn Sao Đỏ"]
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", report["overdue"][0]["due_on"])
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", report["since"])
    assert "Hoàng Hoa Thám" not in page.text
    # The page shows it as it came (it opens offline from the service worker's copy just the same).
    assert "Kết quả trả lời ý kiến" in page.text
    assert "1 có kết quả · 1 quá hạn" in page.text
    labels = embedded(page.text, "console-labels")
    assert labels["raise_for"] == "Ghi ý kiến, kiến nghị của {name}"


def test_an_organizers_console_embeds_the_chosen_endpoints_part_only(app: Flask, issues_around: LiveBriefing) -> None:
    hht = issues_around.network.hoang_hoa_tham.id
    page = signed_in_client(app, "organizer").get(f"{console_url(issues_around.briefing_id)}?endpoint_id={hht}")
    data = embedded(page.text, "console-data")
    assert [i["title"] for i in data["issues"]] == ["Nêu tại Hoàng Hoa Thám"]
    assert [line["title"] for line in data["report_back"]["resolved"]] == ["Đã trả lời Hoàng Hoa Thám"]
    assert [line["title"] for line in data["report_back"]["overdue"]] == ["Quá hạn Hoàng Hoa Thám"]


def test_a_console_with_nothing_to_report_back_shows_no_report(app: Flask, live: LiveBriefing) -> None:
    page = signed_in_client(app, "op-sao-do").get(console_url(live.briefing_id))
    data = embedded(page.text, "console-data")
    assert data["report_back"] is None
    assert data["issues"] == []
    assert "Kết quả trả lời ý kiến" not in page.text


def test_the_dashboard_names_the_issue_categories_for_its_feed(app: Flask, issues_around: LiveBriefing) -> None:
    page = signed_in_client(app, "leader").get(f"/briefings/{issues_around.briefing_id}/live")
    data = embedded(page.text, "dashboard-data")
    assert data["categories"]["dat-dai"] == "Đất đai"
    raised = [e for e in data["recent_events"] if e["type"] == "issue"]
    assert [(e["title"], e["action"]) for e in raised] == [
        ("Nêu tại buổi này", "raise"),
        ("Nêu tại Hoàng Hoa Thám", "raise"),
    ]
    assert raised[0]["person_id"] == issues_around.network.sao_do_people[0].id
    assert embedded(page.text, "dashboard-labels")["issue_raise"] == "ý kiến mới “{title}”"


def test_the_console_stays_light_and_free_of_bootstrap(app: Flask, live: LiveBriefing) -> None:
    page = signed_in_client(app, "op-sao-do").get(console_url(live.briefing_id))
    assert "bootstrap" not in page.text
    assert '<meta name="csrf-token"' in page.text
    assert "/static/vendor/socket.io.min.js" in page.text
    assert " onclick=" not in page.text


def test_an_operator_cannot_open_another_endpoint_or_an_uninvited_briefing(
    app: Flask, live: LiveBriefing, hht_only_briefing: int
) -> None:
    client = signed_in_client(app, "op-sao-do")
    assert client.get(console_url(hht_only_briefing)).status_code == 403
    other = client.get(f"{console_url(live.briefing_id)}?endpoint_id={live.network.hoang_hoa_tham.id}")
    assert other.status_code == 403
    assert client.get(f"/briefings/{live.briefing_id}/live").status_code == 403


def test_the_operator_of_the_invited_endpoint_opens_its_console(
    app: Flask, live: LiveBriefing, hht_only_briefing: int
) -> None:
    page = signed_in_client(app, "op-hoang-hoa-tham").get(console_url(hht_only_briefing))
    assert page.status_code == 200
    names = [p["name"] for cell in embedded(page.text, "console-data")["roster"] for p in cell["people"]]
    assert names == ["Lê Quang Thắng"]


@pytest.mark.parametrize(("username", "console", "dashboard"), [
    ("leader", 403, 200),
    ("responder", 403, 403),
    ("admin", 302, 200),
    ("organizer", 302, 200),
])  # fmt: skip
def test_who_may_open_the_console_and_the_dashboard(
    app: Flask, live: LiveBriefing, username: str, console: int, dashboard: int
) -> None:
    client = signed_in_client(app, username)
    assert client.get(console_url(live.briefing_id)).status_code == console
    assert client.get(f"/briefings/{live.briefing_id}/live").status_code == dashboard


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, live: LiveBriefing) -> None:
    client = app.test_client()
    for url in ("/console", console_url(live.briefing_id), f"/briefings/{live.briefing_id}/live"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in" in response.location


def test_an_organizer_takes_the_roll_call_of_a_chosen_endpoint(app: Flask, live: LiveBriefing) -> None:
    client = signed_in_client(app, "organizer")
    without_choice = client.get(console_url(live.briefing_id))
    assert without_choice.location.endswith(f"/briefings/{live.briefing_id}/live")

    page = client.get(f"{console_url(live.briefing_id)}?endpoint_id={live.pha_lai_id}")
    assert page.status_code == 200
    data = embedded(page.text, "console-data")
    assert [p["id"] for cell in data["roster"] for p in cell["people"]] == [live.pha_lai_person_id]
    assert data["reports_link"] is False  # link status is the operators' to report

    with app.app_context():
        elsewhere = factories.make_endpoint(code="noi-khac", name="Nơi Khác")
        db.session.commit()
        elsewhere_id = elsewhere.id
    assert client.get(f"{console_url(live.briefing_id)}?endpoint_id={elsewhere_id}").status_code == 404


def test_the_dashboard_embeds_every_invited_endpoint_names_and_the_feed(app: Flask, live: LiveBriefing) -> None:
    client = signed_in_client(app, "leader")
    page = client.get(f"/briefings/{live.briefing_id}/live")
    data = embedded(page.text, "dashboard-data")
    assert [e["name"] for e in data["endpoints"]] == ["Xã Hoàng Hoa Thám", "Phường Phả Lại", "Phường Sao Đỏ"]
    assert all(e["console_url"] is None for e in data["endpoints"])  # leaders do not check people in
    assert data["names"][str(live.network.sao_do_people[0].id)] == "Nguyễn Văn Đức"
    assert data["snapshot"]["seq"] == 1
    assert [e["type"] for e in data["recent_events"]] == ["briefing"]  # the opening
    assert data["stale_after_seconds"] == 60
    assert datetime.fromisoformat(data["server_time"]).tzinfo is not None
    assert embedded(page.text, "dashboard-labels")["seen_seconds"] == "cập nhật {n} giây trước"


def test_console_without_a_briefing_today_lists_the_coming_ones(app: Flask, network: factories.SmallNetwork) -> None:
    with app.app_context():
        start = datetime(2099, 3, 10, 8, tzinfo=HCM)
        scheduling.create_briefing(
            scheduling.BriefingData(title="Giao ban quý I", starts_at=start, ends_at=start + timedelta(hours=2)),
            accounts.find_user("organizer"),
        )
        db.session.commit()
    for username in ("op-sao-do", "organizer"):
        page = signed_in_client(app, username).get("/console")
        assert page.status_code == 200
        assert "Chưa có buổi giao ban nào đang diễn ra" in page.text
        assert "Giao ban quý I" in page.text


def test_the_waiting_page_polls_for_the_briefing_to_take(app: Flask, network: factories.SmallNetwork) -> None:
    page = signed_in_client(app, "op-sao-do").get("/console")
    assert 'data-next-url="/console/next"' in page.text
    assert "/static/js/console_wait.js" in page.text
    for username in ("op-sao-do", "leader"):
        response = signed_in_client(app, username).get("/console/next")
        assert response.status_code == 200
        assert response.json == {"url": None}
        assert response.headers["Cache-Control"] == "no-store"
    assert signed_in_client(app, "responder").get("/console/next").status_code == 403
    assert app.test_client().get("/console/next").status_code in (302, 401)


def test_once_a_briefing_opens_the_waiting_page_is_sent_to_it(app: Flask, live: LiveBriefing) -> None:
    operator = signed_in_client(app, "op-sao-do").get("/console/next")
    assert operator.json == {"url": console_url(live.briefing_id)}
    leader = signed_in_client(app, "leader").get("/console/next")
    assert leader.json == {"url": f"/briefings/{live.briefing_id}/live"}


def test_an_operators_home_leads_to_the_live_roll_call_first(app: Flask, network: factories.SmallNetwork) -> None:
    client = signed_in_client(app, "op-sao-do")
    assert "Điểm danh ngay" not in client.get("/").text
    with app.app_context():
        live = make_live_briefing_with_pha_lai(network)
    home = client.get("/").text
    assert "Buổi giao ban đang diễn ra" in home
    assert f'href="{console_url(live.briefing_id)}">Điểm danh ngay' in home
    # First on the page: before the list of coming briefings.
    assert home.index("Điểm danh ngay") < home.index("Buổi giao ban sắp tới")
    assert "Điểm danh ngay" not in signed_in_client(app, "leader").get("/").text


def test_the_console_embeds_its_briefings_status_time_and_the_networks_time_zone(
    app: Flask, live: LiveBriefing
) -> None:
    data = embedded(signed_in_client(app, "op-sao-do").get(console_url(live.briefing_id)).text, "console-data")
    assert data["time_zone"] == "Asia/Ho_Chi_Minh"
    assert data["briefing_url"] == f"/api/v1/briefings/{live.briefing_id}"
    assert data["briefing"]["status"] == "live"
    assert datetime.fromisoformat(data["briefing"]["status_changed_at"]).utcoffset() is not None


def test_a_live_briefing_running_past_its_end_is_still_the_one_to_take(
    app: Flask, network: factories.SmallNetwork
) -> None:
    with app.app_context():
        organizer = accounts.find_user("organizer")
        start = datetime(2026, 12, 8, 8, tzinfo=HCM)
        overrunning = scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start, ends_at=start + timedelta(hours=2)), organizer
        )
        scheduling.create_briefing(
            scheduling.BriefingData(starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=2)),
            organizer,
        )
        factories.open_briefing(overrunning, organizer)
        db.session.commit()
        operator = accounts.find_user("op-sao-do")
        assert page_data.briefing_to_take(operator, now=start + timedelta(hours=2, minutes=30)) is overrunning
        factories.close_briefing(overrunning, organizer)
        # Later that day nothing is live and nothing else starts today.
        assert page_data.briefing_to_take(operator, now=start + timedelta(hours=3)) is None


def test_the_briefing_page_links_the_dashboard_and_the_console(app: Flask, live: LiveBriefing) -> None:
    organizer_page = signed_in_client(app, "organizer").get(f"/briefings/{live.briefing_id}")
    assert "Màn hình theo dõi trực tiếp" in organizer_page.text
    assert f'href="/briefings/{live.briefing_id}/live"' in organizer_page.text
    operator_page = signed_in_client(app, "op-sao-do").get(f"/briefings/{live.briefing_id}")
    assert f'href="{console_url(live.briefing_id)}"' in operator_page.text
    assert "Màn hình theo dõi trực tiếp" not in operator_page.text


def test_the_home_pages_link_the_live_pages(app: Flask, live: LiveBriefing) -> None:
    assert "Điểm danh trực tiếp" in signed_in_client(app, "op-sao-do").get("/").text
    assert "Theo dõi giao ban trực tiếp" in signed_in_client(app, "leader").get("/").text


def test_the_service_worker_is_public_uncached_and_scoped_to_the_site(client: FlaskClient) -> None:
    response = client.get("/console-sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    settings = json.loads(response.text.split("\n", 1)[0].removeprefix("const SETTINGS = ").removesuffix(";"))
    # Versioned static URLs (meeting_hub/static_versions.py); the worker keeps each under its path.
    assert all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in settings["shell"])
    shell = [url.split("?")[0] for url in settings["shell"]]
    assert shell[:4] == [
        "/static/css/console.css",
        "/static/vendor/socket.io.min.js",
        "/static/js/live_client.js",
        "/static/js/console/main.js",
    ]
    # Every module the console imports is kept, or the console cannot reopen offline.
    modules = Path(__file__).resolve().parents[2] / "static" / "js" / "console"
    assert {url for url in shell if url.startswith("/static/js/console/")} == {
        f"/static/js/console/{path.name}" for path in modules.glob("*.js")
    }
    assert re.fullmatch(r"[0-9a-f]{16}", settings["version"])
    assert 'addEventListener("fetch"' in response.text
