"""Fixtures of the bulletin tests: a small valid bulletin PDF and a published bulletin on the small network."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import pytest
from flask import Flask

from meeting_hub.bulletins import services
from meeting_hub.bulletins.sample import sample_bulletin_pdf
from meeting_hub.extensions import db
from tests import factories

MONTH = date(2026, 11, 1)


@functools.cache
def bulletin_pdf(title: str = "Thông tin tuyên giáo tháng 11/2026", pages: int = 2) -> bytes:
    """Return a small valid bulletin PDF (drawn with fpdf2, as the demo does; drawn once per title). Call it inside an
    app context: the fonts' folder is an app setting (with several test workers, any test may be the first caller)."""
    return sample_bulletin_pdf(title, "11/2026", "Ban Tuyên giáo Thành ủy Chí Linh", pages=pages)


def make_bulletin(actor: Any, *, month: date = MONTH, publish: bool = True, **overrides: Any) -> Any:
    """Create (and publish, unless told) a bulletin with the sample PDF, and commit."""
    upload = services.BulletinUpload("ban-tin.pdf", overrides.pop("content", None) or bulletin_pdf())
    bulletin = services.create_bulletin(
        month, overrides.pop("title", services.default_title(month)), upload, actor, **overrides
    )
    if publish:
        services.publish(bulletin, actor)
    db.session.commit()
    return bulletin


@pytest.fixture
def bulletin_id(app: Flask, network: factories.SmallNetwork) -> int:
    """A published bulletin of 11/2026 on the small network."""
    with app.app_context():
        organizer = db.session.get(type(network.organizer), network.organizer.id)
        return int(make_bulletin(organizer).id)
