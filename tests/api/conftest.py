"""Fixtures shared with the domains' tests: a live briefing (attendance) and the follow-up setting."""

from tests.attendance.conftest import live  # noqa: F401
from tests.follow_up.conftest import follow_up  # noqa: F401
