"""Fixtures for the follow-up: a live briefing on the small network, the default categories, and a responder of
the other agency."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask

from meeting_hub.accounts import services as accounts
from meeting_hub.accounts.roles import Role
from meeting_hub.follow_up import services
from meeting_hub.follow_up.models import Issue
from meeting_hub.scheduling import services as scheduling
from tests import factories

_ops = itertools.count(1)


def op_id() -> str:
    """Return a fresh client_op_id."""
    return f"test-op-{next(_ops):06d}"


@dataclass
class FollowUp:
    """A live briefing to which Sao Đỏ and Hoàng Hoa Thám are invited, and the small network's people."""

    network: factories.SmallNetwork
    briefing_id: int
    other_responder: str


@pytest.fixture
def follow_up(app: Flask, network: factories.SmallNetwork) -> FollowUp:
    with app.app_context():
        services.seed_default_categories()
        factories.make_user(Role.RESPONDER, username="responder-qldt", agency_id=network.other_agency.id)
        briefing = factories.make_live_briefing([network.sao_do.id, network.hoang_hoa_tham.id])
        return FollowUp(network, briefing.id, "responder-qldt")


def make_issue(
    briefing_id: int,
    endpoint_id: int,
    *,
    by: str = "organizer",
    category: str = "dat-dai",
    title: str = "Tranh chấp đất đai",
    content: str = "",
    now: datetime | None = None,
    **overrides: Any,
) -> Issue:
    """Raise an issue through the service (inside an app context) and return it."""
    data = services.IssueData(
        endpoint_id=endpoint_id, category=category, title=title, content=content, client_op_id=op_id(), **overrides
    )
    briefing = scheduling.get_briefing(briefing_id)
    return services.raise_issue(briefing, data, accounts.find_user(by), now=now).issue


def assigned_issue(fu: FollowUp, *, due_on: date | None = None, now: datetime | None = None, **kwargs: Any) -> Issue:
    """Raise an issue at Sao Đỏ and assign it to the network's agency (Phòng Tài nguyên và Môi trường)."""
    issue = make_issue(fu.briefing_id, fu.network.sao_do.id, now=now, **kwargs)
    services.assign_issue(issue, fu.network.agency.id, due_on, accounts.find_user("leader"), now=now)
    return issue
