"""How a message reads: lines of text (with their links) written once and laid out as plain text and as HTML.

Messages leave the app: their links are built on MEETING_HUB_PUBLIC_BASE_URL (meeting_hub.public_links), their
times are in the network's zone as dd/mm/yyyy and HH:MM, and their words are in the network's language whatever the
page that caused them (a job has no request).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale

from meeting_hub.clock import local_zone
from meeting_hub.public_links import external_url

logger = logging.getLogger(__name__)

#: Where links point when neither MEETING_HUB_PUBLIC_BASE_URL, SERVER_NAME nor a request says it (a warning is logged).
FALLBACK_BASE_URL = "http://localhost:5000"
#: Whether this process has warned about the missing base URL (once is enough).
_warned: list[bool] = []


@dataclass(frozen=True)
class Line:
    """One line of a message: a label ("Họp trực tuyến"), its value, and a link when the value is one."""

    text: str
    label: str = ""
    url: str | None = None

    def plain(self) -> str:
        """Return the line as plain text."""
        body = self.url if self.url and not self.text else self.text
        if self.url and self.text and self.url != self.text:
            body = f"{self.text}: {self.url}"
        return f"{self.label}: {body}" if self.label else body


def plain_text(paragraphs: list[list[Line]]) -> str:
    """Return the paragraphs as plain text, a blank line between paragraphs."""
    return "\n\n".join("\n".join(line.plain() for line in lines) for lines in paragraphs if lines)


def html_text(heading: str, paragraphs: list[list[Line]]) -> str:
    """Return the paragraphs as a small HTML e-mail body (escaped, links clickable)."""
    return render_template("notifications/message.html", heading=heading, paragraphs=[p for p in paragraphs if p])


@contextmanager
def message_language() -> Iterator[None]:
    """Write in the network's language (messages are the same for every recipient)."""
    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        yield


def message_link(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of a page as a message must carry it, also from a background job."""
    if current_app.config.get("PUBLIC_BASE_URL") or current_app.config.get("SERVER_NAME") or has_request_context():
        return external_url(endpoint, **values)
    if not _warned:
        _warned.append(True)
        logger.warning("MEETING_HUB_PUBLIC_BASE_URL is not set: links in messages point to %s", FALLBACK_BASE_URL)
    with current_app.test_request_context(base_url=FALLBACK_BASE_URL):
        return external_url(endpoint, **values)


def local_day(value: datetime | date) -> str:
    """Return a date as dd/mm/yyyy (a time in the network's zone)."""
    day = value.astimezone(local_zone()).date() if isinstance(value, datetime) else value
    return day.strftime("%d/%m/%Y")


def local_clock(value: datetime) -> str:
    """Return the wall-clock time HH:MM in the network's zone."""
    return value.astimezone(local_zone()).strftime("%H:%M")


def shortened(text: str, limit: int) -> str:
    """Return the text cut to `limit` characters at a word, with "…" when cut (SMS are short)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"
