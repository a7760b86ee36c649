"""Selects that route work start on "— Chọn —", refuse to be left there, and assigning suggests an agency."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.extensions import db
from meeting_hub.follow_up import services
from meeting_hub.follow_up.agency_suggestion import suggest_agency
from meeting_hub.follow_up.models import Issue, IssueCategory, IssueStatus
from tests import factories
from tests.attendance.conftest import signed_in_client
from tests.follow_up.conftest import FollowUp, make_issue


def _selected_option(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    chosen = re.search(r'<option selected value="([^"]*)">([^<]*)</option>', select.group(1))
    assert chosen is not None, f"nothing selected in {name}"
    return chosen.group(2)


def test_assign_starts_on_choose_and_refuses_to_be_left_there(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue_id = make_issue(follow_up.briefing_id, follow_up.network.sao_do.id).id
        db.session.commit()
    leader = signed_in_client(app, "leader")
    page = leader.get(f"/issues/{issue_id}").text
    assert _selected_option(page, "agency_id") == "— Chọn —"
    refused = leader.post(f"/issues/{issue_id}/assign", data={"agency_id": "", "due_on": ""})
    assert refused.status_code == 422
    assert "Cần chọn cơ quan xử lý." in refused.text
    with app.app_context():
        assert db.session.get(Issue, issue_id).status == IssueStatus.NEW  # type: ignore[union-attr]


def test_bulk_assign_left_on_choose_is_explained(app: Flask, follow_up: FollowUp) -> None:
    with app.app_context():
        issue_id = make_issue(follow_up.briefing_id, follow_up.network.sao_do.id).id
        db.session.commit()
    leader = signed_in_client(app, "leader")
    listing = leader.get("/issues").text
    bulk_form = listing[listing.index('action="/issues/bulk-assign"') :]
    assert _selected_option(bulk_form, "agency_id") == "— Chọn —"
    leader.post("/issues/bulk-assign", data={"issue_ids": [str(issue_id)], "agency_id": ""})
    assert "Cần chọn cơ quan xử lý." in leader.get("/issues").text


def test_raise_form_starts_on_choose_for_endpoint_and_category(app: Flask, follow_up: FollowUp) -> None:
    organizer = signed_in_client(app, "organizer")
    url = f"/briefings/{follow_up.briefing_id}/issues/new"
    form = organizer.get(url).text
    assert _selected_option(form, "endpoint_id") == "— Chọn —"
    assert _selected_option(form, "category") == "— Chọn —"
    op = re.search(r'name="client_op_id" type="hidden" value="([^"]+)"', form)
    assert op is not None
    refused = organizer.post(
        url, data={"endpoint_id": "", "category": "", "priority": "normal", "title": "Đèn", "client_op_id": op.group(1)}
    )
    assert "Cần chọn điểm cầu nêu ý kiến." in refused.text
    assert "Cần chọn lĩnh vực của ý kiến." in refused.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 0


def test_suggestion_is_the_agency_most_often_given_the_category(app: Flask, follow_up: FollowUp) -> None:
    network = follow_up.network
    with app.app_context():
        leader = accounts.find_user("leader")
        category = db.session.scalar(sa.select(IssueCategory).where(IssueCategory.code == "dat-dai"))
        assert category is not None
        assert suggest_agency(category.id) is None  # nothing assigned yet: no suggestion
        for agency_id in (network.other_agency.id, network.other_agency.id, network.agency.id):
            issue = make_issue(follow_up.briefing_id, network.sao_do.id)
            services.assign_issue(issue, agency_id, None, leader)
        # Another category's habits do not count.
        other = make_issue(follow_up.briefing_id, network.sao_do.id, category="ha-tang-giao-thong")
        services.assign_issue(other, network.agency.id, None, leader)
        fresh = make_issue(follow_up.briefing_id, network.sao_do.id)
        db.session.commit()
        suggestion = suggest_agency(category.id)
        assert suggestion is not None
        assert (suggestion.agency_id, suggestion.issues) == (network.other_agency.id, 2)
        fresh_id, other_name = fresh.id, network.other_agency.name
    page = signed_in_client(app, "leader").get(f"/issues/{fresh_id}").text
    assert f"Đề xuất: {other_name}" in page
    assert _selected_option(page, "agency_id") == "— Chọn —"  # the choice stays the user's


def test_suggestion_breaks_ties_in_vietnamese_order(app_ctx: Flask) -> None:
    network = factories.make_small_network()
    services.seed_default_categories()
    briefing = factories.make_live_briefing([network.sao_do.id])
    dong = factories.make_agency(name="Đội Quản lý trật tự")
    duong = factories.make_agency(name="Dương Kinh")
    leader = accounts.find_user("leader")
    for agency in (dong, duong):
        issue = make_issue(briefing.id, network.sao_do.id)
        services.assign_issue(issue, agency.id, None, leader)
    category = db.session.scalar(sa.select(IssueCategory.id).where(IssueCategory.code == "dat-dai"))
    suggestion = suggest_agency(category)  # type: ignore[arg-type]
    assert suggestion is not None and suggestion.agency_name == "Dương Kinh"
