"""Fixtures for the socket layer's tests: the live briefing of tests/attendance."""

from __future__ import annotations

import pytest
from flask import Flask

from tests import factories
from tests.attendance.conftest import LiveBriefing, make_live_briefing_with_pha_lai


@pytest.fixture
def live(app: Flask, network: factories.SmallNetwork) -> LiveBriefing:
    """A live briefing to which Sao Đỏ, Hoàng Hoa Thám and Phả Lại are invited."""
    with app.app_context():
        return make_live_briefing_with_pha_lai(network)
